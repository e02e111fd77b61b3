"""Over a real socket (the emulator served on 127.0.0.1), and ``open_backend``'s sandbox."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from client_helpers import FAKE_CLIENT_ID, FAKE_SECRET, channel_body
from fakes import as_stored

from reconciler.cli.app import GlobalOptions
from reconciler.errors import (
    ConfigError,
    DuplicateNameError,
    NotFoundError,
    OutcomeUnknownError,
    TransportError,
)
from reconciler.genesys.client import GenesysBackend
from reconciler.genesys.factory import open_backend, settings_from_cli
from reconciler.genesys.settings import resolve_settings
from reconciler.sandbox import FaultPlan, SandboxApp, SandboxConfig, serve_in_thread


def socket_settings(url: str, **overrides: object):  # type: ignore[no-untyped-def]
    env = {
        "GENESYS_CLIENT_ID": FAKE_CLIENT_ID,
        "GENESYS_CLIENT_SECRET": FAKE_SECRET,
        "GENESYS_API_URL": url,
        "GENESYS_LOGIN_URL": url,
    }
    return resolve_settings(env, rate_per_minute=100_000, **overrides)  # type: ignore[arg-type]


@pytest.mark.socket
def test_crud_over_a_real_socket() -> None:
    config = SandboxConfig(credentials=(FAKE_CLIENT_ID, FAKE_SECRET), rate_limit_per_minute=100_000)
    app = SandboxApp(config)
    for index in range(120):
        app.state.channels[f"id-{index:03d}"] = as_stored(
            f"id-{index:03d}", channel_body(f"seeded-{index:03d}")
        )

    async def scenario(url: str) -> None:
        async with GenesysBackend(socket_settings(url)) as client:
            assert len(await client.adapter("channel").list()) == 120
            created = await client.adapter("channel").create(channel_body("Over TCP"))
            with pytest.raises(DuplicateNameError):
                await client.adapter("channel").create(channel_body("over tcp"))
            found = await client.adapter("channel").find("OVER TCP")
            assert found is not None
            assert found.id == created.id
            updated = await client.adapter("channel").update(
                created.id, channel_body("Over TCP", description="new"), revision="1"
            )
            assert updated.version == 2
            await client.adapter("channel").delete(created.id)
            with pytest.raises(NotFoundError):
                await client.adapter("channel").delete(created.id)

    with serve_in_thread(app) as server:
        asyncio.run(scenario(server.url))
    assert app.stats.requests["POST /oauth/token"] == 1
    assert app.stats.requests["GET /api/v2/webmessaging/channels"] == 3


@pytest.mark.socket
def test_a_connection_dropped_after_a_create_over_a_socket() -> None:
    plan = FaultPlan(script=("drop",), only_methods=frozenset({"POST"}))
    app = SandboxApp(SandboxConfig(rate_limit_per_minute=0, faults=plan))

    async def scenario(url: str) -> None:
        async with GenesysBackend(socket_settings(url)) as client:
            with pytest.raises(OutcomeUnknownError):
                await client.adapter("channel").create(channel_body("Dropped"))

    with serve_in_thread(app) as server:
        asyncio.run(scenario(server.url))
    assert len(app.state) == 1
    assert app.stats.requests["POST /api/v2/webmessaging/channels"] == 1


@pytest.mark.socket
def test_nothing_listening_is_a_transport_error() -> None:
    with serve_in_thread(SandboxApp()) as server:
        url = server.url  # a port that was free a moment ago

    waits: list[float] = []

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    async def scenario() -> None:
        settings = socket_settings(url, max_attempts=3)
        async with GenesysBackend(settings, sleep=no_wait) as client:
            await client.adapter("channel").list()

    with pytest.raises(TransportError) as info:
        asyncio.run(scenario())
    assert type(info.value) is TransportError
    assert "token request" in str(info.value)
    assert "after 3 attempts" in str(info.value)  # a token request that never left is retried
    assert len(waits) == 2


def test_sandbox_runs_share_one_org_through_the_state_file(tmp_path: Path) -> None:
    state = tmp_path / "nested" / "sandbox.json"
    settings = settings_from_cli(GlobalOptions(sandbox=True), env={})

    async def first() -> str:
        async with open_backend(settings, sandbox_state_path=state) as backend:
            assert backend.environment == "sandbox"
            return (await backend.adapter("channel").create(channel_body("Persisted"))).id

    async def second() -> list[str]:
        async with open_backend(settings, sandbox_state_path=state) as backend:
            return [c.id for c in await backend.adapter("channel").list()]

    created = asyncio.run(first())
    assert state.exists()
    assert asyncio.run(second()) == [created]
    assert FAKE_SECRET not in state.read_text()


def test_sandbox_state_is_saved_even_when_the_run_fails(tmp_path: Path) -> None:
    state = tmp_path / "sandbox.json"
    settings = resolve_settings({"GENESYS_ENVIRONMENT": "sandbox"})

    async def failing() -> None:
        async with open_backend(settings, sandbox_state_path=state) as backend:
            await backend.adapter("channel").create(channel_body("Before the crash"))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        asyncio.run(failing())
    names = [c["name"] for c in json.loads(state.read_text())["kinds"]["channel"]]
    assert names == ["Before the crash"]


def test_a_corrupt_state_file_is_a_config_error(tmp_path: Path) -> None:
    state = tmp_path / "sandbox.json"
    state.write_text("{nope")
    settings = settings_from_cli(GlobalOptions(sandbox=True), env={})

    async def run() -> None:
        async with open_backend(settings, sandbox_state_path=state):
            pass

    with pytest.raises(ConfigError, match="sandbox"):
        asyncio.run(run())


def test_cli_settings_without_sandbox_need_credentials() -> None:
    with pytest.raises(ConfigError, match="--sandbox"):
        settings_from_cli(GlobalOptions(sandbox=False), env={})
    settings = settings_from_cli(
        GlobalOptions(sandbox=False),
        env={"GENESYS_ENVIRONMENT": "sandbox"},
    )
    assert settings.is_sandbox


def test_a_real_org_backend_uses_the_given_transport() -> None:
    import httpx

    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.url.host}{request.url.path}")
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 900})
        return httpx.Response(200, json={"entities": [], "pageCount": 0, "pageNumber": 1})

    settings = resolve_settings(
        {"GENESYS_CLIENT_ID": "a", "GENESYS_CLIENT_SECRET": "b", "GENESYS_ENVIRONMENT": "eu-west-1"}
    )

    async def run() -> None:
        async with open_backend(settings, transport=httpx.MockTransport(handler)) as backend:
            assert backend.environment == "eu-west-1"
            assert await backend.adapter("channel").list() == []

    asyncio.run(run())
    assert seen == [
        "login.mypurecloud.ie/oauth/token",
        "api.mypurecloud.ie/api/v2/webmessaging/channels",
    ]


def test_a_read_only_run_leaves_the_state_file_alone(tmp_path: Path) -> None:
    state = tmp_path / "sandbox.json"
    settings = settings_from_cli(GlobalOptions(sandbox=True), env={})

    async def create() -> None:
        async with open_backend(settings, sandbox_state_path=state) as backend:
            await backend.adapter("channel").create(channel_body("Kept"))

    async def list_only(path: Path) -> list[str]:
        async with open_backend(settings, sandbox_state_path=path, read_only=True) as backend:
            return [c.name for c in await backend.adapter("channel").list()]

    asyncio.run(create())
    compact = json.dumps(json.loads(state.read_text()))  # as no save would write it
    state.write_text(compact)
    assert asyncio.run(list_only(state)) == ["Kept"]
    assert state.read_text() == compact  # not rewritten
    missing = tmp_path / "none" / "sandbox.json"
    assert asyncio.run(list_only(missing)) == []
    assert not missing.exists()  # not created either


def test_a_read_only_run_that_writes_still_saves(tmp_path: Path) -> None:
    state = tmp_path / "sandbox.json"
    settings = settings_from_cli(GlobalOptions(sandbox=True), env={})

    async def create() -> None:
        async with open_backend(settings, sandbox_state_path=state, read_only=True) as backend:
            await backend.adapter("channel").create(channel_body("Written"))

    asyncio.run(create())
    stored = json.loads(state.read_text())["kinds"]["channel"]
    assert [c["name"] for c in stored] == ["Written"]
