"""The token endpoint (docs/api-notes.md#oauth): Basic client credentials in, a bearer token out."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable
from urllib.parse import parse_qsl

from reconciler.sandbox.config import SandboxConfig
from reconciler.sandbox.faults import TokenFault
from reconciler.sandbox.wire import Reply, SandboxRequest


def oauth_error(status: int, error: str, description: str) -> Reply:
    payload = {"error": error, "description": description, "error_description": description}
    return Reply(status=status, payload=payload)


class TokenStore:
    """Issued tokens and when they expire (by the app's monotonic clock)."""

    def __init__(self, new_token: Callable[[], str]) -> None:
        self._new_token = new_token
        self._expiry: dict[str, float] = {}

    def issue(self, now: float, ttl: int) -> str:
        token = self._new_token()
        self._expiry[token] = now + ttl
        return token

    def problem(self, authorization: str | None, now: float) -> str:
        """ "" for a valid bearer token, else the 401 code the API answers."""
        if not authorization:
            return "authentication.required"
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return "authentication.required"
        expiry = self._expiry.get(token.strip())
        if expiry is None:
            return "bad.credentials"
        return "credentials.expired" if now >= expiry else ""

    def revoke_all(self) -> None:
        self._expiry.clear()


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep and client_id else None


def token_reply(
    request: SandboxRequest,
    config: SandboxConfig,
    store: TokenStore,
    now: float,
    fault: TokenFault,
) -> Reply:
    """Answer ``POST /oauth/token``."""
    if request.method != "POST":
        return oauth_error(405, "invalid_request", "use POST")
    if fault is TokenFault.RATE_LIMIT:
        return oauth_error(400, "invalid_request", "rate limit exceeded; retry later")
    credentials = _basic_credentials(request.headers.get("authorization"))
    if credentials is None:
        return oauth_error(401, "invalid_client", "client authentication required (HTTP Basic)")
    expected = config.credentials
    refused = fault is TokenFault.INVALID_CLIENT or (
        expected is not None
        and not (
            hmac.compare_digest(credentials[0].encode(), expected[0].encode())
            & hmac.compare_digest(credentials[1].encode(), expected[1].encode())
        )
    )
    if refused:
        return oauth_error(401, "invalid_client", "client id or secret is not valid")
    try:
        form = dict(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))
    except (UnicodeDecodeError, ValueError):
        form = {}
    if form.get("grant_type") != "client_credentials":
        return oauth_error(400, "unsupported_grant_type", "grant_type must be client_credentials")
    token = store.issue(now, config.token_ttl_seconds)
    payload = {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": config.token_ttl_seconds,
    }
    return Reply(status=200, payload=payload, headers={"Cache-Control": "no-store"})
