"""The client's contract constants (``reconciler.kinds.channel``) against the emulator, which
spells the contract on its own as the oracle: a channel it stores is read back with exactly
the create body's fields, the server's fields set apart."""

from __future__ import annotations

import asyncio

from client_helpers import ClientFactory, FakeClock, channel_body, sandbox_app, sandbox_transport

from reconciler.kinds.channel import CHANNEL_FIELDS, SERVER_FIELDS


def test_a_stored_channel_has_the_create_fields_and_the_server_fields(
    clock: FakeClock, make_client: ClientFactory
) -> None:
    app = sandbox_app(clock)
    client = make_client(sandbox_transport(app, clock))

    async def scenario() -> None:
        created = await client.adapter("channel").create(channel_body("Support EN"))
        assert tuple(created.body) == CHANNEL_FIELDS
        (stored,) = app.state.objects("channel").values()
        assert set(stored) == {*CHANNEL_FIELDS, *SERVER_FIELDS}
        assert created.revision == str(stored["version"])
        assert created.date_created == stored["dateCreated"]
        await client.aclose()

    asyncio.run(scenario())
