"""The adapter of ``kind: channel``: the contract's ``/api/v2/webmessaging/channels``.

Page-number listing with pageSize 100 (docs/api-notes.md#channels); ``name=`` finds one channel; the
server refuses duplicate names with a 409 naming the holder, which is what makes a repeated
create safe (``CreateSafety.SERVER_UNIQUE_NAMES``); updates carry the version they read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from reconciler.backend import CreateSafety, Resources, SimpleAdapter
from reconciler.errors import TransportError
from reconciler.genesys import responses
from reconciler.genesys.paging import MAX_PAGES, page_number_listing, parse_page
from reconciler.genesys.session import GenesysSession
from reconciler.kinds.channel import CHANNEL, SERVER_FIELDS, VERSION
from reconciler.model import LiveResource

CHANNELS_PATH = "/api/v2/webmessaging/channels"
PAGE_SIZE = 100


class ChannelAdapter(SimpleAdapter):
    kind = CHANNEL.name
    create_safety = CreateSafety.SERVER_UNIQUE_NAMES

    def __init__(self, session: GenesysSession, *, max_pages: int = MAX_PAGES) -> None:
        self._session = session
        self._max_pages = max_pages

    async def list(self) -> list[LiveResource]:
        return list(
            await page_number_listing(
                self._session,
                CHANNELS_PATH,
                responses.channel,
                item_id=lambda channel: channel.id,
                page_size=PAGE_SIZE,
                max_pages=self._max_pages,
            )
        )

    async def get(self, object_id: str) -> LiveResource:
        response = await self._session.request("GET", _channel_path(object_id))
        return responses.channel(responses.json_object(response), responses.where(response))

    async def find(self, name: str) -> LiveResource | None:
        found = await self.named(name)
        return found[0] if found else None

    async def named(self, name: str) -> Resources:
        params: dict[str, str | int] = {"pageSize": PAGE_SIZE, "pageNumber": 1, "name": name}
        response = await self._session.request("GET", CHANNELS_PATH, params=params)
        key = CHANNEL.identity(name)
        return [c for c in parse_page(response, 1, responses.channel).items if c.key == key]

    async def create(self, body: Mapping[str, Any]) -> LiveResource:
        response = await self._session.request("POST", CHANNELS_PATH, body=dict(body))
        return responses.channel(responses.json_object(response), responses.where(response))

    async def update(
        self, object_id: str, body: Mapping[str, Any], *, revision: str | int
    ) -> LiveResource:
        payload = {k: v for k, v in body.items() if k not in SERVER_FIELDS}
        try:
            payload[VERSION] = int(revision)
        except ValueError:
            raise TransportError(
                f"channel {object_id}: revision {revision!r} is not a version"
            ) from None
        response = await self._session.request("PUT", _channel_path(object_id), body=payload)
        return responses.channel(responses.json_object(response), responses.where(response))

    async def delete(self, object_id: str) -> None:
        await self._session.request("DELETE", _channel_path(object_id))


def _channel_path(channel_id: str) -> str:
    if not channel_id:
        raise TransportError("a channel id is empty")
    return f"{CHANNELS_PATH}/{quote(channel_id, safe='')}"
