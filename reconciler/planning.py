"""Planning at the I/O edge: load specs, read the live objects, plan, write the artifacts.

The order is the contract with the user: specs are loaded and validated first, so invalid
specs stop the run before any API call; then one listing of each kind in play (and of what its
specs refer to by name); then the pure planner; then the artifacts (``reconciler.artifacts``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler import kinds
from reconciler.artifacts import DEFAULT_OUT_DIR, file_safe, plan_key_from, write_artifacts
from reconciler.audit.paths import default_audit_path
from reconciler.audit.written import last_written
from reconciler.backend import Backend
from reconciler.errors import ConfigError, NotFoundError, ReconcilerError
from reconciler.events import Event, drift_detected
from reconciler.interpolate import SpecContext
from reconciler.model import LiveResource, Spec
from reconciler.planner import ActionKind, Plan, PlanOptions, ReportKind, build_plan
from reconciler.planner.redact import WritePaths, write_only_paths
from reconciler.webhooks import DeliveryOutcome, NullSink, default_outbox_path, from_env

if TYPE_CHECKING:
    import httpx

    from reconciler.genesys.settings import Settings


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanRequest:
    """What ``plan`` or ``drift`` was asked to do."""

    paths: tuple[Path, ...]
    options: PlanOptions
    out_dir: Path = DEFAULT_OUT_DIR
    report: ReportKind = ReportKind.PLAN
    context: SpecContext | None = None  # --env: variables and spec selection
    audit_log: Path | None = None  # drift reads it: default audit/<env>.jsonl


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanResult:
    """The plan and where its artifacts were written."""

    plan: Plan
    json_path: Path
    markdown_path: Path
    webhook: DeliveryOutcome | None = None  # drift.detected, when drift found changes
    #: drift: the audit log it looked for and did not find (its updates are then "unknown")
    audit_missing: Path | None = None


def write_only_of(kind_names: Iterable[str]) -> WritePaths:
    """The write-only paths of these kinds' shipped schemas (none today)."""
    paths: set[tuple[str, ...]] = set()
    for name in kind_names:
        paths |= write_only_paths(kinds.get(name).schema())
    return frozenset(paths)


def kinds_in_play(specs: Sequence[Spec]) -> list[str]:
    """The kinds a plan reads: every registered kind, so that ``--prune`` sees the managed
    objects of a kind whose last spec was removed (a kind the org does not serve has none)."""
    return kinds.ordered({*kinds.names(), *(spec.kind for spec in specs)})


@dataclass(frozen=True, slots=True, kw_only=True)
class Listing:
    """Every registered kind's live objects, and the kinds the org does not serve."""

    live: list[LiveResource]
    unserved: dict[str, ReconcilerError]


async def list_all(backend: Backend) -> Listing:
    """One listing of every registered kind; a kind the org does not serve (404, or no
    adapter) is noted, not fatal: only a kind the specs use must be served."""
    live: list[LiveResource] = []
    unserved: dict[str, ReconcilerError] = {}
    for name in kinds.ordered(kinds.names()):
        try:
            live.extend(await backend.adapter(name).list())
        except (NotFoundError, ConfigError) as exc:
            unserved[name] = exc
    return Listing(live=live, unserved=unserved)


async def read_live(
    backend: Backend, specs: Sequence[Spec], listing: Listing | None = None
) -> tuple[list[LiveResource], dict[str, list[tuple[str, str]]]]:
    """Every live object of the kinds in play, and the catalogue of what their specs may name.

    A kind no spec uses is read only if the org serves it: its listing's 404 means "none here"
    (a real org has no tutorial channels API). A kind the specs use must be listed.
    ``listing``: one made already (while the specs were being checked).
    """
    used = {spec.kind for spec in specs}
    if listing is None:
        live = await list_kinds(backend, kinds_in_play(specs), required=used)
    else:
        for name in kinds.ordered(used):
            if name in listing.unserved:
                raise listing.unserved[name]
        live = listing.live
    catalog: dict[str, list[tuple[str, str]]] = {}
    for name in kinds.ordered(used):
        for target, entries in (await backend.adapter(name).catalog()).items():
            catalog.setdefault(target, []).extend(entries)
    return live, catalog


async def list_kinds(
    backend: Backend, names: Iterable[str], *, required: Iterable[str]
) -> list[LiveResource]:
    """Every live object of the kinds ``names``. A kind not in ``required`` whose listing is
    404 (or that this backend has no adapter for) has no objects here."""
    must = set(required)
    live: list[LiveResource] = []
    for name in names:
        try:
            live.extend(await backend.adapter(name).list())
        except (NotFoundError, ConfigError):
            if name in must:
                raise
    return live


async def plan_against(
    specs: Sequence[Spec],
    backend: Backend,
    *,
    options: PlanOptions,
    now: datetime,
    report: ReportKind = ReportKind.PLAN,
    write_only: WritePaths | None = None,
    listing: Listing | None = None,
) -> Plan:
    """One listing per kind in play (or ``listing``, made while the specs were checked), then
    the pure planner. Apply reuses this to plan afresh."""
    live, catalog = await read_live(backend, specs, listing)
    return build_plan(
        specs,
        live,
        options=options,
        environment=backend.environment,
        now=now,
        write_only=write_only_of(kinds_in_play(specs)) if write_only is None else write_only,
        report=report,
        catalog=catalog,
    )


def run_plan(
    request: PlanRequest,
    settings: Settings,
    *,
    env: Mapping[str, str],
    now: datetime | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    specs: Sequence[Spec] | None = None,
) -> PlanResult:
    """Check the specs, plan against the org, write the artifacts.

    Without ``specs``, the specs are loaded and checked in a worker thread while the token
    request and the listings run (plan writes nothing, so reading early is safe); invalid
    specs still end the run with their ``SpecError`` before any plan exists, and the listing is
    cancelled. With ``specs`` (already checked by the caller), the listing comes after.
    """
    from reconciler.genesys.factory import open_backend
    from reconciler.spec.validate import load_valid_specs

    moment = datetime.now(timezone.utc) if now is None else now
    chosen = request.context.environment if request.context is not None else None
    plan_key = plan_key_from(env)  # checked before any API call
    # drift sends drift.detected; a bad WEBHOOK_URL or secret fails before any API call.
    sink = (
        from_env(env, default_outbox_path(file_safe(chosen or settings.environment)))
        if request.report is ReportKind.DRIFT
        else NullSink()
    )

    async def checked_while_listing(backend: Backend) -> tuple[Sequence[Spec], Listing]:
        listing = asyncio.ensure_future(list_all(backend))
        try:
            checked = await asyncio.to_thread(
                load_valid_specs, list(request.paths), request.context
            )
        except BaseException:
            listing.cancel()
            await asyncio.gather(listing, return_exceptions=True)
            raise
        return checked, await listing

    key = file_safe(chosen or settings.environment)
    audit_log = request.audit_log or default_audit_path(
        key, settings.environment, sandbox=settings.is_sandbox
    )

    async def fetch() -> tuple[Plan, DeliveryOutcome | None]:
        try:
            async with open_backend(settings, transport=transport, read_only=True) as backend:
                listing = None
                checked: Sequence[Spec]
                if specs is None:
                    checked, listing = await checked_while_listing(backend)
                else:
                    checked = specs
                plan = await plan_against(
                    checked,
                    backend,
                    options=request.options,
                    now=moment,
                    report=request.report,
                    listing=listing,
                )
            plan = dataclasses.replace(plan, env_name=chosen)
            if request.report is ReportKind.DRIFT:
                plan = with_drift_labels(plan, audit_log)
            outcome = None
            if request.report is ReportKind.DRIFT and plan.has_changes:
                outcome = await sink.emit(drift_event(plan, now=moment))
            return plan, outcome
        finally:
            await sink.aclose()

    plan, outcome = asyncio.run(fetch())
    json_path, markdown_path = write_artifacts(plan, request.out_dir, plan_key=plan_key)
    return PlanResult(
        plan=plan,
        json_path=json_path,
        markdown_path=markdown_path,
        webhook=outcome,
        audit_missing=audit_log if plan.unverified else None,
    )


def with_drift_labels(plan: Plan, audit_log: Path) -> Plan:
    """The drift report's labels, from the audit log: "edited out of band" when the live
    revision is not the one this tool last wrote, "differs from git" when it is; with no audit
    log at all, neither can be told, and the updates say "unknown" instead of guessing."""
    if not audit_log.is_file():
        updates = frozenset(
            action.channel_id
            for action in plan.changes
            if action.kind is ActionKind.UPDATE and action.channel_id
        )
        return dataclasses.replace(plan, unverified=updates)
    return dataclasses.replace(plan, edited_out_of_band=edited_since_written(plan, audit_log))


def edited_since_written(plan: Plan, audit_log: Path) -> frozenset[str]:
    """Ids of the updates whose live revision is not the one this tool last wrote (read from
    the audit log): someone changed them since. No record: nothing can be said of it."""
    written = last_written(audit_log)
    return frozenset(
        action.channel_id
        for action in plan.changes
        if action.kind is ActionKind.UPDATE
        and action.channel_id
        and action.live is not None
        and (action.resource_kind, action.channel_id) in written
        and written[(action.resource_kind, action.channel_id)] != action.live.revision
    )


def drift_event(plan: Plan, *, now: datetime) -> Event:
    """``drift.detected`` for a drift report: every drifted object with its drift kind."""
    channels: list[Mapping[str, str]] = []
    for action in plan.changes:
        item = {"name": action.name, "action": action.kind.value}
        if action.resource_kind != kinds.DEFAULT_KIND:
            item["kind"] = action.resource_kind
        drift = plan.drift_of(action)
        if drift is not None:
            item["drift"] = drift.value
        if action.channel_id:
            item["channelId"] = action.channel_id
        channels.append(item)
    counts = {kind: n for kind, n in plan.summary.items() if kind != "noop"}
    return drift_detected(
        run_id=uuid.uuid4().hex,
        environment=plan.environment,
        plan_digest=plan.digest,
        counts=counts,
        channels=channels,
        now=now,
    )
