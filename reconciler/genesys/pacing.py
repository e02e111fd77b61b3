"""One request pacer shared by every concurrent request of a client.

Genesys allows about 300 requests a minute per token and says, on every response, how much of
the window is used (``inin-ratelimit-count``), the limit (``inin-ratelimit-allowed``) and the
seconds until the window resets (``inin-ratelimit-reset``) (docs/api-notes.md#rate-limits).

The pacer uses the budget the server announces. Once a response has said how much of the
window is left, that many requests (less those in flight and a safety margin, ``margin``) go at
once, without waiting: a small apply is not slowed by a limit it is nowhere near. Past that, and
before any headers have arrived, it hands out send slots one interval apart: by default
``60 / rate_per_minute``, and once headers arrive, the remaining budget spread over the time
left in the window (never faster than the limit itself allows). A window with nothing left, or
a 429's Retry-After, pauses every request. A new window's budget releases the requests that
were waiting for slots reserved under the old one. Every response re-counts the budget from the
server's own count, so the pacer never runs ahead of what the server has seen; the margin
covers responses that arrive out of order. The time during which requests waited is kept for
the progress display.

Slots are reserved without awaiting in between, so concurrent tasks need no lock.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Mapping

from reconciler.waits import waited

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

#: Assumed window length when the server announces a limit (the API's windows are 60 s).
WINDOW_SECONDS = 60.0


def margin(allowed: float) -> int:
    """Requests of an announced window never sent at once: 5% of it, at least 8 (more than a
    run keeps in flight, so a response that arrives late cannot make the pacer overspend)."""
    return max(8, math.ceil(allowed * 0.05))


class RateLimiter:
    """Spaces requests so a bulk run stays under the token's limit."""

    def __init__(
        self,
        *,
        rate_per_minute: float = 300,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate_per_minute <= 0:
            raise ValueError("rate_per_minute must be positive")
        self._clock = clock
        self._sleep = sleep
        self._min_interval = WINDOW_SECONDS / rate_per_minute
        self._interval = self._min_interval
        self._next_slot = float("-inf")
        self._paused_until = float("-inf")
        self._budget = 0  # requests that may go at once, from the last announced window
        self._in_flight = 0
        self._waiters = 0
        self._wait_started = 0.0
        self._waited = 0.0
        self._renewal: asyncio.Event | None = None
        self._window_end = float("-inf")  # when the announced window resets
        self.requests = 0

    @property
    def waited_seconds(self) -> float:
        """Time during which at least one request waited for its slot (not the sum over
        requests, which would count concurrent waits several times)."""
        current = self._clock() - self._wait_started if self._waiters else 0.0
        return self._waited + current

    @property
    def interval(self) -> float:
        """Current spacing between two sends once the free budget is spent, in seconds."""
        return self._interval

    @property
    def queued(self) -> int:
        """Requests waiting for their send slot right now (the budget is spent: paced)."""
        return self._waiters

    @property
    def budget(self) -> int:
        """Requests that may be sent at once, without a slot."""
        return self._budget

    async def acquire(self) -> None:
        """Wait for this request's slot; every call that returns must be followed by
        ``release`` (one that raises, cut short by a stopping run, needs none)."""
        now = self._clock()
        if self._budget > 0 and now >= self._paused_until:
            self._budget -= 1
            self._in_flight += 1
            self.requests += 1
            return
        slot = max(now, self._next_slot, self._paused_until)
        if slot > self._window_end > now:
            # Past the announced window's reset a new budget waits: probe it then, rather
            # than spreading the old window's last requests beyond its end.
            slot = self._window_end
        self._next_slot = slot + self._interval
        self._in_flight += 1
        self.requests += 1
        wait = slot - now
        if wait <= 0:
            return
        if self._waiters == 0:
            self._wait_started = now
        self._waiters += 1
        try:
            while True:
                await waited(self._sleep_unless_renewed(wait), "the API's rate limit")
                now = self._clock()
                if now >= slot:
                    return
                if self._budget > 0 and now >= self._paused_until:
                    # A new window's budget arrived while this request waited for a slot
                    # reserved under the old one: it goes now, from the budget.
                    self._budget -= 1
                    return
                wait = slot - now
        except BaseException:
            self._in_flight = max(0, self._in_flight - 1)  # never sent: not in flight
            raise
        finally:
            self._waiters -= 1
            if self._waiters == 0:
                self._waited += self._clock() - self._wait_started

    async def _sleep_unless_renewed(self, seconds: float) -> None:
        """Sleep ``seconds``, or less when a response announces a fresh budget (only a
        server that announces its window can)."""
        if self._window_end == float("-inf"):
            await self._sleep(seconds)
            return
        if self._renewal is None:
            self._renewal = asyncio.Event()
        sleeper = asyncio.ensure_future(self._sleep(seconds))
        renewed = asyncio.ensure_future(self._renewal.wait())
        try:
            await asyncio.wait({sleeper, renewed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            renewed.cancel()

    def release(self, headers: Mapping[str, str] | None = None) -> None:
        """The request ended; learn from its response headers when there are any."""
        self._in_flight = max(0, self._in_flight - 1)
        if headers is not None:
            self.observe(headers)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Adapt the spacing to ``inin-ratelimit-*`` headers; ignore absent or odd values."""
        allowed = _number(headers.get("inin-ratelimit-allowed"))
        count = _number(headers.get("inin-ratelimit-count"))
        reset = _number(headers.get("inin-ratelimit-reset"))
        if allowed is not None and allowed > 0:
            self._min_interval = WINDOW_SECONDS / allowed
            self._interval = max(self._interval, self._min_interval)
        if allowed is None or count is None or reset is None:
            return
        reset = min(reset, WINDOW_SECONDS)  # a window resets within its length; never stall
        self._window_end = self._clock() + reset
        remaining = allowed - count - self._in_flight
        if remaining <= 0:
            self.pause(reset)
            self._interval = self._min_interval
            return
        had_budget = self._budget > 0
        self._budget = max(0, int(remaining) - margin(allowed))
        self._interval = max(self._min_interval, reset / remaining)
        if self._budget > 0 and not had_budget:
            # A fresh budget (a new window): the slots reserved under the old one, spread
            # over its end, no longer hold anyone back.
            self._next_slot = min(self._next_slot, self._clock())
            if self._renewal is not None:
                self._renewal.set()
                self._renewal = None

    def pause(self, seconds: float) -> None:
        """Hold every request for ``seconds`` (a 429's Retry-After, an exhausted window); the
        free budget is gone until a response announces a new one."""
        self._budget = 0
        if seconds > 0:
            self._paused_until = max(self._paused_until, self._clock() + seconds)


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if number >= 0 and number == number and number != float("inf") else None
