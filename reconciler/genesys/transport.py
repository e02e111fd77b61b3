"""The transport wrapper every request of a client passes through, token requests included.

It sits below httpx's auth flow, so it sees each attempt on the wire, also the repeat after a
401: there it takes a slot from the shared pacer (API calls only; the token endpoint has its
own limit), feeds the response's rate-limit headers back, and records a ``CallRecord``.

httpx's timeouts bound each network operation, not the exchange: a server that trickles one
byte just inside the read timeout could hold a request for hours. So once its slot is granted
(time spent waiting for the pacer does not count), an attempt's whole exchange, headers and
body, must end within ``deadline_seconds`` or fails as a ``ReadTimeout``.

Nor do they bound the size: a body (the API's or the token endpoint's) may be at most
``max_body_bytes`` once decoded. A gzip or deflate answer is inflated here, a chunk at a time
and never past the cap (a gzip bomb stops at the cap, not when memory runs out); any other
content coding is refused. More than the cap is ``BodyTooLarge``.
"""

from __future__ import annotations

import asyncio
import time
import zlib
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
#: The largest body a response may have, decoded (a listing page of 300 large web deployment
#: configurations is a few MB).
MAX_BODY_BYTES = 32 * 1024 * 1024
_INFLATE = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


class BodyTooLarge(httpx.DecodingError):
    """A response body larger than the cap (decoded), or in a coding the client cannot read."""


class _GuardedStream(httpx.AsyncByteStream):
    """A response body held to the exchange's deadline (ReadTimeout) and to the size cap
    (BodyTooLarge), inflated here when it is gzip or deflate."""

    def __init__(
        self,
        inner: httpx.AsyncByteStream,
        request: httpx.Request,
        *,
        deadline: float | None,
        limit: int,
        coding: str,
    ) -> None:
        self._inner = inner
        self._request = request
        self._deadline = deadline
        self._limit = limit
        self._coding = coding

    def _too_large(self) -> BodyTooLarge:
        what = f"{self._coding} answer, inflated," if self._coding else "answer"
        return BodyTooLarge(
            f"the {what} is larger than {self._limit} bytes; not read further",
            request=self._request,
        )

    async def __aiter__(self) -> AsyncIterator[bytes]:
        inflater = zlib.decompressobj(_INFLATE[self._coding]) if self._coding else None
        size = 0
        async for chunk in self._inner:
            if self._deadline is not None and time.monotonic() > self._deadline:
                raise httpx.ReadTimeout("the answer did not end in time", request=self._request)
            if inflater is None:
                size += len(chunk)
                if size > self._limit:
                    raise self._too_large()
                yield chunk
                continue
            data = chunk
            while data:
                try:
                    # Never more than what is left under the cap (plus one byte to tell).
                    out = inflater.decompress(data, self._limit - size + 1)
                except zlib.error as exc:
                    raise httpx.DecodingError(
                        f"the {self._coding} answer does not inflate: {exc}", request=self._request
                    ) from None
                size += len(out)
                if size > self._limit:
                    raise self._too_large()
                if out:
                    yield out
                data = inflater.unconsumed_tail
        if inflater is not None:
            rest = inflater.flush()
            size += len(rest)
            if size > self._limit:
                raise self._too_large()
            if rest:
                yield rest

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
        max_body_bytes: int | None = None,
    ) -> None:
        self._inner = inner
        self._limiter = limiter
        self._clock = clock
        self._deadline_seconds = deadline_seconds
        self._max_body_bytes = MAX_BODY_BYTES if max_body_bytes is None else max_body_bytes

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
        """The inner transport's answer, held to the deadline (real time: it is the wire's)
        and to the size cap."""
        deadline: float | None = None
        if self._deadline_seconds is None:
            response = await self._inner.handle_async_request(request)
        else:
            deadline = time.monotonic() + self._deadline_seconds
            try:
                response = await asyncio.wait_for(
                    self._inner.handle_async_request(request), self._deadline_seconds
                )
            except asyncio.TimeoutError:
                raise httpx.ReadTimeout("no answer in time", request=request) from None
        coding = response.headers.get("content-encoding", "").strip().lower()
        if coding in ("", "identity"):
            coding = ""
        elif coding not in _INFLATE:
            await response.aclose()
            raise BodyTooLarge(
                f"the answer is in content coding {coding[:40]!r}, which the client does not read",
                request=request,
            )
        if isinstance(response.stream, httpx.AsyncByteStream):
            # Inflated here, under the cap: httpx must not inflate it again.
            if coding:
                del response.headers["content-encoding"]
            response.stream = _GuardedStream(
                response.stream,
                request,
                deadline=deadline,
                limit=self._max_body_bytes,
                coding=coding,
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
