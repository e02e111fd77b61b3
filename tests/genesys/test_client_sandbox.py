"""The client against the emulator mounted in-process: CRUD, typed errors, paging, costs."""

from __future__ import annotations

import asyncio

import pytest
from client_helpers import (
    ClientFactory,
    FakeClock,
    channel_body,
    sandbox_app,
    sandbox_transport,
)

from reconciler.errors import (
    ApiError,
    DuplicateNameError,
    NotFoundError,
    PayloadTooLargeError,
    VersionMismatchError,
)

LISTING = "GET /api/v2/webmessaging/channels"
TOKEN = "POST /oauth/token"


def test_create_get_find_update_delete(clock: FakeClock, make_client: ClientFactory) -> None:
    app = sandbox_app(clock)
    client = make_client(sandbox_transport(app, clock))

    async def scenario() -> None:
        created = await client.adapter("channel").create(channel_body("Support EN"))
        assert created.version == 1
        assert created.name == "Support EN"
        assert created.managed_by == "tests"
        fetched = await client.adapter("channel").get(created.id)
        assert fetched == created
        assert await client.adapter("channel").find("support en") == created
        assert await client.adapter("channel").find("nobody") is None
        updated = await client.adapter("channel").update(
            created.id, channel_body("Support EN", description="v2"), revision="1"
        )
        assert (updated.version, updated.body["description"]) == (2, "v2")
        await client.adapter("channel").delete(created.id)
        with pytest.raises(NotFoundError) as info:
            await client.adapter("channel").get(created.id)
        assert info.value.status == 404
        assert info.value.correlation_id
        await client.aclose()

    asyncio.run(scenario())
    assert len(app.state) == 0


def test_conflicts_become_typed_errors(clock: FakeClock, make_client: ClientFactory) -> None:
    app = sandbox_app(clock)
    client = make_client(sandbox_transport(app, clock))

    async def scenario() -> None:
        first = await client.adapter("channel").create(channel_body("Sales"))
        with pytest.raises(DuplicateNameError) as duplicate:
            await client.adapter("channel").create(channel_body("SALES"))
        assert duplicate.value.entity_id == first.id
        assert duplicate.value.status == 409
        await client.adapter("channel").update(
            first.id, channel_body("Sales", description="x"), revision="1"
        )
        with pytest.raises(VersionMismatchError) as stale:
            await client.adapter("channel").update(first.id, channel_body("Sales"), revision="1")
        assert "Version does not match" in str(stale.value)
        assert stale.value.correlation_id in str(stale.value)

    asyncio.run(scenario())


def test_validation_errors_carry_details(clock: FakeClock, make_client: ClientFactory) -> None:
    app = sandbox_app(clock)
    client = make_client(sandbox_transport(app, clock))
    body = channel_body("Bad", routingConfiguration={"queueId": ""}, color="red")

    with pytest.raises(ApiError) as info:
        asyncio.run(client.adapter("channel").create(body))
    assert info.value.status == 400
    assert info.value.code == "bad.request"
    fields = {d.field_name for d in info.value.details}
    assert {"routingConfiguration.queueId", "color"} <= fields
    assert app.stats.requests["POST /api/v2/webmessaging/channels"] == 1  # not retried


def test_too_large_is_not_retried(clock: FakeClock, make_client: ClientFactory) -> None:
    app = sandbox_app(clock)
    client = make_client(sandbox_transport(app, clock))
    body = channel_body("Big", description="x" * 600_000)
    with pytest.raises(PayloadTooLargeError):
        asyncio.run(client.adapter("channel").create(body))
    assert app.stats.requests["POST /api/v2/webmessaging/channels"] == 1


def test_250_channels_take_three_pages(clock: FakeClock, make_client: ClientFactory) -> None:
    app = sandbox_app(clock, channels=250)
    client = make_client(sandbox_transport(app, clock))
    channels = asyncio.run(client.adapter("channel").list())
    assert len(channels) == 250
    assert len({c.id for c in channels}) == 250
    assert [c.name for c in channels] == sorted(c.name for c in channels)
    assert app.stats.requests[LISTING] == 3
    assert app.stats.requests[TOKEN] == 1


def test_an_empty_org_lists_nothing_in_one_request(
    clock: FakeClock, make_client: ClientFactory
) -> None:
    app = sandbox_app(clock)
    client = make_client(sandbox_transport(app, clock))
    assert asyncio.run(client.adapter("channel").list()) == []
    assert app.stats.requests[LISTING] == 1


def test_listing_10000_channels_costs_one_token_and_100_pages(
    clock: FakeClock, make_client: ClientFactory
) -> None:
    app = sandbox_app(clock, channels=10_000)
    client = make_client(sandbox_transport(app, clock))
    channels = asyncio.run(client.adapter("channel").list())
    assert len({c.id for c in channels}) == 10_000
    assert app.stats.requests[TOKEN] == 1
    assert app.stats.requests[LISTING] == 100
    assert app.stats.statuses[429] == 0  # paced under the emulator's 300/min
    # 101 requests fit in the announced window of 300: after the first response, none waits.
    assert client.pacing_wait_seconds < 1.0
