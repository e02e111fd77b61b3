"""The pure request handler: one SandboxRequest in, one SandboxResponse out.

No sockets and no sleeping: a response carries its ``delay`` and ``drop`` for the transport or
the server to act on. Every API request goes through the same steps, in this order:
find the route by path (404), authenticate (401), count against the token's rate window
(headers; 429 when over), check the method (405), take the next fault (script, then seeded
draws), then the kind route's handler (``routing.py``; the routes are listed in
``registry.py``). Thread-safe: one lock around each request, as the HTTP server is threaded.
"""

from __future__ import annotations

import copy
import random
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, TypeVar

from reconciler.errors import ConfigError
from reconciler.sandbox.channels import COLLECTION, ChannelRoutes
from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.faults import Fault, FaultInjector
from reconciler.sandbox.permissions import refused
from reconciler.sandbox.ratelimit import RateLimiter
from reconciler.sandbox.registry import ROUTES
from reconciler.sandbox.routing import Call, KindRoute, Match, RouteContext, Router
from reconciler.sandbox.state import SandboxState
from reconciler.sandbox.tokens import TokenStore, token_reply
from reconciler.sandbox.validation import check_channel
from reconciler.sandbox.wire import (
    CORRELATION_HEADER,
    JSON_TYPE,
    Reply,
    SandboxRequest,
    SandboxResponse,
    encode,
    problem,
)

TOKEN_ROUTE = "/oauth/token"  # noqa: S105  (a path, not a password)
_R = TypeVar("_R", bound=KindRoute)
_WRITES = frozenset({"POST", "PUT", "DELETE"})

_UNAUTHORIZED = {
    "authentication.required": "No authentication bearer token specified in authorization header.",
    "bad.credentials": "Invalid login credentials.",
    "credentials.expired": "The supplied credentials have expired.",
}


@dataclass
class SandboxStats:
    """Request counters, for tests and benchmarks.

    ``requests`` by ``"METHOD route template"`` (``"POST /oauth/token"``,
    ``"GET /api/v2/webmessaging/channels"``, ``"PUT /api/v2/webmessaging/channels/{id}"``,
    ``"GET /api/v2/webdeployments/configurations/{id}/versions/draft"``; unknown paths count
    as ``"GET (unknown)"``), ``statuses`` by status code, ``faults`` by
    injected fault (``"503"``, ``"drop"``...).
    """

    requests: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    def reset(self) -> None:
        self.requests.clear()
        self.statuses.clear()
        self.faults.clear()


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso_utc(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds and ``Z``, as Genesys writes dates."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class SandboxApp:
    """The emulated org and its API. See the module docstring for the request pipeline."""

    def __init__(
        self,
        config: SandboxConfig | None = None,
        state: SandboxState | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = _utc_now,
        on_commit: Callable[[SandboxState], None] | None = None,
        routes: tuple[type[KindRoute], ...] = ROUTES,
    ) -> None:
        self.config = config if config is not None else SandboxConfig()
        self.stats = SandboxStats()
        self._clock = clock
        self._wall_clock = wall_clock
        self._on_commit = on_commit
        self._lock = threading.RLock()
        seed = self.config.seed
        # Seeded ids and tokens make test runs repeatable; the sandbox serves loopback only.
        self._rng = None if seed is None else random.Random(f"ids:{seed}")  # noqa: S311
        self._faults = FaultInjector(self.config.faults)
        self._limiter = RateLimiter(self.config.rate_limit_per_minute)
        self._tokens = TokenStore(self._new_token)
        self._route_classes = routes
        self._context = RouteContext(
            config=self.config,
            now_iso=lambda: iso_utc(self._wall_clock()),
            new_id=self._new_uuid,
        )
        self.state = state if state is not None else SandboxState()

    @property
    def state(self) -> SandboxState:
        return self._state

    @state.setter
    def state(self, state: SandboxState) -> None:
        """Serve ``state`` from now on: every route is rebuilt on it, and the kinds it has no
        slice for are seeded."""
        with self._lock:
            for route_class in self._route_classes:
                for kind, objects in route_class.seed().items():
                    if not state.has(kind):
                        slot = state.objects(kind)
                        for obj in objects:
                            slot[str(obj["id"])] = copy.deepcopy(dict(obj))
            self._state = state
            served = [
                cls
                for cls in self._route_classes
                if self.config.channels_api or cls is not ChannelRoutes
            ]
            self._kind_routes = [cls(state, self._context) for cls in served]
            self._router = Router(e for r in self._kind_routes for e in r.endpoints())

    def route_of(self, route_class: type[_R]) -> _R:
        """The live instance of one of this app's route classes (tests, seeding helpers)."""
        for route in self._kind_routes:
            if isinstance(route, route_class):
                return route
        raise LookupError(f"{route_class.__name__} is not served by this app")

    def __repr__(self) -> str:
        return f"SandboxApp(channels={len(self.state)}, requests={self.stats.total})"

    def _new_uuid(self) -> str:
        if self._rng is None:
            return str(uuid.uuid4())
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _new_token(self) -> str:
        if self._rng is None:
            return secrets.token_urlsafe(32)
        return f"{self._rng.getrandbits(192):048x}"

    def revoke_tokens(self) -> None:
        """Every issued token becomes invalid (401 bad.credentials from now on)."""
        with self._lock:
            self._tokens.revoke_all()

    def seed_channels(self, bodies: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Create channels directly (no token, rate limit, fault or lag); for tests and
        benchmarks. ConfigError naming the first invalid body."""
        created: list[dict[str, Any]] = []
        with self._lock:
            try:
                for index, body in enumerate(bodies):
                    details = check_channel(dict(body))
                    if details:
                        raise ConfigError(f"sandbox seed body #{index}: {details[0].reason}")
                    payload = encode(dict(body))
                    request = SandboxRequest(method="POST", path=COLLECTION, body=payload)
                    reply = self.route_of(ChannelRoutes).create(request, float("-inf"))
                    if reply.status != 200:
                        raise ConfigError(f"sandbox seed body #{index}: name already taken")
                    created.append(reply.payload)
            finally:
                # What was created stays created, even when a later body is refused.
                if created and self._on_commit is not None:
                    self._on_commit(self.state)
        return created

    def direct(self, method: str, target: str, body: Any = None) -> Reply:
        """Call a route as the org's own admin: no token, rate limit, fault, lag or timer (the
        clock reads minus infinity, so every Pending has settled). For seeding tests and
        benchmarks; ``on_commit`` runs after a successful write, as for ``handle``."""
        payload = b"" if body is None else encode(body)
        request = SandboxRequest.build(method, target, body=payload)
        with self._lock:
            match = self._router.match(request.path)
            handler = None if match is None else match.endpoint.methods.get(request.method)
            if match is None or handler is None:
                return problem(404, "not.found", f"No {method} route at {target[:200]!r}.")
            reply = handler(Call(request=request, params=match.params, now=float("-inf")))
            if self._on_commit is not None and request.method in _WRITES and reply.status < 300:
                self._on_commit(self.state)
            return reply

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        """Answer one request. Pure apart from the state it changes; never raises for any
        request (an ``on_commit`` callback's error propagates)."""
        with self._lock:
            now = self._clock()
            correlation_id = self._new_uuid()
            match = None if request.path == TOKEN_ROUTE else self._router.match(request.path)
            route = TOKEN_ROUTE if request.path == TOKEN_ROUTE else None
            if match is not None:
                route = match.template
            self.stats.requests[f"{request.method} {route or '(unknown)'}"] += 1
            extra: dict[str, str] = {}
            fault = Fault.NONE
            if route == TOKEN_ROUTE:
                token_fault = self._faults.next_token()
                if token_fault.value != "ok":
                    self.stats.faults[f"token:{token_fault.value}"] += 1
                reply = token_reply(request, self.config, self._tokens, now, token_fault)
            elif match is None:
                reply = problem(404, "not.found", f"No resource at {request.path[:200]!r}.")
            else:
                reply, extra, fault = self._api(request, match, now)
            response = self._respond(reply, correlation_id, extra, fault)
            self.stats.statuses[response.status] += 1
            if (
                self._on_commit is not None
                and request.method in _WRITES
                and 200 <= reply.status < 300
            ):
                self._on_commit(self.state)
            return response

    def _api(
        self, request: SandboxRequest, match: Match, now: float
    ) -> tuple[Reply, dict[str, str], Fault]:
        authorization = request.headers.get("authorization")
        public = match.endpoint.public
        auth_problem = "" if public else self._tokens.problem(authorization, now)
        rate_headers: dict[str, str] = {}
        exceeded = False
        retry_after = 0
        if self.config.rate_limit_per_minute > 0 and not public:
            key = (authorization or "").partition(" ")[2].strip()
            rate = self._limiter.hit(key, now)
            rate_headers = rate.headers()
            exceeded, retry_after = rate.exceeded, rate.reset
        if auth_problem:
            return problem(401, auth_problem, _UNAUTHORIZED[auth_problem]), rate_headers, Fault.NONE
        if exceeded:
            return _too_many(retry_after), rate_headers, Fault.NONE
        allowed = tuple(match.endpoint.methods)
        if request.method not in allowed:
            reply = problem(
                405,
                "method.not.allowed",
                f"{request.method} is not allowed here; use {', '.join(allowed)}.",
                headers={"Allow": ", ".join(allowed)},
            )
            return reply, rate_headers, Fault.NONE
        denied = refused(request.method, match.template, self.config.denied_permissions)
        if denied is not None:
            return denied, rate_headers, Fault.NONE
        fault = self._faults.next_api(request.method)
        if fault is not Fault.NONE:
            self.stats.faults[fault.value] += 1
        injected = self._injected(fault)
        if injected is not None:
            return injected, rate_headers, fault
        handler = match.endpoint.methods[request.method]
        reply = handler(Call(request=request, params=match.params, now=now))
        return reply, rate_headers, fault

    def _injected(self, fault: Fault) -> Reply | None:
        """The answer of a fault that replaces the request (nothing is applied)."""
        wait = self.config.faults.retry_after_seconds
        if fault is Fault.BAD_GATEWAY:
            return problem(502, "service.unavailable", "Bad gateway: the upstream failed.")
        if fault is Fault.UNAVAILABLE:
            return problem(
                503,
                "service.unavailable",
                "The service is temporarily unavailable.",
                headers={"Retry-After": str(wait)},
            )
        if fault is Fault.GATEWAY_TIMEOUT:
            return problem(504, "request.timeout", "The request timed out upstream.")
        if fault is Fault.RATE_LIMIT:
            return _too_many(wait)
        if fault is Fault.UNAUTHORIZED:
            code = "credentials.expired"
            return problem(401, code, _UNAUTHORIZED[code])
        return None

    def _respond(
        self, reply: Reply, correlation_id: str, extra: Mapping[str, str], fault: Fault
    ) -> SandboxResponse:
        headers = {CORRELATION_HEADER: correlation_id, **extra, **reply.headers}
        body = b""
        if reply.payload is not None:
            payload = reply.payload
            if isinstance(payload, dict) and "contextId" in payload:
                payload = {**payload, "contextId": correlation_id}
            body = encode(payload)
            headers["Content-Type"] = JSON_TYPE
        delay = self.config.latency_ms / 1000.0
        if fault is Fault.SLOW:
            delay += self.config.faults.slow_seconds
        return SandboxResponse(
            status=reply.status,
            headers=headers,
            body=body,
            delay=delay,
            drop=fault is Fault.DROP,
        )


def _too_many(seconds: int) -> Reply:
    return problem(
        429,
        "too.many.requests.retry.after",
        f"Rate limit exceeded the maximum. Retry the request in [{seconds}] seconds",
        headers={"Retry-After": str(seconds)},
    )
