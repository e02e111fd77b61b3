"""The checks of ``reconciler doctor`` against one org: every request is a read, except those
of ``--write-probe`` (``probe.py``).

In order: the token (credentials, region); the specs (checked as ``validate`` does); one cheap
request per permission the kinds in play need (the kinds the specs use and the environment
declares, and the flows and supported content listings only when a spec names one by name);
the rate limit the org announces; the plan's conflicts and ambiguities; live fields the kind's
schema does not know; and, for the Web Deployments API, what a read settles (``questions``).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler import kinds
from reconciler.doctor.report import Finding, Report, Status
from reconciler.errors import (
    ApiError,
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    PlanError,
    ReconcilerError,
    SpecError,
    TransportError,
)
from reconciler.genesys import permissions
from reconciler.interpolate import SpecContext
from reconciler.model import LiveResource, Spec

if TYPE_CHECKING:
    import httpx

    from reconciler.backend import Backend
    from reconciler.genesys.client import GenesysBackend
    from reconciler.genesys.settings import Settings

#: The kind whose open questions doctor settles (the Web Deployments API's).
WEB = "webDeployment"
_FIX_PERMISSION = "grant {permission} to the OAuth client's role (docs/permissions.md)"


@dataclass(frozen=True, slots=True, kw_only=True)
class DoctorRequest:
    """What ``doctor`` was asked to check."""

    paths: tuple[Path, ...] = ()
    context: SpecContext = field(default_factory=SpecContext)
    owner: str = "reconciler"
    env_name: str | None = None
    write_probe: bool = False


class DoctorInterrupted(ReconcilerError):
    """SIGINT or SIGTERM during ``doctor``: the scratch pair was removed first (or is named)."""

    def __init__(self, message: str, signal_name: str) -> None:
        super().__init__(message)
        self.exit_code = 143 if signal_name == "SIGTERM" else 130


class Collector:
    """The findings and settled answers of one run, in the order they were found."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.settled: dict[str, Any] = {}

    def add(self, check: str, status: Status, message: str, fix: str = "") -> None:
        self.findings.append(Finding(check=check, status=status, message=message, fix=fix))

    def settle(self, question: str, answer: Any) -> None:
        self.settled[question] = answer


def run_doctor(
    request: DoctorRequest,
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    now: datetime | None = None,
) -> Report:
    """Check the org; ``--write-probe`` also makes (and always removes) one scratch pair.

    SIGINT and SIGTERM cancel the run; the scratch pair is removed before it ends
    (``DoctorInterrupted``, exit 130 or 143).
    """
    from reconciler.genesys.factory import open_backend

    moment = now or datetime.now(timezone.utc)
    found = Collector()
    received: list[str] = []

    async def main() -> str:
        async with open_backend(settings, transport=transport) as backend:
            return await check_org(backend, request, settings, found, moment)

    async def guarded() -> str:
        task = asyncio.ensure_future(main())
        loop = asyncio.get_running_loop()
        installed = []

        def stop(name: str) -> None:
            if not received:  # the first signal cancels; the cleanup is never cut short
                received.append(name)
                task.cancel()

        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop, sig.name)
                installed.append(sig)
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
                pass
        try:
            return await task
        except asyncio.CancelledError:
            if received:
                raise DoctorInterrupted(
                    f"doctor interrupted by {received[0]}; "
                    + (found.settled.get("scratch pair", "no scratch pair was made")),
                    received[0],
                ) from None
            raise
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)

    environment = asyncio.run(guarded())
    return Report(
        environment=environment,
        env_name=request.env_name,
        findings=tuple(found.findings),
        settled=found.settled,
        write_probe=request.write_probe,
    )


async def check_org(
    backend: GenesysBackend,
    request: DoctorRequest,
    settings: Settings,
    found: Collector,
    now: datetime,
) -> str:
    """Every check in order; returns the environment's label."""
    if not await check_token(backend, settings, found):
        return backend.environment
    specs = load_specs(request, found)
    from reconciler.artifacts import file_safe
    from reconciler.audit.paths import default_audit_path
    from reconciler.audit.written import kinds_written
    from reconciler.ledger import OwnedBackend, read_ledger
    from reconciler.planning import kinds_in_play, named_references

    # As plan reads them: the environment's audit log says which kinds this tool wrote and
    # which markerless objects (the ledger) are this owner's.
    audit_log = default_audit_path(
        file_safe(request.env_name or settings.environment),
        settings.environment,
        sandbox=settings.is_sandbox,
    )
    managed = request.context.managed_kinds | kinds_written(audit_log)
    owned = OwnedBackend(backend, request.owner, read_ledger(audit_log, request.owner))

    in_play = kinds_in_play(specs, managed)
    targets = {t for per_kind in named_references(specs).values() for t in per_kind}
    used = {spec.kind for spec in specs}
    if not in_play:
        found.add(
            "specs",
            Status.INFO,
            "no spec and no kinds: in the environment file: only the token was checked",
        )
    readable = await check_permissions(backend, in_play, targets, used, specs, found)
    if not request.write_probe:
        writes = sorted(
            permissions.permissions_of(
                need for need in permissions.NEEDS if need.writes and need.kind in in_play
            )
        )
        if writes:
            found.add(
                "permissions",
                Status.INFO,
                f"what apply writes with ({', '.join(writes)}) is not checked by a read; "
                "doctor --write-probe tries it on a scratch pair",
            )
    live: list[LiveResource] = []
    blocked = any(f.status is Status.BLOCK for f in found.findings)
    if readable and in_play and not blocked:
        live = await check_plan(owned, request, specs, found, now, managed=managed)
        check_unknown_fields(live, found)
    elif in_play:
        found.add(
            "plan",
            Status.INFO,
            "conflicts and live fields not checked: a plan needs what the BLOCK lines above lack",
        )
    if WEB in in_play or request.write_probe:
        from reconciler.doctor import questions

        await questions.settle_reads(backend, found, flows=WEB in in_play)
        await questions.leftovers(backend, found, remove=request.write_probe)
    if request.write_probe:
        from reconciler.doctor import probe

        await probe.write_probe(backend, found, now)
    return backend.environment


async def check_token(backend: GenesysBackend, settings: Settings, found: Collector) -> bool:
    """Credentials, region and token: one token request."""
    where = f"{settings.environment} (API {settings.api_url}, login {settings.login_url})"
    try:
        token = await backend.auth.token()
    except AuthenticationError as exc:
        found.add(
            "credentials",
            Status.BLOCK,
            f"the login server of {where} refused the client credentials ({exc})",
            "check GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET (a client-credentials OAuth "
            "client of this org) and that GENESYS_ENVIRONMENT names the org's region",
        )
        return False
    except TransportError as exc:
        found.add(
            "region",
            Status.BLOCK,
            f"no token from {where}: {exc}",
            "check GENESYS_ENVIRONMENT (or the --env file's region): the org's region, e.g. "
            "eu-west-1 or mypurecloud.ie",
        )
        return False
    except ReconcilerError as exc:
        found.add(
            "token",
            Status.BLOCK,
            f"no token from {where}: {exc}",
            "retry; if it persists, attach this report to a bug report",
        )
        return False
    lifetime = max(0, round(token.refresh_at - backend.session.clock() + 60))
    found.add("token", Status.OK, f"a token from {where}, valid for about {lifetime} s")
    return True


def load_specs(request: DoctorRequest, found: Collector) -> list[Spec]:
    if not request.paths:
        return []
    from reconciler.spec.validate import load_valid_specs

    try:
        specs = list(load_valid_specs(list(request.paths), request.context))
    except SpecError as exc:
        first = exc.diagnostics[0] if exc.diagnostics else exc
        found.add(
            "specs",
            Status.BLOCK,
            f"the specs are invalid ({len(exc.diagnostics) or 1} problem(s), the first: {first})",
            "run 'reconciler validate' and fix them",
        )
        return []
    shown = ", ".join(p.as_posix() for p in request.paths)
    found.add("specs", Status.OK, f"{len(specs)} valid spec(s) in {shown}")
    return specs


async def check_permissions(
    backend: GenesysBackend,
    in_play: Sequence[str],
    targets: set[str],
    used: set[str],
    specs: Sequence[Spec],
    found: Collector,
) -> bool:
    """One cheap request per listing the kinds in play need; the first answer's rate-limit
    headers are read too. True when every kind in play could be listed."""
    readable = True
    announced: Mapping[str, str] | None = None
    for need in permissions.probes(in_play, targets):
        label = need.permission_text or "no permission (the tutorial API)"
        try:
            response = await cheap_get(backend, need.template)
        except PermissionDeniedError:
            readable = readable and bool(need.target)
            fix = _FIX_PERMISSION.format(permission=need.permission_text)
            if need.target:
                fix += f", or name the {need.target} by id in the specs"
            found.add("permission", Status.BLOCK, f"{label}: missing, cannot {need.purpose}", fix)
            continue
        except NotFoundError:
            kind = kinds.get(need.kind)
            if need.absent_ok:
                found.add("permission", Status.OK, f"{label}: may {need.purpose} (none is set)")
                continue
            if need.kind in used:
                readable = False
                found.add(
                    "api",
                    Status.BLOCK,
                    f"the org has no {kind.label} API (GET {need.template} is 404)",
                    f"remove the {kind.name} specs, or point the run at an org that has it",
                )
            else:
                found.add(
                    "api",
                    Status.WARN,
                    f"the environment declares kinds: {kind.name}, but the org has no such API "
                    f"(GET {need.template} is 404); remove it from kinds:",
                )
            continue
        except ReconcilerError as exc:
            readable = False
            found.add(
                "permission",
                Status.BLOCK,
                f"{label}: GET {need.template} failed: {exc}",
                "retry; if it persists, attach this report to a bug report",
            )
            continue
        if announced is None:
            announced = response.headers
        found.add("permission", Status.OK, f"{label}: may {need.purpose}")
    if announced is not None:
        check_rate_limit(announced, backend, found)
    return readable


async def cheap_get(backend: GenesysBackend, path: str, **params: str) -> httpx.Response:
    """One page of one entity (``pageSize=1``): the cheapest answer a listing gives."""
    return await backend.session.request("GET", path, params={"pageSize": "1", **params})


def check_rate_limit(headers: Mapping[str, str], backend: GenesysBackend, found: Collector) -> None:
    allowed = headers.get("inin-ratelimit-allowed")
    if allowed is None or not allowed.strip().isdigit():
        found.add(
            "rate-limit",
            Status.INFO,
            "the org announces no rate limit (no inin-ratelimit-allowed header); apply paces "
            "at RECONCILER_RATE_PER_MINUTE",
        )
        found.settle("announced rate limit (requests per minute)", "none announced")
        return
    limit = int(allowed)
    found.add(
        "rate-limit",
        Status.OK,
        f"the org announces {limit} requests per minute per token; apply paces under it",
    )
    found.settle("announced rate limit (requests per minute)", limit)


async def check_plan(
    backend: Backend,
    request: DoctorRequest,
    specs: Sequence[Spec],
    found: Collector,
    now: datetime,
    *,
    managed: frozenset[str],
) -> list[LiveResource]:
    """The plan's conflicts (objects that hold a spec's name and are not ours) and errors."""
    from reconciler.planner import ActionKind, PlanOptions, build_plan
    from reconciler.planning import read_live

    context = request.context
    try:
        live, catalog = await read_live(
            backend, specs, managed=managed, environment=context.environment
        )
    except ReconcilerError as exc:
        found.add(
            "plan",
            Status.BLOCK,
            f"the org could not be read for a plan: {exc}",
            "fix the problem above, then run doctor again",
        )
        return []
    try:
        plan = build_plan(
            specs,
            live,
            options=PlanOptions(owner=request.owner),
            environment=backend.environment,
            now=now,
            catalog=catalog,
        )
    except PlanError as exc:
        found.add("plan", Status.BLOCK, str(exc), "fix the spec it names, then run doctor again")
        return live
    conflicts = [a for a in plan.actions if a.kind is ActionKind.CONFLICT]
    for action in conflicts:
        label = kinds.get(action.resource_kind).label
        found.add(
            "conflict",
            Status.BLOCK,
            f"{label} {action.name!r} (id {action.channel_id}) exists and is not this owner's "
            f"({action.reason or 'no ownership marker'})",
            "take it over with 'reconciler apply --adopt', or rename the spec",
        )
    if not conflicts:
        counts = ", ".join(f"{n} {k}" for k, n in plan.summary.items() if n)
        found.add("plan", Status.OK, f"no conflicts; a plan now would be: {counts or 'empty'}")
    return live


def check_unknown_fields(live: Sequence[LiveResource], found: Collector) -> None:
    """Live fields the kind's schema does not describe (an API newer than the schema)."""
    seen: dict[tuple[str, str], int] = {}
    for resource in live:
        kind = kinds.get(resource.kind)
        schema = kind.schema()
        for path in unknown_paths(kind.normalise(resource.body), schema, schema, ""):
            seen[(resource.kind, path)] = seen.get((resource.kind, path), 0) + 1
    for (kind_name, path), count in sorted(seen.items()):
        found.add(
            "schema",
            Status.WARN,
            f"live field {path} ({count} {kinds.get(kind_name).label}(s)) is not in the "
            f"{kind_name} schema: apply leaves it as it is, import leaves it out",
        )
    if live and not seen:
        found.add("schema", Status.OK, f"every field of the {len(live)} live object(s) is known")


def unknown_paths(
    value: Any, node: Mapping[str, Any], root: Mapping[str, Any], at: str
) -> list[str]:
    """Dotted paths in ``value`` that ``node`` (a JSON Schema, local ``$ref`` followed) does
    not declare; lists are followed through ``items``. Bounded by the value's depth."""
    node = _resolved(node, root)
    found: list[str] = []
    if isinstance(value, dict):
        properties = node.get("properties")
        if not isinstance(properties, dict):
            return found
        extra = node.get("additionalProperties")
        for key, item in value.items():
            path = f"{at}.{key}" if at else str(key)
            if key in properties:
                found.extend(unknown_paths(item, properties[key], root, path))
            elif not isinstance(extra, dict):  # a map (additionalProperties: schema) is known
                found.append(path)
    elif isinstance(value, list) and isinstance(node.get("items"), dict):
        for item in value:
            for path in unknown_paths(item, node["items"], root, f"{at}[]"):
                if path not in found:
                    found.append(path)
    return found


def _resolved(node: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    for _ in range(16):  # bounded: a $ref chain is short
        ref = node.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return node
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part) if isinstance(target, dict) else None
        if not isinstance(target, dict):
            return node
        node = target
    return node


async def polled(
    backend: GenesysBackend,
    read: Callable[[], Awaitable[Any]],
    done: Callable[[Any], bool],
    seconds: float,
) -> Any:
    """``read()`` until ``done(result)`` or ``seconds`` pass on the session's clock (bounded
    waits that double from 0.25 s up to 5 s); returns the last result."""
    session = backend.session
    started, delay = session.clock(), 0.25
    while True:
        result = await read()
        if done(result) or session.clock() - started >= seconds:
            return result
        await session.sleep(delay)
        delay = min(delay * 2, 5.0)


def api_status(exc: ReconcilerError) -> str:
    return str(exc.status) if isinstance(exc, ApiError) else type(exc).__name__
