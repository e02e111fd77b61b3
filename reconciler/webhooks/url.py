"""Where webhooks go: checking ``WEBHOOK_URL`` and showing it without its secrets.

A webhook URL often carries a credential (``https://user:pass@host``, ``?token=...``), so it is
only ever shown through ``redact_url``.
"""

from __future__ import annotations

from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

from reconciler.errors import WebhookError
from reconciler.loopback import is_loopback_host

REDACTED = "***"


def _host(parts: SplitResult) -> str:
    return parts.hostname or ""


def redact_url(url: str) -> str:
    """The URL with any user info replaced by ``***`` and every query value by ``***``."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            netloc = REDACTED + "@" + netloc.rsplit("@", 1)[1]
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            query = urlencode([(key, REDACTED) for key, _ in pairs], safe="*")
        return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
    except ValueError:
        return "<unparseable URL>"


def validate_webhook_url(url: str, *, name: str = "WEBHOOK_URL") -> str:
    """Return ``url`` if events may be sent there; WebhookError naming ``name`` otherwise."""
    shown = redact_url(url)
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # raises ValueError on a bad port
    except ValueError:
        raise WebhookError(f"{name} is not a valid URL: {shown}") from None
    del port
    host = _host(parts)
    if parts.scheme not in ("https", "http") or not host:
        raise WebhookError(f"{name} must be an https:// URL with a host, got {shown}")
    if parts.scheme == "http" and not is_loopback_host(host):
        raise WebhookError(
            f"{name} must use https (plain http only to localhost, 127.0.0.0/8 or ::1), got {shown}"
        )
    if any(ch.isspace() for ch in url.strip()):
        raise WebhookError(f"{name} must not contain whitespace: {shown}")
    return url.strip()
