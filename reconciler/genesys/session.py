"""One HTTP session to a Genesys Cloud org: auth, retries, pacing, transport, error mapping.

Every kind's adapter (``reconciler.genesys.adapters``) sends its requests through one
``GenesysSession``: one ``httpx.AsyncClient`` with the OAuth auth, the shared rate pacer and the
retry policy wired in. Transport, clocks, sleep and RNG are injectable, so tests mount the
sandbox in-process and nothing waits for real. Redirects are never followed (a 3xx is an
error), so the bearer token never travels to another host.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from datetime import datetime, timezone
from typing import Any, TypeVar

import httpx

from reconciler import __version__
from reconciler.errors import OutcomeUnknownError, PermissionDeniedError, TransportError
from reconciler.genesys import permissions, responses
from reconciler.genesys.auth import TOKEN_REQUEST_EXTENSION, ClientCredentialsAuth
from reconciler.genesys.pacing import RateLimiter
from reconciler.genesys.retry import (
    RETRYABLE_STATUSES,
    Delivery,
    RetryPolicy,
    classify_exception,
    may_repeat,
    parse_retry_after,
)
from reconciler.genesys.settings import Settings
from reconciler.genesys.transport import (
    ATTEMPT_EXTENSION,
    EXCHANGE_DEADLINE_FACTOR,
    PacedTransport,
)

T = TypeVar("T")

Params = Mapping[str, str | int | list[str]]


class GenesysSession:
    """Sends requests to one org with retries and pacing; raises only ``reconciler.errors``."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        rng: random.Random | None = None,
        wall_clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.environment = settings.environment
        self._clock = clock or time.monotonic
        self._sleep = sleep or asyncio.sleep
        self._wall_clock = wall_clock or (lambda: datetime.now(timezone.utc))
        self._concurrency = max(1, settings.concurrency)
        self.policy = RetryPolicy(max_attempts=settings.max_attempts, rng=rng or random.Random())  # noqa: S311
        self.limiter = RateLimiter(
            rate_per_minute=settings.rate_per_minute, clock=self._clock, sleep=self._sleep
        )
        timeout = settings.timeout_seconds
        self._http = httpx.AsyncClient(
            base_url=settings.api_url,
            transport=PacedTransport(
                transport or httpx.AsyncHTTPTransport(),
                limiter=self.limiter,
                clock=self._clock,
                deadline_seconds=timeout * EXCHANGE_DEADLINE_FACTOR,
            ),
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": f"reconciler/{__version__}"},
        )
        self.auth = ClientCredentialsAuth(
            token_url=settings.token_url,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            send=self._send_token_request,
            clock=self._clock,
            sleep=self._sleep,
        )

    @property
    def clock(self) -> Callable[[], float]:
        """The monotonic clock waits are measured on (injected in tests)."""
        return self._clock

    async def sleep(self, seconds: float) -> None:
        """Wait on the injected sleep (tests advance a fake clock instead)."""
        await self._sleep(seconds)

    @property
    def pacing_wait_seconds(self) -> float:
        """Time requests spent waiting for the rate limit (for the progress display)."""
        return self.limiter.waited_seconds

    async def aclose(self) -> None:
        await self._http.aclose()

    async def bounded(self, coroutines: list[Coroutine[Any, Any, T]]) -> list[T]:
        """Run at most ``concurrency`` at once; the first failure cancels the rest."""
        gate = asyncio.Semaphore(self._concurrency)

        async def gated(coroutine: Coroutine[Any, Any, T]) -> T:
            async with gate:
                return await coroutine

        tasks = [asyncio.ensure_future(gated(c)) for c in coroutines]
        try:
            return list(await asyncio.gather(*tasks))
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise

    async def _send_token_request(self, request: httpx.Request) -> httpx.Response:
        # Built outside the client, so it gets the client's timeout and headers here: no
        # request, the token's included, may wait forever.
        request.extensions.setdefault("timeout", self._http.timeout.as_dict())
        request.headers.setdefault("User-Agent", self._http.headers["User-Agent"])
        return await self._http.send(request)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """Send with retries (see ``retry``); return a 2xx response or raise a typed error."""
        maybe_processed = False
        last = self.policy.max_attempts
        for attempt in range(1, last + 1):
            request = self._http.build_request(
                method, path, params=params, json=body, extensions={ATTEMPT_EXTENSION: attempt}
            )
            try:
                response = await self._http.send(request, auth=self.auth)
            except httpx.HTTPError as exc:
                delivery = (
                    classify_exception(exc)
                    if isinstance(exc, httpx.TransportError)
                    else Delivery.MAYBE_PROCESSED
                )
                maybe_processed = maybe_processed or delivery is Delivery.MAYBE_PROCESSED
                lost = _lost(exc, request, method, path)
                if not may_repeat(method, status=None, delivery=delivery):
                    raise OutcomeUnknownError(_unknown(f"no answer from {lost}")) from None
                if attempt == last:
                    if maybe_processed and method in ("PUT", "DELETE"):
                        raise OutcomeUnknownError(
                            _unknown(f"no answer from {lost}", attempt)
                        ) from None
                    raise TransportError(f"could not reach {lost}{_after(attempt)}") from None
                await self._sleep(self.policy.backoff(attempt))
                continue
            status = response.status_code
            if status < 300:
                return response
            if status < 400:
                raise TransportError(
                    f"{method} {path}: HTTP {status} redirect not followed (the API never "
                    "redirects; check GENESYS_API_URL)"
                )
            if status not in RETRYABLE_STATUSES:
                refused = responses.api_error(response)
                if isinstance(refused, PermissionDeniedError):
                    refused = permissions.explain(refused)  # the permission, by name
                raise refused
            error = responses.api_error(response)
            if status != 429:
                maybe_processed = True
            if not may_repeat(method, status=status, delivery=Delivery.MAYBE_PROCESSED):
                raise OutcomeUnknownError(_unknown(str(error))) from error
            if attempt == last:
                if maybe_processed and method in ("PUT", "DELETE"):
                    raise OutcomeUnknownError(_unknown(str(error), attempt)) from error
                raise error
            retry_after = parse_retry_after(response.headers.get("Retry-After"), self._wall_clock())
            delay = self.policy.delay(attempt, retry_after)
            if status == 429:
                self.limiter.pause(delay)  # every request waits, this one's next slot too
            else:
                await self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover


def _lost(exc: httpx.HTTPError, sent: httpx.Request, method: str, path: str) -> str:
    """``host: what failed``, naming the host the failed request went to: the login host when
    the token request failed (then the API request was never sent)."""
    try:
        failed = exc.request
    except RuntimeError:  # an httpx error raised without its request
        failed = sent
    host = failed.url.host or sent.url.host
    if failed.extensions.get(TOKEN_REQUEST_EXTENSION):
        return f"{host}: POST {failed.url.path} (token request): {exc}; {method} {path} not sent"
    return f"{host}: {method} {path}: {type(exc).__name__}" + (
        f" ({str(exc)[:200]})" if str(exc) else ""
    )


def _after(attempts: int) -> str:
    return f" (after {attempts} attempt{'s' if attempts != 1 else ''})"


def _unknown(what: str, attempts: int = 0) -> str:
    tries = _after(attempts) if attempts else ""
    return f"{what}{tries}; the write may or may not have been applied"
