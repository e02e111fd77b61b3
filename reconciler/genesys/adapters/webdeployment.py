"""The adapter of ``kind: webDeployment``: a configuration and its deployment as one object.

Reads (docs/api-notes.md#webdeployments: listings first, single reads only where a
listing cannot describe an object):

- ``list``: the configuration listing (C1: one entity per configuration, its draft) and the
  deployment listing with ``expand=Configuration`` (D1: each entity carries the version it
  serves). Versions (C3) are read only for a configuration whose draft differs from what is
  served (an unpublished edit, or a version published out of band) or that no deployment uses.
- ``get``: D3, the served version (C4), the draft (C5) and, when they differ, the versions.

Writes, in the contract's order, every wait on the session's injected clock:

- create: C2 the configuration, wait for its draft to be Active, C7 publish, D2 the deployment
  on that version; ``settle`` then waits for the deployment to have the status the spec asks
  for (Active unless it says Inactive), and an Error ends the wait at once.
- update: publish only when the plan said so (the desired configuration differs from the one
  served, or the deployment does not serve the latest version). Publish publishes the draft,
  so the draft is first written from the version customers are served plus the spec:
  fields this tool does not model survive, and an unpublished edit of the draft is discarded,
  never published unreviewed. Then a read-modify-write PUT of the deployment onto the new
  version, never sending back a server status (Pending, Error, Deleting); a pair without
  a deployment gets one.
- delete: D5, wait until D3 is 404, then C8 when no other deployment uses the configuration,
  and wait until C5 is 404.

Names are not unique on the server, so nothing stops a second object of one name: after a lost
create answer the adapter looks the name up (tolerating listing lag for a bounded time) and
never repeats a write blindly (``CreateSafety.LOOKUP_ONLY``). A 400 is never retried, except
C7 while the draft is still Pending. A 400 "feature is not yet implemented" becomes one line
naming the field the org lacks.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from reconciler.backend import CreateSafety
from reconciler.errors import (
    ApiError,
    NotFoundError,
    OutcomeUnknownError,
    ReconcilerError,
    TransportError,
)
from reconciler.genesys import responses
from reconciler.genesys.paging import MAX_PAGES, cursor_listing, page_number_listing
from reconciler.genesys.session import GenesysSession
from reconciler.kinds import webdeployment_rules as rules
from reconciler.kinds.webdeployment import LIVE, OWNER, WEB_DEPLOYMENT
from reconciler.model import LiveResource

CONFIGURATIONS = "/api/v2/webdeployments/configurations"
DEPLOYMENTS = "/api/v2/webdeployments/deployments"
FLOWS = "/api/v2/flows"
SUPPORTED_CONTENT = "/api/v2/conversations/messaging/supportedcontent"
#: The flow type a deployment routes to (F1's filter value; the response says it in upper case).
FLOW_TYPE = "inboundshortmessage"
#: The id prefix of a pair whose deployment is missing (a configuration alone).
ORPHAN = "configuration/"
_FEATURE = "feature is not yet implemented"
#: The fact naming the status ``settle`` waits for after a write (``Active`` or ``Inactive``).
SETTLE_TO = "settleTo"

#: JSON objects of a listing (named here: inside the adapter ``list`` is a method).
Entities = list[dict[str, Any]]


class WaitError(ReconcilerError):
    """An object did not become ready in time, or turned ``Error``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Waits:
    """How long to wait for what (seconds, on the session's clock)."""

    draft_active: float = 90.0
    deployment_active: float = 180.0
    deleted: float = 60.0
    listing_lag: float = 10.0
    first_delay: float = 0.5
    max_delay: float = 5.0


class _Poll:
    """Polling on the session's clock: waits that double from ``first_delay`` up to
    ``max_delay``, and a deadline measured from the first look."""

    def __init__(self, session: GenesysSession, waits: Waits) -> None:
        self._session = session
        self._waits = waits
        self._started = session.clock()
        self._delay = waits.first_delay

    def expired(self, deadline: float) -> bool:
        return self._session.clock() - self._started >= deadline

    async def wait(self) -> None:
        await self._session.sleep(self._delay)
        self._delay = min(self._delay * 2, self._waits.max_delay)


class WebDeploymentAdapter:
    kind = WEB_DEPLOYMENT.name
    create_safety = CreateSafety.LOOKUP_ONLY

    def __init__(
        self, session: GenesysSession, *, max_pages: int = MAX_PAGES, waits: Waits | None = None
    ) -> None:
        self._session = session
        self._max_pages = max_pages
        self.waits = waits or Waits()

    def _poll(self) -> _Poll:
        return _Poll(self._session, self.waits)

    # -- reading ------------------------------------------------------------------------

    async def list(self) -> list[LiveResource]:
        drafts = await self._cursor(CONFIGURATIONS, {"showOnlyPublished": "false"})
        deployments = await self._cursor(DEPLOYMENTS, {"expand": "Configuration"})
        drafts_by_id = {str(d.get("id")): d for d in drafts}
        used: set[str] = set()
        pairs = []
        for deployment in deployments:
            ref = deployment.get("configuration") or {}
            config_id = str(ref.get("id", ""))
            used.add(config_id)
            served = (
                ref if _has_content(ref) else await self._version(config_id, ref.get("version"))
            )
            pairs.append(await self._pair(deployment, served, drafts_by_id.get(config_id)))
        for config_id, draft in drafts_by_id.items():
            if config_id not in used:
                pairs.append(await self._pair(None, None, draft))
        return pairs

    async def get(self, object_id: str) -> LiveResource:
        if object_id.startswith(ORPHAN):
            config_id = object_id.removeprefix(ORPHAN)
            return await self._pair(None, None, await self._draft(config_id))
        deployment = await self._json("GET", f"{DEPLOYMENTS}/{_id(object_id)}")
        ref = deployment.get("configuration") or {}
        config_id = str(ref.get("id", ""))
        served = await self._version(config_id, ref.get("version"))
        return await self._pair(deployment, served, await self._draft(config_id))

    async def find(self, name: str) -> LiveResource | None:
        """The pair with this name, waiting out listing lag for a bounded time."""
        key = WEB_DEPLOYMENT.identity(name)
        poll = self._poll()
        while True:
            for pair in await self.list():
                if pair.key == key:
                    return pair
            if poll.expired(self.waits.listing_lag):
                return None
            await poll.wait()

    async def catalog(self, targets: Collection[str]) -> Mapping[str, Sequence[tuple[str, str]]]:
        """The flows and supported content profiles, each read only when a spec names one by
        name (``targets``): listing flows needs a permission a plan by ids does not."""
        found: dict[str, Sequence[tuple[str, str]]] = {}
        if "flow" in targets:
            found["flow"] = await page_number_listing(
                self._session,
                FLOWS,
                _entry,
                item_id=lambda e: e[0],
                page_size=100,
                params={"type": FLOW_TYPE},
                max_pages=self._max_pages,
            )
        if "supportedContent" in targets:
            found["supportedContent"] = await page_number_listing(
                self._session,
                SUPPORTED_CONTENT,
                _entry,
                item_id=lambda e: e[0],
                page_size=100,
                max_pages=self._max_pages,
            )
        return found

    # -- writing ------------------------------------------------------------------------

    async def create(self, body: Mapping[str, Any]) -> LiveResource:
        owner = _owner(body)
        config_id = await self._create_configuration(body, owner)
        try:
            version = await self._publish(config_id)
            deployment = await self._create_deployment(body, owner, config_id, version)
        except OutcomeUnknownError as exc:
            # Not the create's own answer: the configuration exists (a lookup of the name
            # would find it and call it someone else's). Nothing is repeated blindly; the next
            # plan sees the configuration alone and completes the pair.
            raise ReconcilerError(
                f"web deployment {body['name']!r}: its configuration {config_id} was created, "
                f"then {exc}; not repeated: run apply again, it completes the pair"
            ) from exc
        return _settle_to(await self._pair_of(deployment), _wanted_status(body, None))

    async def update(
        self, object_id: str, body: Mapping[str, Any], *, revision: str
    ) -> LiveResource:
        owner = _owner(body)
        live = await self.get(object_id)
        facts = live.body[LIVE]
        config_id = str(facts["configurationId"])
        wanted, current = WEB_DEPLOYMENT.comparable(body, live.body)
        version = facts.get("latestVersion")
        block = body.get("deployment") or {}
        pinned = rules.pinned_version(block)
        if pinned is not None:
            path = f"{_config_path(config_id)}/versions"
            versions = await self._cursor(path, {}, key="version")
            if pinned not in {str(v.get("version")) for v in versions}:
                raise WaitError(
                    f"web deployment {body.get('name')!r} is pinned to configuration version "
                    f"{pinned}, which does not exist (latest published: {version or 'none'})"
                )
            version = pinned
        elif WEB_DEPLOYMENT.publishes(wanted, current, facts):
            # Publish publishes the draft: write it from what customers are served plus the
            # spec, so an unpublished edit of the draft never goes live unreviewed. Only a
            # configuration never published has nothing but its draft to start from.
            reviewed = facts.get("servedVersion") or facts.get("latestVersion")
            base = await self._version(config_id, reviewed) if reviewed else None
            if base is None:
                base = await self._draft_json(config_id)
            sent = rules.overlay(
                rules.strip_server_fields_configuration(base),
                _configuration_fields(body, owner, str(base.get("description", ""))),
            )
            await self._write(
                lambda: self._session.request(
                    "PUT", f"{_config_path(config_id)}/versions/draft", body=sent
                )
            )
            version = await self._publish(config_id)
        if version is None:
            raise WaitError(
                f"web deployment {body.get('name')!r}: its configuration has no published "
                "version to serve"
            )
        before: Any = None
        if facts.get("deploymentId") is None:
            deployment = await self._create_deployment(
                body, owner, config_id, version, str(live.body.get("description", ""))
            )
        else:
            deployment_id = str(facts["deploymentId"])
            current_doc = await self._json("GET", f"{DEPLOYMENTS}/{_id(deployment_id)}")
            before = current_doc.get("status")
            fields = _deployment_fields(
                body, owner, config_id, version, str(current_doc.get("description", ""))
            )
            base = rules.strip_server_fields_deployment(current_doc)
            if base.get("status") not in rules.WRITABLE_STATUSES:
                # Pending, Error and Deleting are the server's to set: never sent back.
                base.pop("status", None)
            sent = rules.overlay(base, fields)
            deployment = await self._write(
                lambda: self._json("PUT", f"{DEPLOYMENTS}/{_id(deployment_id)}", body=sent)
            )
        return _settle_to(await self._pair_of(deployment), _wanted_status(body, before))

    async def delete(self, object_id: str) -> LiveResource:
        """Delete the pair; returns what was deleted (ids and served version, for events)."""
        if object_id.startswith(ORPHAN):
            config_id = object_id.removeprefix(ORPHAN)
            await self._delete_configuration(config_id)
            return _deleted(object_id, "", None, config_id, None)
        deployment = await self._json("GET", f"{DEPLOYMENTS}/{_id(object_id)}")
        ref = deployment.get("configuration") or {}
        config_id = str(ref.get("id", ""))
        await self._session.request("DELETE", f"{DEPLOYMENTS}/{_id(object_id)}")
        await self._until_gone(f"{DEPLOYMENTS}/{_id(object_id)}", "deployment", object_id)
        others = await self._cursor(DEPLOYMENTS, {})
        if config_id and not any(
            # The listing may lag: the deployment just deleted does not count as a user.
            str((d.get("configuration") or {}).get("id")) == config_id
            and str(d.get("id")) != object_id
            for d in others
        ):
            await self._delete_configuration(config_id)
        version = ref.get("version")
        return _deleted(
            object_id,
            str(deployment.get("name", "")),
            object_id,
            config_id or None,
            version if isinstance(version, str) else None,
        )

    async def settle(self, resource: LiveResource) -> LiveResource:
        """Wait until the deployment has the status the write asked for (``Active`` unless
        the spec says ``Inactive``; a 404 right after a create is normal); report the last
        status seen when the time runs out; ``Error`` ends the wait at once."""
        facts = resource.body.get(LIVE) or {}
        deployment_id = facts.get("deploymentId")
        if not deployment_id:
            return resource
        # The status the write asked for; an object found rather than written (after a lost
        # answer) is waited for in the stable status it has, else Active.
        shown = (resource.body.get("deployment") or {}).get("status")
        fallback = shown if shown in rules.WRITABLE_STATUSES else "Active"
        target = str(facts.get(SETTLE_TO) or fallback)
        path = f"{DEPLOYMENTS}/{_id(str(deployment_id))}"
        poll = self._poll()
        last = "not readable yet"
        while True:
            try:
                deployment = await self._json("GET", path)
                last = str(deployment.get("status", "no status"))
            except NotFoundError:
                deployment = None
            if deployment is not None and last == target:
                return await self._pair_of(deployment)
            if deployment is not None and last == "Error":
                raise WaitError(
                    f"web deployment {resource.name!r} (id {deployment_id}) turned Error: "
                    f"{_server_reason(deployment)}"
                )
            if poll.expired(self.waits.deployment_active):
                hint = ""
                if target == "Inactive" and last == "Active":
                    hint = (
                        "; this org may not deactivate a deployment whose status is written "
                        "Inactive ('reconciler doctor --write-probe' checks it)"
                    )
                raise WaitError(
                    f"web deployment {resource.name!r} (id {deployment_id}) was not {target} "
                    f"after {self.waits.deployment_active:g} s (last status: {last}){hint}; the "
                    "next run checks it again"
                )
            await poll.wait()

    # -- steps ----------------------------------------------------------------------------

    async def _create_configuration(self, body: Mapping[str, Any], owner: str) -> str:
        sent = _configuration_fields(body, owner)
        try:
            created = await self._write(lambda: self._json("POST", CONFIGURATIONS, body=sent))
        except OutcomeUnknownError as exc:
            found = await self._find_configuration(str(body["name"]), owner)
            if found is None:
                # Already looked up for the listing-lag wait: fail now, never POST again.
                raise ReconcilerError(
                    f"create of web deployment {body['name']!r}: the answer to its "
                    f"configuration create was lost and no configuration of that name is listed "
                    f"after {self.waits.listing_lag:g} s; not created again (nothing on the "
                    "server stops a duplicate): run apply again, the next plan sees whether it "
                    "was made"
                ) from exc
            return found
        return str(created["id"])

    async def _find_configuration(self, name: str, owner: str) -> str | None:
        """The one configuration of this name and owner, waiting out listing lag."""
        key = WEB_DEPLOYMENT.identity(name)
        poll = self._poll()
        while True:
            matches = [
                str(d["id"])
                for d in await self._cursor(CONFIGURATIONS, {"showOnlyPublished": "false"})
                if WEB_DEPLOYMENT.identity(str(d.get("name", ""))) == key
                and rules.read_marker(d.get("description")) == owner
            ]
            if len(matches) == 1:
                return matches[0]
            if poll.expired(self.waits.listing_lag):
                return None
            await poll.wait()

    async def _publish(self, config_id: str) -> str:
        """Wait for the draft to be Active, publish it, return the new version number.

        A 400 while the draft is still Pending is retried inside the wait; a lost answer is
        settled by reading the versions (an extra version is harmless, a missing one is not).
        """
        path = f"{_config_path(config_id)}/versions/draft"
        poll = self._poll()
        before = await self._latest(config_id, tolerate_missing=True)
        while True:
            status = "not readable yet"
            with contextlib.suppress(NotFoundError):
                status = str((await self._json("GET", path)).get("status", ""))
            if status == "Active":
                try:
                    published = await self._json("POST", f"{path}/publish")
                    return str(published["version"])
                except OutcomeUnknownError:
                    after = await self._latest(config_id, tolerate_missing=False)
                    if after is not None and after != before:
                        return after
                    raise
                except ApiError as exc:
                    if exc.status != 400:
                        raise
                    status = f"publish refused: {exc.message}"
            if status == "Error":
                raise WaitError(f"configuration {config_id}: its draft turned Error")
            if poll.expired(self.waits.draft_active):
                raise WaitError(
                    f"configuration {config_id}: the draft could not be published within "
                    f"{self.waits.draft_active:g} s (last: {status})"
                )
            await poll.wait()

    async def _create_deployment(
        self, body: Mapping[str, Any], owner: str, config_id: str, version: str, live: str = ""
    ) -> dict[str, Any]:
        sent = _deployment_fields(body, owner, config_id, version, live)
        try:
            return await self._write(lambda: self._json("POST", DEPLOYMENTS, body=sent))
        except OutcomeUnknownError:
            found = await self._find_deployment(str(body["name"]), owner, config_id)
            if found is not None:
                return await self._json("GET", f"{DEPLOYMENTS}/{_id(found)}")
            raise

    async def _find_deployment(self, name: str, owner: str, config_id: str) -> str | None:
        """The one deployment of this name and owner on ``config_id``, waiting out listing lag
        (the configuration alone is listed meanwhile: it is not the deployment)."""
        key = WEB_DEPLOYMENT.identity(name)
        poll = self._poll()
        while True:
            matches = [
                str(d["id"])
                for d in await self._cursor(DEPLOYMENTS, {})
                if WEB_DEPLOYMENT.identity(str(d.get("name", ""))) == key
                and rules.read_marker(d.get("description")) == owner
                and str((d.get("configuration") or {}).get("id")) == config_id
            ]
            if len(matches) == 1:
                return matches[0]
            if poll.expired(self.waits.listing_lag):
                return None
            await poll.wait()

    async def _delete_configuration(self, config_id: str) -> None:
        try:
            await self._session.request("DELETE", _config_path(config_id))
        except NotFoundError:
            return
        await self._until_gone(
            f"{_config_path(config_id)}/versions/draft", "configuration", config_id
        )

    async def _until_gone(self, path: str, what: str, object_id: str) -> None:
        poll = self._poll()
        while True:
            try:
                await self._session.request("GET", path)
            except NotFoundError:
                return
            if poll.expired(self.waits.deleted):
                raise WaitError(
                    f"{what} {object_id} was still there {self.waits.deleted:g} s after its delete"
                )
            await poll.wait()

    async def _write(self, send: Callable[[], Awaitable[Any]]) -> dict[str, Any]:
        """A write, with "feature is not yet implemented" turned into one line naming the field."""
        try:
            result = await send()
        except ApiError as exc:
            missing = [d.field_name for d in exc.details if _FEATURE in d.error_code.lower()]
            if exc.status == 400 and (missing or _FEATURE in exc.info.message.lower()):
                fields = ", ".join(f"configuration.{f}" for f in missing) or "a field"
                message = (
                    f"the org lacks the feature behind {fields} (the API answered 'feature is "
                    "not yet implemented'); remove it from the spec or enable it in the org"
                )
                raise ApiError(dataclasses.replace(exc.info, message=message)) from exc
            raise
        return result if isinstance(result, dict) else {}

    # -- reading helpers ------------------------------------------------------------------

    async def _pair_of(self, deployment: Mapping[str, Any]) -> LiveResource:
        ref = deployment.get("configuration") or {}
        config_id = str(ref.get("id", ""))
        served = await self._version(config_id, ref.get("version"))
        return await self._pair(deployment, served, await self._draft(config_id))

    async def _pair(
        self,
        deployment: Mapping[str, Any] | None,
        served: Mapping[str, Any] | None,
        draft: Mapping[str, Any] | None,
    ) -> LiveResource:
        config = served if served is not None else draft or {}
        config_id = str((draft or config).get("id", ""))
        served_version = str(served["version"]) if served is not None else None
        draft_content = _content(draft) if draft is not None else None
        served_content = _content(served) if served is not None else None
        draft_differs = draft is not None and (
            served is None
            or rules.normalise_configuration(draft_content or {})
            != rules.normalise_configuration(served_content or {})
        )
        latest = served_version
        if draft_differs or served is None or _edited_since(draft, served):
            latest = await self._latest(config_id, tolerate_missing=True)
        latest_content: dict[str, Any] | None = None
        if served is not None and latest not in (None, served_version):
            # Published since the served version (out of band, or a rollback): the plan needs
            # its content to tell "move to it" from "publish the spec on top of it".
            newest = await self._version(config_id, latest)
            latest_content = _content(newest) if newest is not None else None
        unpublished: list[str] = []
        reviewed = latest_content if latest_content is not None else served_content
        if draft_differs and draft_content is not None and reviewed is not None:
            # The draft's edits since the newest published version: nobody published them.
            unpublished = rules.changed_paths(
                rules.normalise_configuration(reviewed),
                rules.normalise_configuration(draft_content),
            )
        named = deployment if deployment is not None else config
        body: dict[str, Any] = {
            "name": str(named.get("name", "")),
            "description": str(named.get("description", "")),
            "configuration": served_content
            if served_content is not None
            else (draft_content or {}),
        }
        if deployment is not None:
            fields = rules.strip_server_fields_deployment(deployment)
            for key in ("name", "description", "configuration"):
                fields.pop(key, None)
            body["deployment"] = fields
        body[LIVE] = {
            "deploymentId": str(deployment["id"]) if deployment is not None else None,
            "deploymentStatus": deployment.get("status") if deployment is not None else None,
            "configurationId": config_id or None,
            "servedVersion": served_version,
            "latestVersion": latest,
            "latestConfiguration": latest_content,
            "draftDiffers": draft_differs,
            "draftChanges": unpublished,
        }
        revision = "|".join(
            (
                str((deployment or {}).get("dateModified", "")),
                served_version or "-",
                latest or "-",
                str((draft or {}).get("dateModified", "")),
            )
        )
        object_id = str(deployment["id"]) if deployment is not None else ORPHAN + config_id
        return LiveResource(kind=self.kind, id=object_id, revision=revision, body=body)

    async def _version(self, config_id: str, version: Any) -> dict[str, Any] | None:
        if not config_id or not isinstance(version, str) or not version:
            return None
        try:
            return await self._json(
                "GET", f"{_config_path(config_id)}/versions/{quote(version, safe='')}"
            )
        except NotFoundError:
            return None

    async def _draft(self, config_id: str) -> dict[str, Any] | None:
        if not config_id:
            return None
        try:
            return await self._draft_json(config_id)
        except NotFoundError:
            return None

    async def _draft_json(self, config_id: str) -> dict[str, Any]:
        return await self._json("GET", f"{_config_path(config_id)}/versions/draft")

    async def _latest(self, config_id: str, *, tolerate_missing: bool) -> str | None:
        try:
            versions = await self._cursor(f"{_config_path(config_id)}/versions", {}, key="version")
        except NotFoundError:
            if tolerate_missing:
                return None
            raise
        return rules.latest_published(v.get("version") for v in versions)

    async def _cursor(self, path: str, params: Mapping[str, str], key: str = "id") -> Entities:
        return await cursor_listing(
            self._session, path, params=params, max_pages=self._max_pages, key=key
        )

    async def _json(self, method: str, path: str, *, body: Any = None) -> dict[str, Any]:
        response = await self._session.request(method, path, body=body)
        return responses.json_object(response)


def _wanted_status(body: Mapping[str, Any], before: Any) -> str:
    """The status a write's wait ends at: the spec's, else the one the deployment had (a
    write leaves an unmanaged Inactive deployment Inactive), else Active."""
    block = body.get("deployment") or {}
    wanted = block.get("status")
    if wanted in rules.WRITABLE_STATUSES:
        return str(wanted)
    return str(before) if before in rules.WRITABLE_STATUSES else "Active"


def _settle_to(resource: LiveResource, status: str) -> LiveResource:
    """``resource`` with the status ``settle`` waits for among its facts."""
    body = dict(resource.body)
    body[LIVE] = {**body.get(LIVE, {}), SETTLE_TO: status}
    return dataclasses.replace(resource, body=body)


def _server_reason(deployment: Mapping[str, Any]) -> str:
    """What the server says about a deployment in Error: a message field if it sends one
    (the SDK's WebDeployment has none), else which configuration version it serves."""
    for key in ("message", "errorMessage", "statusMessage", "reason"):
        value = deployment.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    ref = deployment.get("configuration") or {}
    return (
        "the API gives no reason; it serves configuration "
        f"{ref.get('id', '?')} version {ref.get('version', '?')}, which may have been deleted "
        "or changed: check the deployment in the admin UI"
    )


def _deleted(
    object_id: str,
    name: str,
    deployment_id: str | None,
    config_id: str | None,
    version: str | None,
) -> LiveResource:
    facts = {
        "deploymentId": deployment_id,
        "configurationId": config_id,
        "servedVersion": version,
    }
    body = {"name": name, LIVE: facts}
    return LiveResource(kind=WEB_DEPLOYMENT.name, id=object_id, revision="", body=body)


def _edited_since(draft: Mapping[str, Any] | None, served: Mapping[str, Any]) -> bool:
    """Whether the draft was edited after the served version was published: then a newer
    version may exist (a deployment moved back to an older one has a draft like it, but
    edited later), and only the versions listing says. Unreadable dates count as edited."""
    if draft is None:
        return False
    edited, published = _instant(draft.get("dateModified")), _instant(served.get("datePublished"))
    return edited is None or published is None or edited > published


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _has_content(ref: Mapping[str, Any]) -> bool:
    """Whether an expanded configuration reference carries the version itself."""
    return any(key not in ("id", "version", "name", "selfUri") for key in ref)


def _content(version: Mapping[str, Any]) -> dict[str, Any]:
    fields = rules.strip_server_fields_configuration(version)
    fields.pop("name", None)
    fields.pop("description", None)
    return fields


def _owner(body: Mapping[str, Any]) -> str:
    owner = body.get(OWNER)
    if not isinstance(owner, str) or not owner:
        raise ReconcilerError("a web deployment body carries no owner to mark it with")
    return owner


def _description(body: Mapping[str, Any], owner: str, live: str = "") -> str:
    text = body.get("description")
    return rules.add_marker(text if isinstance(text, str) else rules.strip_marker(live), owner)


def _configuration_fields(body: Mapping[str, Any], owner: str, live: str = "") -> dict[str, Any]:
    fields = dict(body.get("configuration") or {})
    fields["name"] = body["name"]
    fields["description"] = _description(body, owner, live)
    return fields


def _deployment_fields(
    body: Mapping[str, Any], owner: str, config_id: str, version: str, live: str = ""
) -> dict[str, Any]:
    fields = {
        k: v for k, v in (body.get("deployment") or {}).items() if k != "configurationVersion"
    }
    if fields.get("allowAllDomains") is True:
        fields["allowedDomains"] = []
    fields["name"] = body["name"]
    fields["description"] = _description(body, owner, live)
    fields["configuration"] = {"id": config_id, "version": version}
    return fields


def _entry(payload: Any, context: str) -> tuple[str, str]:
    if not isinstance(payload, dict) or not isinstance(payload.get("id"), str):
        raise TransportError(f"{context}: an entity without an id")
    return (payload["id"], str(payload.get("name", "")))


def _config_path(config_id: str) -> str:
    return f"{CONFIGURATIONS}/{_id(config_id)}"


def _id(value: str) -> str:
    if not value:
        raise ReconcilerError("an object id is empty")
    return quote(value, safe="")
