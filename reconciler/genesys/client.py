"""``GenesysChannelsClient``: the channels backend over HTTP (api-contract.md §4).

One ``httpx.AsyncClient`` per backend, with the OAuth auth, the shared pacer and the retry
policy wired in; transport, clocks, sleep and RNG are injectable, so tests mount the sandbox
in-process and nothing waits for real. Redirects are never followed (a 3xx is an error), so the
bearer token never travels to another host.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from datetime import datetime, timezone
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from reconciler import __version__
from reconciler.errors import OutcomeUnknownError, TransportError
from reconciler.genesys import responses
from reconciler.genesys.auth import ClientCredentialsAuth
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
from reconciler.model import SERVER_FIELDS, LiveChannel, channel_key

CHANNELS_PATH = "/api/v2/webmessaging/channels"
PAGE_SIZE = 100
#: Pages a listing may have before the client calls it endless (100,000 channels).
MAX_PAGES = 1000

T = TypeVar("T")


class GenesysChannelsClient:
    """Implements ``reconciler.backend.ChannelsBackend`` against the contract's API."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        rng: random.Random | None = None,
        wall_clock: Callable[[], datetime] | None = None,
        max_pages: int = MAX_PAGES,
    ) -> None:
        self.environment = settings.environment
        self._clock = clock or time.monotonic
        self._sleep = sleep or asyncio.sleep
        self._wall_clock = wall_clock or (lambda: datetime.now(timezone.utc))
        self._concurrency = max(1, settings.concurrency)
        self._max_pages = max_pages
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

    def __repr__(self) -> str:
        return f"GenesysChannelsClient(environment={self.environment!r})"

    async def __aenter__(self) -> GenesysChannelsClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    @property
    def pacing_wait_seconds(self) -> float:
        """Time requests spent waiting for the rate limit (for the progress display)."""
        return self.limiter.waited_seconds

    # -- ChannelsBackend ------------------------------------------------------------------

    async def list_channels(self) -> list[LiveChannel]:
        first = await self._page(1)
        if first.page_count > self._max_pages:
            raise TransportError(
                f"GET {CHANNELS_PATH}: the listing claims {first.page_count} pages, "
                f"more than the limit of {self._max_pages}"
            )
        rest = await self._bounded(
            [self._page(number) for number in range(2, first.page_count + 1)]
        )
        pages = [first, *rest]
        _merge(pages)  # a server that ignores page numbers fails here, before more requests
        seen = {_ids(page) for page in pages}
        while pages[-1].has_next and len(pages[-1].channels) >= PAGE_SIZE:
            # The listing grew while it was read (or the server pages on and on): follow it,
            # but not forever, and not around in circles.
            if len(pages) >= self._max_pages:
                raise TransportError(
                    f"GET {CHANNELS_PATH}: the listing did not end after {len(pages)} pages"
                )
            pages.append(await self._page(len(pages) + 1))
            if _ids(pages[-1]) in seen:
                _merge(pages)  # raises, naming the page it repeats
            seen.add(_ids(pages[-1]))
        return _merge(pages)

    async def get_channel(self, channel_id: str) -> LiveChannel:
        response = await self._request("GET", _channel_path(channel_id))
        return responses.channel(responses.json_object(response), responses.where(response))

    async def find_by_name(self, name: str) -> LiveChannel | None:
        params: dict[str, str | int] = {"pageSize": PAGE_SIZE, "pageNumber": 1, "name": name}
        response = await self._request("GET", CHANNELS_PATH, params=params)
        for channel in responses.page(response, 1).channels:
            if channel.key == channel_key(name):
                return channel
        return None

    async def create_channel(self, body: Mapping[str, Any]) -> LiveChannel:
        response = await self._request("POST", CHANNELS_PATH, body=dict(body))
        return responses.channel(responses.json_object(response), responses.where(response))

    async def update_channel(
        self, channel_id: str, body: Mapping[str, Any], *, version: int
    ) -> LiveChannel:
        payload = {k: v for k, v in body.items() if k not in SERVER_FIELDS}
        payload["version"] = version
        response = await self._request("PUT", _channel_path(channel_id), body=payload)
        return responses.channel(responses.json_object(response), responses.where(response))

    async def delete_channel(self, channel_id: str) -> None:
        await self._request("DELETE", _channel_path(channel_id))

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- plumbing -------------------------------------------------------------------------

    async def _page(self, number: int) -> responses.Page:
        params = {"pageSize": PAGE_SIZE, "pageNumber": number}
        response = await self._request("GET", CHANNELS_PATH, params=params)
        return responses.page(response, number)

    async def _bounded(self, coroutines: list[Coroutine[Any, Any, T]]) -> list[T]:
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

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
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
                lost = f"{method} {path}: {type(exc).__name__}" + (
                    f" ({str(exc)[:200]})" if str(exc) else ""
                )
                if not may_repeat(method, status=None, delivery=delivery):
                    raise OutcomeUnknownError(_unknown(lost)) from None
                if attempt == last:
                    if maybe_processed and method in ("PUT", "DELETE"):
                        raise OutcomeUnknownError(_unknown(lost, attempt)) from None
                    raise TransportError(f"{lost} (after {attempt} attempts)") from None
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
                raise responses.api_error(response)
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


def _unknown(what: str, attempts: int = 0) -> str:
    tries = f" (after {attempts} attempts)" if attempts else ""
    return f"{what}{tries}; the write may or may not have been applied"


def _channel_path(channel_id: str) -> str:
    if not channel_id:
        raise TransportError("a channel id is empty")
    return f"{CHANNELS_PATH}/{quote(channel_id, safe='')}"


def _ids(page: responses.Page) -> tuple[str, ...]:
    return tuple(c.id for c in page.channels)


def _merge(pages: list[responses.Page]) -> list[LiveChannel]:
    """Channels of every page, each once; a page that repeats an earlier one is an error."""
    seen_pages: dict[tuple[str, ...], int] = {}
    seen_ids: set[str] = set()
    merged: list[LiveChannel] = []
    for page in pages:
        ids = tuple(c.id for c in page.channels)
        if ids and ids in seen_pages:
            raise TransportError(
                f"GET {CHANNELS_PATH}: page {page.number} repeats page {seen_pages[ids]}; "
                "the server does not page"
            )
        seen_pages.setdefault(ids, page.number)
        for channel in page.channels:
            if channel.id not in seen_ids:  # a write between two pages can shift one over
                seen_ids.add(channel.id)
                merged.append(channel)
    return merged
