"""The retry policy: which failures repeat, full-jitter bounds, the cap, Retry-After."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.genesys.retry import (
    MAX_RETRY_AFTER_SECONDS,
    Delivery,
    RetryPolicy,
    classify_exception,
    may_repeat,
    parse_retry_after,
)

NOW = datetime(2026, 11, 24, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("status", [429, 502, 503, 504])
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_transient_statuses_repeat_for_reads_and_idempotent_writes(
    method: str, status: int
) -> None:
    assert may_repeat(method, status=status, delivery=Delivery.MAYBE_PROCESSED)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413, 500, 501])
@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
def test_client_errors_never_repeat(method: str, status: int) -> None:
    assert not may_repeat(method, status=status, delivery=Delivery.MAYBE_PROCESSED)


def test_post_repeats_only_when_certainly_not_processed() -> None:
    assert may_repeat("POST", status=429, delivery=Delivery.MAYBE_PROCESSED)
    assert may_repeat("POST", status=None, delivery=Delivery.NOT_SENT)
    for status in (502, 503, 504):
        assert not may_repeat("POST", status=status, delivery=Delivery.MAYBE_PROCESSED)
    assert not may_repeat("POST", status=None, delivery=Delivery.MAYBE_PROCESSED)


@pytest.mark.parametrize(
    ("exc", "delivery"),
    [
        (httpx.ConnectError("refused"), Delivery.NOT_SENT),
        (httpx.ConnectTimeout("slow connect"), Delivery.NOT_SENT),
        (httpx.PoolTimeout("pool"), Delivery.NOT_SENT),
        (httpx.ReadTimeout("slow answer"), Delivery.MAYBE_PROCESSED),
        (httpx.WriteTimeout("slow body"), Delivery.MAYBE_PROCESSED),
        (httpx.RemoteProtocolError("dropped"), Delivery.MAYBE_PROCESSED),
        (httpx.ReadError("reset"), Delivery.MAYBE_PROCESSED),
    ],
)
def test_connection_errors_are_classified_by_whether_the_request_left(
    exc: httpx.TransportError, delivery: Delivery
) -> None:
    assert classify_exception(exc) is delivery


@given(attempt=st.integers(min_value=1, max_value=40), seed=st.integers(0, 2**32))
def test_full_jitter_stays_between_zero_and_the_capped_exponential(attempt: int, seed: int) -> None:
    policy = RetryPolicy(base_seconds=0.5, cap_seconds=20.0, rng=random.Random(seed))
    delay = policy.backoff(attempt)
    assert 0.0 <= delay <= min(20.0, 0.5 * 2 ** (attempt - 1))


def test_jitter_spreads_over_the_whole_range_and_the_cap_holds() -> None:
    policy = RetryPolicy(base_seconds=1.0, cap_seconds=8.0, rng=random.Random(1))
    delays = [policy.backoff(10) for _ in range(500)]
    assert max(delays) <= 8.0
    assert max(delays) > 7.0  # full jitter reaches near the cap...
    assert min(delays) < 1.0  # ...and near zero
    early = [policy.backoff(1) for _ in range(200)]
    assert max(early) <= 1.0


def test_retry_after_replaces_the_backoff() -> None:
    policy = RetryPolicy(rng=random.Random(3))
    assert policy.delay(1, 7.0) == 7.0
    assert 0.0 <= policy.delay(1, None) <= 1.0


def test_attempts_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("3", 3.0),
        (" 12 ", 12.0),
        ("0", 0.0),
        ("100000", MAX_RETRY_AFTER_SECONDS),
        (format_datetime(NOW + timedelta(seconds=42), usegmt=True), 42.0),
        (format_datetime(NOW - timedelta(seconds=42), usegmt=True), 0.0),
        ("Tue, 24 Nov 2026 12:00:05 GMT", 5.0),
        ("Tuesday, 24-Nov-26 12:00:09 GMT", 9.0),
    ],
)
def test_retry_after_both_forms(value: str, seconds: float) -> None:
    assert parse_retry_after(value, NOW) == pytest.approx(seconds)


GARBAGE = [None, "", "soon", "-5", "1.5e3", "Tue, 99 Foo 2026", "NaN", "²", "١٢"]


@pytest.mark.parametrize("value", GARBAGE)
def test_retry_after_garbage_is_ignored(value: str | None) -> None:
    assert parse_retry_after(value, NOW) is None


@given(st.text(max_size=40))
def test_retry_after_never_raises_and_stays_bounded(value: str) -> None:
    result = parse_retry_after(value, NOW)
    assert result is None or 0.0 <= result <= MAX_RETRY_AFTER_SECONDS
