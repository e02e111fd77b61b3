"""Failures that fit on a screen: a wait that times out after hundreds of polls is one line of
a few hundred characters naming the object, the step and the last status, with the last
correlation id only; every id stays in the result (apply.json, the audit log).

In process, on a fake clock that only the waits move (nothing sleeps for real)."""

from __future__ import annotations

import asyncio

from fakes import FakeClock
from support import CREDENTIALS

from reconciler.cli.commands.apply import action_line
from reconciler.errors import MAX_LINE, one_line
from reconciler.executor import ActionResult, ActionStatus, ExecuteOptions, Executor
from reconciler.genesys.adapters.webdeployment import Waits, WebDeploymentAdapter
from reconciler.genesys.client import GenesysBackend
from reconciler.genesys.settings import resolve_settings
from reconciler.kinds.webdeployment import WEB_DEPLOYMENT
from reconciler.planner import Action, ActionKind
from reconciler.sandbox import SandboxApp, SandboxConfig, SandboxTransport, WebDeploymentKnobs
from reconciler.sandbox.webdeployments.flows import flow_object

OWNER = "tests"
NAME = "Checkout " + "Ü" * 40  # a long name too


def test_a_timed_out_wait_is_one_short_line_with_the_last_status() -> None:
    clock = FakeClock()
    knobs = WebDeploymentKnobs.instant(deployment_activate_s=1_000_000.0)
    config = SandboxConfig(
        credentials=CREDENTIALS, seed=4, rate_limit_per_minute=0, webdeployments=knobs
    )
    app = SandboxApp(config, clock=clock, wall_clock=clock.wall)
    spec = {
        "name": NAME,
        "configuration": {"languages": ["en-us"], "defaultLanguage": "en-us"},
        "deployment": {
            "allowAllDomains": True,
            "flow": {"id": flow_object("Sales Inbound Message")["id"]},
        },
    }
    action = Action(
        kind=ActionKind.CREATE,
        name=NAME,
        key=WEB_DEPLOYMENT.identity(NAME),
        body=WEB_DEPLOYMENT.desired(spec, OWNER),
        resource_kind=WEB_DEPLOYMENT.name,
    )
    env = {
        "GENESYS_CLIENT_ID": CREDENTIALS[0],
        "GENESYS_CLIENT_SECRET": CREDENTIALS[1],
        "GENESYS_API_URL": "http://127.0.0.1:9",
        "GENESYS_LOGIN_URL": "http://127.0.0.1:9",
        # Each poll the action's own request, with its id (shared polls belong to no action).
        "RECONCILER_STATUS_POLLS": "per-object",
    }

    async def go() -> ActionResult:
        settings = resolve_settings(env, rate_per_minute=1_000_000)
        transport = SandboxTransport(app, sleep=clock.sleep)
        async with GenesysBackend(
            settings, transport=transport, clock=clock, sleep=clock.sleep, wall_clock=clock.wall
        ) as backend:
            adapter = backend.adapter("webDeployment")
            assert isinstance(adapter, WebDeploymentAdapter)
            # An hour of polls at most 5 s apart: hundreds of requests, each with its id.
            adapter.waits = Waits(deployment_active=3600.0)
            executor = Executor(
                backend, ExecuteOptions(owner=OWNER), clock=clock, sleep=clock.sleep
            )
            return await executor.execute(action)

    result = asyncio.run(go())
    assert result.status is ActionStatus.SUCCEEDED  # the create was committed: on record
    assert len(result.correlation_ids) > 500, "every poll's id is kept for apply.json"
    line = action_line(result)
    assert len(line) <= 500, line
    assert "\n" not in line
    assert NAME in line
    assert "created; the web deployment then failed its wait" in line
    assert "was not Active after 3600 s (last status: Pending)" in line
    assert line.endswith(
        f"[correlation id {result.correlation_ids[-1]}; "
        f"{len(result.correlation_ids) - 1} more in apply.json]"
    )
    assert sum(cid in line for cid in result.correlation_ids) == 1


def test_one_line_keeps_the_start_and_the_end_of_a_long_message() -> None:
    text = "web deployment 'X': step publish:\n" + "detail " * 200 + "last status: Error"
    line = one_line(text)
    assert len(line) <= MAX_LINE
    assert line.startswith("web deployment 'X': step publish: detail")
    assert line.endswith("last status: Error")
    assert "\n" not in line
