"""The two listing styles (docs/api-notes.md#paging): cursor pages (the configurations,
versions and deployments listings) and page numbers (the flows and supported-content listings).

Cursor pages: ``pageSize`` (default and cap 300; 400 when not a positive integer), opaque
``after``/``before`` cursors (URL-safe base64 of the sort key of the page's edge entity, so a
cursor survives the deletion of that entity), a relative ``nextUri`` that is absent on the last
page (with ``sticky`` the last page repeats the ``after`` it was called with, so a client's
non-advancing-cursor guard is exercised), ``previousUri``, ``selfUri`` and ``total`` (the grand
total). Page numbers: the classic ``*EntityListing``.
"""

from __future__ import annotations

import base64
import binascii
import bisect
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from reconciler.sandbox.wire import Detail, Reply, SandboxRequest, problem

Render = Callable[[dict[str, Any]], dict[str, Any]]

CURSOR_PAGE_SIZE = 300
_CURSOR_MARK = "sandbox-cursor:"


def encode_cursor(key: str) -> str:
    raw = (_CURSOR_MARK + key).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> str | None:
    """The sort key inside ``cursor``, or None when it is not one this API issued."""
    try:
        padded = (cursor + "=" * (-len(cursor) % 4)).encode("ascii")
        text = base64.b64decode(padded, altchars=b"-_", validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        return None
    return text[len(_CURSOR_MARK) :] if text.startswith(_CURSOR_MARK) else None


def bad_parameter(name: str, reason: str) -> Reply:
    detail = Detail(error_code="value.invalid", field_name=name, reason=reason)
    return problem(400, "bad.request", f"Invalid paging parameters: {reason}", [detail])


def _positive(raw: str | None, default: int) -> int | None:
    if raw is None:
        return default
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 9 or int(text) < 1:
        return None
    return int(text)


def _carried(request: SandboxRequest, keep: Sequence[str]) -> dict[str, tuple[str, ...]]:
    return {name: request.values(name) for name in keep if request.values(name)}


def cursor_page(
    items: Sequence[tuple[str, dict[str, Any]]],
    request: SandboxRequest,
    path: str,
    *,
    render: Render = dict,
    keep: Sequence[str] = (),
    sticky: bool = False,
    cap: int = CURSOR_PAGE_SIZE,
) -> Reply:
    """One cursor page of ``items`` (``(sort key, stored entity)``, sorted by key, keys
    unique); only the page's entities go through ``render``. ``keep``: query parameters
    carried into the page links (``expand``...). ``cap``: the largest page served (and the
    default when the default is larger)."""
    query = request.query
    size = _positive(query.get("pageSize"), min(CURSOR_PAGE_SIZE, cap))
    if size is None:
        return bad_parameter("pageSize", "pageSize must be a positive integer")
    size = min(size, cap)
    keys = [key for key, _ in items]
    after, before = query.get("after"), query.get("before")
    if after:
        edge = decode_cursor(after)
        if edge is None:
            return bad_parameter("after", "after is not a cursor this API issued")
        start = bisect.bisect_right(keys, edge)
        stop = min(start + size, len(items))
    elif before:
        edge = decode_cursor(before)
        if edge is None:
            return bad_parameter("before", "before is not a cursor this API issued")
        stop = bisect.bisect_left(keys, edge)
        start = max(stop - size, 0)
    else:
        start, stop = 0, min(size, len(items))
    carried = _carried(request, keep)

    def uri(**cursor: str) -> str:
        return f"{path}?{urlencode({'pageSize': size, **carried, **cursor}, doseq=True)}"

    payload: dict[str, Any] = {
        "entities": [render(entity) for _, entity in items[start:stop]],
        "total": len(items),
        "selfUri": uri(**({"after": after} if after else {"before": before} if before else {})),
    }
    if stop < len(items) and stop > start:
        payload["nextUri"] = uri(after=encode_cursor(keys[stop - 1]))
    elif sticky and after:
        payload["nextUri"] = uri(after=after)
    if start > 0 and stop > start:
        payload["previousUri"] = uri(before=encode_cursor(keys[start]))
    return Reply(status=200, payload=payload)


def number_page(
    entities: Sequence[dict[str, Any]],
    request: SandboxRequest,
    path: str,
    *,
    default_size: int = 25,
    max_size: int = 500,
    keep: Sequence[str] = (),
) -> Reply:
    """One page-number page of ``entities`` (already filtered and sorted)."""
    query = request.query
    size = _positive(query.get("pageSize"), default_size)
    if size is None:
        return bad_parameter("pageSize", "pageSize must be a positive integer")
    size = min(size, max_size)
    number = _positive(query.get("pageNumber"), 1)
    if number is None:
        return bad_parameter("pageNumber", "pageNumber must be an integer >= 1")
    carried = _carried(request, keep)

    def uri(page: int) -> str:
        params = {"pageSize": size, "pageNumber": page, **carried}
        return f"{path}?{urlencode(params, doseq=True)}"

    total = len(entities)
    page_count = -(-total // size)
    start = (number - 1) * size
    payload: dict[str, Any] = {
        "entities": [dict(entity) for entity in entities[start : start + size]],
        "pageSize": size,
        "pageNumber": number,
        "total": total,
        "pageCount": page_count,
        "firstUri": uri(1),
        "lastUri": uri(max(page_count, 1)),
        "selfUri": uri(number),
    }
    if number < page_count:
        payload["nextUri"] = uri(number + 1)
    if number > 1:
        payload["previousUri"] = uri(number - 1)
    return Reply(status=200, payload=payload)
