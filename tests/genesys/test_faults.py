"""Retries against injected faults: what repeats, what never does, and what waits how long."""

from __future__ import annotations

import asyncio
from email.utils import format_datetime

import httpx
import pytest
from client_helpers import (
    ClientFactory,
    FakeClock,
    channel_body,
    make_settings,
    sandbox_app,
    sandbox_transport,
)

from reconciler.errors import (
    OutcomeUnknownError,
    RateLimitedError,
    ServerError,
    TransportError,
    VersionMismatchError,
)
from reconciler.genesys.calls import record_calls
from reconciler.sandbox import FaultPlan

POSTS = "POST /api/v2/webmessaging/channels"
PUTS = "PUT /api/v2/webmessaging/channels/{id}"
LISTING = "GET /api/v2/webmessaging/channels"


@pytest.mark.parametrize(
    ("fault", "stored"),
    [("drop", 1), ("slow", 1), ("503", 0), ("502", 0), ("504", 0)],
)
def test_a_post_with_a_lost_answer_is_never_repeated(
    clock: FakeClock, make_client: ClientFactory, fault: str, stored: int
) -> None:
    plan = FaultPlan(script=(fault,), only_methods=frozenset({"POST"}), slow_seconds=45)
    app = sandbox_app(clock, faults=plan)
    client = make_client(sandbox_transport(app, clock))
    with pytest.raises(OutcomeUnknownError) as info:
        asyncio.run(client.adapter("channel").create(channel_body("Only once")))
    assert "may or may not have been applied" in str(info.value)
    assert app.stats.requests[POSTS] == 1
    assert len(app.state) == stored  # a drop or a slow answer committed: exactly one channel


def test_a_post_refused_with_429_is_repeated_and_creates_once(
    clock: FakeClock, make_client: ClientFactory
) -> None:
    plan = FaultPlan(script=("429",), only_methods=frozenset({"POST"}), retry_after_seconds=7)
    app = sandbox_app(clock, faults=plan)
    client = make_client(sandbox_transport(app, clock))
    start = clock()
    asyncio.run(client.adapter("channel").create(channel_body("Once")))
    assert app.stats.requests[POSTS] == 2
    assert len(app.state) == 1
    assert clock() - start >= 7.0  # Retry-After honoured...
    assert client.pacing_wait_seconds >= 7.0  # ...through the shared pacer


def test_a_post_that_could_not_connect_is_repeated(
    clock: FakeClock, make_client: ClientFactory
) -> None:
    app = sandbox_app(clock)
    inner = sandbox_transport(app, clock)
    failures = [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow connect")]

    class Flaky(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.method == "POST" and request.url.path != "/oauth/token" and failures:
                raise failures.pop(0)
            return await inner.handle_async_request(request)

    client = make_client(Flaky())
    asyncio.run(client.adapter("channel").create(channel_body("Eventually")))
    assert len(app.state) == 1
    assert len(clock.slept) >= 2


def test_reads_are_retried_through_transient_errors(
    clock: FakeClock, make_client: ClientFactory
) -> None:
    plan = FaultPlan(script=("503", "502", "drop", "504"), only_methods=frozenset({"GET"}))
    app = sandbox_app(clock, channels=5, faults=plan)
    client = make_client(sandbox_transport(app, clock))
    with record_calls() as calls:
        channels = asyncio.run(client.adapter("channel").list())
    assert len(channels) == 5
    listing = [c for c in calls if c.path == "/api/v2/webmessaging/channels"]
    assert [c.attempt for c in listing] == [1, 2, 3, 4, 5]
    assert [c.status for c in listing] == [503, 502, 0, 504, 200]
    assert listing[2].error == "RemoteProtocolError"
    assert all(c.correlation_id for c in listing if c.status)


def test_read_retries_run_out_into_a_server_error(
    clock: FakeClock, make_client: ClientFactory
) -> None:
    app = sandbox_app(clock, faults=FaultPlan(script=("503",) * 3, only_methods=frozenset({"GET"})))
    client = make_client(sandbox_transport(app, clock), make_settings(max_attempts=3))
    with pytest.raises(ServerError) as info:
        asyncio.run(client.adapter("channel").list())
    assert info.value.status == 503
    assert app.stats.requests[LISTING] == 3


def test_rate_limit_retries_run_out_into_rate_limited(
    clock: FakeClock, make_client: ClientFactory
) -> None:
    app = sandbox_app(clock, faults=FaultPlan(script=("429",) * 2))
    client = make_client(sandbox_transport(app, clock), make_settings(max_attempts=2))
    with pytest.raises(RateLimitedError):
        asyncio.run(client.adapter("channel").list())


def test_a_put_whose_answer_was_lost_is_repeated_and_the_conflict_surfaces(
    clock: FakeClock, make_client: ClientFactory
) -> None:
    app = sandbox_app(clock, faults=FaultPlan(script=("drop",), only_methods=frozenset({"PUT"})))
    client = make_client(sandbox_transport(app, clock))

    async def scenario() -> None:
        created = await client.adapter("channel").create(channel_body("Twice"))
        await client.adapter("channel").update(
            created.id, channel_body("Twice", description="v2"), revision="1"
        )

    # The dropped PUT was applied; its repeat carries the old version: the executor reads this.
    with pytest.raises(VersionMismatchError):
        asyncio.run(scenario())
    assert app.stats.requests[PUTS] == 2
    (stored,) = app.state.channels.values()
    assert stored["version"] == 2


def test_a_put_out_of_attempts_after_a_lost_answer_is_an_unknown_outcome(
    clock: FakeClock, make_client: ClientFactory
) -> None:
    plan = FaultPlan(script=("drop", "503"), only_methods=frozenset({"PUT"}))
    app = sandbox_app(clock, faults=plan)
    client = make_client(sandbox_transport(app, clock), make_settings(max_attempts=2))

    async def scenario() -> None:
        created = await client.adapter("channel").create(channel_body("Lost"))
        await client.adapter("channel").update(
            created.id, channel_body("Lost", description="v2"), revision="1"
        )

    with pytest.raises(OutcomeUnknownError):
        asyncio.run(scenario())


def test_a_delete_out_of_attempts_after_a_lost_answer_is_an_unknown_outcome(
    clock: FakeClock, make_client: ClientFactory
) -> None:
    plan = FaultPlan(script=("504",), only_methods=frozenset({"DELETE"}))
    app = sandbox_app(clock, faults=plan)
    client = make_client(sandbox_transport(app, clock), make_settings(max_attempts=1))

    async def scenario() -> None:
        created = await client.adapter("channel").create(channel_body("Gone?"))
        await client.adapter("channel").delete(created.id)

    with pytest.raises(OutcomeUnknownError):
        asyncio.run(scenario())


def test_connection_errors_on_reads_run_out_into_a_transport_error(
    make_client: ClientFactory,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 900})
        raise httpx.ConnectError("refused", request=request)

    client = make_client(httpx.MockTransport(handler), make_settings(max_attempts=4))
    with pytest.raises(TransportError) as info:
        asyncio.run(client.adapter("channel").get("abc"))
    assert type(info.value) is TransportError
    assert "after 4 attempts" in str(info.value)


def test_retry_after_as_an_http_date(clock: FakeClock, make_client: ClientFactory) -> None:
    answers = iter(["429", "ok"])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 900})
        if next(answers) == "429":
            when = format_datetime(clock.wall().replace(microsecond=0), usegmt=True)
            later = when.replace(when[17:25], _plus_seconds(when[17:25], 20))
            return httpx.Response(
                429,
                json={"status": 429, "code": "too.many.requests.retry.after"},
                headers={"Retry-After": later},
            )
        return httpx.Response(200, json={"entities": [], "pageCount": 0, "pageNumber": 1})

    client = make_client(httpx.MockTransport(handler))
    start = clock()
    asyncio.run(client.adapter("channel").list())
    assert clock() - start == pytest.approx(20.0, abs=1.0)


def _plus_seconds(hhmmss: str, seconds: int) -> str:
    h, m, s = (int(x) for x in hhmmss.split(":"))
    total = (h * 3600 + m * 60 + s + seconds) % 86400
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def test_backoff_waits_grow_but_stay_under_the_cap(
    clock: FakeClock, make_client: ClientFactory
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 9000})
        return httpx.Response(503, json={"status": 503, "code": "service.unavailable"})

    # A generous rate so the pacer never waits: every sleep is a backoff.
    settings = make_settings(max_attempts=8, rate_per_minute=6_000_000)
    client = make_client(httpx.MockTransport(handler), settings)
    with pytest.raises(ServerError):
        asyncio.run(client.adapter("channel").get("abc"))
    assert len(clock.slept) == 7
    for attempt, delay in enumerate(clock.slept, start=1):
        assert 0.0 <= delay <= min(30.0, 2 ** (attempt - 1))
    assert max(clock.slept[4:]) > 1.0  # the ceiling grows
