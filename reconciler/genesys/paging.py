"""The two listing styles of the Genesys API, for any adapter.

- Page numbers (``pageNumber``/``pageCount``, docs/api-notes.md#paging): page 1, then the rest
  concurrently; a listing that grew while it was read is followed, but not forever and not in
  circles; a page that repeats an earlier one is an error (the server does not page).
- Cursors (``after`` copied from ``nextUri``): one page at a time; stop when ``nextUri`` is
  absent or empty, or when its cursor does not advance (the guard every Terraform loop has);
  more pages than the cap is an error, never a loop. A page without an ``entities`` list is an
  error for that read, never an empty page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx

from reconciler.errors import TransportError
from reconciler.genesys import responses
from reconciler.genesys.session import GenesysSession, Params

T = TypeVar("T")

#: Pages a listing may have before the client calls it endless.
MAX_PAGES = 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class Page(Generic[T]):
    """One page of a page-number listing, checked."""

    number: int
    page_count: int
    items: tuple[T, ...]
    has_next: bool


def parse_page(response: httpx.Response, number: int, item: Callable[[Any, str], T]) -> Page[T]:
    """One listing page; its ``pageNumber`` must be the one asked for."""
    context = f"{responses.where(response)} page {number}"
    payload = responses.json_object(response)
    responses.require(payload, "entities", list, context)
    responses.require(payload, "pageCount", int, context)
    if payload.get("pageNumber", number) != number:
        raise TransportError(
            f"{context}: the server answered with page "
            f"{responses.describe_value(payload['pageNumber'])}"
        )
    if payload["pageCount"] < 0:
        raise TransportError(f"{context}: negative pageCount")
    next_uri = payload.get("nextUri")
    if next_uri is not None and not isinstance(next_uri, str):
        raise TransportError(f"{context}: field 'nextUri' is not a string")
    return Page(
        number=number,
        page_count=payload["pageCount"],
        items=tuple(item(entry, context) for entry in payload["entities"]),
        has_next=bool(next_uri),
    )


async def page_number_listing(
    session: GenesysSession,
    path: str,
    item: Callable[[Any, str], T],
    *,
    item_id: Callable[[T], str],
    page_size: int,
    params: Params | None = None,
    max_pages: int = MAX_PAGES,
) -> list[T]:
    """Every item of a page-number listing, each once."""

    async def fetch(number: int) -> Page[T]:
        query = {**(params or {}), "pageSize": page_size, "pageNumber": number}
        return parse_page(await session.request("GET", path, params=query), number, item)

    def ids(page: Page[T]) -> tuple[str, ...]:
        return tuple(item_id(i) for i in page.items)

    first = await fetch(1)
    if first.page_count > max_pages:
        raise TransportError(
            f"GET {path}: the listing claims {first.page_count} pages, "
            f"more than the limit of {max_pages}"
        )
    rest = await session.bounded([fetch(number) for number in range(2, first.page_count + 1)])
    pages = [first, *rest]
    _merge(path, pages, ids)  # a server that ignores page numbers fails here, before more
    seen = {ids(page) for page in pages}
    while pages[-1].has_next and len(pages[-1].items) >= page_size:
        # The listing grew while it was read (or the server pages on and on): follow it,
        # but not forever, and not around in circles.
        if len(pages) >= max_pages:
            raise TransportError(f"GET {path}: the listing did not end after {len(pages)} pages")
        pages.append(await fetch(len(pages) + 1))
        if ids(pages[-1]) in seen:
            _merge(path, pages, ids)  # raises, naming the page it repeats
        seen.add(ids(pages[-1]))
    return _merge(path, pages, ids)


def _merge(
    path: str, pages: Sequence[Page[T]], ids: Callable[[Page[T]], tuple[str, ...]]
) -> list[T]:
    """Items of every page, each once; a page that repeats an earlier one is an error."""
    seen_pages: dict[tuple[str, ...], int] = {}
    seen_ids: set[str] = set()
    merged: list[T] = []
    for page in pages:
        page_ids = ids(page)
        if page_ids and page_ids in seen_pages:
            raise TransportError(
                f"GET {path}: page {page.number} repeats page {seen_pages[page_ids]}; "
                "the server does not page"
            )
        seen_pages.setdefault(page_ids, page.number)
        for item_id, item in zip(page_ids, page.items, strict=True):
            if item_id not in seen_ids:  # a write between two pages can shift one over
                seen_ids.add(item_id)
                merged.append(item)
    return merged


def next_cursor(next_uri: Any) -> str:
    """The ``after`` cursor of a ``nextUri`` (relative or absolute); '' when there is none."""
    if not isinstance(next_uri, str) or not next_uri:
        return ""
    try:
        query = parse_qs(urlsplit(next_uri).query)
    except ValueError:
        return ""
    values = query.get("after") or [""]
    return values[0]


async def cursor_listing(
    session: GenesysSession,
    path: str,
    *,
    page_size: int = 300,
    params: Mapping[str, str | list[str]] | None = None,
    max_pages: int = MAX_PAGES,
    key: str = "id",
) -> list[dict[str, Any]]:
    """Every entity of a cursor listing, as JSON objects, each ``key`` value once (the id; the
    versions of one configuration share their id, so their listing passes ``key="version"``)."""
    after = ""
    entities: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number in range(1, max_pages + 1):
        query: dict[str, str | int | list[str]] = {**(params or {}), "pageSize": str(page_size)}
        if after:
            query["after"] = after
        response = await session.request("GET", path, params=query)
        context = f"{responses.where(response)} page {number}"
        payload = responses.json_object(response)
        # No ``entities`` is not "nothing there": a listing that reads as empty would make
        # apply create a second object for every one it holds.
        responses.require(payload, "entities", list, context)
        page = payload["entities"]
        for entity in page:
            if not isinstance(entity, dict):
                raise TransportError(f"{context}: an entity is not a JSON object")
            entity_id = entity.get(key)
            if isinstance(entity_id, str) and entity_id in seen:
                continue  # a write between two pages can shift one over
            if isinstance(entity_id, str):
                seen.add(entity_id)
            entities.append(entity)
        cursor = next_cursor(payload.get("nextUri"))
        if not cursor or cursor == after:  # the last page, or a cursor that does not advance
            return entities
        after = cursor
    raise TransportError(f"GET {path}: the listing did not end after {max_pages} pages")
