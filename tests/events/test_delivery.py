"""Retries, backoff and final outcomes of one delivery (in-process transport, no real waits)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import datetime, timezone

import httpx
import pytest
from webhook_receiver import SECRET

from reconciler.events import EventType, WebhookSecret, channel_event
from reconciler.webhooks import DeliveryOutcome, DeliveryState, RetryPolicy
from reconciler.webhooks.delivery import deliver, retry_after_seconds

URL = "https://alice:hunter2@hooks.example.com/x?token=s3cr3t"
EVENT = channel_event(
    EventType.CHANNEL_DELETED,
    run_id="run-1",
    environment="sandbox",
    channel_id="c-9",
    channel_name="Old",
    source="",
    now=datetime(2026, 1, 1, tzinfo=timezone.utc),
)


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def run_delivery(
    answer: Callable[[httpx.Request], httpx.Response], policy: RetryPolicy | None = None
) -> tuple[DeliveryOutcome, FakeTime, list[httpx.Request]]:
    fake = FakeTime()
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return answer(request)

    async def go() -> DeliveryOutcome:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            return await deliver(
                client,
                url=URL,
                secret=WebhookSecret.parse(SECRET),
                event=EVENT,
                policy=policy or RetryPolicy(),
                clock=fake.clock,
                sleep=fake.sleep,
                rng=random.Random(7),
            )

    return asyncio.run(go()), fake, requests


def statuses(*codes: int) -> Callable[[httpx.Request], httpx.Response]:
    answers = iter(codes)
    return lambda request: httpx.Response(next(answers))


def test_retries_5xx_and_429_then_delivers_with_the_same_id_and_body() -> None:
    policy = RetryPolicy(base_delay=4.0)  # delays over a second: distinct attempt timestamps
    outcome, _fake, requests = run_delivery(statuses(503, 429, 502, 200), policy)
    assert outcome.state is DeliveryState.DELIVERED
    assert (outcome.attempts, outcome.status, outcome.error) == (4, 200, "")
    assert {r.headers["webhook-id"] for r in requests} == {EVENT.webhook_id}
    assert {r.content for r in requests} == {EVENT.body()}
    # a new timestamp (and so a new signature) on every attempt
    stamps = [int(r.headers["webhook-timestamp"]) for r in requests]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == 4
    assert len({r.headers["webhook-signature"] for r in requests}) == 4


def test_backoff_grows_exponentially_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(max_attempts=8, base_delay=1.0, max_delay=10.0)
    outcome, fake, _ = run_delivery(statuses(*([503] * 8)), policy)
    assert outcome.state is DeliveryState.PENDING
    assert outcome.attempts == 8
    assert len(fake.sleeps) == 7  # no sleep after the last attempt
    caps = [1, 2, 4, 8, 10, 10, 10]
    for delay, cap in zip(fake.sleeps, caps, strict=True):
        assert cap / 2 <= delay <= cap
    assert len(set(fake.sleeps)) == 7  # jittered, not a fixed schedule


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(204)])
    outcome, fake, _ = run_delivery(lambda request: next(answers))
    assert outcome.delivered
    assert fake.sleeps[0] == 7.0


def test_retry_after_http_date_form() -> None:
    assert retry_after_seconds({"retry-after": "Thu, 15 Jan 2027 08:00:10 GMT"}, 1_800_000_000.0)
    assert retry_after_seconds({"retry-after": "soon"}, 0.0) is None
    assert retry_after_seconds({}, 0.0) is None


@pytest.mark.parametrize("status", [400, 401, 404, 410, 301])
def test_other_statuses_fail_at_once(status: int) -> None:
    outcome, fake, requests = run_delivery(statuses(status, 204))
    assert outcome.state is DeliveryState.PENDING
    assert (outcome.attempts, outcome.status, outcome.error) == (1, status, f"HTTP {status}")
    assert len(requests) == 1
    assert fake.sleeps == []


def test_timeouts_are_retried_and_bounded() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    outcome, _fake, requests = run_delivery(timeout, RetryPolicy(max_attempts=3))
    assert outcome.state is DeliveryState.PENDING
    assert outcome.attempts == 3
    assert len(requests) == 3
    assert outcome.status is None
    assert outcome.error.startswith("timeout (ReadTimeout")


def test_connection_errors_are_retried_and_never_leak_the_url() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot connect to {URL}", request=request)

    outcome, _, _requests = run_delivery(refused, RetryPolicy(max_attempts=2))
    assert outcome.attempts == 2
    assert outcome.error.startswith("connection error (ConnectError")
    for secret in ("hunter2", "s3cr3t", "alice"):
        assert secret not in outcome.error
        assert secret not in repr(outcome)


def test_per_attempt_timeout_covers_a_hanging_receiver() -> None:
    class Hang(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            await asyncio.sleep(10)
            return httpx.Response(204)

    async def go() -> DeliveryOutcome:
        async with httpx.AsyncClient(transport=Hang()) as client:
            return await deliver(
                client,
                url=URL,
                secret=WebhookSecret.parse(SECRET),
                event=EVENT,
                policy=RetryPolicy(max_attempts=1, timeout=0.01),
                clock=lambda: 0.0,
                sleep=FakeTime().sleep,
                rng=random.Random(1),
            )

    outcome = asyncio.run(go())
    assert outcome.state is DeliveryState.PENDING
    assert outcome.error.startswith("timeout")
