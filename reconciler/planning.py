"""Planning at the I/O edge: load specs, read the live objects, plan, write the artifacts.

The order is the contract with the user: specs are loaded and validated first, so invalid
specs stop the run before any API call; then one listing of each kind in play (and of what its
specs refer to by name); then the pure planner; then the artifacts (``reconciler.artifacts``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler import kinds
from reconciler.artifacts import DEFAULT_OUT_DIR, file_safe, plan_key_from, write_artifacts
from reconciler.audit.paths import default_audit_path
from reconciler.audit.written import last_written
from reconciler.backend import Backend
from reconciler.errors import ConfigError, NotFoundError, PermissionDeniedError, ReconcilerError
from reconciler.events import Event, drift_detected
from reconciler.genesys.permissions import explain
from reconciler.interpolate import SpecContext
from reconciler.model import LiveResource, Spec
from reconciler.notices import drift_notice, run_url
from reconciler.planner import ActionKind, Plan, PlanOptions, ReportKind, build_plan
from reconciler.planner.redact import WritePaths, write_only_paths
from reconciler.webhooks import DeliveryOutcome, NullSink, default_outbox_path, from_env
from reconciler.webhooks.notify import NoticeSender, notice_sender

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
    #: ``notices:`` of the --env file: drift found is told to Slack and Teams.
    notices: Mapping[str, Any] = field(default_factory=dict)
    notices_file: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanResult:
    """The plan and where its artifacts were written."""

    plan: Plan
    json_path: Path
    markdown_path: Path
    webhook: DeliveryOutcome | None = None  # drift.detected, when drift found changes
    notices: tuple[DeliveryOutcome, ...] = ()  # Slack and Teams, when drift found changes
    #: drift: the audit log it looked for and did not find (its updates are then "unknown")
    audit_missing: Path | None = None


def write_only_of(kind_names: Iterable[str]) -> WritePaths:
    """The write-only paths of these kinds' shipped schemas (none today)."""
    paths: set[tuple[str, ...]] = set()
    for name in kind_names:
        paths |= write_only_paths(kinds.get(name).schema())
    return frozenset(paths)


def kinds_in_play(specs: Sequence[Spec], managed: Iterable[str] = ()) -> list[str]:
    """The kinds a plan reads: those the specs use and those the environment file declares it
    manages (``kinds:``, so that ``--prune`` sees the managed objects of a kind whose last spec
    was removed). No other kind: an org is never asked for an API nothing here needs (a real
    org has no tutorial channels API)."""
    return kinds.ordered({*managed, *(spec.kind for spec in specs)})


@dataclass(frozen=True, slots=True, kw_only=True)
class Listing:
    """The live objects of the kinds listed so far, and the kinds the org does not serve."""

    live: list[LiveResource]
    unserved: dict[str, ReconcilerError]
    listed: frozenset[str] = frozenset()


async def list_all(
    backend: Backend, names: Iterable[str], *, needed_by: Callable[[str], str] | None = None
) -> Listing:
    """One listing of each kind in ``names``; a kind the org does not serve (404, or no
    adapter) is noted, not fatal: only a kind the specs use must be served. A 403 is one line
    naming the permission and ``needed_by(kind)``."""
    live: list[LiveResource] = []
    unserved: dict[str, ReconcilerError] = {}
    chosen = kinds.ordered(names)
    for name in chosen:
        try:
            live.extend(await backend.adapter(name).list())
        except (NotFoundError, ConfigError) as exc:
            unserved[name] = exc
        except PermissionDeniedError as exc:
            who = needed_by(name) if needed_by is not None else ""
            raise explain(exc, needed_by=who) from None
    return Listing(live=live, unserved=unserved, listed=frozenset(chosen))


async def prelist(backend: Backend, names: Iterable[str]) -> Listing:
    """``list_all`` of kinds listed before the specs are checked: a kind whose listing is
    refused (403) is left unlisted, so that ``read_live`` lists it again once the specs are
    known and its error names the spec that needs it."""
    live: list[LiveResource] = []
    unserved: dict[str, ReconcilerError] = {}
    listed: set[str] = set()
    for name in kinds.ordered(names):
        try:
            live.extend(await backend.adapter(name).list())
        except (NotFoundError, ConfigError) as exc:
            unserved[name] = exc
        except PermissionDeniedError:
            continue
        listed.add(name)
    return Listing(live=live, unserved=unserved, listed=frozenset(listed))


#: Top-level lines of a block-style spec document: its ``kind:``, ``name:`` and
#: ``x-environments:`` (a document limited to some environments is never guessed).
_KIND_LINE = re.compile(r"^kind:[ \t]*[\"']?([A-Za-z][A-Za-z0-9]*)[\"']?[ \t]*(?:#.*)?$", re.M)
_NAME_LINE = re.compile(r"^name:", re.M)
_LIMITED = re.compile(r"^x-environments:", re.M)
_DOCUMENT_START = re.compile(r"^---(?:[ \t].*)?$", re.M)
#: Files larger than this are not scanned (the loader refuses them anyway).
_SCAN_LIMIT = 1 << 20


def likely_kinds(paths: Iterable[Path]) -> set[str]:
    """The registered kinds the spec files plainly use, read before the specs are checked so
    their listings can run meanwhile: a block-style document's top-level ``kind:`` line, or,
    without one, the default kind when it has a top-level ``name:``. A document limited by
    ``x-environments`` counts for nothing; anything unusual (flow style, unreadable) is left
    to the check, after which the kinds it uses are listed. Never more than the specs use,
    unless a document is invalid (and then the run stops before any plan)."""
    from reconciler.spec.loader import discover

    found: set[str] = set()
    known = set(kinds.names())
    files, _problems = discover(paths)
    for _shown, path in files:
        try:
            if path.stat().st_size > _SCAN_LIMIT:
                continue
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeError):
            continue
        for document in _DOCUMENT_START.split(text):
            if _LIMITED.search(document):
                continue
            named = _KIND_LINE.search(document)
            if named is not None:
                if named.group(1) in known:
                    found.add(named.group(1))
            elif _NAME_LINE.search(document):
                found.add(kinds.DEFAULT_KIND)
    return found


def needed_by_kind(name: str, specs: Sequence[Spec], environment: str | None) -> str:
    """Who needs the listing of kind ``name``: its first spec (and how many more), or the
    environment file that declares the kind."""
    own = [spec for spec in specs if spec.kind == name]
    if own:
        first = own[0]
        more = f" and {len(own) - 1} more spec(s)" if len(own) > 1 else ""
        return f"{first.source} ({kinds.get(name).label} {first.name!r}){more}"
    where = f"environments/{environment}.yaml" if environment else "the environment file"
    return f"{where} (kinds: {name})"


def named_references(specs: Sequence[Spec]) -> dict[str, dict[str, list[Spec]]]:
    """Per kind, the reference targets its specs name by ``name`` (not by ``id``), and the
    specs that do: only these targets' listings (flows, supported content) are read."""
    found: dict[str, dict[str, list[Spec]]] = {}
    for spec in specs:
        for reference in kinds.get(spec.kind).references:
            value: object = spec.body
            for part in reference.path:
                value = value.get(part) if isinstance(value, dict) else None
            if isinstance(value, dict) and "name" in value:
                found.setdefault(spec.kind, {}).setdefault(reference.target, []).append(spec)
    return found


async def read_catalog(backend: Backend, specs: Sequence[Spec]) -> dict[str, list[tuple[str, str]]]:
    """The catalogue of what the specs name by name, read only for the targets named so."""
    catalog: dict[str, list[tuple[str, str]]] = {}
    for name, targets in sorted(named_references(specs).items()):
        try:
            entries = await backend.adapter(name).catalog(frozenset(targets))
        except PermissionDeniedError as exc:
            first = next(iter(sorted(targets.items())))[1][0]
            reference = next(r for r in kinds.get(name).references if r.target in targets)
            label = reference.label or reference.target
            needed_by = (
                f"{first.source} ({kinds.get(name).label} {first.name!r} names its {label} by "
                "name; name it by id to plan without that permission)"
            )
            raise explain(exc, needed_by=needed_by) from None
        for target, listed in entries.items():
            catalog.setdefault(target, []).extend(listed)
    return catalog


async def read_live(
    backend: Backend,
    specs: Sequence[Spec],
    listing: Listing | None = None,
    *,
    managed: Iterable[str] = (),
    environment: str | None = None,
) -> tuple[list[LiveResource], dict[str, list[tuple[str, str]]]]:
    """Every live object of the kinds in play, and the catalogue of what their specs name.

    A kind no spec uses (one the environment declares) is read only if the org serves it: its
    listing's 404 means "none here". A kind the specs use must be listed. ``listing``: one
    made already (while the specs were being checked); kinds it lacks are listed now.
    A 403 is one line naming the permission and the spec (or environment) that needs it.
    """
    used = {spec.kind for spec in specs}
    in_play = set(kinds_in_play(specs, managed))
    done = listing or Listing(live=[], unserved={})
    # A kind listed early that the checked specs turn out not to use is dropped: --prune must
    # never see the objects of a kind no spec and no kinds: entry names.
    done = Listing(
        live=[r for r in done.live if r.kind in in_play],
        unserved={k: e for k, e in done.unserved.items() if k in in_play},
        listed=done.listed & in_play,
    )
    missing = [name for name in kinds_in_play(specs, managed) if name not in done.listed]
    more = await list_all(
        backend, missing, needed_by=lambda kind: needed_by_kind(kind, specs, environment)
    )
    unserved = {**done.unserved, **more.unserved}
    for name in kinds.ordered(used):
        if name in unserved:
            raise unserved[name]
    return [*done.live, *more.live], await read_catalog(backend, specs)


async def plan_against(
    specs: Sequence[Spec],
    backend: Backend,
    *,
    options: PlanOptions,
    now: datetime,
    report: ReportKind = ReportKind.PLAN,
    write_only: WritePaths | None = None,
    listing: Listing | None = None,
    managed: Iterable[str] = (),
    environment: str | None = None,
) -> Plan:
    """One listing per kind in play (or ``listing``, made while the specs were checked), then
    the pure planner. Apply reuses this to plan afresh. ``managed``: the environment's
    ``kinds:``; ``environment``: its name (for messages)."""
    live, catalog = await read_live(
        backend, specs, listing, managed=managed, environment=environment
    )
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
    managed = request.context.managed_kinds if request.context is not None else frozenset()
    plan_key = plan_key_from(env)  # checked before any API call
    # drift sends drift.detected; a bad WEBHOOK_URL or secret fails before any API call.
    outbox_path = default_outbox_path(file_safe(chosen or settings.environment))
    sink = from_env(env, outbox_path) if request.report is ReportKind.DRIFT else NullSink()
    # Slack and Teams URLs are checked before any API call, as WEBHOOK_URL is.
    notices: NoticeSender | None = None
    if request.report is ReportKind.DRIFT:
        notices = notice_sender(request.notices, env, outbox_path, file=request.notices_file)

    async def checked_while_listing(backend: Backend) -> tuple[Sequence[Spec], Listing]:
        # Before the specs are checked, only the kinds that are surely in play are listed:
        # the environment's and those the spec files plainly name (``likely_kinds``).
        sure = {*managed, *await asyncio.to_thread(likely_kinds, request.paths)}
        listing = asyncio.ensure_future(prelist(backend, sure))
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

    async def fetch() -> tuple[Plan, DeliveryOutcome | None, list[DeliveryOutcome]]:
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
                    managed=managed,
                    environment=chosen,
                )
            plan = dataclasses.replace(plan, env_name=chosen)
            if request.report is ReportKind.DRIFT:
                plan = with_drift_labels(plan, audit_log)
            outcome = None
            told: list[DeliveryOutcome] = []
            if request.report is ReportKind.DRIFT and plan.has_changes:
                event = drift_event(plan, now=moment)
                outcome = await sink.emit(event)
                if notices is not None:
                    notice = drift_notice(plan, run_id=str(event.data["runId"]), link=run_url(env))
                    told = await notices.send(notice)
            return plan, outcome, told
        finally:
            await sink.aclose()

    plan, outcome, told = asyncio.run(fetch())
    json_path, markdown_path = write_artifacts(plan, request.out_dir, plan_key=plan_key)
    return PlanResult(
        plan=plan,
        json_path=json_path,
        markdown_path=markdown_path,
        webhook=outcome,
        audit_missing=audit_log if plan.unverified else None,
        notices=tuple(told),
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
