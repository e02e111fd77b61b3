"""When to repeat a request, and how long to wait first.

Retried (docs/api-notes.md#retries): 429, 502, 503, 504, connection errors and timeouts; never
400/401/403/404/409/413. A write is special, because repeating one that was applied could
duplicate it (issue 5):

- POST is repeated only when it was certainly not processed: a 429, or a connection error
  raised before the request was sent (``ConnectError``, ``ConnectTimeout``, ``PoolTimeout``).
  A POST whose answer was lost (read timeout, reset after sending, 502/503/504) ends in
  ``OutcomeUnknownError`` so the caller can find out what happened.
- PUT and DELETE are idempotent enough to repeat (a 409 version mismatch or 404 on the repeat
  is the executor's to read), but when their attempts run out after a send whose answer was
  lost, the outcome is unknown too.
- GET is repeated freely.

Backoff is exponential with full jitter (AWS Architecture Blog, "Exponential Backoff And
Jitter"): ``uniform(0, min(cap, base * 2**(attempt-1)))``; a ``Retry-After`` replaces it.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import httpx

#: Statuses worth repeating.
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
#: Longest wait a server's Retry-After may impose; a larger value is cut to this.
MAX_RETRY_AFTER_SECONDS = 120.0

#: Raised before a byte of the request left: the server cannot have processed it.
_NOT_SENT_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)


class Delivery(enum.Enum):
    """What a failed attempt says about whether the server saw the request."""

    NOT_SENT = "not-sent"
    MAYBE_PROCESSED = "maybe-processed"


def classify_exception(exc: httpx.TransportError) -> Delivery:
    return Delivery.NOT_SENT if isinstance(exc, _NOT_SENT_ERRORS) else Delivery.MAYBE_PROCESSED


def may_repeat(method: str, *, status: int | None, delivery: Delivery) -> bool:
    """Whether an attempt that failed this way may be sent again."""
    if status is not None and status not in RETRYABLE_STATUSES:
        return False
    if method.upper() != "POST":
        return True
    if status == 429:
        return True
    return status is None and delivery is Delivery.NOT_SENT


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """Attempts and backoff; ``rng`` is injectable so tests can pin the jitter."""

    max_attempts: int = 5
    base_seconds: float = 1.0
    cap_seconds: float = 30.0
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based): full jitter."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempt - 1))
        return self.rng.uniform(0.0, ceiling)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """The server's Retry-After when it gave one, else the jittered backoff."""
        return retry_after if retry_after is not None else self.backoff(attempt)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date (RFC 9110).

    Bounded to ``[0, MAX_RETRY_AFTER_SECONDS]``; a value that is neither form gives None.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    seconds: float
    if text.isascii() and text.isdigit():
        seconds = float(text)
    else:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        if now.tzinfo is None:
            now = now.replace(tzinfo=timezone.utc)
        seconds = (when - now).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)
