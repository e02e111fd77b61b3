"""Rate-limit headers and 429, by the fake clock."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .helpers import COLLECTION, Api, FakeClock, channel_body


def headers_of(response: object) -> tuple[int, int, int]:
    h = response.headers  # type: ignore[attr-defined]
    return (
        int(h["inin-ratelimit-count"]),
        int(h["inin-ratelimit-allowed"]),
        int(h["inin-ratelimit-reset"]),
    )


def test_every_api_response_carries_the_headers(api: Api, clock: FakeClock) -> None:
    responses = [
        api.call("GET", COLLECTION),
        api.call("POST", COLLECTION, json_body=channel_body()),
        api.call("POST", COLLECTION, json_body={"bad": 1}),
        api.call("GET", f"{COLLECTION}/missing"),
        api.call("GET", COLLECTION, token="nonsense"),
    ]
    for response in responses:
        assert "inin-ratelimit-count" in response.headers
    assert [headers_of(r)[0] for r in responses[:4]] == [1, 2, 3, 4]
    assert headers_of(responses[0]) == (1, 300, 60)


def test_reset_counts_down_and_the_window_renews(
    make_api: Callable[..., Api], clock: FakeClock
) -> None:
    api = make_api(rate_limit_per_minute=10)
    assert headers_of(api.call("GET", COLLECTION)) == (1, 10, 60)
    clock.advance(20.5)
    assert headers_of(api.call("GET", COLLECTION)) == (2, 10, 40)
    clock.advance(39.5)
    assert headers_of(api.call("GET", COLLECTION)) == (1, 10, 60)


def test_429_after_the_limit_with_retry_after(
    make_api: Callable[..., Api], clock: FakeClock
) -> None:
    api = make_api(rate_limit_per_minute=3)
    for _ in range(3):
        assert api.call("GET", COLLECTION).status == 200
    clock.advance(13)
    refused = api.call("POST", COLLECTION, json_body=channel_body())
    assert refused.status == 429
    body = refused.json()
    assert body["code"] == "too.many.requests.retry.after"
    assert body["message"] == "Rate limit exceeded the maximum. Retry the request in [47] seconds"
    assert refused.headers["Retry-After"] == "47"
    assert body["contextId"] == refused.headers["ININ-Correlation-Id"]
    assert len(api.app.state) == 0  # refused, not applied
    clock.advance(47)
    assert api.call("GET", COLLECTION).status == 200


def test_limits_are_per_token(make_api: Callable[..., Api]) -> None:
    api = make_api(rate_limit_per_minute=2)
    api.call("GET", COLLECTION)
    api.call("GET", COLLECTION)
    assert api.call("GET", COLLECTION).status == 429
    other = api.login()
    assert api.call("GET", COLLECTION, token=other).status == 200


def test_token_endpoint_is_not_limited(make_api: Callable[..., Api]) -> None:
    api = make_api(rate_limit_per_minute=1)
    for _ in range(5):
        assert api.login()


@pytest.mark.parametrize("limit", [0])
def test_zero_disables_limit_and_headers(make_api: Callable[..., Api], limit: int) -> None:
    api = make_api(rate_limit_per_minute=limit)
    for _ in range(400):
        response = api.call("GET", COLLECTION)
    assert response.status == 200
    assert "inin-ratelimit-count" not in response.headers
