"""The adapter of ``kind: webDeployment``: a configuration and its deployment as one object.

Reads (docs/api-notes.md#webdeployments: listings first, single reads only where a
listing cannot describe an object):

- ``list``: the configurations listing (one entity per configuration, its draft) and the
  deployments listing with ``expand=Configuration`` (each entity carries the version it
  serves). A configuration's versions listing is read only for a configuration whose draft
  differs from what is served (an unpublished edit, or a version published out of band) or
  that no deployment uses.
- ``get``: with shared polls (the default), the pair from one listing of each kind at most
  2 s old (shared by every re-read meanwhile; the executor re-reads each object before its
  write); by id (the deployment, the served version, the draft, and the versions when they
  differ) for an object this adapter has written, one the listing does not show, or with
  ``RECONCILER_STATUS_POLLS=per-object``. The write that follows a ``get`` reuses what it
  read instead of reading the object again.

Writes, in the contract's order, every wait on the session's injected clock:

- create: create the configuration, wait for its draft to be Active, publish it, create the
  deployment on that version; ``settle`` then waits for the deployment to have the status the
  spec asks for (Active unless it says Inactive), and an Error ends the wait at once.
- update: publish only when the plan said so (the desired configuration differs from the one
  served, or the deployment does not serve the latest version). Publish publishes the draft,
  so the draft is first written from the version customers are served plus the spec:
  fields this tool does not model survive, and an unpublished edit of the draft is discarded,
  never published unreviewed. Then a read-modify-write PUT of the deployment onto the new
  version, never sending back a server status (Pending, Error, Deleting); a pair without
  a deployment gets one.
- delete: delete the deployment, wait until it is gone, then delete the configuration when no
  other deployment uses it (the listing that showed it gone says), and wait until it is gone.

Every wait goes through a ``StatusPoller`` (``reconciler.genesys.status_poller``): objects that
wait at once are looked at together through the listings, and a waiting action gives its
worker slot back. A create builds its result from its own writes' answers.

Names are not unique on the server, so nothing stops a second object of one name: after a lost
create answer the adapter looks the name up (tolerating listing lag for a bounded time) and
never repeats a write blindly (``CreateSafety.LOOKUP_ONLY``). A 400 is never retried, except
a publish while the draft is still Pending. A 400 "feature is not yet implemented" becomes one line
naming the field the org lacks.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from reconciler import waits as progress
from reconciler.backend import CreateSafety, Resources, StepRecords, before_write, wrote
from reconciler.errors import (
    ApiError,
    NotFoundError,
    OutcomeUnknownError,
    ReconcilerError,
    TransportError,
)
from reconciler.genesys import responses
from reconciler.genesys.calls import forget_recorders
from reconciler.genesys.paging import MAX_PAGES, cursor_listing, page_number_listing
from reconciler.genesys.session import GenesysSession
from reconciler.genesys.status_poller import (
    SHARED,
    PollTiming,
    StatusFailed,
    StatusPoller,
    StatusTimeout,
    released,
)
from reconciler.kinds import webdeployment_rules as rules
from reconciler.kinds.webdeployment import LIVE, OWNER, WEB_DEPLOYMENT
from reconciler.model import LiveResource

CONFIGURATIONS = "/api/v2/webdeployments/configurations"
DEPLOYMENTS = "/api/v2/webdeployments/deployments"
FLOWS = "/api/v2/flows"
SUPPORTED_CONTENT = "/api/v2/conversations/messaging/supportedcontent"
#: The flow type a deployment routes to (the flows listing's ``type`` filter; answers say it
#: in upper case).
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

    def __init__(
        self, session: GenesysSession, waits: Waits, what: str, *, final: bool = False
    ) -> None:
        self._session = session
        self._waits = waits
        self._started = session.clock()
        self._delay = waits.first_delay
        self._what = what  # for the progress lines of a long wait
        self._since = progress.started()
        self._final = final  # no write follows: a stopping run may cut it

    def expired(self, deadline: float) -> bool:
        return self._session.clock() - self._started >= deadline

    async def wait(self) -> None:
        sleep = self._session.sleep(self._delay)
        await progress.waited(sleep, self._what, since=self._since, final=self._final)
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
        mode = getattr(session, "status_polls", SHARED)
        timing = PollTiming(
            first_delay=self.waits.first_delay,
            max_delay=self.waits.max_delay,
            listing_lag=self.waits.listing_lag,
        )
        #: Drafts waiting for Active and configurations waiting to be gone, one listing.
        self.drafts = StatusPoller(
            session,
            list_all=lambda: self._cursor(CONFIGURATIONS, {"showOnlyPublished": "false"}),
            read_one=self._draft,
            timing=timing,
            mode=mode,
        )
        #: Deployments waiting for Active and deployments waiting to be gone.
        self.deployments = StatusPoller(
            session,
            list_all=lambda: self._cursor(DEPLOYMENTS, {}),
            read_one=self._deployment_or_none,
            timing=timing,
            mode=mode,
        )
        #: What ``get`` just read of each object, for the write that follows it at once.
        self._reads: dict[str, _Read] = {}
        #: Objects this adapter has written to (re-read by id from then on).
        self._written: set[str] = set()
        self._snapshot: _Listing | None = None
        self._snapshot_task: asyncio.Future[_Listing] | None = None
        self._next_listing: asyncio.Future[_Listing] | None = None

    def _poll(self, what: str, *, final: bool = False) -> _Poll:
        return _Poll(self._session, self.waits, what, final=final)

    # -- reading ------------------------------------------------------------------------

    async def list(self) -> list[LiveResource]:
        drafts = await self._cursor(CONFIGURATIONS, {"showOnlyPublished": "false"})
        deployments = await self._cursor(DEPLOYMENTS, {"expand": "Configuration"})
        for draft in drafts:
            _entity_id(draft, f"GET {CONFIGURATIONS}")
        for deployment in deployments:
            _check_deployment(deployment, f"GET {DEPLOYMENTS}")
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
        """The pair as it is now. With shared polls, from a listing at most
        ``_LISTING_FRESH_SECONDS`` old (one listing answers every re-read meanwhile, the
        executor re-reading each object before its write), except for an object this adapter
        has written (its re-read after a lost answer must see that write) or one the listing
        does not show: those are read by id."""
        if object_id.startswith(ORPHAN):
            config_id = object_id.removeprefix(ORPHAN)
            return await self._pair(None, None, await self._draft(config_id))
        deployment: dict[str, Any] | None = None
        draft: dict[str, Any] | None = None
        listed = False
        if self.drafts.mode == SHARED and object_id not in self._written:
            snapshot = await self._listing()
            deployment = snapshot.deployments.get(object_id)
            if deployment is not None:
                listed = True
                ref = deployment.get("configuration") or {}
                draft = snapshot.drafts.get(str(ref.get("id", "")))
                listed = draft is not None
        if listed and deployment is not None:
            ref = deployment.get("configuration") or {}
            served = (
                ref
                if _has_content(ref)
                else await self._version(str(ref.get("id", "")), ref.get("version"))
            )
        else:
            path = f"{DEPLOYMENTS}/{_id(object_id)}"
            deployment = dict(_check_deployment(await self._json("GET", path), f"GET {path}"))
            ref = deployment.get("configuration") or {}
            served = await self._version(str(ref.get("id", "")), ref.get("version"))
            draft = await self._draft(str(ref.get("id", "")))
        pair = await self._pair(deployment, served, draft)
        self._reads[object_id] = _Read(
            at=self._session.clock(),
            live=pair,
            deployment=_reference_only(deployment),
            served=served if served is not None and _has_content(served) else None,
            draft=draft,
        )
        return pair

    async def _listing(self) -> _Listing:
        """Both listings, taken at most ``_LISTING_FRESH_SECONDS`` ago; concurrent callers
        share one."""
        current = self._snapshot
        if current is not None and self._session.clock() - current.taken <= _LISTING_FRESH_SECONDS:
            return current
        if self._snapshot_task is None or self._snapshot_task.done():
            self._snapshot_task = asyncio.ensure_future(self._take_listing())
        return await asyncio.shield(self._snapshot_task)

    async def _take_listing(self) -> _Listing:
        forget_recorders()  # every re-reading action's, none in particular
        taken = self._session.clock()
        drafts = await self._cursor(CONFIGURATIONS, {"showOnlyPublished": "false"})
        deployments = await self._cursor(DEPLOYMENTS, {"expand": "Configuration"})
        for draft in drafts:
            _entity_id(draft, f"GET {CONFIGURATIONS}")
        for deployment in deployments:
            _check_deployment(deployment, f"GET {DEPLOYMENTS}")
        self._snapshot = _Listing(
            taken=taken,
            deployments={str(d.get("id")): d for d in deployments},
            drafts={str(d.get("id")): d for d in drafts},
        )
        return self._snapshot

    def _just_read(self, object_id: str) -> _Read | None:
        """What ``get`` read of ``object_id`` right before (the executor re-reads every
        object before its write; the adapter does not read it a second time)."""
        read = self._reads.pop(object_id, None)
        if read is None or self._session.clock() - read.at > _JUST_READ_SECONDS:
            return None
        return read

    def _wrote(self, object_id: str) -> None:
        """About to write ``object_id``: nothing read of it before stands in for a read."""
        self._written.add(object_id)
        self._reads.pop(object_id, None)

    async def named(self, name: str) -> Resources:
        """Every pair with this name as listed now (a configuration alone included), each
        with its configuration's ``dateCreated``.

        The listings are taken after the call (so they reflect the caller's create), and one
        taking serves every call made meanwhile: the executor asks this after each create. Only
        the pairs of this name are built (their versions read when needed), not the org's."""
        key = WEB_DEPLOYMENT.identity(name)
        listing = await self._listing_after_now()
        used = {
            str((d.get("configuration") or {}).get("id", "")) for d in listing.deployments.values()
        }
        pairs: Resources = []
        for deployment in listing.deployments.values():
            if WEB_DEPLOYMENT.identity(str(deployment.get("name", ""))) != key:
                continue
            ref = deployment.get("configuration") or {}
            config_id = str(ref.get("id", ""))
            served = (
                ref if _has_content(ref) else await self._version(config_id, ref.get("version"))
            )
            pairs.append(await self._pair(deployment, served, listing.drafts.get(config_id)))
        for config_id, draft in listing.drafts.items():
            if config_id not in used and WEB_DEPLOYMENT.identity(str(draft.get("name", ""))) == key:
                pairs.append(await self._pair(None, None, draft))
        return pairs

    async def _listing_after_now(self) -> _Listing:
        """Both listings, taken after this call: calls made while one waits to be taken
        (``_GATHER_SECONDS``) share it."""
        pending = self._next_listing
        if pending is None or pending.done():
            pending = self._next_listing = asyncio.ensure_future(self._gathered_listing())
        if self.drafts.mode != SHARED:  # the behaviour before: a wait keeps its worker
            return await asyncio.shield(pending)
        async with released():  # a wait for a shared listing holds no worker either
            return await asyncio.shield(pending)

    async def _gathered_listing(self) -> _Listing:
        await self._session.sleep(_GATHER_SECONDS)
        self._next_listing = None  # calls from now on need a listing taken after them
        return await self._take_listing()

    async def find(self, name: str) -> LiveResource | None:
        """The pair with this name, waiting out listing lag for a bounded time."""
        key = WEB_DEPLOYMENT.identity(name)
        poll = self._poll(f"web deployment {name!r} to be listed")
        while True:
            for pair in await self.list():
                if pair.key == key:
                    return pair
            if poll.expired(self.waits.listing_lag):
                return None
            await poll.wait()

    async def catalog(self, targets: Collection[str]) -> Mapping[str, Sequence[tuple[str, str]]]:
        """The flows a deployment names by name, read only when a spec does (``targets``):
        listing flows needs a permission a plan by ids does not. Supported-content profiles
        are a kind of their own (``kind: supportedContent``): the planner lists that kind
        instead, once."""
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
        return found

    async def settle_steps(
        self, steps: Sequence[Mapping[str, Any]], resource: LiveResource | None
    ) -> StepRecords:
        """Each step intent of a killed run's action judged against the org: was that write
        committed, and which ids did it make (a configuration create's id is found by name
        and owner)."""
        facts = (resource.body.get(LIVE) if resource is not None else None) or {}
        settled: StepRecords = []
        for step in steps:
            record = {k: v for k, v in step.items() if k != "intentId"}
            name = str(step.get("step", ""))
            judge = _STEP_JUDGES.get(name)
            if judge is None:
                settled.append(record)  # not this adapter's step (a twin's delete...)
                continue
            record.update(await judge(self, step, facts))
            settled.append(record)
        return settled

    async def _step_configuration_create(
        self, step: Mapping[str, Any], facts: Mapping[str, Any]
    ) -> dict[str, Any]:
        config_id = facts.get("configurationId")
        if not config_id:
            key = WEB_DEPLOYMENT.identity(str(step.get("name", "")))
            owned = [
                str(d.get("id"))
                for d in await self._cursor(CONFIGURATIONS, {"showOnlyPublished": "false"})
                if WEB_DEPLOYMENT.identity(str(d.get("name", ""))) == key
                and rules.read_marker(d.get("description")) == step.get("owner")
            ]
            config_id = owned[0] if len(owned) == 1 else None
        return {"committed": bool(config_id), "configurationId": config_id}

    async def _step_configuration_draft(
        self, step: Mapping[str, Any], facts: Mapping[str, Any]
    ) -> dict[str, Any]:
        draft = await self._draft(str(step.get("configurationId", "")))
        moved = draft is not None and draft.get("dateModified") != step.get("draftModified")
        return {"committed": moved}

    async def _step_configuration_publish(
        self, step: Mapping[str, Any], facts: Mapping[str, Any]
    ) -> dict[str, Any]:
        latest = await self._latest(str(step.get("configurationId", "")), tolerate_missing=True)
        before = step.get("fromVersion")
        committed = latest is not None and (before is None or _newer(latest, str(before)))
        return {"committed": committed, **({"version": latest} if committed else {})}

    async def _step_deployment_create(
        self, step: Mapping[str, Any], facts: Mapping[str, Any]
    ) -> dict[str, Any]:
        found = facts.get("deploymentId")
        if not found or str(facts.get("configurationId")) != str(step.get("configurationId")):
            key = WEB_DEPLOYMENT.identity(str(step.get("name", "")))
            matches = [
                str(d.get("id"))
                for d in await self._cursor(DEPLOYMENTS, {})
                if WEB_DEPLOYMENT.identity(str(d.get("name", ""))) == key
                and rules.read_marker(d.get("description")) == step.get("owner")
                and str((d.get("configuration") or {}).get("id")) == step.get("configurationId")
            ]
            found = matches[0] if len(matches) == 1 else None
        return {"committed": bool(found), "deploymentId": found}

    async def _step_deployment_update(
        self, step: Mapping[str, Any], facts: Mapping[str, Any]
    ) -> dict[str, Any]:
        try:
            path = f"{DEPLOYMENTS}/{_id(str(step.get('deploymentId', '')))}"
            current = await self._json("GET", path)
        except NotFoundError:
            return {"committed": False}
        return {"committed": current.get("dateModified") != step.get("dateModified")}

    async def _step_deployment_delete(
        self, step: Mapping[str, Any], facts: Mapping[str, Any]
    ) -> dict[str, Any]:
        try:
            await self._session.request("GET", f"{DEPLOYMENTS}/{_id(str(step['deploymentId']))}")
        except NotFoundError:
            return {"committed": True}
        return {"committed": False}

    async def _step_configuration_delete(
        self, step: Mapping[str, Any], facts: Mapping[str, Any]
    ) -> dict[str, Any]:
        gone = await self._draft(str(step.get("configurationId", ""))) is None
        return {"committed": gone}

    # -- writing ------------------------------------------------------------------------

    async def create(self, body: Mapping[str, Any]) -> LiveResource:
        owner = _owner(body)
        config_id, draft = await self._create_configuration(body, owner)
        try:
            # A new configuration has no version yet: nothing to read before its publish.
            published = await self._publish(config_id, before=None)
            version = str(published["version"])
            deployment = await self._create_deployment(body, owner, config_id, version)
        except OutcomeUnknownError as exc:
            # Not the create's own answer: the configuration exists (a lookup of the name
            # would find it and call it someone else's). Nothing is repeated blindly; the next
            # plan sees the configuration alone and completes the pair.
            raise ReconcilerError(
                f"web deployment {body['name']!r}: its configuration {config_id} was created, "
                f"then {exc}; not repeated: run apply again, it completes the pair"
            ) from exc
        return _settle_to(
            await self._pair_written(deployment, published, draft), _wanted_status(body, None)
        )

    async def update(
        self, object_id: str, body: Mapping[str, Any], *, revision: str
    ) -> LiveResource:
        owner = _owner(body)
        read = self._just_read(object_id)
        live = read.live if read is not None else await self.get(object_id)
        self._wrote(object_id)
        facts = live.body[LIVE]
        config_id = str(facts["configurationId"])
        wanted, current = WEB_DEPLOYMENT.comparable(body, live.body)
        version = facts.get("latestVersion")
        published: dict[str, Any] | None = None
        written_draft: dict[str, Any] | None = read.draft if read is not None else None
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
            base: dict[str, Any] | None = None
            if (
                read is not None
                and read.served is not None
                and reviewed == facts.get("servedVersion")
            ):
                base = read.served  # the re-read before this write read it already
            elif reviewed:
                base = await self._version(config_id, reviewed)
            if base is None:
                base = (
                    written_draft
                    if written_draft is not None
                    else await self._draft_json(config_id)
                )
            sent = rules.overlay(
                rules.strip_server_fields_configuration(base),
                _configuration_fields(body, owner, str(base.get("description", ""))),
            )
            await before_write(
                "configuration.draft",
                configurationId=config_id,
                draftModified=_draft_modified(live),
            )
            written_draft = await self._write(
                lambda: self._json("PUT", f"{_config_path(config_id)}/versions/draft", body=sent)
            )
            wrote("configuration.draft", configurationId=config_id)
            published = await self._publish(config_id, before=version)
            version = str(published["version"])
        if version is None:
            raise WaitError(
                f"web deployment {body.get('name')!r}: its configuration has no published "
                "version to serve"
            )
        served = facts.get("servedVersion")
        if pinned is None and _newer(served, version):
            # Only a pin moves a deployment back; a versions listing that lags must not.
            raise TransportError(
                f"web deployment {body.get('name')!r}: GET {_config_path(config_id)}/versions "
                f"says the latest version is {version}, below version {served} the deployment "
                "serves; not moved back (pin deployment.configurationVersion to roll back)"
            )
        before: Any = None
        if facts.get("deploymentId") is None:
            deployment = await self._create_deployment(
                body, owner, config_id, version, str(live.body.get("description", ""))
            )
        else:
            deployment_id = str(facts["deploymentId"])
            current_doc = (
                read.deployment
                if read is not None and read.deployment is not None
                else await self._json("GET", f"{DEPLOYMENTS}/{_id(deployment_id)}")
            )
            before = current_doc.get("status")
            fields = _deployment_fields(
                body, owner, config_id, version, str(current_doc.get("description", ""))
            )
            base = rules.strip_server_fields_deployment(current_doc)
            if base.get("status") not in rules.WRITABLE_STATUSES:
                # Pending, Error and Deleting are the server's to set: never sent back.
                base.pop("status", None)
            sent = rules.overlay(base, fields)
            await before_write(
                "deployment.update",
                deploymentId=deployment_id,
                version=version,
                dateModified=current_doc.get("dateModified"),
            )
            deployment = await self._write(
                lambda: self._json("PUT", f"{DEPLOYMENTS}/{_id(deployment_id)}", body=sent)
            )
            wrote("deployment.update", deploymentId=deployment_id, version=version)
        wanted_status = _wanted_status(body, before)
        if published is None:
            return _settle_to(await self._pair_of(deployment), wanted_status)
        return _settle_to(
            await self._pair_written(deployment, published, written_draft), wanted_status
        )

    async def delete(self, object_id: str) -> LiveResource:
        """Delete the pair; returns what was deleted (ids and served version, for events)."""
        if object_id.startswith(ORPHAN):
            config_id = object_id.removeprefix(ORPHAN)
            await self._delete_configuration(config_id)
            return _deleted(object_id, "", None, config_id, None)
        read = self._just_read(object_id)
        self._wrote(object_id)
        deployment = (
            read.deployment
            if read is not None and read.deployment is not None
            else await self._json("GET", f"{DEPLOYMENTS}/{_id(object_id)}")
        )
        ref = deployment.get("configuration") or {}
        config_id = str(ref.get("id", ""))
        await before_write("deployment.delete", deploymentId=object_id, configurationId=config_id)
        sent_at = self._session.clock()
        try:
            await self._session.request("DELETE", f"{DEPLOYMENTS}/{_id(object_id)}")
        except NotFoundError:
            # Gone: by this request's earlier attempt (its answer lost), or by someone else.
            wrote("deployment.delete", deploymentId=object_id, found="already gone")
            raise
        wrote("deployment.delete", deploymentId=object_id)
        await self._until_gone(self.deployments, "deployment", object_id)
        # The listing that showed it gone (when one did) also shows who else uses the
        # configuration; otherwise one listing says.
        others = self.deployments.listing_since(sent_at)
        if others is None:
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
        try:
            deployment = await self.deployments.wait(
                str(deployment_id),
                wanted=target,
                timeout=self.waits.deployment_active,
                what=f"its deployment to become {target}",
                final=True,
            )
        except StatusFailed as exc:
            raise WaitError(
                f"web deployment {resource.name!r} (id {deployment_id}) turned Error: "
                f"{_server_reason(exc.entity or {})}"
            ) from exc
        except StatusTimeout as exc:
            hint = ""
            if target == "Inactive" and exc.last == "Active":
                hint = (
                    "; this org may not deactivate a deployment whose status is written "
                    "Inactive ('reconciler doctor --write-probe' checks it)"
                )
            raise WaitError(
                f"web deployment {resource.name!r} (id {deployment_id}) was not {target} "
                f"after {self.waits.deployment_active:g} s (last status: {exc.last}){hint}; the "
                "next run checks it again"
            ) from exc
        return _with_deployment(resource, deployment or {})

    # -- steps ----------------------------------------------------------------------------

    async def _create_configuration(
        self, body: Mapping[str, Any], owner: str
    ) -> tuple[str, dict[str, Any] | None]:
        """The new configuration's id and its draft as the create answered it (None when the
        answer was lost and the configuration was found by name)."""
        sent = _configuration_fields(body, owner)
        await before_write("configuration.create", name=str(body["name"]), owner=owner)
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
            wrote("configuration.create", configurationId=found)
            return found, None
        config_id = _entity_id(created, f"POST {CONFIGURATIONS}")
        wrote("configuration.create", configurationId=config_id)
        return config_id, created

    async def _find_configuration(self, name: str, owner: str) -> str | None:
        """The one configuration of this name and owner, waiting out listing lag."""
        key = WEB_DEPLOYMENT.identity(name)
        poll = self._poll("its configuration to be listed")
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

    async def _publish(self, config_id: str, *, before: str | None) -> dict[str, Any]:
        """Wait for the draft to be Active, publish it, return the new version as the publish
        answered it (``version`` at least). ``before``: the latest version before this publish.

        A 400 while the draft is still Pending is waited out within the same deadline; a lost
        answer is settled by reading the versions (an extra version is harmless, a missing one
        is not).
        """
        path = f"{_config_path(config_id)}/versions/draft"
        clock = self._session.clock
        started = clock()
        last = ""
        while True:
            remaining = max(0.0, self.waits.draft_active - (clock() - started))
            try:
                await self.drafts.wait(
                    config_id,
                    wanted="Active",
                    timeout=remaining,
                    what="its configuration draft to become Active, to publish it",
                )
            except StatusFailed as exc:
                raise WaitError(f"configuration {config_id}: its draft turned Error") from exc
            except StatusTimeout as exc:
                raise WaitError(
                    f"configuration {config_id}: the draft could not be published within "
                    f"{self.waits.draft_active:g} s (last: {last or exc.last})"
                ) from exc
            await before_write(
                "configuration.publish", configurationId=config_id, fromVersion=before
            )
            try:
                published = await self._json("POST", f"{path}/publish")
                version = published.get("version")
                if not isinstance(version, str) or not version.isdigit():
                    # 200 without a version: not an answer to build on. The versions
                    # listing says whether the publish was made, as after a lost answer.
                    raise OutcomeUnknownError(
                        f"POST {path}/publish answered HTTP 200 without a version "
                        f"(got {responses.describe_value(version)})"
                    )
                wrote("configuration.publish", configurationId=config_id, version=version)
                return published
            except OutcomeUnknownError:
                after = await self._latest(config_id, tolerate_missing=False)
                if after is not None and after != before and _newer(after, before):
                    wrote("configuration.publish", configurationId=config_id, version=after)
                    return {"version": after}
                raise
            except ApiError as exc:
                if exc.status != 400:
                    raise
                last = f"publish refused: {exc.message}"
            if clock() - started >= self.waits.draft_active:
                raise WaitError(
                    f"configuration {config_id}: the draft could not be published within "
                    f"{self.waits.draft_active:g} s (last: {last})"
                )
            await progress.waited(
                self._session.sleep(self.waits.first_delay),
                "its configuration draft to become Active, to publish it",
            )

    async def _create_deployment(
        self, body: Mapping[str, Any], owner: str, config_id: str, version: str, live: str = ""
    ) -> dict[str, Any]:
        sent = _deployment_fields(body, owner, config_id, version, live)
        await before_write(
            "deployment.create",
            name=str(body["name"]),
            owner=owner,
            configurationId=config_id,
            version=version,
        )
        try:
            created = await self._write(lambda: self._json("POST", DEPLOYMENTS, body=sent))
        except OutcomeUnknownError:
            found = await self._find_deployment(str(body["name"]), owner, config_id)
            if found is None:
                raise
            wrote("deployment.create", deploymentId=found, configurationId=config_id)
            return await self._json("GET", f"{DEPLOYMENTS}/{_id(found)}")
        wrote(
            "deployment.create",
            deploymentId=_entity_id(created, f"POST {DEPLOYMENTS}"),
            configurationId=config_id,
        )
        return created

    async def _find_deployment(self, name: str, owner: str, config_id: str) -> str | None:
        """The one deployment of this name and owner on ``config_id``, waiting out listing lag
        (the configuration alone is listed meanwhile: it is not the deployment)."""
        key = WEB_DEPLOYMENT.identity(name)
        poll = self._poll("its deployment to be listed")
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
        await before_write("configuration.delete", configurationId=config_id)
        try:
            await self._session.request("DELETE", _config_path(config_id))
        except NotFoundError:
            # Gone: by this request's earlier attempt (its answer lost), or by someone else.
            wrote("configuration.delete", configurationId=config_id, found="already gone")
            return
        wrote("configuration.delete", configurationId=config_id)
        await self._until_gone(self.drafts, "configuration", config_id)

    async def _until_gone(self, poller: StatusPoller, what: str, object_id: str) -> None:
        try:
            await poller.wait(
                object_id,
                wanted=None,
                timeout=self.waits.deleted,
                what=f"its {what} to be deleted",
            )
        except StatusTimeout as exc:
            raise WaitError(
                f"{what} {object_id} was still there {self.waits.deleted:g} s after its delete "
                f"(last status: {exc.last})"
            ) from exc

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

    async def _pair_written(
        self,
        deployment: Mapping[str, Any],
        published: Mapping[str, Any],
        draft: Mapping[str, Any] | None,
    ) -> LiveResource:
        """The pair just written, from the writes' own answers: the deployment, the version
        published (the latest, so no versions read) and the draft. Read back only what an
        answer lacked (a lost answer settled by a lookup)."""
        if not _has_content(published) or draft is None:
            return await self._pair_of(deployment)
        return await self._pair(deployment, published, draft, latest=str(published["version"]))

    async def _deployment_or_none(self, deployment_id: str) -> dict[str, Any] | None:
        try:
            return await self._json("GET", f"{DEPLOYMENTS}/{_id(deployment_id)}")
        except NotFoundError:
            return None

    async def _pair(
        self,
        deployment: Mapping[str, Any] | None,
        served: Mapping[str, Any] | None,
        draft: Mapping[str, Any] | None,
        *,
        latest: str | None = None,
    ) -> LiveResource:
        """``latest``: the latest published version when the caller knows it (not read)."""
        config = served if served is not None else draft or {}
        # The deployment's reference names it when neither version could be read (a lagging
        # listing, a configuration that reads 404 right after its create).
        ref = (deployment or {}).get("configuration") or {}
        config_id = str((draft or config).get("id", "") or ref.get("id", ""))
        served_version = str(served["version"]) if served is not None else None
        draft_content = _content(draft) if draft is not None else None
        served_content = _content(served) if served is not None else None
        draft_differs = draft is not None and (
            served is None
            or rules.normalise_configuration(draft_content or {})
            != rules.normalise_configuration(served_content or {})
        )
        if latest is None:
            latest = served_version
            if draft_differs or served is None or _edited_since(draft, served):
                latest = await self._latest(config_id, tolerate_missing=True, served=served_version)
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
        # The configuration's creation: the earliest date among its versions read (a draft's
        # dateCreated is its version's, which a server may renew when it publishes).
        dates = [
            str(v["dateCreated"])
            for v in (draft, served)
            if v is not None and isinstance(v.get("dateCreated"), str)
        ]
        created = min(dates) if dates else ""
        return LiveResource(
            kind=self.kind,
            id=object_id,
            revision=revision,
            body=body,
            date_created=created,
            origin_id=config_id,
        )

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

    async def _latest(
        self, config_id: str, *, tolerate_missing: bool, served: str | None = None
    ) -> str | None:
        """The newest published version; a listing whose newest is below ``served`` (the
        version a deployment is known to serve) is an error for that read, never "an older
        version"."""
        path = f"{_config_path(config_id)}/versions"
        try:
            versions = await self._cursor(path, {}, key="version")
        except NotFoundError:
            if tolerate_missing:
                return None
            raise
        latest = rules.latest_published(v.get("version") for v in versions)
        if served is not None and _newer(served, latest):
            raise TransportError(
                f"GET {path}: the versions listing ends at {latest or 'none'}, below version "
                f"{served} that a deployment serves (a lagging or wrong answer)"
            )
        return latest

    async def _cursor(self, path: str, params: Mapping[str, str], key: str = "id") -> Entities:
        return await cursor_listing(
            self._session, path, params=params, max_pages=self._max_pages, key=key
        )

    async def _json(self, method: str, path: str, *, body: Any = None) -> dict[str, Any]:
        response = await self._session.request(method, path, body=body)
        return responses.json_object(response)


#: How long what ``get`` read stands in for a re-read by the write that follows it.
_JUST_READ_SECONDS = 5.0
#: How old the listing that answers a re-read may be.
_LISTING_FRESH_SECONDS = 2.0
#: How long a name lookup after a create waits for others to share its listing.
_GATHER_SECONDS = 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class _Listing:
    taken: float
    deployments: dict[str, dict[str, Any]]
    drafts: dict[str, dict[str, Any]]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Read:
    at: float
    live: LiveResource
    #: The deployment with its configuration reference (as its read by id answers it, not expanded).
    deployment: dict[str, Any] | None
    #: The version it serves, when the read had it whole.
    served: dict[str, Any] | None
    draft: dict[str, Any] | None


def _with_deployment(resource: LiveResource, deployment: Mapping[str, Any]) -> LiveResource:
    """``resource`` with its deployment's status as the wait last saw it (the status it
    waited for), and the wait's own fact dropped."""
    body = dict(resource.body)
    facts = {k: v for k, v in (body.get(LIVE) or {}).items() if k != SETTLE_TO}
    status = deployment.get("status", facts.get("deploymentStatus"))
    facts["deploymentStatus"] = status
    body[LIVE] = facts
    block = body.get("deployment")
    if isinstance(block, dict) and status in rules.WRITABLE_STATUSES:
        body["deployment"] = {**block, "status": status}
    return dataclasses.replace(resource, body=body)


def _reference_only(deployment: Mapping[str, Any]) -> dict[str, Any]:
    """A deployment as its read by id answers it: its configuration as a reference (id,
    version), not the version a listing's ``expand`` put there (a read-modify-write sends it
    back)."""
    ref = deployment.get("configuration") or {}
    return {
        **deployment,
        "configuration": {k: ref[k] for k in ("id", "version", "name") if k in ref},
    }


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


_StepJudge = Callable[
    [WebDeploymentAdapter, Mapping[str, Any], Mapping[str, Any]], Awaitable[dict[str, Any]]
]
_STEP_JUDGES: dict[str, _StepJudge] = {
    "configuration.create": WebDeploymentAdapter._step_configuration_create,
    "configuration.draft": WebDeploymentAdapter._step_configuration_draft,
    "configuration.publish": WebDeploymentAdapter._step_configuration_publish,
    "deployment.create": WebDeploymentAdapter._step_deployment_create,
    "deployment.update": WebDeploymentAdapter._step_deployment_update,
    "deployment.delete": WebDeploymentAdapter._step_deployment_delete,
    "configuration.delete": WebDeploymentAdapter._step_configuration_delete,
}


def _draft_modified(pair: LiveResource) -> str | None:
    """The draft's ``dateModified`` as the pair was read (the last part of its revision)."""
    parts = pair.revision.split("|")
    return parts[3] if len(parts) == 4 else None


def _newer(version: Any, than: Any) -> bool:
    """Whether version ``version`` is above ``than`` (both numbers as strings; anything else
    is never newer)."""
    if not (isinstance(version, str) and version.isdigit()):
        return False
    if not (isinstance(than, str) and than.isdigit()):
        return than is None
    return int(version) > int(than)


def _entity_id(payload: Mapping[str, Any], context: str) -> str:
    """The id of an object the API answered with; a body without one is an error for that
    request, never an object."""
    value = payload.get("id")
    if not isinstance(value, str) or not value:
        raise TransportError(f"{context}: an answer without an object id (not the documented form)")
    return value


def _check_deployment(payload: Mapping[str, Any], context: str) -> Mapping[str, Any]:
    """A deployment as documented: an id, and a configuration reference with an id."""
    _entity_id(payload, context)
    ref = payload.get("configuration")
    if ref is not None and not (isinstance(ref, dict) and isinstance(ref.get("id"), str)):
        raise TransportError(
            f"{context}: deployment {payload['id']}: field 'configuration' is not a reference "
            "with an id (not the documented shape)"
        )
    return payload


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
