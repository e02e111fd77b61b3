"""The client against a server that answers anything: malformed JSON, wrong types, missing
fields and headers, huge bodies, odd statuses, listings that never end or repeat.

Every call either succeeds or raises a ``ReconcilerError``: never another exception type, and
never a hang (each call runs under a real ``asyncio.wait_for``; the virtual time the client
chose to wait, retries and rate-limit pauses included, is bounded too).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fakes import FakeClock
from hypothesis import given
from hypothesis import strategies as st

from reconciler.errors import ReconcilerError, TransportError
from reconciler.genesys.adapters.channel import CHANNELS_PATH
from reconciler.genesys.client import GenesysBackend
from reconciler.genesys.retry import MAX_RETRY_AFTER_SECONDS
from reconciler.genesys.settings import Secret, Settings

MAX_ATTEMPTS = 3
#: The longest a call may decide to wait: a capped Retry-After or a window pause per retry.
WAIT_BOUND = MAX_ATTEMPTS * (MAX_RETRY_AFTER_SECONDS + 60.0) + 60.0
TOKEN = {"access_token": "tok-fuzz", "token_type": "bearer", "expires_in": 86400}


def settings(max_attempts: int = MAX_ATTEMPTS) -> Settings:
    return Settings(
        environment="fuzz",
        api_url="http://127.0.0.1:9",
        login_url="http://127.0.0.1:9",
        client_id=Secret("cid"),
        client_secret=Secret("sek-FUZZ"),
        max_attempts=max_attempts,
        rate_per_minute=6000,
    )


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...]


def channel(i: int) -> dict[str, Any]:
    return {"id": f"id-{i}", "name": f"Channel {i}", "version": 1}


json_leaf = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_any = st.recursive(
    json_leaf,
    lambda kids: (
        st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=10), kids, max_size=4)
    ),
    max_leaves=20,
)
# Bodies shaped like the contract's, with one field dropped, retyped or added.
field_values = st.sampled_from(
    [None, True, -1, 0, 10**30, 1.5, "", "x", [], {}, [1], {"a": 1}, "\x00", "é" * 5]
)
channelish = st.builds(
    lambda drop, key, value: {
        **{k: v for k, v in channel(0).items() if k != drop},
        **({key: value} if key else {}),
    },
    st.sampled_from(["", "id", "name", "version"]),
    st.sampled_from(
        [
            "",
            "id",
            "name",
            "version",
            "description",
            "securityPolicy",
            "dateCreated",
            "webMessagingWidgetConfiguration",
        ]
    ),
    field_values,
)
listingish = st.builds(
    lambda entities, key, value, extra: {
        "entities": entities,
        "pageSize": 100,
        "pageNumber": 1,
        "pageCount": 1,
        **({key: value} if key else {}),
        **extra,
    },
    st.lists(channelish | json_any, max_size=3),
    st.sampled_from(["", "entities", "pageCount", "pageNumber", "nextUri", "total"]),
    field_values,
    st.sampled_from([{}, {"nextUri": "/next"}, {"pageCount": 10**9}, {"pageCount": -1}]),
)
error_body = st.fixed_dictionaries(
    {},
    optional={
        "message": json_any,
        "code": json_any,
        "status": json_any,
        "contextId": json_any,
        "details": st.lists(
            st.fixed_dictionaries(
                {}, optional={"fieldName": json_any, "errorCode": json_any, "entityId": json_any}
            )
            | json_any,
            max_size=3,
        )
        | json_any,
    },
)
raw_bodies = st.one_of(
    st.binary(max_size=300),
    json_any.map(lambda v: json.dumps(v).encode()),
    channelish.map(lambda v: json.dumps(v).encode()),
    listingish.map(lambda v: json.dumps(v).encode()),
    error_body.map(lambda v: json.dumps(v).encode()),
    st.sampled_from([b"", b"{", b"[" * 5000, b'{"entities": [' + b"{}," * 20000 + b"{}]}"]),
    st.just(b'"' + b"x" * 3_000_000 + b'"'),
)
header_values = st.sampled_from(
    [
        "",
        "0",
        "1",
        "-5",
        "1e308",
        "inf",
        "nan",
        "99999999999",
        "abc",
        "Wed, 21 Oct 2015 07:28:00 GMT",
        "Fri, 31 Dec 9999 23:59:59 GMT",
        " 3 ",
    ]
)
headers = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "Retry-After",
                "inin-ratelimit-allowed",
                "inin-ratelimit-count",
                "inin-ratelimit-reset",
                "ININ-Correlation-Id",
                "Content-Type",
                "Location",
            ]
        ),
        header_values,
    ),
    max_size=4,
)
statuses = st.sampled_from(
    [200, 201, 204, 301, 302, 400, 401, 403, 404, 409, 413, 429, 500, 502, 503, 504]
) | st.integers(100, 599)
answers = st.builds(Answer, statuses, raw_bodies, headers.map(tuple))

OPERATIONS: dict[str, Callable[[GenesysBackend], Any]] = {
    "list": lambda c: c.adapter("channel").list(),
    "get": lambda c: c.adapter("channel").get("id-1"),
    "find": lambda c: c.adapter("channel").find("Channel 1"),
    "create": lambda c: c.adapter("channel").create({"name": "Channel 1"}),
    "update": lambda c: c.adapter("channel").update("id-1", {"name": "Channel 1"}, revision="1"),
    "delete": lambda c: c.adapter("channel").delete("id-1"),
}


def call(
    operation: str,
    handler: Callable[[httpx.Request], httpx.Response],
    *,
    max_attempts: int = MAX_ATTEMPTS,
) -> tuple[Any, FakeClock]:
    """Run one client call against ``handler``; returns (result or the error, the clock)."""
    clock = FakeClock()

    async def main() -> Any:
        client = GenesysBackend(
            settings(max_attempts),
            transport=httpx.MockTransport(handler),
            clock=clock,
            sleep=clock.sleep,
            wall_clock=clock.wall,
        )
        async with client:
            return await asyncio.wait_for(OPERATIONS[operation](client), timeout=20)

    try:
        return asyncio.run(main()), clock
    except ReconcilerError as exc:
        error = exc
    assert str(error), "an error without a message"
    return error, clock


def serve(answer_list: list[Answer]) -> Callable[[httpx.Request], httpx.Response]:
    state = {"i": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json=TOKEN)
        answer = answer_list[state["i"] % len(answer_list)]
        state["i"] += 1
        return httpx.Response(answer.status, content=answer.body, headers=list(answer.headers))

    return handler


@given(st.sampled_from(sorted(OPERATIONS)), st.lists(answers, min_size=1, max_size=4))
def test_any_answer_gives_a_result_or_a_reconciler_error_in_bounded_time(
    operation: str, answer_list: list[Answer]
) -> None:
    outcome, clock = call(operation, serve(answer_list))
    assert not isinstance(outcome, BaseException) or isinstance(outcome, ReconcilerError)
    assert sum(clock.slept) <= WAIT_BOUND, f"waited {sum(clock.slept)} s (virtual)"


@given(
    st.one_of(
        st.binary(max_size=200),
        json_any.map(lambda v: json.dumps(v).encode()),
        st.fixed_dictionaries(
            {},
            optional={
                "access_token": json_any,
                "expires_in": json_any,
                "error": json_any,
                "description": json_any,
            },
        ).map(lambda v: json.dumps(v).encode()),
    ),
    st.sampled_from([200, 400, 401, 403, 429, 500, 503]),
)
def test_any_token_answer_gives_a_reconciler_error_or_a_token(body: bytes, status: int) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(status, content=body)
        return httpx.Response(200, json=channel(1))

    outcome, clock = call("get", handler)
    assert not isinstance(outcome, BaseException) or isinstance(outcome, ReconcilerError)
    assert sum(clock.slept) <= WAIT_BOUND


def listing(entities: list[dict[str, Any]], number: int, count: int, *, more: bool) -> bytes:
    page: dict[str, Any] = {
        "entities": entities,
        "pageSize": 100,
        "pageNumber": number,
        "pageCount": count,
        "total": 100 * count,
    }
    if more:
        page["nextUri"] = f"{CHANNELS_PATH}?pageNumber={number + 1}"
    return json.dumps(page).encode()


def page_number(request: httpx.Request) -> int:
    return int(request.url.params.get("pageNumber", "1"))


def test_a_listing_whose_pages_never_end_stops_at_the_page_bound() -> None:
    requests = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json=TOKEN)
        number = page_number(request)
        requests.append(number)
        entities = [channel(number * 1000 + i) for i in range(100)]
        return httpx.Response(200, content=listing(entities, number, 1, more=True))

    outcome, _ = call("list", handler)
    assert isinstance(outcome, TransportError)
    assert "did not end" in str(outcome)
    assert len(requests) <= 1000


def test_a_listing_that_repeats_its_pages_is_an_error_not_a_merge() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json=TOKEN)
        same = [channel(i) for i in range(100)]
        return httpx.Response(200, content=listing(same, page_number(request), 3, more=True))

    outcome, _ = call("list", handler)
    assert isinstance(outcome, TransportError)
    assert "repeats page 1" in str(outcome)


@pytest.mark.parametrize("count", [10**9, 1001])
def test_a_listing_claiming_too_many_pages_fails_before_fetching_them(count: int) -> None:
    requests = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json=TOKEN)
        requests.append(request)
        return httpx.Response(200, content=listing([channel(1)], 1, count, more=True))

    outcome, _ = call("list", handler)
    assert isinstance(outcome, TransportError)
    assert "more than the limit" in str(outcome)
    assert len(requests) == 1


def test_a_rate_limit_window_reset_far_in_the_future_does_not_stall_the_client() -> None:
    """A server announcing an exhausted window that resets in 10**12 s: the pause is bounded."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json=TOKEN)
        rate = {
            "inin-ratelimit-allowed": "300",
            "inin-ratelimit-count": "300",
            "inin-ratelimit-reset": "1000000000000",
        }
        return httpx.Response(200, json=channel(1), headers=rate)

    clock = FakeClock()

    async def main() -> None:
        client = GenesysBackend(
            settings(), transport=httpx.MockTransport(handler), clock=clock, sleep=clock.sleep
        )
        async with client:
            await client.adapter("channel").get("id-1")
            await client.adapter("channel").get("id-1")

    asyncio.run(main())
    assert max(clock.slept) <= 60.0, f"paused {max(clock.slept)} s for one window"


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
@pytest.mark.parametrize("status", [200, 409, 503])
def test_json_nested_too_deep_is_a_transport_error(operation: str, status: int) -> None:
    deep = Answer(status, b"[" * 100_000 + b"]" * 100_000, ())
    outcome, _ = call(operation, serve([deep]))
    assert isinstance(outcome, ReconcilerError) or (operation == "delete" and outcome is None)


def test_a_token_answer_nested_too_deep_is_a_reconciler_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b'{"a":' * 50_000 + b"1" + b"}" * 50_000)

    outcome, _ = call("get", handler)
    assert isinstance(outcome, TransportError)
