"""``doctor --write-probe``: one scratch pair settles what only a write can.

The pair is named ``reconciler-doctor-probe-<hex>`` and its description says what it is, with
the ``reconciler-doctor`` ownership marker (never a team's owner, so no plan ever adopts or
prunes it). In order:

1. create its configuration (the success code) and publish the draft;
2. create a second configuration of the same name: 409 means names are unique (the second,
   when made, is deleted at once: the code of an unused configuration's delete);
3. create the deployment on version 1 and wait for it to be Active;
4. publish again and read the deployment: does it follow the new version, or stay pinned?
5. write the deployment with ``status: Inactive`` and read it back: does Inactive deactivate?
6. delete the configuration while the deployment uses it: refused, or allowed?
7. delete the deployment, then the configuration (the codes), and wait until both are gone.

Step 7 runs in a ``finally``: an error, Ctrl-C or SIGTERM (``checks.run_doctor`` turns both
into a cancellation) still removes the pair; a pair that survives a run killed outright is
found and removed by the next ``--write-probe`` (``questions.leftovers``).
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from reconciler.doctor.checks import Collector, api_status, polled
from reconciler.doctor.questions import CONFIGURATIONS, DEPLOYMENTS, PROBE_OWNER, PROBE_PREFIX
from reconciler.doctor.report import Status
from reconciler.errors import ApiError, NotFoundError, PermissionDeniedError, ReconcilerError
from reconciler.genesys import responses
from reconciler.kinds import webdeployment_rules as rules

if TYPE_CHECKING:
    from reconciler.genesys.client import GenesysBackend

#: Bounded waits (seconds on the session's clock), as the adapter's.
DRAFT_ACTIVE = 90.0
DEPLOYMENT_ACTIVE = 180.0
GONE = 60.0


def probe_name() -> str:
    return PROBE_PREFIX + secrets.token_hex(4)


def probe_description(now: datetime) -> str:
    text = (
        f"Scratch object of 'reconciler doctor --write-probe' ({now:%Y-%m-%dT%H:%M:%SZ}); the "
        "probe deletes it itself, and the next --write-probe removes one left behind."
    )
    return rules.add_marker(text, PROBE_OWNER)


class Pair:
    """What the probe has created so far (what the cleanup must remove). A create whose answer
    an interruption cut off is found by the pair's ``name`` instead."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.configurations: list[str] = []
        self.deployment: str | None = None


async def write_probe(backend: GenesysBackend, found: Collector, now: datetime) -> None:
    name = probe_name()
    pair = Pair(name)
    codes: dict[str, int] = {}
    found.settle("scratch pair", f"{name} (being made)")
    try:
        await _probe(backend, found, name, probe_description(now), pair, codes)
    except PermissionDeniedError as exc:
        found.add(
            "write-probe",
            Status.BLOCK,
            f"a write was refused: {exc}",
            "grant the writing role's permissions (docs/permissions.md) to the OAuth client",
        )
    except ReconcilerError as exc:
        found.add(
            "write-probe",
            Status.BLOCK,
            f"the probe stopped: {exc}",
            "retry; if it persists, attach this report (--format json) to a bug report",
        )
    finally:
        left = await _cleanup(backend, pair, codes)
        if codes:
            found.settle("success codes", dict(codes))
        if left:
            found.settle("scratch pair", f"{name}: NOT removed ({left})")
            found.add(
                "write-probe",
                Status.BLOCK,
                f"the scratch pair {name} could not be removed: {left}",
                "delete it in the admin UI, or run doctor --write-probe again (it removes it)",
            )
        else:
            found.settle("scratch pair", f"{name}: created and removed")


async def _probe(
    backend: GenesysBackend,
    found: Collector,
    name: str,
    description: str,
    pair: Pair,
    codes: dict[str, int],
) -> None:
    session = backend.session
    body = {
        "name": name,
        "description": description,
        "languages": ["en-us"],
        "defaultLanguage": "en-us",
        "messenger": {"enabled": False},
    }
    created = await session.request("POST", CONFIGURATIONS, body=body)
    codes["create configuration"] = created.status_code
    config_id = str(responses.json_object(created)["id"])
    pair.configurations.append(config_id)
    base = f"{CONFIGURATIONS}/{quote(config_id, safe='')}"
    first = await _publish(backend, base, codes)
    listing = responses.json_object(await session.request("GET", f"{base}/versions"))
    listed = [v.get("version") for v in listing.get("entities") or [] if isinstance(v, dict)]
    found.settle("versions listing includes DRAFT", any(str(v).upper() == "DRAFT" for v in listed))

    try:
        twin = await session.request("POST", CONFIGURATIONS, body=body)
    except ApiError as exc:
        if exc.status != 409:
            raise
        found.settle("names unique", True)
    else:
        found.settle("names unique", False)
        twin_id = str(responses.json_object(twin)["id"])
        pair.configurations.append(twin_id)
        deleted = await session.request("DELETE", f"{CONFIGURATIONS}/{quote(twin_id, safe='')}")
        codes["delete configuration"] = deleted.status_code
        pair.configurations.remove(twin_id)

    deployment_body = {
        "name": name,
        "description": description,
        "allowAllDomains": True,
        "allowedDomains": [],
        "configuration": {"id": config_id, "version": first},
    }
    made = await session.request("POST", DEPLOYMENTS, body=deployment_body)
    codes["create deployment"] = made.status_code
    deployment_id = str(responses.json_object(made)["id"])
    pair.deployment = deployment_id
    path = f"{DEPLOYMENTS}/{quote(deployment_id, safe='')}"
    status = await _deployment_status(backend, path)
    found.settle("deployment Active after create", status == "Active")

    second = await _publish(backend, base, codes, rewrite=body)
    served = await _served_version(backend, path)
    found.settle("deployment follows a new version", served == second)

    current = responses.json_object(await session.request("GET", path))
    sent = rules.strip_server_fields_deployment(current)
    sent["status"] = "Inactive"
    sent["configuration"] = {"id": config_id, "version": served or first}
    updated = await session.request("PUT", path, body=sent)
    codes["update deployment"] = updated.status_code
    after = await polled(
        backend, lambda: _status(backend, path), lambda s: s not in ("Pending", None), 30.0
    )
    found.settle("Inactive deactivates", after == "Inactive")

    try:
        refused = await session.request("DELETE", base)
    except ApiError as exc:
        found.settle("deleting a configuration in use", f"refused (HTTP {exc.status})")
    else:
        codes.setdefault("delete configuration", refused.status_code)
        found.settle("deleting a configuration in use", "allowed")
        pair.configurations.remove(config_id)
        left = await _status(backend, path)
        found.settle("its deployment then", left or "gone")
    found.add("write-probe", Status.OK, "a scratch pair was created, examined and removed")


async def _publish(
    backend: GenesysBackend, base: str, codes: dict[str, int], rewrite: dict[str, Any] | None = None
) -> str:
    """Wait for the draft to be Active (rewriting it first when asked), publish it, return
    the new version; a 400 while the draft is Pending is waited out."""
    session = backend.session
    if rewrite is not None:
        await session.request("PUT", f"{base}/versions/draft", body=rewrite)

    async def draft_status() -> str | None:
        try:
            reply = await session.request("GET", f"{base}/versions/draft")
        except NotFoundError:
            return None
        return str(responses.json_object(reply).get("status", ""))

    await polled(backend, draft_status, lambda s: s == "Active", DRAFT_ACTIVE)

    async def publish() -> Any:
        try:
            return await session.request("POST", f"{base}/versions/draft/publish")
        except ApiError as exc:
            if exc.status != 400:
                raise
            return exc

    answer = await polled(backend, publish, lambda r: not isinstance(r, ApiError), DRAFT_ACTIVE)
    if isinstance(answer, ApiError):
        raise answer
    codes["publish"] = answer.status_code
    return str(responses.json_object(answer)["version"])


async def _status(backend: GenesysBackend, path: str) -> str | None:
    try:
        reply = await backend.session.request("GET", path)
    except NotFoundError:
        return None
    return str(responses.json_object(reply).get("status", "")) or None


async def _deployment_status(backend: GenesysBackend, path: str) -> str | None:
    return await polled(  # type: ignore[no-any-return]
        backend,
        lambda: _status(backend, path),
        lambda s: s in ("Active", "Error"),
        DEPLOYMENT_ACTIVE,
    )


async def _served_version(backend: GenesysBackend, path: str) -> str | None:
    reply = responses.json_object(await backend.session.request("GET", path))
    ref = reply.get("configuration") or {}
    version = ref.get("version") if isinstance(ref, dict) else None
    return str(version) if version is not None else None


async def _cleanup(backend: GenesysBackend, pair: Pair, codes: dict[str, int]) -> str:
    """Remove what was made; '' when everything is gone, else why not. Shielded from a
    second cancellation: a cleanup is never cut short."""
    task = asyncio.ensure_future(_remove_all(backend, pair, codes))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        return await task


async def _remove_all(backend: GenesysBackend, pair: Pair, codes: dict[str, int]) -> str:
    """The deployments first (those the probe knows of, and any listed under its name or on
    its configurations: a create cut off by an interruption has no id here), then the
    configurations; a configuration still in use (a deployment the listing showed late) is
    tried again for a bounded time."""
    problems: list[str] = []
    for _ in range(3):  # bounded: each round deletes what is known and listed
        deployments, configurations = await _named(backend, pair)
        if not deployments and not configurations:
            return ""
        problems = []
        for deployment_id in deployments:
            code = await remove_pair(backend, deployment_id, None, problems)
            if code:
                codes.setdefault("delete deployment", code)
        for config_id in configurations:
            code = await remove_pair(backend, None, config_id, problems)
            if code:
                codes.setdefault("delete configuration", code)
        pair.deployment, pair.configurations = None, []
    # A listing that lags shows deleted objects again (their deletes answer 404): only the
    # last round's problems count.
    return "; ".join(problems)


async def _named(backend: GenesysBackend, pair: Pair) -> tuple[list[str], list[str]]:
    """Ids of the pair's deployments and configurations: known ones, and those listed under
    its name with the probe's marker (or, for deployments, on its configurations)."""
    from reconciler.doctor.questions import _all, _is_probe

    configurations = list(pair.configurations)
    deployments = [pair.deployment] if pair.deployment else []
    try:
        listed_c = await _all(backend, CONFIGURATIONS, showOnlyPublished="false")
        listed_d = await _all(backend, DEPLOYMENTS)
    except ReconcilerError:
        return deployments, configurations
    for config in listed_c:
        if _is_probe(config) and config.get("name") == pair.name:
            configurations.append(str(config.get("id")))
    configs = set(configurations)
    for deployment in listed_d:
        ref = deployment.get("configuration") or {}
        on_ours = isinstance(ref, dict) and str(ref.get("id")) in configs
        if on_ours or (_is_probe(deployment) and deployment.get("name") == pair.name):
            deployments.append(str(deployment.get("id")))
    return list(dict.fromkeys(deployments)), list(dict.fromkeys(configurations))


async def remove_pair(
    backend: GenesysBackend,
    deployment_id: str | None,
    config_id: str | None,
    problems: list[str] | None = None,
) -> int:
    """Delete a deployment or a configuration and wait until it reads 404; the delete's
    status code (0 when it was already gone). Problems are appended, never raised."""
    path = (
        f"{DEPLOYMENTS}/{quote(deployment_id, safe='')}"
        if deployment_id is not None
        else f"{CONFIGURATIONS}/{quote(str(config_id), safe='')}"
    )
    gone_at = path if deployment_id is not None else f"{path}/versions/draft"
    try:
        reply = await backend.session.request("DELETE", path)
        code = reply.status_code
    except NotFoundError:
        return 0
    except ReconcilerError as exc:
        if problems is not None:
            problems.append(f"DELETE {path}: {api_status(exc)}")
        return 0

    async def present() -> bool:
        try:
            await backend.session.request("GET", gone_at)
        except NotFoundError:
            return False
        except ReconcilerError:
            return True
        return True

    if await polled(backend, present, lambda still: not still, GONE) and problems is not None:
        problems.append(f"{path} still there {GONE:g} s after its delete")
    return code
