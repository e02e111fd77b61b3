"""The adapter of ``kind: messagingDefaults``: three org settings read and written as one
update-only object (id ``default``):

- ``GET/PUT /api/v2/conversations/messaging/supportedcontent/default`` (the PUT takes a
  SupportedContentReference ``{id}`` and answers the profile);
- ``GET/PUT /api/v2/conversations/messaging/settings/default`` (the PUT takes
  ``{settingId}``); a 404 on the GET means the org has no default setting (then the field is
  absent);
- ``GET/PUT /api/v2/conversations/messaging/threadingtimeline`` (ConversationThreadingWindow,
  written whole).

An update writes only the blocks the desired body has, and only those that differ from what
is read just before. There is no create and no delete: the defaults always exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.backend import CreateSafety, SimpleAdapter
from reconciler.errors import NotFoundError, ReconcilerError
from reconciler.genesys import responses
from reconciler.genesys.session import GenesysSession
from reconciler.kinds.messagingdefaults import IDENTITY, LIVE_ID, MESSAGING_DEFAULTS
from reconciler.model import LiveResource

BASE = "/api/v2/conversations/messaging"
SUPPORTED_CONTENT_DEFAULT = f"{BASE}/supportedcontent/default"
SETTINGS_DEFAULT = f"{BASE}/settings/default"
THREADING_TIMELINE = f"{BASE}/threadingtimeline"


class MessagingDefaultsAdapter(SimpleAdapter):
    kind = MESSAGING_DEFAULTS.name
    create_safety = CreateSafety.LOOKUP_ONLY

    def __init__(self, session: GenesysSession, *, max_pages: int = 0) -> None:
        self._session = session

    async def _optional(self, path: str) -> dict[str, Any] | None:
        try:
            return responses.json_object(await self._session.request("GET", path))
        except NotFoundError:
            return None

    async def get(self, object_id: str = LIVE_ID) -> LiveResource:
        profile = await self._optional(SUPPORTED_CONTENT_DEFAULT)
        setting = await self._optional(SETTINGS_DEFAULT)
        timeline = await self._optional(THREADING_TIMELINE)
        body: dict[str, Any] = {"name": IDENTITY}
        if profile is not None and isinstance(profile.get("id"), str):
            body["supportedContent"] = {"id": profile["id"]}
        if setting is not None and isinstance(setting.get("id"), str):
            body["messagingSetting"] = {"id": setting["id"]}
        if timeline is not None:
            body["threadingTimeline"] = {
                k: v for k, v in timeline.items() if k in ("defaultTimeoutMinutes", "settings")
            }
        revision = MESSAGING_DEFAULTS.content_sha256(body)[:16]
        return LiveResource(kind=self.kind, id=LIVE_ID, revision=revision, body=body)

    async def list(self) -> list[LiveResource]:
        return [await self.get(LIVE_ID)]

    async def find(self, name: str) -> LiveResource | None:
        return await self.get(LIVE_ID)

    async def create(self, body: Mapping[str, Any]) -> LiveResource:
        raise ReconcilerError("the messaging defaults always exist; they are never created")

    async def update(
        self, object_id: str, body: Mapping[str, Any], *, revision: str
    ) -> LiveResource:
        current = (await self.get(LIVE_ID)).body
        profile = body.get("supportedContent")
        if isinstance(profile, dict) and profile.get("id") != (
            current.get("supportedContent") or {}
        ).get("id"):
            await self._session.request(
                "PUT", SUPPORTED_CONTENT_DEFAULT, body={"id": profile["id"]}
            )
        setting = body.get("messagingSetting")
        if isinstance(setting, dict) and setting.get("id") != (
            current.get("messagingSetting") or {}
        ).get("id"):
            await self._session.request("PUT", SETTINGS_DEFAULT, body={"settingId": setting["id"]})
        timeline = body.get("threadingTimeline")
        if isinstance(timeline, dict):
            wanted, seen = MESSAGING_DEFAULTS.comparable(
                {"threadingTimeline": timeline},
                {"threadingTimeline": current.get("threadingTimeline") or {}},
            )
            if wanted != seen:
                sent = {**(current.get("threadingTimeline") or {}), **timeline}
                await self._session.request("PUT", THREADING_TIMELINE, body=sent)
        return await self.get(LIVE_ID)

    async def delete(self, object_id: str) -> None:
        raise ReconcilerError("the messaging defaults are never deleted")
