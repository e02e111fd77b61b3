"""The transport wrapper every request of a client passes through, token requests included.

It sits below httpx's auth flow, so it sees each attempt on the wire, also the repeat after a
401: there it takes a slot from the shared pacer (API calls only; the token endpoint has its
own limit), feeds the response's rate-limit headers back, and records a ``CallRecord``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from reconciler.genesys.auth import TOKEN_REQUEST_EXTENSION
from reconciler.genesys.calls import CallRecord, record
from reconciler.genesys.pacing import RateLimiter

#: Request extension carrying the retry attempt number (1-based) into the call records.
ATTEMPT_EXTENSION = "reconciler.attempt"
CORRELATION_HEADER = "ININ-Correlation-Id"


class PacedTransport(httpx.AsyncBaseTransport):
    """Paces, observes and records each attempt, then hands it to ``inner``."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        limiter: RateLimiter,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._inner = inner
        self._limiter = limiter
        self._clock = clock

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        paced = not request.extensions.get(TOKEN_REQUEST_EXTENSION)
        attempt = int(request.extensions.get(ATTEMPT_EXTENSION, 1))
        if paced:
            await self._limiter.acquire()
        started = self._clock()
        headers: httpx.Headers | None = None
        try:
            response = await self._inner.handle_async_request(request)
        except httpx.HTTPError as exc:
            self._record(request, attempt, started, status=0, error=type(exc).__name__)
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
        )
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
            )
        )

    async def aclose(self) -> None:
        await self._inner.aclose()
