"""Fault injection: scripts, seeded probabilities, method filters, and what is applied."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from reconciler.errors import ConfigError
from reconciler.sandbox import FaultPlan, SandboxConfig

from .helpers import COLLECTION, Api, channel_body


def statuses(api: Api, n: int) -> list[tuple[int, bool, float]]:
    out = []
    for _ in range(n):
        r = api.call("GET", COLLECTION)
        out.append((r.status, r.drop, r.delay))
    return out


def test_script_is_consumed_in_order_then_ok(make_api: Callable[..., Api]) -> None:
    plan = FaultPlan(
        script=("503", "502", "504", "429", "401", "slow", "drop", "ok"), slow_seconds=7
    )
    api = make_api(faults=plan)
    got = statuses(api, 9)
    assert got == [
        (503, False, 0.0),
        (502, False, 0.0),
        (504, False, 0.0),
        (429, False, 0.0),
        (401, False, 0.0),
        (200, False, 7.0),
        (200, True, 0.0),
        (200, False, 0.0),
        (200, False, 0.0),
    ]


def test_fault_bodies(make_api: Callable[..., Api]) -> None:
    api = make_api(faults=FaultPlan(script=("503", "504", "429", "401"), retry_after_seconds=2))
    unavailable = api.call("GET", COLLECTION)
    assert unavailable.json()["code"] == "service.unavailable"
    assert unavailable.headers["Retry-After"] == "2"
    assert api.call("GET", COLLECTION).json()["code"] == "request.timeout"
    limited = api.call("GET", COLLECTION)
    assert limited.headers["Retry-After"] == "2"
    assert limited.json()["message"] == (
        "Rate limit exceeded the maximum. Retry the request in [2] seconds"
    )
    assert api.call("GET", COLLECTION).json()["code"] == "credentials.expired"


@pytest.mark.parametrize("fault", ["502", "503", "504", "429", "401"])
def test_error_faults_do_not_apply_the_write(make_api: Callable[..., Api], fault: str) -> None:
    api = make_api(faults=FaultPlan(script=(fault,)))
    response = api.call("POST", COLLECTION, json_body=channel_body())
    assert response.status == int(fault)
    assert len(api.app.state) == 0
    assert api.call("POST", COLLECTION, json_body=channel_body()).status == 200


def test_drop_commits_the_write(make_api: Callable[..., Api]) -> None:
    api = make_api(faults=FaultPlan(script=("drop",)))
    response = api.call("POST", COLLECTION, json_body=channel_body())
    assert response.drop
    assert len(api.app.state) == 1
    retry = api.call("POST", COLLECTION, json_body=channel_body())
    assert retry.status == 409  # the safeguard against a blind repeat


def test_only_methods_limits_who_meets_faults(make_api: Callable[..., Api]) -> None:
    api = make_api(faults=FaultPlan(script=("503", "503"), only_methods=frozenset({"post"})))
    assert api.call("GET", COLLECTION).status == 200
    assert api.call("POST", COLLECTION, json_body=channel_body()).status == 503
    assert api.call("GET", COLLECTION).status == 200
    assert api.call("POST", COLLECTION, json_body=channel_body()).status == 503
    assert api.call("POST", COLLECTION, json_body=channel_body()).status == 200


def test_the_write_script_is_met_by_writes_only_whatever_reads_come_between(
    make_api: Callable[..., Api],
) -> None:
    api = make_api(faults=FaultPlan(write_script=("ok", "drop")))
    assert api.call("GET", COLLECTION).status == 200
    assert not api.call("POST", COLLECTION, json_body=channel_body()).drop
    assert [api.call("GET", COLLECTION).status for _ in range(3)] == [200, 200, 200]
    dropped = api.call("POST", COLLECTION, json_body=channel_body(name="Second"))
    assert dropped.drop
    assert len(api.app.state) == 2  # a drop commits the write
    assert not api.call("POST", COLLECTION, json_body=channel_body(name="Third")).drop


def test_token_requests_do_not_consume_the_script(make_api: Callable[..., Api]) -> None:
    api = make_api(faults=FaultPlan(script=("503",)))
    api.login()
    assert api.call("GET", COLLECTION).status == 503


def run_with(
    plan: FaultPlan, make_api: Callable[..., Api], n: int = 200
) -> list[tuple[int, bool, float]]:
    api = make_api(faults=plan)
    out = []
    for i in range(n):
        if i % 3 == 0:
            r = api.call("POST", COLLECTION, json_body=channel_body(f"c{i}"))
        else:
            r = api.call("GET", COLLECTION)
        out.append((r.status, r.drop, r.delay))
        if i % 50 == 0:
            api.token = api.login()  # token refreshes must not shift the sequence
    return out


def test_same_seed_same_faults_and_rates_hold(make_api: Callable[..., Api]) -> None:
    plan = FaultPlan(seed=11, error_5xx=0.2, rate_limit_429=0.1, drop_after_commit=0.2, slow=0.1)
    first = run_with(plan, make_api)
    assert first == run_with(plan, make_api)
    assert first != run_with(
        FaultPlan(seed=12, error_5xx=0.2, rate_limit_429=0.1, drop_after_commit=0.2, slow=0.1),
        make_api,
    )
    kinds = {status for status, _, _ in first}
    assert {200, 429} <= kinds
    assert kinds & {502, 503, 504}
    assert any(drop for _, drop, _ in first)
    assert any(delay == 30.0 for _, _, delay in first)
    errors = sum(1 for status, _, _ in first if status in (502, 503, 504))
    assert 20 <= errors <= 60  # about 20% of 200


def test_drop_probability_spares_reads(make_api: Callable[..., Api]) -> None:
    api = make_api(faults=FaultPlan(drop_after_commit=1.0))
    assert not api.call("GET", COLLECTION).drop
    assert api.call("POST", COLLECTION, json_body=channel_body()).drop
    assert api.app.stats.faults["drop"] == 1


def test_latency_is_added_to_every_response(make_api: Callable[..., Api]) -> None:
    api = make_api(latency_ms=250, faults=FaultPlan(script=("slow",), slow_seconds=2))
    assert api.call("GET", COLLECTION).delay == pytest.approx(2.25)
    assert api.call("GET", COLLECTION).delay == pytest.approx(0.25)
    assert api.token_request(None, b"").delay == pytest.approx(0.25)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"error_5xx": 1.5},
        {"slow": -0.1},
        {"slow_seconds": -1},
        {"script": ("boom",)},
        {"write_script": ("boom",)},
        {"token_script": ("503",)},
        {"only_methods": frozenset({"TRACE"})},
    ],
)
def test_bad_fault_plans_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        FaultPlan(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"rate_limit_per_minute": -1},
        {"latency_ms": -1},
        {"listing_lag_seconds": float("nan")},
        {"token_ttl_seconds": 0},
        {"credentials": ("id", "")},
    ],
)
def test_bad_configs_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        SandboxConfig(**kwargs)  # type: ignore[arg-type]


def test_config_repr_hides_the_secret() -> None:
    config = SandboxConfig(credentials=("client", "TopSecret-123"))
    assert "TopSecret-123" not in repr(config)
    assert "client" in repr(config)
