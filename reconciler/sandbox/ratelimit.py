"""Per-token request counting in fixed 60-second windows (docs/api-notes.md#rate-limits)."""

from __future__ import annotations

import math
from dataclasses import dataclass

WINDOW_SECONDS = 60.0


@dataclass(slots=True)
class _Window:
    start: float
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RateState:
    """What the ``inin-ratelimit-*`` headers say after counting one request."""

    count: int
    allowed: int
    reset: int
    exceeded: bool

    def headers(self) -> dict[str, str]:
        return {
            "inin-ratelimit-count": str(self.count),
            "inin-ratelimit-allowed": str(self.allowed),
            "inin-ratelimit-reset": str(self.reset),
        }


class RateLimiter:
    """A window opens at a token's first request and lasts 60 s; every request counts,
    refused ones included (as a client hammering through 429s would see)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._windows: dict[str, _Window] = {}

    def hit(self, key: str, now: float) -> RateState:
        window = self._windows.get(key)
        if window is None or now >= window.start + WINDOW_SECONDS:
            if len(self._windows) > 10_000:
                self._prune(now)
            window = self._windows[key] = _Window(start=now, count=0)
        window.count += 1
        reset = max(1, math.ceil(window.start + WINDOW_SECONDS - now))
        return RateState(
            count=window.count,
            allowed=self.per_minute,
            reset=reset,
            exceeded=window.count > self.per_minute,
        )

    def _prune(self, now: float) -> None:
        for key in [k for k, w in self._windows.items() if now >= w.start + WINDOW_SECONDS]:
            del self._windows[key]
