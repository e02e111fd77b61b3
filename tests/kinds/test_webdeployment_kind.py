"""The webDeployment kind's comparison, as the planner sees it: only what the spec names is
compared, server defaults and a Pending status are never a change, a change shows the version
apply will publish, and a pinned spec without a configuration to pin is a plan error."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from typing import Any

import pytest

from reconciler.errors import PlanError
from reconciler.kinds.webdeployment import LIVE, WEB_DEPLOYMENT
from reconciler.model import LiveResource, SourceRef, Spec
from reconciler.planner import ActionKind, PlanOptions, build_plan

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)
FLOWS = {"flow": [("flow-1", "Sales Inbound Message")], "supportedContent": []}


def spec(**deployment: Any) -> Spec:
    body: dict[str, Any] = {
        "name": "Sales EU",
        "configuration": {"languages": ["en-us"], "defaultLanguage": "en-us"},
        "deployment": {"allowedDomains": ["b.example", "a.example"], **deployment},
    }
    body["deployment"].setdefault("flow", {"name": "Sales Inbound Message"})
    return Spec(
        kind="webDeployment",
        name="Sales EU",
        body=body,
        source=SourceRef(file="w.yaml", line=1, col=1),
    )


def live(
    *, served: str = "1", latest: str = "1", status: str = "Active", **config: Any
) -> LiveResource:
    configuration = {
        "languages": ["en-us"],
        "defaultLanguage": "en-us",
        "messenger": {"enabled": True, "apps": {"conversations": {"futureFeature": True}}},
        **config,
    }
    return LiveResource(
        kind="webDeployment",
        id="dep-1",
        revision=f"r|{served}",
        body={
            "name": "Sales EU",
            "description": "[x-managed-by: reconciler]",
            "configuration": configuration,
            "deployment": {
                "allowAllDomains": False,
                "allowedDomains": ["a.example", "b.example"],
                "flow": {"id": "flow-1"},
                "supportedContent": {"id": "default-profile"},
                "status": status,
            },
            LIVE: {
                "deploymentId": "dep-1",
                "configurationId": "cfg-1",
                "servedVersion": served,
                "latestVersion": latest,
                "draftDiffers": served != latest,
            },
        },
    )


def plan(specs: list[Spec], lives: list[LiveResource]) -> Any:
    return build_plan(specs, lives, options=PlanOptions(), environment="t", now=NOW, catalog=FLOWS)


def test_server_defaults_and_domain_order_are_no_change() -> None:
    (action,) = plan([spec()], [live()]).actions
    assert action.kind is ActionKind.NOOP


def test_a_changed_field_shows_the_version_apply_will_publish() -> None:
    (action,) = plan([spec()], [live(defaultLanguage="de", languages=["en-us", "de"])]).actions
    assert action.kind is ActionKind.UPDATE
    paths = {c.path: (c.before, c.after) for c in action.changes}
    assert paths["configuration.version"] == ("1", "2")
    assert "configuration.defaultLanguage" in paths


def test_a_pending_status_is_never_drift_even_when_managed() -> None:
    (action,) = plan([spec(status="Active")], [live(status="Pending")]).actions
    assert action.kind is ActionKind.NOOP


def test_an_out_of_band_publish_not_served_is_a_change() -> None:
    (action,) = plan([spec()], [live(served="1", latest="2")]).actions
    assert action.kind is ActionKind.UPDATE
    paths = {c.path: (c.before, c.after) for c in action.changes}
    assert paths["deployment.configurationVersion"] == ("1", "latest")
    assert paths["configuration.version"] == ("1", "3")


def test_a_pinned_spec_with_nothing_to_pin_fails_the_plan_naming_the_file() -> None:
    with pytest.raises(PlanError, match=r"w\.yaml:1: web deployment 'Sales EU' is pinned"):
        plan([spec(configurationVersion="4")], [])


def test_an_unknown_flow_fails_the_plan_naming_the_file() -> None:
    with pytest.raises(
        PlanError, match=r"w\.yaml:1: deployment\.flow: no inbound message flow is named 'Nope'"
    ):
        plan([spec(flow={"name": "Nope"})], [live()])


def test_a_flow_given_by_an_id_no_inbound_message_flow_has_fails_the_plan() -> None:
    with pytest.raises(
        PlanError, match=r"deployment\.flow: no inbound message flow has the id 'flow-9'"
    ):
        plan([spec(flow={"id": "flow-9"})], [live()])
    (action,) = plan([spec(flow={"id": "flow-1"})], [live()]).actions
    assert action.kind is ActionKind.NOOP


def test_flows_resolve_by_their_exact_name() -> None:
    with pytest.raises(PlanError, match="no inbound message flow is named"):
        plan([spec(flow={"name": "sales inbound message"})], [live()])


def test_two_live_pairs_with_one_name_fail_the_plan_unless_both_are_ours() -> None:
    unmanaged = {**live().body, "description": "made in the admin UI"}
    other = LiveResource(kind="webDeployment", id="dep-2", revision="r", body=unmanaged)
    with pytest.raises(
        PlanError, match=r"2 live web deployments are named 'Sales EU' \(ids dep-1, dep-2\)"
    ):
        plan([spec()], [live(), other])


def test_twins_of_this_owner_keep_the_earliest_and_delete_the_others() -> None:
    """Two runs created the pair at once and neither settled it: the plan keeps the earliest
    created (then the lowest id) and deletes the twin, instead of failing."""
    first = dataclasses.replace(live(), id="dep-9", date_created="2026-01-01T10:00:00.000Z")
    twin = dataclasses.replace(live(), id="dep-1", date_created="2026-01-01T10:00:00.120Z")
    actions = {a.kind: a for a in plan([spec()], [twin, first]).actions}
    assert actions[ActionKind.NOOP].channel_id == "dep-9"
    assert actions[ActionKind.DELETE].channel_id == "dep-1"
    assert "twin of dep-9" in actions[ActionKind.DELETE].notes[0]


def test_the_marker_is_read_from_the_description() -> None:
    assert WEB_DEPLOYMENT.owner_of(live().body) == "reconciler"
    unowned = {**live().body, "description": "hand made"}
    assert WEB_DEPLOYMENT.owner_of(unowned) is None


def test_a_rollback_to_an_older_version_moves_back_without_publishing_again() -> None:
    rolled_back = live(served="1", latest="2", defaultLanguage="de", languages=["en-us", "de"])
    rolled_back.body[LIVE]["latestConfiguration"] = {
        "languages": ["en-us"],
        "defaultLanguage": "en-us",
    }
    (action,) = plan([spec()], [rolled_back]).actions
    assert action.kind is ActionKind.UPDATE
    paths = {c.path: (c.before, c.after) for c in action.changes}
    assert paths["deployment.configurationVersion"] == ("1", "latest")
    assert "configuration.version" not in paths, "version 2 already says what the spec says"
