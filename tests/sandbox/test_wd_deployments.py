"""Deployments: lifecycle on the clock, references, full replace, expand."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from reconciler.sandbox import WebDeploymentKnobs

from .helpers import Api, FakeClock
from .wd_helpers import CONFIGS, DEPLOYMENTS, SUPPORTED, WdApi, config_body, make_wd

MakeApi = Callable[..., Api]
CONTRACT = WebDeploymentKnobs()


@pytest.fixture
def wd(make_api: MakeApi) -> WdApi:
    return make_wd(make_api, WebDeploymentKnobs.instant())


def deployment_body(config_id: str, version: str = "1", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Sales EU",
        "description": "EU shops",
        "configuration": {"id": config_id, "version": version},
        "allowedDomains": ["shop.example.eu", "*.example.de"],
    }
    body.update(overrides)
    return body


def published_config(wd: WdApi, name: str = "Sales EU") -> str:
    config_id = str(wd.create_config(config_body(name))["id"])
    wd.publish(config_id)
    return config_id


def test_a_new_deployment_is_404_then_pending_then_active(
    make_api: MakeApi, clock: FakeClock
) -> None:
    wd = make_wd(
        make_api,
        WebDeploymentKnobs.instant(
            deployment_activate_s=CONTRACT.deployment_activate_s,
            deployment_get_404_after_create_s=CONTRACT.deployment_get_404_after_create_s,
        ),
    )
    config_id = published_config(wd)
    created = wd.ok("POST", DEPLOYMENTS, deployment_body(config_id))
    assert created["status"] == "Pending"
    uri = f"{DEPLOYMENTS}/{created['id']}"
    assert wd.call("GET", uri).status == 404
    clock.advance(CONTRACT.deployment_get_404_after_create_s)
    assert wd.ok("GET", uri)["status"] == "Pending"
    clock.advance(CONTRACT.deployment_activate_s)
    assert wd.ok("GET", uri)["status"] == "Active"


def test_create_fills_references_defaults_and_the_snippet(wd: WdApi) -> None:
    config_id = published_config(wd)
    flow_id = wd.flow_id("Sales Inbound Message")
    created = wd.ok("POST", DEPLOYMENTS, deployment_body(config_id, flow={"id": flow_id}))
    assert created["configuration"] == {
        "id": config_id,
        "version": "1",
        "name": "Sales EU",
        "selfUri": f"{CONFIGS}/{config_id}",
    }
    assert created["flow"]["name"] == "Sales Inbound Message"
    default = wd.ok("GET", f"{SUPPORTED}/default")
    assert created["supportedContent"]["id"] == default["id"]
    assert created["allowAllDomains"] is False
    assert created["allowedDomains"] == ["shop.example.eu", "*.example.de"]
    assert f"deploymentId: '{created['id']}'" in created["snippet"]
    assert created["selfUri"] == f"{DEPLOYMENTS}/{created['id']}"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"configuration": {"id": "CONFIG", "version": "DRAFT"}}, "configuration.version"),
        ({"configuration": {"id": "CONFIG", "version": "draft"}}, "configuration.version"),
        ({"configuration": {"id": "CONFIG", "version": "7"}}, "configuration.version"),
        ({"configuration": {"id": "unknown", "version": "1"}}, "configuration.id"),
        ({"configuration": {"id": "CONFIG"}}, "configuration.version"),
        ({"flow": {"id": "unknown"}}, "flow.id"),
        ({"supportedContent": {"id": "unknown"}}, "supportedContent.id"),
        ({"allowAllDomains": True}, "allowedDomains"),
        ({"allowedDomains": ["https://shop.example.eu"]}, "allowedDomains[0]"),
        ({"allowedDomains": ["shop.example.eu:8443"]}, "allowedDomains[0]"),
        ({"status": "Sleeping"}, "status"),
        ({"pushIntegrations": [{"id": "p", "provider": "SMS"}]}, "pushIntegrations[0].provider"),
        ({"name": 5}, "name"),
    ],
)
def test_invalid_deployments_are_a_400_naming_the_field(
    wd: WdApi, change: dict[str, Any], field: str
) -> None:
    config_id = published_config(wd)
    body = deployment_body(config_id, **change)
    if isinstance(body["configuration"], dict) and body["configuration"].get("id") == "CONFIG":
        body["configuration"]["id"] = config_id
    response = wd.call("POST", DEPLOYMENTS, json_body=body)
    assert response.status == 400, response.body
    assert field in [d["fieldName"] for d in response.json()["details"]]


def test_a_configuration_without_published_version_cannot_be_deployed(wd: WdApi) -> None:
    config_id = wd.create_config()["id"]
    response = wd.call("POST", DEPLOYMENTS, json_body=deployment_body(config_id))
    assert response.status == 400
    assert response.json()["details"][0]["entityId"] == config_id


def test_put_is_a_full_replace_that_moves_versions_and_settles_again(
    make_api: MakeApi, clock: FakeClock
) -> None:
    wd = make_wd(make_api, WebDeploymentKnobs.instant(deployment_activate_s=5.0))
    config_id = published_config(wd)
    created = wd.ok("POST", DEPLOYMENTS, deployment_body(config_id))
    clock.advance(5.0)
    wd.publish(config_id)
    live = wd.ok("GET", f"{DEPLOYMENTS}/{created['id']}")
    assert live["status"] == "Active"
    live["configuration"]["version"] = "2"
    del live["description"]
    moved = wd.ok("PUT", f"{DEPLOYMENTS}/{created['id']}", live)
    assert moved["configuration"]["version"] == "2"
    assert "description" not in moved  # omitted from a full replace: cleared
    assert moved["status"] == "Pending"
    assert moved["dateCreated"] == created["dateCreated"]
    assert moved["snippet"] == created["snippet"]
    clock.advance(5.0)
    assert wd.ok("GET", f"{DEPLOYMENTS}/{created['id']}")["status"] == "Active"
    live = wd.ok("GET", f"{DEPLOYMENTS}/{created['id']}")
    live["status"] = "Inactive"
    assert wd.ok("PUT", f"{DEPLOYMENTS}/{created['id']}", live)["status"] == "Inactive"
    assert wd.call("PUT", f"{DEPLOYMENTS}/nope", json_body=live).status == 404


def test_deployments_stay_pinned_on_publish_unless_switched_to_follow(make_api: MakeApi) -> None:
    for follow, expected in ((False, "1"), (True, "2")):
        wd = make_wd(make_api, WebDeploymentKnobs.instant(follow_latest_on_publish=follow))
        config_id, deployment_id = wd.published_pair()
        wd.publish(config_id)
        served = wd.ok("GET", f"{DEPLOYMENTS}/{deployment_id}")["configuration"]["version"]
        assert served == expected


def test_delete_shows_deleting_then_404(make_api: MakeApi, clock: FakeClock) -> None:
    wd = make_wd(make_api, WebDeploymentKnobs.instant(delete_visible_s=3.0))
    _, deployment_id = wd.published_pair()
    uri = f"{DEPLOYMENTS}/{deployment_id}"
    assert wd.call("DELETE", uri).status == 204
    assert wd.ok("GET", uri)["status"] == "Deleting"
    assert wd.call("PUT", uri, json_body={"name": "x"}).status == 404
    clock.advance(3.0)
    assert wd.call("GET", uri).status == 404
    assert wd.call("DELETE", uri).status == 404


def test_the_listing_lags_and_expands_the_served_configuration(
    make_api: MakeApi, clock: FakeClock
) -> None:
    wd = make_wd(make_api, WebDeploymentKnobs.instant(), listing_lag_seconds=2.0)
    config_id, deployment_id = wd.published_pair()
    assert wd.ok("GET", DEPLOYMENTS)["entities"] == []
    clock.advance(2.0)
    plain = wd.ok("GET", DEPLOYMENTS)["entities"]
    assert [d["id"] for d in plain] == [deployment_id]
    assert set(plain[0]["configuration"]) == {"id", "version", "name", "selfUri"}
    for expand in ("Configuration", "configuration,SupportedContent"):
        (entity,) = wd.ok("GET", f"{DEPLOYMENTS}?expand={expand}")["entities"]
        served = entity["configuration"]
        assert (served["id"], served["version"]) == (config_id, "1")
        assert served["messenger"]["styles"]["primaryColor"] == "#0D6EFD"
    expanded = wd.ok("GET", f"{DEPLOYMENTS}?expand=SupportedContent")["entities"][0]
    assert expanded["supportedContent"]["mediaTypes"]["allow"]["inbound"] == [{"type": "*/*"}]
    assert wd.call("DELETE", f"{DEPLOYMENTS}/{deployment_id}").status == 204
    assert [d["id"] for d in wd.ok("GET", DEPLOYMENTS)["entities"]] == [deployment_id]
    clock.advance(2.0)
    assert wd.ok("GET", DEPLOYMENTS)["entities"] == []


def test_get_expands_flow_details(wd: WdApi) -> None:
    flow_id = wd.flow_id("Sales Inbound Message")
    _, deployment_id = wd.published_pair(flow={"id": flow_id})
    plain = wd.ok("GET", f"{DEPLOYMENTS}/{deployment_id}")
    assert "flowDescription" not in plain["flow"]
    detailed = wd.ok("GET", f"{DEPLOYMENTS}/{deployment_id}?expand=flowDetails")
    assert detailed["flow"]["flowDescription"] == "Routes sales web messages"


def test_unique_names_switch_applies_to_deployments(make_api: MakeApi) -> None:
    wd = make_wd(make_api, WebDeploymentKnobs.instant(unique_names=True))
    config_id, _ = wd.published_pair("Shop")
    response = wd.call("POST", DEPLOYMENTS, json_body=deployment_body(config_id, name="SHOP"))
    assert response.status == 409


def test_identity_resolution_is_answered_501_on_purpose(wd: WdApi) -> None:
    response = wd.call("GET", f"{DEPLOYMENTS}/any/identityresolution")
    assert response.status == 501
    assert response.json()["code"] == "not.implemented"


def test_the_public_active_configuration_needs_no_token(wd: WdApi) -> None:
    config_id, deployment_id = wd.published_pair()
    wd.publish(config_id)  # version 2 exists; the deployment still serves 1
    response = wd.call("GET", f"{DEPLOYMENTS}/{deployment_id}/configurations", token=None)
    assert response.status == 200
    body = response.json()
    assert body["configurationVersion"]["version"] == "1"
    assert body["configurationVersion"]["messenger"]["enabled"] is True
    assert body["deployment"]["id"] == deployment_id
    assert "inin-ratelimit-count" not in response.headers
    assert wd.call("GET", f"{DEPLOYMENTS}/nope/configurations", token=None).status == 404


def test_status_other_than_active_or_inactive_is_ignored_unless_strict(make_api: MakeApi) -> None:
    lenient = make_wd(make_api, WebDeploymentKnobs.instant())
    config_id = published_config(lenient)
    created = lenient.ok("POST", DEPLOYMENTS, deployment_body(config_id, status="Error"))
    assert created["status"] == "Active"
    strict = make_wd(make_api, WebDeploymentKnobs.instant(strict_fields=True))
    config_id = published_config(strict)
    for field, value in (("status", "Pending"), ("snippet", "mine")):
        body = deployment_body(config_id, **{field: value})
        response = strict.call("POST", DEPLOYMENTS, json_body=body)
        assert response.status == 400
        assert response.json()["details"] == [{"errorCode": "read.only", "fieldName": field}]


def test_a_written_inactive_deactivates_unless_the_org_ignores_it(make_api: MakeApi) -> None:
    for deactivates, expected in ((True, "Inactive"), (False, "Active")):
        wd = make_wd(make_api, WebDeploymentKnobs.instant(inactive_deactivates=deactivates))
        config_id = published_config(wd)
        created = wd.ok("POST", DEPLOYMENTS, deployment_body(config_id, status="Inactive"))
        assert created["status"] == expected
        uri = f"{DEPLOYMENTS}/{created['id']}"
        live = wd.ok("GET", uri)
        live["status"] = "Inactive"
        assert wd.ok("PUT", uri, live)["status"] == expected
        # Deactivated, the deployment is not served to the Messenger.
        served = wd.call("GET", f"{uri}/configurations", token=None)
        assert served.status == (404 if deactivates else 200)
