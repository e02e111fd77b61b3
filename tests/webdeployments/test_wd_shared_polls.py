"""Shared status polls and waits that hold no worker, in process: the emulator mounted as the
transport at the contract's timings, on a fake clock that only the waits move (nothing sleeps
for real), counting the requests the emulator answered."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from fakes import FakeClock
from wd_e2e_helpers import CONFIGURATIONS, DEPLOYMENTS, SALES_FLOW

from reconciler.errors import ConfigError
from reconciler.executor import ActionStatus, ExecuteOptions, Executor
from reconciler.genesys.adapters.webdeployment import WaitError, Waits, WebDeploymentAdapter
from reconciler.genesys.client import GenesysBackend
from reconciler.genesys.settings import resolve_settings
from reconciler.kinds.webdeployment import WEB_DEPLOYMENT
from reconciler.model import LiveResource
from reconciler.planner.actions import Action, ActionKind, LiveFingerprint
from reconciler.planner.diff import field_changes
from reconciler.sandbox import SandboxApp, SandboxConfig, SandboxTransport, WebDeploymentKnobs

CREDENTIALS = ("cid-wd-polls", "sek-wd-polls-LYNX")
OWNER = "tests"
T = TypeVar("T")
ENV = {
    "GENESYS_CLIENT_ID": CREDENTIALS[0],
    "GENESYS_CLIENT_SECRET": CREDENTIALS[1],
    "GENESYS_API_URL": "http://127.0.0.1:9",
    "GENESYS_LOGIN_URL": "http://127.0.0.1:9",
}
DRAFT = f"GET {CONFIGURATIONS}/{{id}}/versions/draft"
ONE_DEPLOYMENT = f"GET {DEPLOYMENTS}/{{id}}"
KNOBS = WebDeploymentKnobs()  # the contract's timings: draft 2 s, deployment 12 s Pending


def app_on(clock: FakeClock, knobs: WebDeploymentKnobs = KNOBS) -> SandboxApp:
    config = SandboxConfig(
        credentials=CREDENTIALS, seed=5, rate_limit_per_minute=0, webdeployments=knobs
    )
    return SandboxApp(config, clock=clock, wall_clock=clock.wall)


def with_backend(
    app: SandboxApp,
    clock: FakeClock,
    use: Callable[[GenesysBackend], Awaitable[T]],
    env: dict[str, str] | None = None,
) -> T:
    async def go() -> T:
        settings = resolve_settings({**ENV, **(env or {})}, rate_per_minute=1_000_000)
        transport = SandboxTransport(app, sleep=clock.sleep)
        async with GenesysBackend(
            settings, transport=transport, clock=clock, sleep=clock.sleep, wall_clock=clock.wall
        ) as backend:
            return await use(backend)

    return asyncio.run(go())


def adapter_of(backend: GenesysBackend) -> WebDeploymentAdapter:
    adapter = backend.adapter("webDeployment")
    assert isinstance(adapter, WebDeploymentAdapter)
    return adapter


def desired(name: str, colour: str = "#0D6EFD") -> dict[str, Any]:
    spec = {
        "name": name,
        "configuration": {
            "languages": ["en-us"],
            "defaultLanguage": "en-us",
            "messenger": {"enabled": True, "styles": {"primaryColor": colour}},
        },
        "deployment": {"allowedDomains": ["shop.example.eu"], "flow": {"id": SALES_FLOW}},
    }
    return WEB_DEPLOYMENT.desired(spec, OWNER)


def create_action(name: str) -> Action:
    return Action(
        kind=ActionKind.CREATE,
        name=name,
        key=WEB_DEPLOYMENT.identity(name),
        body=desired(name),
        resource_kind=WEB_DEPLOYMENT.name,
    )


NAMES = [f"Store {i:02d}" for i in range(12)]


def test_a_dozen_creates_wait_through_the_listings_not_one_read_per_object() -> None:
    clock = FakeClock()
    app = app_on(clock)

    async def use(backend: GenesysBackend) -> list[Any]:
        adapter = adapter_of(backend)

        async def one(name: str) -> Any:
            return await adapter.settle(await adapter.create(desired(name)))

        return list(await asyncio.gather(*(one(n) for n in NAMES)))

    settled = with_backend(app, clock, use)

    assert sorted(pair.name for pair in settled) == NAMES
    assert {pair.body["x-live"]["deploymentStatus"] for pair in settled} == {"Active"}
    requests = app.stats.requests
    writes = sum(n for key, n in requests.items() if not key.startswith(("GET", "POST /oauth")))
    assert writes == 3 * len(NAMES)  # configuration, publish, deployment
    # The twelve drafts and deployments waited together: a handful of listing pages, and a
    # single read only for the first one (alone, it is looked at at once).
    assert requests[DRAFT] + requests[ONE_DEPLOYMENT] <= 2, requests
    assert requests[f"GET {CONFIGURATIONS}"] + requests[f"GET {DEPLOYMENTS}"] <= 12, requests
    assert app.stats.total <= 4 * len(NAMES), requests  # token included


def test_per_object_polls_stay_selectable_and_read_each_object() -> None:
    clock = FakeClock()
    app = app_on(clock)

    async def use(backend: GenesysBackend) -> None:
        adapter = adapter_of(backend)

        async def one(name: str) -> Any:
            return await adapter.settle(await adapter.create(desired(name)))

        await asyncio.gather(*(one(n) for n in NAMES[:4]))

    with_backend(app, clock, use, env={"RECONCILER_STATUS_POLLS": "per-object"})

    requests = app.stats.requests
    assert requests[f"GET {CONFIGURATIONS}"] + requests[f"GET {DEPLOYMENTS}"] == 0
    assert requests[ONE_DEPLOYMENT] >= 4 * 4  # each deployment read by itself, backing off


def test_an_unknown_status_polls_value_is_one_line_naming_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"RECONCILER_STATUS_POLLS: expected one of shared"):
        resolve_settings({**ENV, "RECONCILER_STATUS_POLLS": "sometimes"})


def test_deployments_past_the_deadline_report_their_last_status_though_polled_together() -> None:
    clock = FakeClock()
    app = app_on(clock, KNOBS.replace(deployment_activate_s=100_000.0))

    async def use(backend: GenesysBackend) -> list[BaseException | Any]:
        adapter = adapter_of(backend)
        created = [await adapter.create(desired(n)) for n in NAMES[:3]]
        started = clock.now
        outcomes = await asyncio.gather(
            *(adapter.settle(c) for c in created), return_exceptions=True
        )
        waited = clock.now - started
        assert Waits().deployment_active <= waited <= Waits().deployment_active + Waits().max_delay
        return list(outcomes)

    outcomes = with_backend(app, clock, use)

    assert all(isinstance(o, WaitError) for o in outcomes), outcomes
    for outcome in outcomes:
        message = str(outcome)
        assert "last status: Pending" in message
        assert f"was not Active after {Waits().deployment_active:g} s" in message
    # Three hundred seconds of polling, by listing: far fewer than one read per object per look.
    assert app.stats.requests[ONE_DEPLOYMENT] <= 1
    assert app.stats.requests[f"GET {DEPLOYMENTS}"] <= 60


def test_a_deployment_in_error_among_others_fails_at_the_next_look() -> None:
    clock = FakeClock()
    app = app_on(clock, KNOBS.replace(delete_in_use="allow"))

    async def use(backend: GenesysBackend) -> list[BaseException | Any]:
        adapter = adapter_of(backend)
        created = [await adapter.create(desired(n)) for n in NAMES[:3]]
        config_id = created[0].body["x-live"]["configurationId"]
        # Its configuration deleted under it: the emulator turns the deployment Error.
        assert app.direct("DELETE", f"{CONFIGURATIONS}/{config_id}").status == 204
        return list(
            await asyncio.gather(*(adapter.settle(c) for c in created), return_exceptions=True)
        )

    first, *others = with_backend(app, clock, use)

    assert isinstance(first, WaitError)
    assert "turned Error" in str(first)
    settled = [o for o in others if isinstance(o, LiveResource)]
    assert len(settled) == len(others), others
    assert [o.body["x-live"]["deploymentStatus"] for o in settled] == ["Active", "Active"]


def test_prunes_wait_for_the_deletes_through_the_listings() -> None:
    clock = FakeClock()
    app = app_on(clock)

    async def use(backend: GenesysBackend) -> None:
        adapter = adapter_of(backend)
        created = [await adapter.settle(await adapter.create(desired(n))) for n in NAMES[:6]]
        app.stats.reset()
        await asyncio.gather(*(adapter.delete(c.id) for c in created))

    with_backend(app, clock, use)

    assert app.state.objects("webDeployment") == {}
    assert app.state.objects("webDeploymentConfiguration") == {}
    requests = app.stats.requests
    writes = sum(n for key, n in requests.items() if key.startswith("DELETE"))
    assert writes == 12
    # Each delete read its deployment first (nothing read it before), the rest is shared.
    assert requests[DRAFT] <= 1, requests
    assert requests[ONE_DEPLOYMENT] <= 6 + 1, requests
    assert requests[f"GET {CONFIGURATIONS}"] + requests[f"GET {DEPLOYMENTS}"] <= 8, requests


def test_a_wait_holds_no_worker_so_one_slot_still_overlaps_the_activations() -> None:
    clock = FakeClock()
    app = app_on(clock)
    actions = [create_action(n) for n in NAMES[:4]]

    async def use(backend: GenesysBackend) -> tuple[float, list[Any]]:
        executor = Executor(
            backend, ExecuteOptions(owner=OWNER, parallelism=1), clock=clock, sleep=clock.sleep
        )
        started = clock.now
        results = await executor.run(actions)
        return clock.now - started, results

    elapsed, results = with_backend(app, clock, use)

    assert [r.status for r in results] == [ActionStatus.SUCCEEDED] * 4
    # One at a time, four creates would take four activations (4 x 14 s); with the waits
    # giving the slot back they overlap: about one activation, plus the polls' backoff.
    one_activation = KNOBS.config_draft_activate_s + KNOBS.deployment_activate_s
    assert elapsed < 2 * one_activation, elapsed
    assert sorted(d["name"] for d in app.state.objects("webDeployment").values()) == NAMES[:4]


def test_with_per_object_polls_a_wait_keeps_its_worker() -> None:
    clock = FakeClock()
    app = app_on(clock)
    actions = [create_action(n) for n in NAMES[:3]]

    async def use(backend: GenesysBackend) -> float:
        executor = Executor(
            backend, ExecuteOptions(owner=OWNER, parallelism=1), clock=clock, sleep=clock.sleep
        )
        started = clock.now
        await executor.run(actions)
        return clock.now - started

    elapsed = with_backend(app, clock, use, env={"RECONCILER_STATUS_POLLS": "per-object"})

    one_activation = KNOBS.config_draft_activate_s + KNOBS.deployment_activate_s
    assert elapsed >= 3 * one_activation


def test_an_edit_after_the_plan_is_refused_though_the_re_read_is_a_listing() -> None:
    clock = FakeClock()
    app = app_on(clock, KNOBS.scaled(0))

    async def use(backend: GenesysBackend) -> list[Any]:
        adapter = adapter_of(backend)
        for name in NAMES[:3]:
            await adapter.settle(await adapter.create(desired(name)))
        planned = {pair.name: pair for pair in await adapter.list()}
        actions = []
        for name in NAMES[:3]:
            live, body = planned[name], desired(name, "#222222")
            wanted, current = WEB_DEPLOYMENT.comparable(body, live.body)
            actions.append(
                Action(
                    kind=ActionKind.UPDATE,
                    name=name,
                    key=WEB_DEPLOYMENT.identity(name),
                    channel_id=live.id,
                    body=body,
                    live=LiveFingerprint.of(live),
                    changes=field_changes(current, wanted),
                    resource_kind=WEB_DEPLOYMENT.name,
                )
            )
        # After the plan, someone edits the first one's domains in the UI.
        record = app.state.objects("webDeployment")[planned[NAMES[0]].id]
        edited = {k: v for k, v in record.items() if k in ("name", "description", "flow")}
        edited["allowedDomains"] = ["edited.example.eu"]
        edited["configuration"] = {k: record["configuration"][k] for k in ("id", "version")}
        assert app.direct("PUT", f"{DEPLOYMENTS}/{record['id']}", edited).status == 200
        clock.now += 10  # the edit lands after any listing the adapter kept
        app.stats.reset()
        executor = Executor(backend, ExecuteOptions(owner=OWNER), clock=clock, sleep=clock.sleep)
        return await executor.run(actions)

    first, *others = with_backend(app, clock, use)

    assert first.status is ActionStatus.FAILED
    assert "edited after the plan (deployment.allowedDomains)" in first.error
    assert [o.status for o in others] == [ActionStatus.SUCCEEDED] * 2
    # The three re-reads were one listing of each kind, not three reads by id each.
    assert app.stats.requests[ONE_DEPLOYMENT] == 0, app.stats.requests
    assert app.stats.requests[f"GET {DEPLOYMENTS}"] <= 2, app.stats.requests
