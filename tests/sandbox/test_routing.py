"""Routing by path to kind routes: specificity, 404/405, stats, and adding a kind in a few
lines (a toy route served, faulted, saved and loaded like the built-in kinds)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest

from reconciler.errors import ConfigError
from reconciler.sandbox import FaultPlan, SandboxApp, SandboxConfig, SandboxState
from reconciler.sandbox.registry import ROUTES
from reconciler.sandbox.routing import Call, Endpoint, KindRoute, Router
from reconciler.sandbox.validation import parse_json
from reconciler.sandbox.wire import Reply, problem

from .helpers import Api
from .wd_helpers import CONFIGS, SUPPORTED, WdApi

TOYS = "/api/v2/toys"


class ToyRoutes(KindRoute):
    kinds: ClassVar[tuple[str, ...]] = ("toy",)

    def endpoints(self) -> Sequence[Endpoint]:
        return [
            Endpoint(TOYS, {"GET": self.listing, "POST": self.create}),
            Endpoint(f"{TOYS}/{{id}}", {"GET": self.get}),
        ]

    def listing(self, call: Call) -> Reply:
        return Reply(status=200, payload={"entities": list(self.state.objects("toy").values())})

    def create(self, call: Call) -> Reply:
        doc, _ = parse_json(call.request.body)
        toy = {"id": self.ctx.new_id(), "name": doc["name"]}
        self.state.objects("toy")[toy["id"]] = toy
        return Reply(status=200, payload=toy)

    def get(self, call: Call) -> Reply:
        toy = self.state.objects("toy").get(call.params["id"])
        return Reply(status=200, payload=toy) if toy else problem(404, "not.found", "No toy.")


WITH_TOYS = (*ROUTES, ToyRoutes)


def test_the_most_literal_template_wins() -> None:
    def answer(name: str) -> Any:
        return lambda call: Reply(status=200, payload=name)

    router = Router(
        [
            Endpoint("/a/{id}/v/{version}", {"GET": answer("version")}),
            Endpoint("/a/{id}/v/draft", {"GET": answer("draft")}),
            Endpoint("/a/{id}", {"GET": answer("one")}),
        ]
    )
    found = router.match("/a/x/v/draft")
    assert found is not None
    assert found.template == "/a/{id}/v/draft"
    found = router.match("/a/x/v/7")
    assert found is not None
    assert found.params == {"id": "x", "version": "7"}
    assert router.match("/a/") is None
    assert router.match("/a/x/v") is None
    assert router.match("a/x") is None
    with pytest.raises(ValueError, match="two routes"):
        Router([Endpoint("/a", {}), Endpoint("/a", {})])


def test_unknown_paths_are_404_and_unlisted_methods_405_with_allow(api: Api) -> None:
    assert api.call("GET", "/api/v2/webdeployments/elsewhere").status == 404
    assert api.call("GET", f"{SUPPORTED}/").status == 404
    response = api.call("GET", f"{CONFIGS}/some-id")
    assert response.status == 405
    assert response.headers["Allow"] == "DELETE"
    assert api.call("POST", "/api/v2/flows").headers["Allow"] == "GET"


def test_stats_count_requests_by_route_template(api: Api) -> None:
    api.call("GET", f"{CONFIGS}/abc/versions/draft")
    api.call("GET", f"{CONFIGS}/abc/versions/3")
    assert api.app.stats.requests[f"GET {CONFIGS}/{{id}}/versions/draft"] == 1
    assert api.app.stats.requests[f"GET {CONFIGS}/{{id}}/versions/{{version}}"] == 1


def test_a_toy_kind_is_served_with_the_shared_pipeline(tmp_path: Path) -> None:
    config = SandboxConfig(seed=3, faults=FaultPlan(script=("503",)))
    app = SandboxApp(config, routes=WITH_TOYS)
    api = Api(app)
    assert api.call("GET", TOYS).status == 503  # faults apply to every route
    assert api.call("GET", TOYS, token="wrong").status == 401
    toy = api.call("POST", TOYS, json_body={"name": "Robot"}).json()
    assert api.call("GET", f"{TOYS}/{toy['id']}").json() == toy
    assert api.call("DELETE", f"{TOYS}/{toy['id']}").status == 405
    path = tmp_path / "state.json"
    app.state.save(path)
    assert json.loads(path.read_text())["kinds"]["toy"] == [toy]
    loaded = SandboxState.load(path, routes=WITH_TOYS)
    assert Api(SandboxApp(state=loaded, routes=WITH_TOYS)).call("GET", TOYS).json() == {
        "entities": [toy]
    }
    with pytest.raises(ConfigError, match="unknown kind 'toy'"):
        SandboxState.load(path)


def test_route_of_finds_a_served_route_and_refuses_others() -> None:
    app = SandboxApp()
    assert isinstance(app.route_of(ROUTES[0]), ROUTES[0])
    with pytest.raises(LookupError, match="ToyRoutes"):
        app.route_of(ToyRoutes)


def test_a_fresh_org_is_seeded_once_and_saved_seeds_are_kept(tmp_path: Path) -> None:
    app = SandboxApp()
    assert {"flow", "supportedContent"} <= set(app.state.kinds)
    flows = app.state.objects("flow")
    flows.pop(next(iter(flows)))
    path = tmp_path / "state.json"
    app.state.save(path)
    again = SandboxApp(state=SandboxState.load(path))
    assert len(again.state.objects("flow")) == len(flows)
    assert WdApi(again).ok("GET", "/api/v2/flows")["total"] == len(flows)
