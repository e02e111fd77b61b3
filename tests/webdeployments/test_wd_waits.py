"""The adapter's waits and listings, in process: the emulator mounted as the transport, on a
fake clock that only the waits move (nothing sleeps for real)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from fakes import FakeClock
from wd_e2e_helpers import CONFIGURATIONS, DEPLOYMENTS, SALES_FLOW

from reconciler.genesys.adapters.webdeployment import WaitError, Waits, WebDeploymentAdapter
from reconciler.genesys.client import GenesysBackend
from reconciler.genesys.settings import resolve_settings
from reconciler.kinds.webdeployment import WEB_DEPLOYMENT
from reconciler.sandbox import (
    SandboxApp,
    SandboxConfig,
    SandboxRequest,
    SandboxTransport,
    WebDeploymentKnobs,
)
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


def desired(name: str = "Sales EU", **deployment: Any) -> dict[str, Any]:
    spec = {
        "name": name,
        "configuration": {"languages": ["en-us"], "defaultLanguage": "en-us"},
        "deployment": {
            "allowedDomains": ["shop.example.eu"],
            "flow": {"id": SALES_FLOW},
            **deployment,
        },
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


def test_a_wait_ends_at_the_status_the_spec_asks_for_inactive_on_create_and_on_update() -> None:
    clock = FakeClock()
    # An Active deployment is Pending for 12 s after each write; deactivating is immediate.
    app = app_on(clock, WebDeploymentKnobs.instant(deployment_activate_s=12.0))

    async def use(adapter: WebDeploymentAdapter) -> None:
        started = clock.now
        created = await adapter.settle(await adapter.create(desired(status="Inactive")))
        assert created.body["deployment"]["status"] == "Inactive"
        assert clock.now - started < Waits().max_delay  # Inactive at once: no 180 s timeout
        stored = app.state.objects("webDeployment")[created.id]
        assert stored["status"] == "Inactive"
        # The deactivated deployment is not served to the Messenger.
        request = SandboxRequest.build("GET", f"{DEPLOYMENTS}/{created.id}/configurations")
        served = app.handle(request)  # public, as the Messenger calls it
        assert served.status == 404
        assert json.loads(served.body)["message"] == f"The deployment {created.id!r} is inactive."

        active = await adapter.update(created.id, desired(status="Active"), revision="")
        assert (await adapter.settle(active)).body["deployment"]["status"] == "Active"
        back = await adapter.update(created.id, desired(status="Inactive"), revision="")
        assert (await adapter.settle(back)).body["deployment"]["status"] == "Inactive"
        # A spec that leaves status out keeps the deployment Inactive, and waits for that.
        recoloured = await adapter.update(created.id, desired(), revision="")
        assert (await adapter.settle(recoloured)).body["deployment"]["status"] == "Inactive"

    with_adapter(app, clock, use)


def test_an_org_that_ignores_a_written_inactive_fails_the_wait_saying_so() -> None:
    clock = FakeClock()
    app = app_on(clock, WebDeploymentKnobs.instant(inactive_deactivates=False))

    async def use(adapter: WebDeploymentAdapter) -> None:
        created = await adapter.create(desired(status="Inactive"))
        with pytest.raises(WaitError) as caught:
            await adapter.settle(created)
        message = str(caught.value)
        assert "was not Inactive after" in message
        assert "last status: Active" in message
        assert "may not deactivate" in message

    with_adapter(app, clock, use)


def test_an_update_never_sends_a_server_status_back() -> None:
    clock = FakeClock()
    # Strict: the emulator refuses a body whose status is not Active or Inactive.
    knobs = WebDeploymentKnobs.instant(deployment_activate_s=100_000.0, strict_fields=True)
    app = app_on(clock, knobs)

    async def use(adapter: WebDeploymentAdapter) -> None:
        created = await adapter.create(desired())
        live = await adapter.get(created.id)
        assert live.body["deployment"]["status"] == "Pending"
        # Read-modify-write from a Pending deployment: the PUT leaves Pending out.
        updated = await adapter.update(
            created.id, desired(allowedDomains=["shop.example.de"]), revision=""
        )
        assert updated.body["deployment"]["allowedDomains"] == ["shop.example.de"]

    with_adapter(app, clock, use)


def test_a_deployment_in_error_fails_the_wait_with_what_the_server_says() -> None:
    clock = FakeClock()
    app = app_on(clock, WebDeploymentKnobs.instant(delete_in_use="allow"))

    async def use(adapter: WebDeploymentAdapter) -> None:
        created = await adapter.create(desired())
        config_id = created.body["x-live"]["configurationId"]
        assert app.direct("DELETE", f"{CONFIGURATIONS}/{config_id}").status == 204
        with pytest.raises(WaitError) as caught:
            await adapter.settle(created)
        message = str(caught.value)
        assert f"(id {created.id}) turned Error: " in message
        assert f"configuration {config_id} version 1" in message

    with_adapter(app, clock, use)
