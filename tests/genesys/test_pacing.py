"""The shared pacer: spacing, learning from inin-ratelimit-* headers, pauses, waiting time."""

from __future__ import annotations

import asyncio

import pytest
from client_helpers import FakeClock

from reconciler.genesys.pacing import RateLimiter


def headers(count: int, allowed: int, reset: int) -> dict[str, str]:
    return {
        "inin-ratelimit-count": str(count),
        "inin-ratelimit-allowed": str(allowed),
        "inin-ratelimit-reset": str(reset),
    }


def max_in_any_window(times: list[float], window: float = 60.0) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_a_concurrent_burst_stays_under_the_default_limit(clock: FakeClock) -> None:
    limiter = RateLimiter(rate_per_minute=300, clock=clock, sleep=clock.sleep)
    sent: list[float] = []

    async def one() -> None:
        await limiter.acquire()
        sent.append(clock())
        limiter.release()

    async def burst() -> None:
        await asyncio.gather(*(one() for _ in range(400)))

    asyncio.run(burst())
    assert len(sent) == 400
    assert max_in_any_window(sent) <= 300
    assert limiter.waited_seconds > 0
    assert limiter.requests == 400


def test_concurrent_waits_are_not_counted_twice(clock: FakeClock) -> None:
    limiter = RateLimiter(rate_per_minute=300, clock=clock, sleep=clock.sleep)

    async def ten() -> None:
        async def one() -> None:
            await limiter.acquire()
            limiter.release()

        await asyncio.gather(*(one() for _ in range(10)))

    start = clock()
    asyncio.run(ten())
    assert clock() - start == pytest.approx(1.8)  # nine slots of 0.2 s after the first
    assert limiter.waited_seconds == pytest.approx(1.8)  # not 0.2 + 0.4 + ... + 1.8 = 9.0


def test_slots_are_one_interval_apart_and_waiting_is_summed(clock: FakeClock) -> None:
    limiter = RateLimiter(rate_per_minute=120, clock=clock, sleep=clock.sleep)

    async def three() -> None:
        for _ in range(3):
            await limiter.acquire()
            limiter.release()

    asyncio.run(three())
    assert clock.slept == [pytest.approx(0.5), pytest.approx(0.5)]
    assert limiter.waited_seconds == pytest.approx(1.0)


def test_remaining_budget_is_spread_over_the_time_to_reset(clock: FakeClock) -> None:
    limiter = RateLimiter(rate_per_minute=300, clock=clock, sleep=clock.sleep)
    assert limiter.interval == pytest.approx(0.2)
    limiter.observe(headers(count=250, allowed=300, reset=50))
    assert limiter.interval == pytest.approx(1.0)  # 50 left over 50 s
    limiter.observe(headers(count=10, allowed=300, reset=58))
    assert limiter.interval == pytest.approx(0.2)  # never faster than the limit allows


def test_requests_in_flight_count_against_the_budget(clock: FakeClock) -> None:
    limiter = RateLimiter(rate_per_minute=300, clock=clock, sleep=clock.sleep)

    async def start_five() -> None:
        for _ in range(5):
            await limiter.acquire()

    asyncio.run(start_five())
    limiter.release(headers(count=290, allowed=300, reset=30))
    assert limiter.interval == pytest.approx(30 / (300 - 290 - 4))


def test_a_lower_announced_limit_slows_the_default(clock: FakeClock) -> None:
    limiter = RateLimiter(rate_per_minute=300, clock=clock, sleep=clock.sleep)
    limiter.observe({"inin-ratelimit-allowed": "60"})
    assert limiter.interval == pytest.approx(1.0)


def test_an_exhausted_window_pauses_until_it_resets(clock: FakeClock) -> None:
    limiter = RateLimiter(rate_per_minute=300, clock=clock, sleep=clock.sleep)
    limiter.observe(headers(count=300, allowed=300, reset=17))
    start = clock()
    asyncio.run(limiter.acquire())
    assert clock() - start == pytest.approx(17.0)


def test_retry_after_pause_holds_every_request(clock: FakeClock) -> None:
    limiter = RateLimiter(rate_per_minute=300, clock=clock, sleep=clock.sleep)
    limiter.pause(5.0)
    times: list[float] = []

    async def two() -> None:
        async def one() -> None:
            await limiter.acquire()
            times.append(clock())

        await asyncio.gather(one(), one())

    start = clock()
    asyncio.run(two())
    assert min(times) - start >= 5.0
    assert limiter.waited_seconds >= 5.0


@pytest.mark.parametrize(
    "bad",
    [
        {"inin-ratelimit-count": "x", "inin-ratelimit-allowed": "300", "inin-ratelimit-reset": "9"},
        {"inin-ratelimit-allowed": "-3"},
        {"inin-ratelimit-allowed": "inf"},
        {"inin-ratelimit-allowed": "nan"},
        {},
    ],
)
def test_odd_headers_change_nothing(clock: FakeClock, bad: dict[str, str]) -> None:
    limiter = RateLimiter(rate_per_minute=300, clock=clock, sleep=clock.sleep)
    limiter.observe(bad)
    assert limiter.interval == pytest.approx(0.2)


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="rate_per_minute"):
        RateLimiter(rate_per_minute=0)


def test_an_announced_budget_is_sent_at_once(clock: FakeClock) -> None:
    limiter = RateLimiter(rate_per_minute=300, clock=clock, sleep=clock.sleep)
    limiter.observe(headers(count=2, allowed=300, reset=58))
    sent: list[float] = []

    async def one() -> None:
        await limiter.acquire()
        sent.append(clock())
        limiter.release(headers(count=3 + len(sent), allowed=300, reset=58))

    async def hundred() -> None:
        await asyncio.gather(*(one() for _ in range(100)))

    start = clock()
    asyncio.run(hundred())
    assert sent == [start] * 100  # 100 of the 283 left (less the margin of 15): no waiting
    assert clock.slept == []
    assert limiter.waited_seconds == 0


def test_near_the_limit_requests_are_spaced_again(clock: FakeClock) -> None:
    limiter = RateLimiter(rate_per_minute=300, clock=clock, sleep=clock.sleep)
    limiter.observe(headers(count=280, allowed=300, reset=40))
    assert limiter.budget == 5  # 20 left, less the margin of 15
    assert limiter.interval == pytest.approx(2.0)  # 20 left over 40 s

    async def seven() -> None:
        for _ in range(7):
            await limiter.acquire()

    asyncio.run(seven())
    assert limiter.budget == 0
    # Five from the budget, the sixth takes the first slot, the seventh waits one interval.
    assert clock.slept == [pytest.approx(2.0)]


def test_a_pause_takes_the_free_budget_away(clock: FakeClock) -> None:
    limiter = RateLimiter(rate_per_minute=300, clock=clock, sleep=clock.sleep)
    limiter.observe(headers(count=0, allowed=300, reset=60))
    assert limiter.budget > 0
    limiter.pause(3.0)  # a 429's Retry-After
    assert limiter.budget == 0
    start = clock()
    asyncio.run(limiter.acquire())
    assert clock() - start == pytest.approx(3.0)


def test_the_budget_counts_requests_in_flight_and_the_margin(clock: FakeClock) -> None:
    limiter = RateLimiter(rate_per_minute=300, clock=clock, sleep=clock.sleep)

    async def start_three() -> None:
        for _ in range(3):
            await limiter.acquire()

    asyncio.run(start_three())  # three in flight (spaced: nothing was announced yet)
    limiter.release(headers(count=100, allowed=300, reset=30))  # two still in flight
    assert limiter.budget == 300 - 100 - 2 - 15


def test_a_new_window_releases_the_requests_the_old_one_spread_over_its_end(
    clock: FakeClock,
) -> None:
    """Against a server counting fixed 60 s windows (the emulator's limiter), 423 requests
    eight at a time take two windows: the last ones of the first window are not spread past
    its reset, and the second window's budget sends the rest at once, never over the limit."""
    from reconciler.sandbox.ratelimit import RateLimiter as ServerWindows

    limiter = RateLimiter(rate_per_minute=300, clock=clock, sleep=clock.sleep)
    server = ServerWindows(300)
    answered: list[float] = []
    refused = 0
    start = clock()

    async def one() -> None:
        nonlocal refused
        await limiter.acquire()
        await clock.sleep(0.03)  # the request's round trip
        state = server.hit("token", clock())
        refused += state.exceeded
        limiter.release(state.headers())
        answered.append(clock() - start)

    async def run() -> None:
        slots = asyncio.Semaphore(8)

        async def paced() -> None:
            async with slots:
                await one()

        await asyncio.gather(*(paced() for _ in range(423)))

    asyncio.run(run())
    assert refused == 0
    assert max(answered) < 62.0  # before: 148 s, the stragglers waiting on old slots
