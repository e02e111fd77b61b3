"""Apply at the I/O edge: check the plan, execute it, send events, keep the audit trail.

The order is the safety contract:

1. Specs load and validate (SpecError before any API call); the webhook settings are checked
   (a bad URL or secret fails before any write); the apply lock of the environment is taken
   (``run_control``: one writer, before planning); ``--out``, the audit log and the outbox
   are tried.
2. The plan: a saved one (``--plan``: a plan of this tool, signed when RECONCILER_PLAN_KEY is
   set) must match the environment, the current specs' digest and a fresh listing (every
   action's fingerprint), and gets the write-only values that plan.json hides back from
   those specs; or a fresh plan is made.
3. ``--expect-digest`` must equal the plan's digest; an unsafe plan needs ``--force``;
   the person (or ``--yes``) confirms.
4. Only then the audit run starts: an earlier run's open intents are settled
   (``apply_events.recover``), then the executor writes. Before each action's first write
   its intent is audited (fsynced); when it succeeds its event is queued in the outbox, then
   its success audited, then the event sent. The run-end line and apply.json close the run,
   also when a signal stops it (``run_control.Signals``: no new actions; exit 130 or 143).
   A conflict left in the plan or a failed action makes the run ``failed``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from reconciler import kinds
from reconciler.apply_events import EVENT_OF, RunState, bounded, earlier_outcomes, recover
from reconciler.artifacts import (
    DEFAULT_OUT_DIR,
    file_safe,
    plan_key_from,
    read_plan,
    write_atomic,
)
from reconciler.audit import AuditKind, AuditLog
from reconciler.audit.paths import default_audit_path
from reconciler.backend import Backend
from reconciler.errors import PlanError
from reconciler.events import channel_event, reconcile_completed
from reconciler.executor import ActionResult, ActionStatus, ExecuteOptions, Executor
from reconciler.interpolate import SpecContext
from reconciler.model import Spec
from reconciler.notices import ApplyOutcome, Notice, apply_notice, run_url
from reconciler.planner import Action, ActionKind, Plan, PlanOptions, spec_digest, targeted
from reconciler.planner.redact import restore, split_path
from reconciler.planner.staleness import stale_channels
from reconciler.planning import plan_against, read_live
from reconciler.policies import NO_POLICIES, Policies, approved, unapproved
from reconciler.run_control import Signals, apply_lock, probe_writable
from reconciler.webhooks import (
    DeliveryOutcome,
    DeliveryState,
    EventSink,
    default_outbox_path,
    from_env,
)
from reconciler.webhooks.notify import NoticeSender, notice_sender

if TYPE_CHECKING:
    import httpx

    from reconciler.genesys.settings import Settings

DEFAULT_WEBHOOK_BUDGET = 30.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplyRequest:
    """What ``apply`` was asked to do."""

    paths: tuple[Path, ...]
    options: PlanOptions
    plan_path: Path | None = None
    expect_digest: str | None = None
    force: bool = False
    parallelism: int = 8
    out_dir: Path = DEFAULT_OUT_DIR
    audit_log: Path | None = None  # default audit/<environment>.jsonl
    outbox: Path | None = None  # default .reconciler/outbox/<environment>.jsonl
    argv: tuple[str, ...] = ()
    context: SpecContext | None = None  # --env: variables and spec selection
    #: Seconds the end of a run waits for webhook deliveries; the rest wait in the outbox
    #: (None: ``DEFAULT_WEBHOOK_BUDGET``).
    webhook_budget: float | None = None
    #: ``--allow-impact``: impact codes approved for this run (an ``approve`` policy of the
    #: environment holds back every other one it names).
    allowed_impacts: tuple[str, ...] = ()
    #: ``notices:`` of the --env file (Slack and Teams), and that file's name for messages.
    notices: Mapping[str, Any] = field(default_factory=dict)
    notices_file: str = ""

    @property
    def policies(self) -> Policies:
        found = self.context.policies if self.context is not None else None
        return found if isinstance(found, Policies) else NO_POLICIES


class ApplyHooks(Protocol):
    """The CLI's part: asking the person, showing progress. Nothing below it prints."""

    def confirm(self, plan: Plan) -> bool: ...

    def started(self, plan: Plan, total: int) -> None: ...

    def finished(self, result: ActionResult, done: int, total: int, rate_wait: float) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplyResult:
    plan: Plan
    run_id: str
    results: tuple[ActionResult, ...] = ()
    webhooks: tuple[DeliveryOutcome, ...] = ()
    declined: bool = False
    interrupted: bool = False
    audit_path: Path | None = None
    report_path: Path | None = None
    rate_wait_seconds: float = 0.0
    duration_ms: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    halted: str = ""  # why the run stopped early on its own (auth refused, outbox unwritable)
    signal: str = ""  # SIGINT or SIGTERM, when one ended the run
    recovered: tuple[dict[str, Any], ...] = ()  # earlier runs' intents settled by this one
    outbox_error: str = ""
    audit_head: str = ""
    warnings: tuple[str, ...] = ()

    @property
    def attempted(self) -> int:
        return sum(1 for r in self.results if r.status is not ActionStatus.SKIPPED)

    @property
    def succeeded(self) -> int:
        return sum(1 for r in self.results if r.succeeded)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.results if r.status is ActionStatus.FAILED)

    @property
    def conflicts(self) -> tuple[Action, ...]:
        """Specs the plan could not apply (a conflict a person must resolve)."""
        return self.plan.conflicts

    @property
    def status(self) -> str:
        """``succeeded`` only when every spec of the plan is applied: a failed action or a
        conflict left in the plan makes the run ``failed``."""
        if self.declined:
            return "declined"
        if self.interrupted:
            return "interrupted"
        unapplied = self.failed or self.conflicts or self.halted or self.outbox_error
        return "failed" if unapplied else "succeeded"


def check_plan(
    plan: Plan,
    *,
    expect_digest: str | None,
    force: bool,
) -> None:
    """Refuse a plan that is not the reviewed one, or unsafe without ``--force``."""
    if expect_digest is not None and plan.digest != expect_digest:
        raise PlanError(
            f"the plan's digest {plan.digest} is not the expected {expect_digest}: the changes "
            "differ from the reviewed plan; nothing was applied"
        )
    if plan.unsafe and not force:
        raise PlanError(
            "refusing an unsafe plan (" + "; ".join(plan.unsafe_reasons) + "); review it and "
            "use --force to apply anyway"
        )


def check_saved_plan(
    saved: Plan, specs: Sequence[Spec], environment: str, env_name: str | None = None
) -> None:
    """A saved plan must have been made from these specs, for this environment (the org's
    label and the ``--env`` name: specs differ between environment files, so a plan for
    another one is named as such, never as "specs changed").

    A partial plan (``--target``) is compared with the specs its own targets select.
    """
    if saved.env_name != env_name:
        made = f"--env {saved.env_name}" if saved.env_name else "no --env"
        now = f"--env {env_name}" if env_name else "no --env"
        raise PlanError(
            f"the plan was made for another environment ({made}), and this apply has {now}; "
            "apply it with the environment it was made for, or run plan again"
        )
    if saved.environment != environment:
        raise PlanError(
            f"the plan was made for environment {saved.environment!r}, not {environment!r}"
        )
    current = spec_digest(targeted(specs, saved.options.targets))
    if saved.spec_digest != current:
        raise PlanError(
            f"the specs changed since the plan was made (spec digest {saved.spec_digest} in "
            f"the plan, {current} now); run plan again"
        )


def with_write_only_values(saved: Plan, specs: Sequence[Spec]) -> Plan:
    """A saved plan whose bodies hold the specs' write-only values again.

    plan.json shows ``(redacted)`` at each path an action lists in ``redacted``; the values
    come from the specs' desired bodies (``check_saved_plan`` has proved these are the specs
    the plan was made from). The plan keeps hiding those paths wherever it is shown, so its
    digest and renderings are the saved plan's.
    """
    if not any(action.redacted for action in saved.actions):
        return saved
    by_key = {(spec.kind, spec.key): spec for spec in specs}
    actions: list[Action] = []
    hidden: set[tuple[str, ...]] = set()
    for action in saved.actions:
        if not action.redacted or action.body is None:
            actions.append(action)
            continue
        spec = by_key.get((action.resource_kind, action.key))
        if spec is None:
            raise PlanError(
                f"the plan hides write-only values of {action.name!r}, and no spec describes it "
                "now; run plan again"
            )
        desired = kinds.get(spec.kind).desired(spec.body, saved.owner)
        body = restore(action.body, action.redacted, desired)
        actions.append(dataclasses.replace(action, body=body))
        hidden.update(split_path(path) for path in action.redacted)
    return dataclasses.replace(
        saved, actions=tuple(actions), write_only=saved.write_only | frozenset(hidden)
    )


async def prepare_plan(
    request: ApplyRequest,
    specs: Sequence[Spec],
    backend: Backend,
    now: datetime,
    plan_key: str | None = None,
) -> Plan:
    """The plan to execute: the saved one if it still holds (and, with ``plan_key``, is
    signed with it), else a fresh one."""
    context = request.context
    managed = context.managed_kinds if context is not None else frozenset()
    env_name = context.environment if context is not None else None
    if request.plan_path is None:
        plan = await plan_against(
            specs,
            backend,
            options=request.options,
            now=now,
            managed=managed,
            environment=env_name,
        )
    else:
        plan = read_plan(request.plan_path, plan_key=plan_key)
        chosen = request.context.environment if request.context is not None else None
        check_saved_plan(plan, specs, backend.environment, chosen)
        plan = with_write_only_values(plan, specs)
        live, _catalog = await read_live(backend, specs, managed=managed, environment=env_name)
        stale = stale_channels(plan, live)
        if stale:
            raise PlanError(
                f"the plan is stale, refusing it whole ({len(stale)} channel(s) changed since "
                "it was made): " + "; ".join(stale) + "; run plan again"
            )
    check_plan(plan, expect_digest=request.expect_digest, force=request.force)
    check_approvals(plan, request.policies, request.allowed_impacts)
    return plan


def check_approvals(plan: Plan, policies: Policies, allowed: Sequence[str]) -> None:
    """Refuse a plan with a customer impact that an ``approve`` policy names, unless
    ``--allow-impact`` approves its code (saved plans too: impacts are assessed again)."""
    missing = unapproved(policies, plan.changes, allowed)
    if not missing:
        return
    codes = sorted({item.impact.code for item in missing})
    flags = " ".join(f"--allow-impact {code}" for code in codes)
    rules = ", ".join(sorted({item.policy.label for item in missing}))
    raise PlanError(
        f"refusing the plan: {len(missing)} change(s) need approval by policy {rules}: "
        + "; ".join(item.describe() for item in missing)
        + f"; nothing was applied. Approve them with {flags} (recorded in the audit log)"
    )


async def apply_with_backend(
    request: ApplyRequest,
    specs: Sequence[Spec],
    backend: Backend,
    sink: EventSink,
    hooks: ApplyHooks,
    *,
    stop: asyncio.Event,
    abort: asyncio.Event | None = None,
    clock: Callable[[], float] = time.monotonic,
    wall_clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    env: Mapping[str, str] | None = None,
    signals: Signals | None = None,
    notices: NoticeSender | None = None,
) -> ApplyResult:
    """Steps 2 to 4 of the module docstring, on an open backend and sink (``signals``: which
    one stopped the run, for apply.json; ``notices``: Slack and Teams, told of a failed or
    unfinished run and of applied changes with customer impact)."""
    environment = backend.environment
    key = files_key(request, environment)
    audit_path = request.audit_log or default_audit_path(key, environment)
    probe_writable(request.out_dir, "to --out", folder=True)
    probe_writable(audit_path, "the audit log")
    outbox = getattr(sink, "outbox", None)
    if outbox is not None:
        probe_writable(outbox.path, "the webhook outbox")
    plan = await prepare_plan(
        request, specs, backend, wall_clock(), plan_key_from(os.environ if env is None else env)
    )
    run_id = uuid.uuid4().hex
    if not hooks.confirm(plan):
        return ApplyResult(plan=plan, run_id=run_id, declined=True)
    started = clock()
    executable = [a for a in plan.actions if a.executable]
    sources = {(a.resource_kind, a.key): a.source or "" for a in plan.actions}
    changed = {(a.resource_kind, a.key): tuple(c.path for c in a.changes) for a in plan.actions}
    impacts = {(a.resource_kind, a.key): [i.to_json() for i in a.impacts] for a in plan.actions}
    deleted_revision = {
        (a.resource_kind, a.key): a.live.revision
        for a in plan.actions
        if a.kind is ActionKind.DELETE and a.live is not None
    }
    state = RunState()
    budget = DEFAULT_WEBHOOK_BUDGET if request.webhook_budget is None else request.webhook_budget
    done = 0
    with AuditLog.open(audit_path, run_id=run_id) as audit:
        audit.run_start(
            environment=environment,
            argv=request.argv,
            plan_digest=plan.digest,
            env=env,
            extra={
                "planSummary": plan.summary,
                "savedPlan": request.plan_path is not None,
                **approval_record(plan, request),
            },
        )
        await recover(audit, backend, sink, state, environment, run_id, wall_clock)
        earlier = asyncio.ensure_future(sink.resend_pending(frozenset(state.queued)))
        hooks.started(plan, len(executable))

        async def before_write(action: Action) -> str:
            intent_id = uuid.uuid4().hex
            audit.append(
                AuditKind.INTENT,
                {
                    "intentId": intent_id,
                    "resourceKind": action.resource_kind,
                    "action": action.kind.value,
                    "name": action.name,
                    "id": action.channel_id,
                    "liveRevision": action.live.revision if action.live is not None else None,
                    "owner": plan.owner,
                },
            )
            return intent_id

        async def on_result(result: ActionResult) -> None:
            nonlocal done
            done += 1
            event = None
            if result.succeeded and result.channel_id:
                key = (result.resource_kind, kinds.get(result.resource_kind).identity(result.name))
                revision = (
                    deleted_revision.get(key)
                    if result.kind is ActionKind.DELETE
                    else (str(result.version) if result.version is not None else None)
                )
                event = channel_event(
                    EVENT_OF[result.kind],
                    run_id=run_id,
                    environment=environment,
                    channel_id=result.channel_id,
                    channel_name=result.name,
                    source="" if result.kind is ActionKind.DELETE else sources.get(key, ""),
                    now=wall_clock(),
                    changed_fields=changed.get(key, ()),
                    resource_kind=result.resource_kind,
                    details=result.details,
                    revision=revision,
                    impacts=impacts.get(key, ()),
                )
                # Durably queued before the success is recorded: no kill between the two
                # loses the event (the outbox holds it; the next run sends it).
                await state.queue(sink, event, stop)
            audit.action({"runId": run_id, **result.to_json()})
            hooks.finished(result, done, len(executable), backend.pacing_wait_seconds)
            state.note_auth(result, stop)
            if event is not None and event.webhook_id in state.queued:
                state.sends.append((event, asyncio.ensure_future(sink.send(event))))

        options = ExecuteOptions(owner=plan.owner, parallelism=request.parallelism)
        results = await Executor(backend, options, clock=clock).run(
            executable, on_result=on_result, stop=stop, abort=abort, before_write=before_write
        )
        outcomes = [*state.unrecorded, *await bounded(state.sends, budget)]
        outcomes += await earlier_outcomes(earlier, budget)
        interrupted = stop.is_set() and not state.halted
        partial = ApplyResult(
            plan=plan,
            run_id=run_id,
            results=tuple(results),
            interrupted=interrupted,
            audit_path=audit_path,
            duration_ms=int((clock() - started) * 1000),
            rate_wait_seconds=backend.pacing_wait_seconds,
            counts=_counts(results),
            halted=state.halted,
            recovered=tuple(state.recovered),
            outbox_error=state.outbox_error,
        )
        completed = reconcile_completed(
            run_id=run_id,
            environment=environment,
            plan_digest=plan.digest,
            status=partial.status,
            attempted=partial.attempted,
            succeeded=partial.succeeded,
            failed=partial.failed,
            counts=partial.counts,
            duration_ms=partial.duration_ms,
            now=wall_clock(),
            audit_head=audit.head,
        )
        outcomes += await bounded(
            [(completed, asyncio.ensure_future(sink.emit(completed)))], budget
        )
        if notices is not None:
            link = run_url(os.environ if env is None else env)
            notice = apply_notice(notice_outcome(partial), link=link)
            if notice is not None:
                outcomes += await send_bounded(notices, notice, budget)
        for outcome in outcomes:
            if outcome.state is not DeliveryState.SKIPPED:  # no WEBHOOK_URL: nothing to record
                audit.webhook(outcome)
        audit.run_end(
            status=partial.status,
            attempted=partial.attempted,
            succeeded=partial.succeeded,
            failed=partial.failed,
            counts=partial.counts,
            extra={"rateWaitSeconds": round(partial.rate_wait_seconds, 3)},
        )
        head = audit.head
    result = dataclasses.replace(
        partial,
        webhooks=tuple(outcomes),
        report_path=request.out_dir / "apply.json",
        audit_head=head,
        warnings=tuple(outbox.warnings) if outbox is not None else (),
        signal=signals.received if signals is not None else "",
    )
    write_atomic(request.out_dir / "apply.json", apply_json_text(result))
    return result


def notice_outcome(result: ApplyResult) -> ApplyOutcome:
    """What a Slack or Teams notice says of a run: its counts, what went wrong, and the
    applied changes that affected live customers."""
    by_key = {(a.resource_kind, a.key): a for a in result.plan.actions}
    problems: list[str] = []
    impacts: list[str] = []
    for item in result.results:
        label = kinds.get(item.resource_kind).label
        action = by_key.get((item.resource_kind, kinds.get(item.resource_kind).identity(item.name)))
        if item.status is ActionStatus.FAILED:
            problems.append(f"{item.kind.value} {label} {item.name!r} failed: {item.error}")
        elif item.succeeded and action is not None:
            impacts.extend(
                f"{item.kind.value} {label} {item.name!r}: [{i.code}] {i.message}"
                for i in action.impacts
            )
    for conflict in result.conflicts:
        label = kinds.get(conflict.resource_kind).label
        problems.append(f"not applied: conflict {label} {conflict.name!r}: {conflict.reason}")
    if result.halted:
        problems.append(result.halted)
    return ApplyOutcome(
        run_id=result.run_id,
        environment=result.plan.environment,
        status=result.status,
        succeeded=result.succeeded,
        failed=result.failed,
        not_started=sum(1 for r in result.results if r.status is ActionStatus.SKIPPED),
        problems=tuple(problems),
        impacts=tuple(impacts),
    )


async def send_bounded(
    sender: NoticeSender, notice: Notice, budget: float
) -> list[DeliveryOutcome]:
    """Send a notice within the delivery budget; past it, it stays pending in the outbox."""
    try:
        return await asyncio.wait_for(sender.send(notice), timeout=max(budget, 0.001))
    except asyncio.TimeoutError:
        return [
            DeliveryOutcome(
                webhook_id=notice.notice_id(target.service),
                event_type=f"notice.{notice.topic}",
                state=DeliveryState.PENDING,
                error=f"delivery time budget ({budget:.0f} s) spent; kept in the outbox",
            )
            for target in sender.targets
        ]


def approval_record(plan: Plan, request: ApplyRequest) -> dict[str, Any]:
    """What the run-start audit line says of ``--allow-impact`` (beside its actor): the codes
    given and each impact they approved."""
    if not request.allowed_impacts:
        return {}
    return {
        "allowedImpacts": list(request.allowed_impacts),
        "impactApprovals": approved(request.policies, plan.changes, request.allowed_impacts),
    }


def files_key(request: ApplyRequest, environment: str) -> str:
    """The name default files of this run follow: the ``--env`` name when one is chosen (two
    orgs in one region never share a file), else the environment (region) label."""
    chosen = request.context.environment if request.context is not None else None
    return file_safe(chosen or environment)


def run_apply(
    request: ApplyRequest,
    settings: Settings,
    hooks: ApplyHooks,
    *,
    env: Mapping[str, str],
    transport: httpx.AsyncBaseTransport | None = None,
) -> ApplyResult:
    """Validate, take the apply lock, open the backend and the webhook sink, apply. SIGINT
    and SIGTERM stop new actions and end the run in order (``run_control.Signals``)."""
    from reconciler.genesys.factory import open_backend
    from reconciler.spec.validate import load_valid_specs

    specs = load_valid_specs(list(request.paths), request.context)
    key = files_key(request, settings.environment)
    outbox_path = request.outbox or default_outbox_path(key)
    # Slack and Teams URLs are checked before any write, as WEBHOOK_URL is.
    notices = notice_sender(request.notices, env, outbox_path, file=request.notices_file)
    if request.audit_log is None:  # the embedded sandbox's log stays under .reconciler/
        request = dataclasses.replace(
            request,
            audit_log=default_audit_path(key, settings.environment, sandbox=settings.is_sandbox),
        )

    async def main() -> ApplyResult:
        signals = Signals()
        async with open_backend(settings, transport=transport) as backend:
            outbox = request.outbox or default_outbox_path(key)
            sink = from_env(env, outbox)
            try:
                with signals.installed():
                    result = await apply_with_backend(
                        request,
                        specs,
                        backend,
                        sink,
                        hooks,
                        stop=signals.stop,
                        abort=signals.abort,
                        env=env,
                        signals=signals,
                        notices=notices,
                    )
            finally:
                await sink.aclose()
        return result

    with apply_lock(key, request.argv):
        return asyncio.run(main())


def apply_json_text(result: ApplyResult) -> str:
    """apply.json: the run's summary and every action's record."""
    document: dict[str, Any] = {
        "format_version": "1",
        "run_id": result.run_id,
        "environment": result.plan.environment,
        "plan_digest": result.plan.digest,
        "status": result.status,
        "attempted": result.attempted,
        "succeeded": result.succeeded,
        "failed": result.failed,
        "success_rate": (result.succeeded / result.attempted) if result.attempted else None,
        "counts": result.counts,
        "duration_ms": result.duration_ms,
        "rate_wait_seconds": round(result.rate_wait_seconds, 3),
        "audit_log": result.audit_path.as_posix() if result.audit_path else None,
        "audit_head": result.audit_head or None,
        "halted": result.halted or None,
        "signal": result.signal or None,
        "recovered": list(result.recovered),
        "actions": [r.to_json() for r in result.results],
        "conflicts": [
            {"kind": a.resource_kind, "name": a.name, "id": a.channel_id, "reason": a.reason}
            for a in result.conflicts
        ],
        "webhooks": [o.to_record() for o in result.webhooks],
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _counts(results: Sequence[ActionResult]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for result in results:
        key = f"{result.kind.value}.{result.status.value}"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))
