"""Call records for the executor's logs, and pacing against the emulator's rate limit."""

from __future__ import annotations

import asyncio

from client_helpers import ClientFactory, FakeClock, channel_body, sandbox_app, sandbox_transport

from reconciler.genesys.calls import CallRecord, record_calls


def test_every_attempt_is_recorded_with_its_correlation_id(
    clock: FakeClock, make_client: ClientFactory
) -> None:
    app = sandbox_app(clock)
    client = make_client(sandbox_transport(app, clock))

    async def scenario() -> tuple[list[CallRecord], list[CallRecord]]:
        with record_calls() as outer:
            await client.adapter("channel").create(channel_body("A"))
            with record_calls() as inner:
                app.revoke_tokens()
                await client.adapter("channel").create(channel_body("B"))
        return outer, inner

    outer, inner = asyncio.run(scenario())
    assert [(c.method, c.path, c.status) for c in inner] == [
        ("POST", "/api/v2/webmessaging/channels", 401),
        ("POST", "/oauth/token", 200),
        ("POST", "/api/v2/webmessaging/channels", 200),
    ]
    assert all(c.correlation_id for c in inner)
    assert len({c.correlation_id for c in inner}) == 3
    assert outer[-3:] == inner  # nested blocks both see the calls
    assert len(outer) == 5  # token, POST A, then the three above


def test_records_follow_tasks_spawned_inside_the_block(
    clock: FakeClock, make_client: ClientFactory
) -> None:
    app = sandbox_app(clock, channels=350)
    client = make_client(sandbox_transport(app, clock))

    async def scenario() -> tuple[list[CallRecord], list[CallRecord]]:
        with record_calls() as listing:
            await client.adapter("channel").list()  # pages 2-4 run in tasks of their own
        with record_calls() as spawned:
            task = asyncio.ensure_future(client.adapter("channel").find("channel-00001"))
        await task  # runs after the block closed, in the context copied when it was made
        return listing, spawned

    listing, spawned = asyncio.run(scenario())
    pages = [c for c in listing if c.path == "/api/v2/webmessaging/channels"]
    assert sorted(c.status for c in pages) == [200] * 4
    assert [c.path for c in spawned] == ["/api/v2/webmessaging/channels"]


def test_records_outside_any_block_go_nowhere(clock: FakeClock, make_client: ClientFactory) -> None:
    app = sandbox_app(clock)
    client = make_client(sandbox_transport(app, clock))
    asyncio.run(client.adapter("channel").list())
    with record_calls() as calls:
        pass
    assert calls == []


def test_a_concurrent_burst_meets_no_429(clock: FakeClock, make_client: ClientFactory) -> None:
    app = sandbox_app(clock, channels=1)
    client = make_client(sandbox_transport(app, clock))
    channel_id = next(iter(app.state.channels))

    async def burst() -> None:
        await asyncio.gather(*(client.adapter("channel").get(channel_id) for _ in range(700)))

    asyncio.run(burst())
    assert app.stats.statuses[200] == 701  # the token and 700 reads
    assert app.stats.statuses[429] == 0
    assert client.pacing_wait_seconds > 60.0  # 700 requests at 300/min take over two minutes


def test_pacing_learns_a_lower_limit_from_the_headers(
    clock: FakeClock, make_client: ClientFactory
) -> None:
    app = sandbox_app(clock, channels=1, rate_limit_per_minute=60)
    client = make_client(sandbox_transport(app, clock))  # believes in 300/min
    channel_id = next(iter(app.state.channels))

    async def burst() -> None:
        await asyncio.gather(*(client.adapter("channel").get(channel_id) for _ in range(150)))

    asyncio.run(burst())
    assert client.limiter.interval >= 1.0
    # Until the first answer arrives the client cannot know; after it, no more 429s.
    assert app.stats.statuses[429] <= 1
    assert app.stats.statuses[200] == 151


def test_eight_workers_use_the_window_and_meet_no_429(
    clock: FakeClock, make_client: ClientFactory
) -> None:
    # As apply runs: a few workers, each sending its next request when the last one ended.
    app = sandbox_app(clock, channels=1)  # a fixed window of 300 requests a minute
    client = make_client(sandbox_transport(app, clock))
    channel_id = next(iter(app.state.channels))
    done: list[float] = []

    async def worker(share: int) -> None:
        for _ in range(share):
            await client.adapter("channel").get(channel_id)
            done.append(clock())

    async def run() -> None:
        await client.adapter("channel").get(channel_id)  # the token, and a first announced budget
        await asyncio.gather(*(worker(90) for _ in range(8)))

    start = clock()
    asyncio.run(run())
    assert app.stats.statuses[429] == 0
    assert len(done) == 720  # 721 reads and a token: more than two windows' worth
    # The first ~280 go without waiting for slots; the rest wait for the next windows.
    assert sum(1 for t in done if t - start < 1.0) >= 250
    assert max(done) - start >= 120.0
