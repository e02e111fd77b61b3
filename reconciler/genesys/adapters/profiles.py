"""What the two messaging profile adapters share: a page-number listing (pageSize 100, no
name filter: every page is read and names are matched here), one profile by id, POST to
create, PATCH to update (the API has no PUT for a profile, and no version to send), DELETE.

Names are not guarded by the server in a way the client can rely on, so a create whose answer
was lost is never repeated blindly: ``find`` looks the name up, waiting out listing lag for a
bounded time on the session's clock (``CreateSafety.LOOKUP_ONLY``). The ownership mark
(``reconciler.kinds.ledger.OWNER``) is never sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

from reconciler.backend import CreateSafety, SimpleAdapter
from reconciler.errors import TransportError
from reconciler.genesys import responses
from reconciler.genesys.paging import MAX_PAGES, page_number_listing
from reconciler.genesys.session import GenesysSession
from reconciler.kinds.base import ResourceKind
from reconciler.kinds.ledger import OWNER
from reconciler.model import LiveResource

PAGE_SIZE = 100


class ProfileAdapter(SimpleAdapter):
    """CRUD of one profile kind; subclasses name the path and convert bodies."""

    #: The collection's path.
    path: ClassVar[str]
    #: The kind's declaration.
    declaration: ClassVar[ResourceKind]
    create_safety = CreateSafety.LOOKUP_ONLY
    #: How long ``find`` waits for a created object to be listed (seconds, session clock).
    listing_lag: float = 10.0

    def __init__(self, session: GenesysSession, *, max_pages: int = MAX_PAGES) -> None:
        self._session = session
        self._max_pages = max_pages
        self.kind = self.declaration.name

    # -- conversion (overridden per kind) -------------------------------------------------

    def live_body(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The writable fields of an API object, as the kind's specs spell them."""
        return {k: v for k, v in payload.items() if k not in self.declaration.server_fields}

    def wire_body(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """A desired body as the API takes it."""
        return {k: v for k, v in body.items() if k != OWNER}

    # -- reading ----------------------------------------------------------------------------

    def resource(self, payload: Any, context: str) -> LiveResource:
        if not isinstance(payload, dict) or not isinstance(payload.get("id"), str):
            raise TransportError(f"{context}: a {self.declaration.label} without an id")
        revision = payload.get("version")
        if revision is None:
            revision = payload.get("dateModified", "")
        return LiveResource(
            kind=self.kind,
            id=payload["id"],
            revision=str(revision),
            body=self.live_body(payload),
            date_created=str(payload.get("dateCreated", "")),
            date_modified=str(payload.get("dateModified", "")),
        )

    async def list(self) -> list[LiveResource]:
        return await page_number_listing(
            self._session,
            self.path,
            self.resource,
            item_id=lambda r: r.id,
            page_size=PAGE_SIZE,
            max_pages=self._max_pages,
        )

    async def get(self, object_id: str) -> LiveResource:
        response = await self._session.request("GET", self._one(object_id))
        return self.resource(responses.json_object(response), responses.where(response))

    async def find(self, name: str) -> LiveResource | None:
        key = self.declaration.identity(name)
        clock = self._session.clock
        started, delay = clock(), 0.5
        while True:
            for resource in await self.list():
                if resource.key == key:
                    return resource
            if clock() - started >= self.listing_lag:
                return None
            await self._session.sleep(delay)
            delay = min(delay * 2, 4.0)

    # -- writing ----------------------------------------------------------------------------

    async def create(self, body: Mapping[str, Any]) -> LiveResource:
        response = await self._session.request("POST", self.path, body=self.wire_body(body))
        return self.resource(responses.json_object(response), responses.where(response))

    async def update(
        self, object_id: str, body: Mapping[str, Any], *, revision: str
    ) -> LiveResource:
        response = await self._session.request(
            "PATCH", self._one(object_id), body=self.wire_body(body)
        )
        return self.resource(responses.json_object(response), responses.where(response))

    async def delete(self, object_id: str) -> None:
        await self._session.request("DELETE", self._one(object_id))

    def _one(self, object_id: str) -> str:
        if not object_id:
            raise TransportError(f"a {self.declaration.label} id is empty")
        return f"{self.path}/{quote(object_id, safe='')}"
