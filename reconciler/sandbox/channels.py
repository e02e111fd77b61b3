"""The channel routes (docs/api-notes.md#channels): listing, get, create, update, delete, and the
listing lag.

Writes change the state at once (GET by id and write responses see them); the listing is the
state with the writes of the last ``listing_lag_seconds`` undone, so creates appear late,
deletes disappear late and updates show the old content until then.
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode

from reconciler.sandbox.routing import Call, Endpoint, KindRoute, RouteContext
from reconciler.sandbox.validation import check_channel, parse_json
from reconciler.sandbox.wire import MAX_BODY_BYTES, Detail, Reply, SandboxRequest, problem

if TYPE_CHECKING:
    from reconciler.sandbox.state import SandboxState

COLLECTION = "/api/v2/webmessaging/channels"
KIND = "channel"
_SERVER_KEYS = ("id", "version", "dateCreated", "dateModified", "selfUri")
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class _Pending:
    """A write not yet visible in the listing: the channel as the listing still shows it."""

    visible_at: float
    channel_id: str
    before: dict[str, Any] | None


def _page_param(query: Mapping[str, str], name: str, default: int, high: int | None) -> int | None:
    raw = query.get(name)
    if raw is None:
        return default
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        return None
    value = int(text)
    if value < 1 or (high is not None and value > high):
        return None
    return value


def _bad(reason: str, details: list[Detail]) -> Reply:
    reasons = "; ".join(d.reason for d in details) if details else reason
    return problem(400, "bad.request", f"{reason}: {reasons}" if details else reason, details)


class ChannelRoutes(KindRoute):
    """The channel kind's routes over its slice of the state. Called under the app's lock."""

    kinds: ClassVar[tuple[str, ...]] = (KIND,)

    def __init__(self, state: SandboxState, ctx: RouteContext) -> None:
        super().__init__(state, ctx)
        self.lag = ctx.config.listing_lag_seconds
        self._now_iso = ctx.now_iso
        self._new_id = ctx.new_id
        self._pending: deque[_Pending] = deque()
        # Casefolded name -> id, so a duplicate check costs O(1), not a scan of the org.
        self._names = {str(c["name"]).casefold(): key for key, c in state.channels.items()}
        # The sorted listing view, rebuilt only when a write or the lag changed it.
        self._generation = 0
        self._sorted_key: tuple[int, int] = (-1, -1)
        self._sorted: list[dict[str, Any]] = []

    def endpoints(self) -> Sequence[Endpoint]:
        return [
            Endpoint(COLLECTION, {"GET": self._listing, "POST": self._create}),
            Endpoint(
                f"{COLLECTION}/{{id}}",
                {"GET": self._get, "PUT": self._update, "DELETE": self._delete},
            ),
        ]

    def _listing(self, call: Call) -> Reply:
        return self.listing(call.request, call.now)

    def _create(self, call: Call) -> Reply:
        return self.create(call.request, call.now)

    def _get(self, call: Call) -> Reply:
        return self.get(call.params["id"])

    def _update(self, call: Call) -> Reply:
        return self.update(call.request, call.params["id"], call.now)

    def _delete(self, call: Call) -> Reply:
        return self.delete(call.params["id"], call.now)

    @classmethod
    def check_stored(cls, kind: str, obj: dict[str, Any]) -> str:
        problem = _server_fields_problem(obj)
        if problem:
            return problem
        details = check_channel({k: v for k, v in obj.items() if k not in _SERVER_KEYS})
        return details[0].reason if details else ""

    @classmethod
    def check_shape(cls, kind: str, obj: dict[str, Any]) -> str:
        """What a read-only run needs of a stored channel: its server fields and a name."""
        problem = _server_fields_problem(obj)
        if problem:
            return problem
        return "" if isinstance(obj.get("name"), str) else "name must be a string"

    @classmethod
    def check_slice(cls, kind: str, objects: list[dict[str, Any]]) -> str:
        names: set[str] = set()
        for index, channel in enumerate(objects):
            key = str(channel["name"]).casefold()
            if key in names:
                return f"[{index}] repeats an id or a name"
            names.add(key)
        return ""

    # -- listing -----------------------------------------------------------------------------

    def _listing_view(self, now: float) -> list[dict[str, Any]]:
        """Every channel the listing shows at ``now``, sorted by (casefolded name, id)."""
        while self._pending and self._pending[0].visible_at <= now:
            self._pending.popleft()
        key = (self._generation, len(self._pending))
        if key == self._sorted_key:
            return self._sorted
        view = dict(self.state.channels)
        # Newest first, so a channel written twice shows what it was before the oldest
        # write still pending.
        for pending in reversed(self._pending):
            if pending.before is None:
                view.pop(pending.channel_id, None)
            else:
                view[pending.channel_id] = pending.before
        self._sorted = sorted(view.values(), key=lambda c: (str(c["name"]).casefold(), c["id"]))
        self._sorted_key = key
        return self._sorted

    def listing(self, request: SandboxRequest, now: float) -> Reply:
        query = request.query
        size = _page_param(query, "pageSize", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        number = _page_param(query, "pageNumber", 1, None)
        details = []
        if size is None:
            details.append(
                Detail(
                    error_code="value.invalid",
                    field_name="pageSize",
                    reason=f"pageSize must be an integer from 1 to {MAX_PAGE_SIZE}",
                )
            )
        if number is None:
            details.append(
                Detail(
                    error_code="value.invalid",
                    field_name="pageNumber",
                    reason="pageNumber must be an integer >= 1",
                )
            )
        if size is None or number is None:
            return _bad("Invalid paging parameters", details)
        channels = self._listing_view(now)
        name = query.get("name")
        if name is not None:
            key = name.casefold()
            channels = [c for c in channels if str(c["name"]).casefold() == key]
        total = len(channels)
        page_count = -(-total // size)
        start = (number - 1) * size
        entities = [_json_copy(c) for c in channels[start : start + size]]

        def uri(page: int) -> str:
            params: dict[str, str | int] = {"pageSize": size, "pageNumber": page}
            if name is not None:
                params["name"] = name
            return f"{COLLECTION}?{urlencode(params)}"

        payload: dict[str, Any] = {
            "entities": entities,
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

    # -- single channels ---------------------------------------------------------------------

    def get(self, channel_id: str) -> Reply:
        channel = self.state.channels.get(channel_id)
        if channel is None:
            return _not_found(channel_id)
        return Reply(status=200, payload=copy.deepcopy(channel))

    def _body(self, request: SandboxRequest, channel_id: str | None) -> tuple[Any, Reply | None]:
        too_large = _too_large(request)
        if too_large is not None:
            return None, too_large
        doc, reason = parse_json(request.body)
        if reason:
            detail = Detail(error_code="body.invalid", field_name="body", reason=reason)
            return None, problem(400, "bad.request", reason[0].upper() + reason[1:], [detail])
        details = check_channel(doc, channel_id=channel_id)
        if details:
            return None, _bad("The channel is invalid", details)
        return doc, None

    def _duplicate(self, name: str, channel_id: str | None) -> Reply | None:
        holder = self._names.get(name.casefold())
        other = self.state.channels.get(holder) if holder is not None else None
        if other is None or holder == channel_id:
            return None
        detail = Detail(
            error_code="duplicate.value",
            field_name="name",
            entity_id=other["id"],
            entity_name=other["name"],
        )
        return problem(
            409, "general.conflict", f"A channel with the name {name!r} already exists.", [detail]
        )

    def _remember(self, now: float, channel_id: str, before: dict[str, Any] | None) -> None:
        """Book a committed write: name index, listing cache, and the lag queue."""
        if before is not None:
            self._names.pop(str(before["name"]).casefold(), None)
        current = self.state.channels.get(channel_id)
        if current is not None:
            self._names[str(current["name"]).casefold()] = channel_id
        self._generation += 1
        if self.lag > 0:
            self._pending.append(_Pending(now + self.lag, channel_id, before))

    def create(self, request: SandboxRequest, now: float) -> Reply:
        doc, error = self._body(request, None)
        if error is not None:
            return error
        error = self._duplicate(doc["name"], None)
        if error is not None:
            return error
        channel_id = self._new_id()
        while channel_id in self.state.channels:
            channel_id = self._new_id()
        stamp = self._now_iso()
        channel = {"id": channel_id, **doc}
        channel.update(
            version=1,
            dateCreated=stamp,
            dateModified=stamp,
            selfUri=f"{COLLECTION}/{channel_id}",
        )
        self.state.channels[channel_id] = channel
        self._remember(now, channel_id, None)
        return Reply(status=200, payload=copy.deepcopy(channel))

    def update(self, request: SandboxRequest, channel_id: str, now: float) -> Reply:
        current = self.state.channels.get(channel_id)
        if current is None:
            return _too_large(request) or _not_found(channel_id)
        doc, error = self._body(request, channel_id)
        if error is not None:
            return error
        if doc["version"] != current["version"]:
            detail = Detail(error_code="version.mismatch", field_name="version")
            return problem(
                409, "general.conflict", "Version does not match current version.", [detail]
            )
        error = self._duplicate(doc["name"], channel_id)
        if error is not None:
            return error
        body = {k: v for k, v in doc.items() if k not in ("id", "version")}
        channel = {"id": channel_id, **body}
        channel.update(
            version=current["version"] + 1,
            dateCreated=current["dateCreated"],
            dateModified=self._now_iso(),
            selfUri=f"{COLLECTION}/{channel_id}",
        )
        self.state.channels[channel_id] = channel
        self._remember(now, channel_id, current)
        return Reply(status=200, payload=copy.deepcopy(channel))

    def delete(self, channel_id: str, now: float) -> Reply:
        current = self.state.channels.pop(channel_id, None)
        if current is None:
            return _not_found(channel_id)
        self._remember(now, channel_id, current)
        return Reply(status=204)


def _too_large(request: SandboxRequest) -> Reply | None:
    if len(request.body) <= MAX_BODY_BYTES:
        return None
    return problem(
        413,
        "request.entity.too.large",
        f"The request body is {len(request.body)} bytes; the limit is {MAX_BODY_BYTES}.",
    )


def _not_found(channel_id: str) -> Reply:
    detail = Detail(error_code="not.found", field_name="id", entity_id=channel_id)
    return problem(404, "not.found", f"No channel with id {channel_id!r}.", [detail])


def _server_fields_problem(channel: dict[str, Any]) -> str:
    """Why the server-set fields of a stored channel are wrong, or ""."""
    if not isinstance(channel.get("id"), str) or not channel["id"]:
        return "id must be a non-empty string"
    version = channel.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        return "version must be an integer >= 1"
    for key in ("dateCreated", "dateModified"):
        if not isinstance(channel.get(key), str):
            return f"{key} must be a string"
    if channel.get("selfUri") != f"{COLLECTION}/{channel['id']}":
        return "selfUri does not match the id"
    return ""


def _json_copy(value: Any) -> Any:
    """A deep copy of a stored JSON value (dicts, lists, scalars): a listing page copies a
    hundred channels, several times faster than ``copy.deepcopy``."""
    if isinstance(value, dict):
        return {k: _json_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_copy(v) for v in value]
    return value
