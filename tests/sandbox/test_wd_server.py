"""The Web Deployments routes under the shared fault machinery, and over a real socket: the
emulator in a server thread, and ``reconciler sandbox serve`` with its --wd-* options."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from reconciler.errors import ConfigError
from reconciler.sandbox import (
    FaultPlan,
    SandboxApp,
    SandboxConfig,
    SandboxState,
    WebDeploymentKnobs,
    serve_in_thread,
)
from reconciler.sandbox.webdeployments.seeding import seed_pair

from .helpers import Api
from .test_cli import read_line, start, stop
from .wd_helpers import CONFIGS, DEPLOYMENTS, FLOWS, WdApi, config_body, make_wd

MakeApi = Callable[..., Api]


def test_scripted_faults_hit_web_deployment_routes_and_drops_commit(make_api: MakeApi) -> None:
    faults = FaultPlan(script=("503", "429", "drop"))
    wd = make_wd(make_api, WebDeploymentKnobs.instant(), faults=faults)
    unavailable = wd.call("POST", CONFIGS, json_body=config_body())
    assert (unavailable.status, unavailable.headers["Retry-After"]) == (503, "1")
    assert wd.call("POST", CONFIGS, json_body=config_body()).status == 429
    assert wd.app.state.objects("webDeploymentConfiguration") == {}  # nothing applied yet
    dropped = wd.call("POST", CONFIGS, json_body=config_body())
    assert dropped.drop
    (stored,) = wd.app.state.objects("webDeploymentConfiguration").values()
    assert stored["draft"]["name"] == "Sales EU"  # committed although the answer was lost
    assert wd.app.stats.faults == {"503": 1, "429": 1, "drop": 1}


def test_seeded_5xx_and_429_apply_to_reads_of_flows(make_api: MakeApi) -> None:
    always_5xx = make_wd(make_api, WebDeploymentKnobs(), faults=FaultPlan(error_5xx=1.0))
    assert always_5xx.call("GET", FLOWS).status in (502, 503, 504)
    always_429 = make_wd(make_api, WebDeploymentKnobs(), faults=FaultPlan(rate_limit_429=1.0))
    response = always_429.call("GET", f"{DEPLOYMENTS}?expand=Configuration")
    assert response.status == 429
    assert response.json()["code"] == "too.many.requests.retry.after"


@pytest.mark.socket
def test_a_pair_over_http_with_a_dropped_create() -> None:
    config = SandboxConfig(
        seed=5,
        faults=FaultPlan(script=("ok", "ok", "drop"), only_methods=frozenset({"POST"})),
        webdeployments=WebDeploymentKnobs.instant(),
    )
    app = SandboxApp(config)
    with serve_in_thread(app) as server, httpx.Client(base_url=server.url, timeout=5) as client:
        token = client.post(
            "/oauth/token", auth=("id", "secret"), data={"grant_type": "client_credentials"}
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        config_id = client.post(CONFIGS, json=config_body()).json()["id"]
        published = client.post(f"{CONFIGS}/{config_id}/versions/draft/publish")
        assert published.json()["version"] == "1"
        body = {"name": "Sales EU", "configuration": {"id": config_id, "version": "1"}}
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(DEPLOYMENTS, json=body)
        listing = client.get(DEPLOYMENTS, params={"expand": "Configuration"}).json()
        (deployment,) = listing["entities"]
        assert deployment["configuration"]["version"] == "1"
        assert deployment["configuration"]["messenger"]["enabled"] is True
        assert client.get(f"{DEPLOYMENTS}/{deployment['id']}").json()["status"] == "Active"
        assert client.delete(f"{DEPLOYMENTS}/{deployment['id']}").status_code == 204
        assert client.delete(f"{CONFIGS}/{config_id}").status_code == 204


@pytest.mark.socket
@pytest.mark.skipif(
    sys.platform == "win32", reason="stops the child with SIGTERM/SIGINT: POSIX signals"
)
def test_sandbox_serve_exposes_web_deployments_and_its_wd_options(tmp_path: Path) -> None:
    state_file = tmp_path / "org.json"
    proc = start(
        tmp_path,
        "--state",
        str(state_file),
        "--wd-time-scale",
        "0",
        "--wd-unavailable-feature",
        "journeyEvents",
        "--wd-sticky-cursor",
    )
    try:
        url = read_line(proc).split()[-1]
        with httpx.Client(base_url=url, timeout=10) as client:
            token = client.post(
                "/oauth/token", auth=("a", "b"), data={"grant_type": "client_credentials"}
            ).json()["access_token"]
            client.headers["Authorization"] = f"Bearer {token}"
            refused = client.post(CONFIGS, json=config_body(journeyEvents={"enabled": True}))
            assert refused.status_code == 400
            assert refused.json()["details"][0]["fieldName"] == "journeyEvents"
            config_id = client.post(CONFIGS, json=config_body()).json()["id"]
            # --wd-time-scale 0: readable and Active at once, so publish succeeds right away.
            assert client.post(f"{CONFIGS}/{config_id}/versions/draft/publish").status_code == 200
            first = client.get(CONFIGS, params={"pageSize": 1}).json()
            last = client.get(first["nextUri"]).json() if "nextUri" in first else first
            assert last["entities"][0]["id"] == config_id
            flows = client.get(FLOWS, params={"type": "inboundshortmessage"}).json()
            assert flows["total"] == 3
        saved = SandboxState.load(state_file).objects("webDeploymentConfiguration")
        assert list(saved) == [config_id]
    finally:
        code, err = stop(proc, signal.SIGTERM)
    assert code == 0, err


def test_a_state_with_web_deployments_round_trips_and_serves_settled(
    make_api: MakeApi, tmp_path: Path
) -> None:
    wd = make_wd(make_api, WebDeploymentKnobs.instant())
    config_id, deployment_id = wd.published_pair()
    path = tmp_path / "org.json"
    wd.app.state.save(path)
    again = WdApi(SandboxApp(SandboxConfig(), SandboxState.load(path)))
    assert again.ok("GET", f"{DEPLOYMENTS}/{deployment_id}")["status"] == "Active"
    assert again.publish(config_id)["version"] == "2"


def test_seeded_pairs_are_settled_listed_and_validated(make_api: MakeApi) -> None:
    wd = make_wd(make_api, WebDeploymentKnobs(), listing_lag_seconds=5.0)
    config_id, deployment_id = seed_pair(
        wd.app, "Seeded", configuration={"description": "d"}, versions=2
    )
    deployment = wd.ok("GET", f"{DEPLOYMENTS}/{deployment_id}")
    assert deployment["status"] == "Active"  # no timer: the contract's 12 s have not run
    assert deployment["configuration"]["version"] == "2"
    assert [d["id"] for d in wd.ok("GET", DEPLOYMENTS)["entities"]] == [deployment_id]
    assert wd.draft(config_id)["description"] == "d"
    with pytest.raises(ConfigError, match=r"'Bad'.*languages"):
        seed_pair(wd.app, "Bad", configuration={"languages": "en-us"})
    assert wd.app.direct("GET", "/api/v2/nowhere").status == 404
