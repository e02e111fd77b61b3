"""The adapter's waits and listings, in process: the emulator mounted as the transport, on a
fake clock that only the waits move (nothing sleeps for real)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from fakes import FakeClock
from wd_e2e_helpers import CONFIGURATIONS, DEPLOYMENTS, SALES_FLOW

from reconciler.genesys.adapters.webdeployment import WaitError, Waits, WebDeploymentAdapter
from reconciler.genesys.client import GenesysBackend
from reconciler.genesys.settings import resolve_settings
from reconciler.kinds.webdeployment import WEB_DEPLOYMENT
from reconciler.sandbox import SandboxApp, SandboxConfig, SandboxTransport, WebDeploymentKnobs
from reconciler.sandbox.webdeployments.seeding import seed_pair

CREDENTIALS = ("cid-wd-waits", "sek-wd-waits-TAPIR")
OWNER = "tests"
T = TypeVar("T")


def app_on(clock: FakeClock, knobs: WebDeploymentKnobs) -> SandboxApp:
    config = SandboxConfig(
        credentials=CREDENTIALS, seed=4, rate_limit_per_minute=0, webdeployments=knobs
    )
    return SandboxApp(config, clock=clock, wall_clock=clock.wall)


def with_adapter(
    app: SandboxApp, clock: FakeClock, use: Callable[[WebDeploymentAdapter], Awaitable[T]]
) -> T:
    env = {
        "GENESYS_CLIENT_ID": CREDENTIALS[0],
        "GENESYS_CLIENT_SECRET": CREDENTIALS[1],
        "GENESYS_API_URL": "http://127.0.0.1:9",
        "GENESYS_LOGIN_URL": "http://127.0.0.1:9",
    }

    async def go() -> T:
        settings = resolve_settings(env, rate_per_minute=1_000_000)
        transport = SandboxTransport(app, sleep=clock.sleep)
        async with GenesysBackend(
            settings, transport=transport, clock=clock, sleep=clock.sleep, wall_clock=clock.wall
        ) as backend:
            adapter = backend.adapter("webDeployment")
            assert isinstance(adapter, WebDeploymentAdapter)
            return await use(adapter)

    return asyncio.run(go())


def desired(name: str = "Sales EU") -> dict[str, Any]:
    spec = {
        "name": name,
        "configuration": {"languages": ["en-us"], "defaultLanguage": "en-us"},
        "deployment": {"allowedDomains": ["shop.example.eu"], "flow": {"id": SALES_FLOW}},
    }
    return WEB_DEPLOYMENT.desired(spec, OWNER)


def test_a_deployment_pending_past_the_wait_reports_the_last_status_seen() -> None:
    clock = FakeClock()
    # The draft is ready at once; the deployment stays Pending far beyond the wait.
    app = app_on(clock, WebDeploymentKnobs.instant(deployment_activate_s=100_000.0))

    async def use(adapter: WebDeploymentAdapter) -> None:
        created = await adapter.create(desired())
        started = clock.now
        with pytest.raises(WaitError) as caught:
            await adapter.settle(created)
        message = str(caught.value)
        assert "last status: Pending" in message
        assert created.id in message
        assert f"{Waits().deployment_active:g} s" in message
        waited = clock.now - started
        # Waited the whole deadline, and not much more (backoff capped at max_delay).
        assert Waits().deployment_active <= waited <= Waits().deployment_active + Waits().max_delay

    with_adapter(app, clock, use)


def test_a_deployment_in_error_fails_the_wait_at_once() -> None:
    clock = FakeClock()
    app = app_on(clock, WebDeploymentKnobs.instant(delete_in_use="allow"))

    async def use(adapter: WebDeploymentAdapter) -> None:
        created = await adapter.create(desired())
        config_id = created.body["x-live"]["configurationId"]
        # Its configuration deleted under it: the emulator turns the deployment Error.
        assert app.direct("DELETE", f"{CONFIGURATIONS}/{config_id}").status == 204
        assert app.state.objects("webDeployment")[created.id]["status"] == "Error"
        started = clock.now
        with pytest.raises(WaitError, match="turned Error") as caught:
            await adapter.settle(created)
        assert created.id in str(caught.value)
        # Terminal: not one backoff wait for a status that will not change (the clock moves
        # only by the request pacer's microseconds).
        assert clock.now - started < Waits().first_delay

    with_adapter(app, clock, use)


def test_the_cursor_guard_stops_on_the_sticky_last_cursor() -> None:
    clock = FakeClock()
    app = app_on(clock, WebDeploymentKnobs.instant(sticky_last_cursor=True))
    names = [f"Store {i:03d}" for i in range(301)]  # two pages of 300
    for name in names:
        seed_pair(app, name)
    app.stats.reset()

    pairs = with_adapter(app, clock, lambda adapter: adapter.list())

    assert sorted(p.name for p in pairs) == names
    # Page 2 answers a nextUri whose cursor is the one it was called with: the guard stops
    # there, so each listing took its two pages and no more.
    assert app.stats.requests[f"GET {DEPLOYMENTS}"] == 2
    assert app.stats.requests[f"GET {CONFIGURATIONS}"] == 2


def test_the_versions_of_a_configuration_are_each_listed_though_they_share_an_id() -> None:
    clock = FakeClock()
    app = app_on(clock, WebDeploymentKnobs.instant())
    config_id, deployment_id = seed_pair(app, "Sales EU")
    for colour in ("#111111", "#222222"):  # versions "2" and "3", each edited first
        draft = {"name": "Sales EU", "messenger": {"styles": {"primaryColor": colour}}}
        assert (
            app.direct("PUT", f"{CONFIGURATIONS}/{config_id}/versions/draft", draft).status == 200
        )
        assert (
            app.direct("POST", f"{CONFIGURATIONS}/{config_id}/versions/draft/publish").status == 200
        )
    # Still served: version "1"; the draft differs from it, so the adapter lists the versions.
    assert app.state.objects("webDeployment")[deployment_id]["configuration"]["version"] == "1"

    (pair,) = with_adapter(app, clock, lambda adapter: adapter.list())

    facts = pair.body["x-live"]
    assert (facts["servedVersion"], facts["latestVersion"]) == ("1", "3")
