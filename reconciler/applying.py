"""Apply at the I/O edge: check the plan, execute it, send events, keep the audit trail.

The order is the safety contract:

1. Specs load and validate (SpecError before any API call); the webhook settings are checked
   (a bad URL or secret fails before any write).
2. The plan: a saved one (``--plan``) must match the current specs' digest, the environment,
   and a fresh listing (every action's fingerprint), and gets the write-only values that
   plan.json hides back from those specs; or a fresh plan is made.
3. ``--expect-digest`` must equal the plan's digest; an unsafe plan needs ``--force``;
   the person (or ``--yes``) confirms.
4. Only then the audit run starts and the executor writes. Each finished action is audited at
   once (fsynced), and its event queued; events never fail the apply, and the outbox keeps
   what was not delivered. The run-end line and apply.json close the run, also when it is
   interrupted (the first Ctrl-C stops new actions; running ones finish).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from reconciler import kinds
from reconciler.artifacts import (
    DEFAULT_OUT_DIR,
    file_safe,
    plan_key_from,
    read_plan,
    write_atomic,
)
from reconciler.audit import AuditLog, redact_argv
from reconciler.backend import Backend
from reconciler.durable import LockHeld, exclusive_lock, holder_description
from reconciler.errors import ConfigError, PlanError
from reconciler.events import EventType, channel_event, reconcile_completed
from reconciler.executor import ActionResult, ActionStatus, ExecuteOptions, Executor
from reconciler.interpolate import SpecContext
from reconciler.model import Spec
from reconciler.planner import Action, ActionKind, Plan, PlanOptions, spec_digest, targeted
from reconciler.planner.redact import restore, split_path
from reconciler.planner.staleness import stale_channels
from reconciler.planning import plan_against, read_live
from reconciler.webhooks import (
    DeliveryOutcome,
    DeliveryState,
    EventSink,
    default_outbox_path,
    from_env,
)

if TYPE_CHECKING:
    import httpx

    from reconciler.genesys.settings import Settings

DEFAULT_AUDIT_DIR = Path("audit")
LOCK_DIR = Path(".reconciler") / "locks"

EVENT_OF: dict[ActionKind, EventType] = {
    ActionKind.CREATE: EventType.CHANNEL_PROVISIONED,
    ActionKind.UPDATE: EventType.CHANNEL_UPDATED,
    ActionKind.DELETE: EventType.CHANNEL_DELETED,
    ActionKind.ADOPT: EventType.CHANNEL_ADOPTED,
}


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
        return "failed" if self.failed or self.conflicts else "succeeded"


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
    if request.plan_path is None:
        plan = await plan_against(specs, backend, options=request.options, now=now)
    else:
        plan = read_plan(request.plan_path, plan_key=plan_key)
        chosen = request.context.environment if request.context is not None else None
        check_saved_plan(plan, specs, backend.environment, chosen)
        plan = with_write_only_values(plan, specs)
        live, _catalog = await read_live(backend, specs)
        stale = stale_channels(plan, live)
        if stale:
            raise PlanError(
                f"the plan is stale, refusing it whole ({len(stale)} channel(s) changed since "
                "it was made): " + "; ".join(stale) + "; run plan again"
            )
    check_plan(plan, expect_digest=request.expect_digest, force=request.force)
    return plan


async def apply_with_backend(
    request: ApplyRequest,
    specs: Sequence[Spec],
    backend: Backend,
    sink: EventSink,
    hooks: ApplyHooks,
    *,
    stop: asyncio.Event,
    clock: Callable[[], float] = time.monotonic,
    wall_clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    env: Mapping[str, str] | None = None,
) -> ApplyResult:
    """Steps 2 to 4 of the module docstring, on an open backend and sink."""
    plan = await prepare_plan(
        request, specs, backend, wall_clock(), plan_key_from(os.environ if env is None else env)
    )
    run_id = uuid.uuid4().hex
    if not hooks.confirm(plan):
        return ApplyResult(plan=plan, run_id=run_id, declined=True)
    environment = backend.environment
    audit_path = request.audit_log or DEFAULT_AUDIT_DIR / f"{files_key(request, environment)}.jsonl"
    started = clock()
    executable = [a for a in plan.actions if a.executable]
    sources = {(a.resource_kind, a.key): a.source or "" for a in plan.actions}
    changed = {(a.resource_kind, a.key): tuple(c.path for c in a.changes) for a in plan.actions}
    events: list[asyncio.Task[DeliveryOutcome]] = []
    done = 0
    with AuditLog.open(audit_path, run_id=run_id) as audit:
        audit.run_start(
            environment=environment,
            argv=request.argv,
            plan_digest=plan.digest,
            env=env,
            extra={"planSummary": plan.summary, "savedPlan": request.plan_path is not None},
        )
        hooks.started(plan, len(executable))

        async def on_result(result: ActionResult) -> None:
            nonlocal done
            done += 1
            audit.action({"runId": run_id, **result.to_json()})
            hooks.finished(result, done, len(executable), backend.pacing_wait_seconds)
            if result.succeeded and result.channel_id:
                key = (result.resource_kind, kinds.get(result.resource_kind).identity(result.name))
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
                )
                events.append(asyncio.ensure_future(sink.emit(event)))

        options = ExecuteOptions(owner=plan.owner, parallelism=request.parallelism)
        results = await Executor(backend, options, clock=clock).run(
            executable, on_result=on_result, stop=stop
        )
        outcomes = list(await asyncio.gather(*events))
        interrupted = stop.is_set()
        partial = ApplyResult(
            plan=plan,
            run_id=run_id,
            results=tuple(results),
            interrupted=interrupted,
            audit_path=audit_path,
            duration_ms=int((clock() - started) * 1000),
            rate_wait_seconds=backend.pacing_wait_seconds,
            counts=_counts(results),
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
        outcomes.append(await sink.emit(completed))
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
    report_path = request.out_dir / "apply.json"
    result = ApplyResult(
        plan=plan,
        run_id=run_id,
        results=partial.results,
        webhooks=tuple(outcomes),
        interrupted=interrupted,
        audit_path=audit_path,
        report_path=report_path,
        rate_wait_seconds=partial.rate_wait_seconds,
        duration_ms=partial.duration_ms,
        counts=partial.counts,
    )
    write_atomic(report_path, apply_json_text(result))
    return result


def files_key(request: ApplyRequest, environment: str) -> str:
    """The name default files of this run follow: the ``--env`` name when one is chosen (two
    orgs in one region never share a file), else the environment (region) label."""
    chosen = request.context.environment if request.context is not None else None
    return file_safe(chosen or environment)


def apply_lock_path(key: str) -> Path:
    return LOCK_DIR / f"apply-{key}.lock"


@contextlib.contextmanager
def apply_lock(key: str, argv: Sequence[str]) -> Iterator[None]:
    """One writer per environment: held from before planning to the end of the run, so two
    applies cannot both execute plans made from the same live state. Refused at once,
    naming the holder."""
    what = "reconciler " + " ".join(redact_argv(argv)[:8]) if argv else "reconciler apply"
    try:
        with exclusive_lock(apply_lock_path(key), who=holder_description(what)):
            yield
    except LockHeld as exc:
        raise PlanError(
            f"another apply to {key!r} is running ({exc.describe()}); nothing was planned or "
            "applied: wait for it to end, then run apply again"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot take the apply lock {apply_lock_path(key)}: {exc.strerror or exc}"
        ) from exc


def run_apply(
    request: ApplyRequest,
    settings: Settings,
    hooks: ApplyHooks,
    *,
    env: Mapping[str, str],
    transport: httpx.AsyncBaseTransport | None = None,
) -> ApplyResult:
    """Validate, open the backend and the webhook sink, apply; Ctrl-C stops new actions."""
    from reconciler.genesys.factory import open_backend
    from reconciler.spec.validate import load_valid_specs

    specs = load_valid_specs(list(request.paths), request.context)
    key = files_key(request, settings.environment)

    async def main() -> ApplyResult:
        stop = asyncio.Event()
        async with open_backend(settings, transport=transport) as backend:
            outbox = request.outbox or default_outbox_path(key)
            sink = from_env(env, outbox)
            try:
                with _stop_on_interrupt(stop):
                    return await apply_with_backend(
                        request, specs, backend, sink, hooks, stop=stop, env=env
                    )
            finally:
                await sink.aclose()

    with apply_lock(key, request.argv):
        return asyncio.run(main())


@contextlib.contextmanager
def _stop_on_interrupt(stop: asyncio.Event) -> Any:
    """First SIGINT: stop starting actions. Second: interrupt at once (KeyboardInterrupt)."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()

    def handle() -> None:
        if stop.is_set() and task is not None:
            task.cancel()
        stop.set()

    try:
        loop.add_signal_handler(signal.SIGINT, handle)
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or Windows
        yield
        return
    try:
        yield
    except asyncio.CancelledError:
        raise KeyboardInterrupt from None
    finally:
        loop.remove_signal_handler(signal.SIGINT)


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
