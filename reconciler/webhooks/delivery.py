"""Sending one event over HTTP, with bounded retries; a failure is an outcome, never a raise.

Status handling follows the Standard Webhooks guidance: 2xx is delivered; 429, 5xx, timeouts
and connection errors are retried with exponential backoff and full jitter (honouring
``Retry-After``, capped); any other status (3xx, 4xx) fails at once, since repeating the same
request cannot change the answer.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import random
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from reconciler import __version__
from reconciler.events import Event, WebhookSecret, signed_headers
from reconciler.webhooks.url import redact_url

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class _RedactWebhookUrls(logging.Filter):
    """httpx logs every request's full URL at INFO; this hides the webhook URLs' credentials
    (user info and query values) in those lines. Other URLs pass unchanged."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: dict[str, str] = {}  # URL -> how a log line shows it
        self.lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and self.urls:
            record.args = tuple(
                self.urls.get(str(arg), arg) if isinstance(arg, httpx.URL) else arg
                for arg in record.args
            )
        return True


_LOG_FILTER = _RedactWebhookUrls()


def hide_url_in_logs(url: str, shown: str | None = None) -> None:
    """Register ``url`` so httpx's request log shows it redacted, or as ``shown`` (a Slack or
    Teams URL carries its secret in the path) (idempotent)."""
    with _LOG_FILTER.lock:
        _LOG_FILTER.urls[str(httpx.URL(url))] = shown if shown is not None else redact_url(url)
        logger = logging.getLogger("httpx")
        if _LOG_FILTER not in logger.filters:
            logger.addFilter(_LOG_FILTER)


class DeliveryState(str, enum.Enum):
    DELIVERED = "delivered"
    PENDING = "pending"  # failed; kept in the outbox for `reconciler webhooks redeliver`
    SKIPPED = "skipped"  # WEBHOOK_URL is not set
    #: the outbox could not be written: the event is NOT kept anywhere (the run fails)
    UNRECORDED = "unrecorded"


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """Bounds on one delivery: attempts, per-attempt timeout and backoff delays (seconds)."""

    max_attempts: int = 5
    timeout: float = 15.0
    base_delay: float = 0.5
    max_delay: float = 30.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [cap/2, cap], cap = base * 2**(attempt-1) bounded by max."""
        cap = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return cap / 2 + rng.random() * cap / 2


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryOutcome:
    """What became of one event: state, attempts made, last HTTP status and last error."""

    webhook_id: str
    event_type: str
    state: DeliveryState
    attempts: int = 0
    status: int | None = None
    error: str = ""

    @property
    def delivered(self) -> bool:
        return self.state is DeliveryState.DELIVERED

    def to_record(self) -> dict[str, Any]:
        """The audit-log form (no URL, no signature, no secret)."""
        return {
            "webhookId": self.webhook_id,
            "type": self.event_type,
            "state": self.state.value,
            "attempts": self.attempts,
            "status": self.status,
            "error": self.error,
        }


def retry_after_seconds(headers: Mapping[str, str], now: float) -> float | None:
    """``Retry-After`` as seconds (delta or HTTP-date form), or None when absent or unreadable."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, moment.timestamp() - now)


def _retryable_status(status: int) -> bool:
    return status == 429 or 500 <= status <= 599


def _describe_exception(exc: BaseException, url: str) -> str:
    """A one-line reason that cannot leak the URL's credentials (``timeout (ReadTimeout)``)."""
    kind = "timeout" if isinstance(exc, (httpx.TimeoutException, asyncio.TimeoutError)) else ""
    if not kind:
        kind = "connection error" if isinstance(exc, httpx.NetworkError) else "transport error"
    text = str(exc).replace(url, redact_url(url)).strip()
    if "@" in text or "?" in text:  # something URL-like that could carry a credential
        text = ""
    detail = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return f"{kind} ({detail})"[:200]


async def deliver(
    client: httpx.AsyncClient,
    *,
    url: str,
    secret: WebhookSecret,
    event: Event,
    policy: RetryPolicy,
    clock: Clock,
    sleep: Sleep,
    rng: random.Random,
) -> DeliveryOutcome:
    """POST ``event`` until delivered, a final failure, or ``policy.max_attempts``."""
    body = event.body()
    status: int | None = None
    error = ""
    attempts = 0
    while attempts < policy.max_attempts:
        attempts += 1
        headers = {
            "content-type": "application/json",
            "user-agent": f"reconciler/{__version__}",
            **signed_headers(secret, event, int(clock())),
        }
        wait: float | None = None
        try:
            response = await asyncio.wait_for(
                client.post(url, content=body, headers=headers), timeout=policy.timeout
            )
        except (httpx.TransportError, asyncio.TimeoutError) as exc:
            status, error = None, _describe_exception(exc, url)
        else:
            status = response.status_code
            if 200 <= status <= 299:
                return DeliveryOutcome(
                    webhook_id=event.webhook_id,
                    event_type=event.type.value,
                    state=DeliveryState.DELIVERED,
                    attempts=attempts,
                    status=status,
                )
            error = f"HTTP {status}"
            if not _retryable_status(status):
                break
            wait = retry_after_seconds(response.headers, clock())
        if attempts < policy.max_attempts:
            delay = policy.delay(attempts, rng)
            if wait is not None:
                delay = max(delay, min(wait, policy.max_delay))
            await sleep(delay)
    return DeliveryOutcome(
        webhook_id=event.webhook_id,
        event_type=event.type.value,
        state=DeliveryState.PENDING,
        attempts=attempts,
        status=status,
        error=error,
    )
