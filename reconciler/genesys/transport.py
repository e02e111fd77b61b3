"""The transport wrapper every request of a client passes through, token requests included.

It sits below httpx's auth flow, so it sees each attempt on the wire, also the repeat after a
401: there it takes a slot from the shared pacer (API calls only; the token endpoint has its
own limit), feeds the response's rate-limit headers back, and records a ``CallRecord``.

httpx's timeouts bound each network operation, not the exchange: a server that trickles one
byte just inside the read timeout could hold a request for hours. So once its slot is granted
(time spent waiting for the pacer does not count), an attempt's whole exchange, headers and
body, must end within ``deadline_seconds`` or fails as a ``ReadTimeout``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import httpx

from reconciler.genesys.auth import TOKEN_REQUEST_EXTENSION
from reconciler.genesys.calls import CallRecord, record
from reconciler.genesys.pacing import RateLimiter

#: Request extension carrying the retry attempt number (1-based) into the call records.
ATTEMPT_EXTENSION = "reconciler.attempt"
CORRELATION_HEADER = "ININ-Correlation-Id"
#: An attempt's whole exchange may take this many times the per-operation timeout.
EXCHANGE_DEADLINE_FACTOR = 4


class _DeadlineStream(httpx.AsyncByteStream):
    """A response body that fails with ReadTimeout once the exchange's deadline has passed."""

    def __init__(
        self, inner: httpx.AsyncByteStream, request: httpx.Request, deadline: float
    ) -> None:
        self._inner = inner
        self._request = request
        self._deadline = deadline

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            if time.monotonic() > self._deadline:
                raise httpx.ReadTimeout("the answer did not end in time", request=self._request)
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


class PacedTransport(httpx.AsyncBaseTransport):
    """Paces, observes and records each attempt, then hands it to ``inner``."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        limiter: RateLimiter,
        clock: Callable[[], float] = time.monotonic,
        deadline_seconds: float | None = None,
    ) -> None:
        self._inner = inner
        self._limiter = limiter
        self._clock = clock
        self._deadline_seconds = deadline_seconds

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        paced = not request.extensions.get(TOKEN_REQUEST_EXTENSION)
        attempt = int(request.extensions.get(ATTEMPT_EXTENSION, 1))
        if paced:
            await self._limiter.acquire()
        started = self._clock()
        headers: httpx.Headers | None = None
        try:
            response = await self._exchange(request)
        except httpx.HTTPError as exc:
            self._record(
                request, attempt, started, status=0, error=type(exc).__name__, token=not paced
            )
            raise
        finally:
            if paced:
                self._limiter.release(None)
        headers = response.headers
        if paced:
            self._limiter.observe(headers)
        self._record(
            request,
            attempt,
            started,
            status=response.status_code,
            correlation_id=headers.get(CORRELATION_HEADER, ""),
            token=not paced,
        )
        return response

    async def _exchange(self, request: httpx.Request) -> httpx.Response:
        """The inner transport's answer, held to the deadline (real time: it is the wire's)."""
        if self._deadline_seconds is None:
            return await self._inner.handle_async_request(request)
        deadline = time.monotonic() + self._deadline_seconds
        try:
            response = await asyncio.wait_for(
                self._inner.handle_async_request(request), self._deadline_seconds
            )
        except asyncio.TimeoutError:
            raise httpx.ReadTimeout("no answer in time", request=request) from None
        if isinstance(response.stream, httpx.AsyncByteStream):
            response.stream = _DeadlineStream(response.stream, request, deadline)
        return response

    def _record(
        self,
        request: httpx.Request,
        attempt: int,
        started: float,
        *,
        status: int,
        correlation_id: str = "",
        error: str = "",
        token: bool = False,
    ) -> None:
        record(
            CallRecord(
                method=request.method,
                path=request.url.path,
                status=status,
                correlation_id=correlation_id,
                attempt=attempt,
                elapsed_ms=round((self._clock() - started) * 1000.0, 3),
                error=error,
                token=token,
            )
        )

    async def aclose(self) -> None:
        await self._inner.aclose()
