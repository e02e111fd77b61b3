"""The emulator mounted in-process as an httpx transport (sync and async), no sockets.

A response's ``delay`` is slept through the injected ``sleep``; when it exceeds the request's
read timeout, the transport sleeps only the timeout and raises ``httpx.ReadTimeout``, as a real
socket would (the request's effects are committed all the same). ``drop`` raises
``httpx.RemoteProtocolError``, as httpx does when a server closes without answering.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx

from reconciler.sandbox.app import SandboxApp
from reconciler.sandbox.wire import SandboxRequest, SandboxResponse, all_values, first_values

DROP_MESSAGE = "Server disconnected without sending a response."


def _to_sandbox(request: httpx.Request, body: bytes) -> SandboxRequest:
    pairs = list(request.url.params.multi_items())
    return SandboxRequest(
        method=request.method.upper(),
        path=request.url.path,
        query=first_values(pairs),
        headers={name.lower(): value for name, value in request.headers.items()},
        body=body,
        query_all=all_values(pairs),
    )


def _read_timeout(request: httpx.Request) -> float | None:
    timeout = request.extensions.get("timeout") or {}
    value = timeout.get("read")
    return float(value) if isinstance(value, (int, float)) else None


def _plan_wait(request: httpx.Request, response: SandboxResponse) -> tuple[float, bool]:
    """(seconds to sleep, whether the read times out after them)."""
    limit = _read_timeout(request)
    if limit is not None and response.delay > limit:
        return limit, True
    return response.delay, False


def _to_httpx(request: httpx.Request, response: SandboxResponse) -> httpx.Response:
    if response.drop:
        raise httpx.RemoteProtocolError(DROP_MESSAGE, request=request)
    return httpx.Response(
        response.status,
        headers=list(response.headers.items()),
        content=response.body,
        request=request,
    )


class SandboxTransport(httpx.AsyncBaseTransport, httpx.BaseTransport):
    """An httpx transport answering from a SandboxApp. ``sleep`` serves async clients,
    ``sync_sleep`` sync ones; inject both in tests so nothing waits for real."""

    def __init__(
        self,
        app: SandboxApp,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        sync_sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.app = app
        self._sleep = sleep
        self._sync_sleep = sync_sleep

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        response = self.app.handle(_to_sandbox(request, body))
        wait, times_out = _plan_wait(request, response)
        if wait > 0:
            await self._sleep(wait)
        if times_out:
            raise httpx.ReadTimeout("timed out", request=request)
        return _to_httpx(request, response)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        response = self.app.handle(_to_sandbox(request, body))
        wait, times_out = _plan_wait(request, response)
        if wait > 0:
            self._sync_sleep(wait)
        if times_out:
            raise httpx.ReadTimeout("timed out", request=request)
        return _to_httpx(request, response)

    async def aclose(self) -> None:
        return None

    def close(self) -> None:
        return None
