"""OAuth client credentials as an ``httpx.Auth`` (docs/api-notes.md#oauth).

The token is fetched with Basic auth from ``<login>/oauth/token``, cached until 60 s before its
``expires_in`` (read on every fetch: the lifetime is set per OAuth client), and shared by every
concurrent request: one lock, one fetch. An API call answered 401 gets one new token and is sent
once more. The token endpoint signals its own rate limit as 400 ``invalid_request`` "rate limit
exceeded": that fetch is repeated after a delay, a bounded number of times.

The token request is sent through ``send`` (the owning client's ``send`` without auth), not
yielded from the auth flow, so a failure while fetching a token is known to have happened
before the API request left: it is raised as ``httpx.ConnectError`` ("not sent"), which the
retry policy may repeat, never an unknown outcome.

Async only: the reconciler has no synchronous client.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from dataclasses import dataclass

import httpx

from reconciler.errors import (
    ApiErrorInfo,
    AuthenticationError,
    RateLimitedError,
    TransportError,
)
from reconciler.genesys.settings import Secret

Send = Callable[[httpx.Request], Awaitable[httpx.Response]]
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

#: Refresh this long before the announced expiry.
EARLY_REFRESH_SECONDS = 60.0
#: Marks the token request, so pacing and logs can tell it from API calls.
TOKEN_REQUEST_EXTENSION = "reconciler.token_request"  # noqa: S105


@dataclass(frozen=True, slots=True)
class _Token:
    value: Secret
    refresh_at: float


class ClientCredentialsAuth(httpx.Auth):
    """Bearer tokens from the client credentials grant, cached and shared."""

    def __init__(
        self,
        *,
        token_url: str,
        client_id: Secret,
        client_secret: Secret,
        send: Send,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        rate_limit_attempts: int = 5,
        rate_limit_delay_seconds: float = 5.0,
    ) -> None:
        self._token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._send = send
        self._clock = clock
        self._sleep = sleep
        self._rate_limit_attempts = rate_limit_attempts
        self._rate_limit_delay = rate_limit_delay_seconds
        self._token: _Token | None = None
        self._lock: asyncio.Lock | None = None
        self.token_requests = 0

    def __repr__(self) -> str:
        return f"ClientCredentialsAuth(token_url={self._token_url!r})"

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        raise TransportError("ClientCredentialsAuth works only with httpx.AsyncClient")

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self.token()
        request.headers["Authorization"] = f"Bearer {token.value.reveal()}"
        response = yield request
        if response.status_code == 401:
            self._forget(token)
            token = await self.token()
            request.headers["Authorization"] = f"Bearer {token.value.reveal()}"
            yield request

    async def token(self) -> _Token:
        """The cached token, or a new one; concurrent callers share one fetch."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            current = self._token
            if current is not None and self._clock() < current.refresh_at:
                return current
            self._token = await self._fetch()
            return self._token

    def invalidate(self) -> None:
        """Drop the cached token (the next request fetches a new one)."""
        self._token = None

    def _forget(self, token: _Token) -> None:
        # Only the token that failed: another task may already have fetched a newer one.
        if self._token is token:
            self._token = None

    async def _fetch(self) -> _Token:
        for attempt in range(1, self._rate_limit_attempts + 1):
            response = await self._post_token_request()
            payload = _json_object(response)
            if response.status_code == 200:
                return self._parse_token(payload)
            error = str(payload.get("error", "")) if payload else ""
            description = (
                f"{payload.get('description') or ''} {payload.get('error_description') or ''}"
                if payload
                else ""
            )
            rate_limited = (
                response.status_code == 400
                and error == "invalid_request"
                and "rate limit" in description.lower()
            )
            if rate_limited and attempt < self._rate_limit_attempts:
                await self._sleep(self._rate_limit_delay * attempt)
                continue
            if rate_limited:
                raise RateLimitedError(
                    ApiErrorInfo(
                        status=400,
                        code=error,
                        message=f"the token endpoint kept answering 'rate limit exceeded' "
                        f"({attempt} attempts)",
                        correlation_id=response.headers.get("ININ-Correlation-Id", ""),
                        method="POST",
                        path=response.request.url.path,
                    )
                )
            raise _token_error(response, error)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _post_token_request(self) -> httpx.Response:
        pair = f"{self._client_id.reveal()}:{self._client_secret.reveal()}".encode()
        request = httpx.Request(
            "POST",
            self._token_url,
            headers={
                "Authorization": "Basic " + base64.b64encode(pair).decode("ascii"),
                "Accept": "application/json",
            },
            data={"grant_type": "client_credentials"},
            extensions={TOKEN_REQUEST_EXTENSION: True},
        )
        self.token_requests += 1
        try:
            return await self._send(request)
        except httpx.TransportError as exc:
            # Whatever happened to the token request, the API request was never sent: say so
            # with a "not sent" error, which the retry policy may repeat even for a POST.
            # The message keeps the original error (an OS or TLS message, never a secret).
            raise httpx.ConnectError(
                type(exc).__name__ + (f" ({str(exc)[:200]})" if str(exc) else ""),
                request=request,
            ) from None

    def _parse_token(self, payload: dict[str, object] | None) -> _Token:
        value = payload.get("access_token") if payload else None
        expires_in = payload.get("expires_in") if payload else None
        if not isinstance(value, str) or not value:
            raise TransportError("token response: access_token missing or not a string")
        if not isinstance(expires_in, (int, float)) or isinstance(expires_in, bool):
            raise TransportError("token response: expires_in missing or not a number")
        lifetime = max(0.0, float(expires_in) - EARLY_REFRESH_SECONDS)
        return _Token(Secret(value), self._clock() + lifetime)


def _json_object(response: httpx.Response) -> dict[str, object] | None:
    try:
        payload = json.loads(response.content)
    except (ValueError, RecursionError):  # RecursionError: nesting too deep
        return None
    return payload if isinstance(payload, dict) else None


def _token_error(response: httpx.Response, error: str) -> Exception:
    path = response.request.url.path
    correlation = response.headers.get("ININ-Correlation-Id", "")
    if response.status_code in (400, 401) and error in ("invalid_client", "unauthorized_client"):
        return AuthenticationError(
            ApiErrorInfo(
                status=response.status_code,
                code=error,
                message="the token endpoint refused the client credentials "
                "(check GENESYS_CLIENT_ID, GENESYS_CLIENT_SECRET and the environment)",
                correlation_id=correlation,
                method="POST",
                path=path,
            )
        )
    if response.status_code in (400, 401, 403):
        return AuthenticationError(
            ApiErrorInfo(
                status=response.status_code,
                code=error[:60],
                message="the token endpoint refused the request",
                correlation_id=correlation,
                method="POST",
                path=path,
            )
        )
    return TransportError(
        f"{response.request.url.host}: POST {path} (token request) failed: "
        f"HTTP {response.status_code}" + (f" (correlation id {correlation})" if correlation else "")
    )
