"""How a kind's emulator route plugs into the sandbox: the small API every route implements.

A *kind route* is a class deriving from ``KindRoute``. It declares:

- ``kinds``: the slices of the state it owns, by the names the state file uses
  (``"channel"``, ``"flow"``...). ``self.state.objects(kind)`` is that slice, ``{id: object}``.
- ``endpoints()``: one ``Endpoint(template, {METHOD: handler})`` per path it serves. A template
  is a path with ``{name}`` placeholders for one non-empty segment; where two templates match,
  the one with more literal segments wins (``.../versions/draft`` beats ``.../versions/{v}``).
- optionally ``seed()``: the objects a fresh org holds (put in the state only when the state
  has no slice of that kind, so a user's own file is never re-seeded);
- optionally ``check_stored(kind, obj)`` and ``check_slice(kind, objects)``: why an object (or a
  whole slice) read from a state file is bad, or "".

A handler takes a ``Call`` (the request, the path parameters, the monotonic ``now``) and returns
a ``Reply`` (``wire.problem`` builds an ErrorBody). Everything else is shared and done by the app
before the handler runs: authentication (401), the rate window and its headers (429), 405 with
``Allow`` from the declared methods, fault injection (5xx, 429, dropped and slow answers),
correlation ids and ``contextId``, saving the state after a successful write. ``self.ctx`` gives
the clock-free helpers: ``now_iso()`` (the wall clock as Genesys writes dates), ``new_id()``
(seedable UUIDs) and ``config`` (``SandboxConfig``, knobs included).

Register a route by adding its class to ``ROUTES`` in ``registry.py``. A toy kind, whole::

    class ToyRoutes(KindRoute):
        kinds = ("toy",)

        def endpoints(self) -> list[Endpoint]:
            return [
                Endpoint("/api/v2/toys", {"GET": self.listing, "POST": self.create}),
                Endpoint("/api/v2/toys/{id}", {"GET": self.get}),
            ]

        def listing(self, call: Call) -> Reply:
            return Reply(status=200, payload={"entities": list(self.state.objects("toy").values())})

        def create(self, call: Call) -> Reply:
            doc, _ = parse_json(call.request.body)
            toy = {"id": self.ctx.new_id(), "name": doc["name"]}
            self.state.objects("toy")[toy["id"]] = toy
            return Reply(status=200, payload=toy)

        def get(self, call: Call) -> Reply:
            toy = self.state.objects("toy").get(call.params["id"])
            return Reply(status=200, payload=toy) if toy else problem(404, "not.found", "No toy.")
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from reconciler.sandbox.wire import Reply, SandboxRequest

if TYPE_CHECKING:
    from reconciler.sandbox.config import SandboxConfig
    from reconciler.sandbox.state import SandboxState


@dataclass(frozen=True, slots=True, kw_only=True)
class Call:
    """One request as a handler sees it: ``params`` from the template, ``now`` monotonic."""

    request: SandboxRequest
    params: Mapping[str, str]
    now: float


Handler = Callable[[Call], Reply]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A path template and the handler of each method it allows (in ``Allow`` order).
    ``public``: served without a token and outside the rate window (faults still apply)."""

    template: str
    methods: Mapping[str, Handler]
    public: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteContext:
    """The shared helpers a route is built with."""

    config: SandboxConfig
    now_iso: Callable[[], str]
    new_id: Callable[[], str]


class KindRoute:
    """Base of a kind's route module; see the module docstring. Called under the app's lock."""

    kinds: ClassVar[tuple[str, ...]] = ()

    def __init__(self, state: SandboxState, ctx: RouteContext) -> None:
        self.state = state
        self.ctx = ctx

    def endpoints(self) -> Sequence[Endpoint]:
        raise NotImplementedError

    @classmethod
    def seed(cls) -> Mapping[str, Iterable[Mapping[str, Any]]]:
        """Objects of a fresh org, by kind. None by default."""
        return {}

    @classmethod
    def check_stored(cls, kind: str, obj: dict[str, Any]) -> str:
        """Why a stored object of ``kind`` is unusable, or "". By default: it needs an id."""
        if not isinstance(obj.get("id"), str) or not obj["id"]:
            return "id must be a non-empty string"
        return ""

    @classmethod
    def check_shape(cls, kind: str, obj: dict[str, Any]) -> str:
        """The part of ``check_stored`` a read-only run needs (ids and the like); by default
        the same as ``check_stored``'s id check."""
        return KindRoute.check_stored(kind, obj)

    @classmethod
    def check_slice(cls, kind: str, objects: list[dict[str, Any]]) -> str:
        """Why a stored slice is unusable as a whole (``"[3] repeats a name"``), or ""."""
        return ""


@dataclass(frozen=True, slots=True)
class Match:
    template: str
    endpoint: Endpoint
    params: dict[str, str] = field(default_factory=dict)


class Router:
    """Paths to endpoints. Templates are split into segments once; the most literal match wins."""

    def __init__(self, endpoints: Iterable[Endpoint]) -> None:
        compiled: list[tuple[tuple[int, ...], tuple[str, ...], Endpoint]] = []
        seen: set[str] = set()
        for endpoint in endpoints:
            if endpoint.template in seen:
                raise ValueError(f"two routes serve {endpoint.template!r}")
            seen.add(endpoint.template)
            parts = tuple(endpoint.template.strip("/").split("/"))
            literal = tuple(0 if _is_param(p) else 1 for p in parts)
            compiled.append((literal, parts, endpoint))
        # Most literal first, so the first match is the most specific one.
        compiled.sort(key=lambda entry: entry[0], reverse=True)
        self._by_length: dict[int, list[tuple[tuple[str, ...], Endpoint]]] = {}
        for _, parts, endpoint in compiled:
            self._by_length.setdefault(len(parts), []).append((parts, endpoint))

    def match(self, path: str) -> Match | None:
        if not path.startswith("/"):
            return None
        segments = path[1:].split("/")
        for parts, endpoint in self._by_length.get(len(segments), ()):
            params: dict[str, str] = {}
            for part, segment in zip(parts, segments, strict=True):
                if _is_param(part):
                    if not segment:
                        break
                    params[part[1:-1]] = segment
                elif part != segment:
                    break
            else:
                return Match(endpoint.template, endpoint, params)
        return None


def _is_param(part: str) -> bool:
    return part.startswith("{") and part.endswith("}")
