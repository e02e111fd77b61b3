"""Configurations: draft, publish, full-replace PUT, delete, and their knobs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from reconciler.sandbox import WebDeploymentKnobs

from .helpers import Api, FakeClock
from .wd_helpers import CONFIGS, DEPLOYMENTS, WdApi, config_body, make_wd

MakeApi = Callable[..., Api]
CONTRACT = WebDeploymentKnobs()


@pytest.fixture
def wd(make_api: MakeApi) -> WdApi:
    return make_wd(make_api, WebDeploymentKnobs.instant())


def test_create_answers_the_draft_with_server_defaults_and_the_fields_sent(wd: WdApi) -> None:
    draft = wd.create_config(config_body(bogus=1, id="mine", status="Active"))
    assert draft["version"] == "DRAFT"
    assert draft["id"] != "mine"  # read-only and unknown fields are ignored
    assert "bogus" not in draft
    assert draft["position"] == {"alignment": "Right", "sideSpace": 20, "bottomSpace": 12}
    assert draft["languages"] == ["en-us", "de"]
    conversations = draft["messenger"]["apps"]["conversations"]
    assert conversations["sessionDurationSeconds"] == 259200
    assert conversations["futureFeature"] == {"enabled": True}
    assert draft["messenger"]["fileUpload"]["modes"][0]["maxFileSizeKB"] == 10240
    assert draft["journeyEvents"] == {"enabled": False}
    assert draft["selfUri"] == f"{CONFIGS}/{draft['id']}/versions/draft"
    assert draft["createdUser"]["id"] == draft["lastModifiedUser"]["id"]


def test_a_new_draft_is_404_then_pending_then_active_and_publish_waits_for_it(
    make_api: MakeApi, clock: FakeClock
) -> None:
    wd = make_wd(make_api, CONTRACT)
    config_id = wd.create_config()["id"]
    draft_uri = f"{CONFIGS}/{config_id}/versions/draft"
    assert wd.call("GET", draft_uri).status == 404
    clock.advance(CONTRACT.config_get_404_after_create_s)
    assert wd.draft(config_id)["status"] == "Pending"
    refused = wd.call("POST", f"{draft_uri}/publish")
    assert refused.status == 400
    assert refused.json()["details"] == [{"errorCode": "draft.not.active", "fieldName": "status"}]
    clock.advance(CONTRACT.config_draft_activate_s)
    assert wd.draft(config_id)["status"] == "Active"
    assert wd.publish(config_id)["version"] == "1"


def test_publish_while_pending_can_be_allowed(make_api: MakeApi) -> None:
    wd = make_wd(make_api, CONTRACT.replace(publish_400_while_pending=False))
    config_id = wd.create_config()["id"]
    assert wd.publish(config_id)["version"] == "1"


def test_publishing_numbers_versions_and_lists_them_with_the_draft(wd: WdApi) -> None:
    config_id = wd.create_config()["id"]
    first = wd.publish(config_id)
    # An unchanged draft still makes a version (the emulator's choice).
    second = wd.publish(config_id)
    assert (first["version"], second["version"]) == ("1", "2")
    assert first["status"] == "Active"
    assert first["selfUri"] == f"{CONFIGS}/{config_id}/versions/1"
    assert "datePublished" in first
    assert "publishedUser" in first
    listing = wd.ok("GET", f"{CONFIGS}/{config_id}/versions")
    assert [v["version"] for v in listing["entities"]] == ["DRAFT", "1", "2"]
    assert wd.ok("GET", f"{CONFIGS}/{config_id}/versions/2")["name"] == "Sales EU"
    assert wd.call("GET", f"{CONFIGS}/{config_id}/versions/3").status == 404
    assert wd.call("GET", f"{CONFIGS}/nope/versions/1").status == 404
    assert wd.draft(config_id)["version"] == "DRAFT"  # the draft stays after publishing


def test_put_draft_is_a_full_replace_and_leaves_published_versions_alone(
    make_api: MakeApi, clock: FakeClock
) -> None:
    wd = make_wd(make_api, CONTRACT.replace(config_get_404_after_create_s=0.0))
    config_id = wd.create_config()["id"]
    clock.advance(CONTRACT.config_draft_activate_s)
    wd.publish(config_id)
    live = wd.draft(config_id)
    # Sent back whole (read-only fields included, they are ignored), the live field survives.
    live["description"] = "Changed"
    kept = wd.ok("PUT", f"{CONFIGS}/{config_id}/versions/draft", live)
    assert kept["messenger"]["apps"]["conversations"]["futureFeature"] == {"enabled": True}
    assert kept["description"] == "Changed"
    assert kept["status"] == "Pending"  # a replaced draft settles again
    # A body without the live field clears it: PUT is a full replace.
    replaced = wd.ok("PUT", f"{CONFIGS}/{config_id}/versions/draft", config_body())
    assert "apps" not in replaced["messenger"]
    assert "journeyEvents" not in replaced
    assert replaced["dateCreated"] == live["dateCreated"]
    published = wd.ok("GET", f"{CONFIGS}/{config_id}/versions/1")
    assert published["description"] == "Pre-sales questions"
    assert published["messenger"]["apps"]["conversations"]["futureFeature"] == {"enabled": True}
    assert wd.call("PUT", f"{CONFIGS}/nope/versions/draft", json_body=config_body()).status == 404


def test_deleting_a_configuration_in_use_is_refused_then_deleting_shows_then_404(
    make_api: MakeApi, clock: FakeClock
) -> None:
    knobs = WebDeploymentKnobs.instant(delete_visible_s=3.0)
    wd = make_wd(make_api, knobs)
    config_id, deployment_id = wd.published_pair()
    refused = wd.call("DELETE", f"{CONFIGS}/{config_id}")
    assert refused.status == 409
    assert refused.json()["code"] == "general.conflict"
    assert refused.json()["details"] == [
        {"errorCode": "in.use", "fieldName": "configuration", "entityId": deployment_id}
    ]
    assert wd.call("DELETE", f"{DEPLOYMENTS}/{deployment_id}").status == 204
    assert wd.call("DELETE", f"{CONFIGS}/{config_id}").status == 204
    assert wd.draft(config_id)["status"] == "Deleting"
    assert wd.ok("GET", f"{CONFIGS}/{config_id}/versions/1")["status"] == "Deleting"
    assert wd.call("POST", f"{CONFIGS}/{config_id}/versions/draft/publish").status == 404
    clock.advance(3.0)
    assert wd.call("GET", f"{CONFIGS}/{config_id}/versions/draft").status == 404
    assert wd.call("DELETE", f"{CONFIGS}/{config_id}").status == 404


def test_deleting_in_use_can_be_allowed_and_breaks_the_deployment(make_api: MakeApi) -> None:
    wd = make_wd(make_api, WebDeploymentKnobs.instant(delete_in_use="allow"))
    config_id, deployment_id = wd.published_pair()
    assert wd.call("DELETE", f"{CONFIGS}/{config_id}").status == 204
    assert wd.ok("GET", f"{DEPLOYMENTS}/{deployment_id}")["status"] == "Error"


def test_duplicate_names_are_allowed_unless_switched_to_409(make_api: MakeApi) -> None:
    lenient = make_wd(make_api, WebDeploymentKnobs.instant())
    first = lenient.create_config(config_body("Twin"))
    second = lenient.create_config(config_body("twin"))
    assert first["id"] != second["id"]
    strict = make_wd(make_api, WebDeploymentKnobs.instant(unique_names=True))
    held = strict.create_config(config_body("Twin"))
    refused = strict.call("POST", CONFIGS, json_body=config_body("TWIN"))
    assert refused.status == 409
    assert refused.json()["details"][0]["errorCode"] == "duplicate.value"
    assert refused.json()["details"][0]["entityId"] == held["id"]
    # Renaming a draft to its own name is no conflict.
    uri = f"{CONFIGS}/{held['id']}/versions/draft"
    assert strict.call("PUT", uri, json_body=config_body("Twin")).status == 200


def test_strict_mode_refuses_unknown_and_read_only_fields(make_api: MakeApi) -> None:
    wd = make_wd(make_api, WebDeploymentKnobs.instant(strict_fields=True))
    body = config_body(bogus=1, version="3")
    body["messenger"]["styles"]["shade"] = "dark"
    response = wd.call("POST", CONFIGS, json_body=body)
    assert response.status == 400
    details = {d["fieldName"]: d["errorCode"] for d in response.json()["details"]}
    assert details == {
        "bogus": "field.unknown",
        "version": "read.only",
        "messenger.styles.shade": "field.unknown",
    }


def test_a_feature_the_org_lacks_is_a_400_naming_the_field(make_api: MakeApi) -> None:
    wd = make_wd(make_api, WebDeploymentKnobs.instant(unavailable_features={"journeyEvents"}))
    refused = wd.call("POST", CONFIGS, json_body=config_body(journeyEvents={"enabled": True}))
    assert refused.status == 400
    (detail,) = refused.json()["details"]
    assert "feature is not yet implemented" in detail["errorCode"]
    assert detail["fieldName"] == "journeyEvents"
    # Sending the block back disabled (as a read-modify-write does) is fine.
    assert wd.create_config(config_body(journeyEvents={"enabled": False}))["journeyEvents"] == {
        "enabled": False
    }


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"name": ""}, "name", "length.invalid"),
        ({"name": "x" * 101}, "name", "length.invalid"),
        ({"languages": "en-us"}, "languages", "type.invalid"),
        ({"defaultLanguage": "fr"}, "defaultLanguage", "value.invalid"),
        (
            {"messenger": {"launcherButton": {"visibility": "Sometimes"}}},
            "messenger.launcherButton.visibility",
            "value.invalid",
        ),
        (
            {"messenger": {"styles": {"primaryColor": "blue"}}},
            "messenger.styles.primaryColor",
            "value.invalid",
        ),
        ({"messenger": {"enabled": "yes"}}, "messenger.enabled", "type.invalid"),
        (
            {"messenger": {"fileUpload": {"modes": [{"maxFileSizeKB": 20000}]}}},
            "messenger.fileUpload.modes[0].maxFileSizeKB",
            "value.invalid",
        ),
        ({"position": {"alignment": "Center"}}, "position.alignment", "value.invalid"),
        ({"position": {"sideSpace": 1.5}}, "position.sideSpace", "type.invalid"),
        (
            {"customI18nLabels": [{"language": "en-us", "localizedLabels": [{"key": "Nope"}]}]},
            "customI18nLabels[0].localizedLabels[0].key",
            "value.invalid",
        ),
        ({"video": {"agent": {"background": "blur"}}}, "video.agent.background", "value.invalid"),
        ({"authenticationSettings": {}}, "authenticationSettings.enabled", "required"),
    ],
)
def test_bodies_are_checked_against_the_contract_fields(
    wd: WdApi, change: dict[str, Any], field: str, code: str
) -> None:
    response = wd.call("POST", CONFIGS, json_body=config_body(**change))
    assert response.status == 400
    body = response.json()
    assert body["code"] == "bad.request"
    assert {"errorCode": code, "fieldName": field} in body["details"]
    assert field in body["message"]


def test_every_problem_is_reported_at_once_and_bad_json_is_one_400(wd: WdApi) -> None:
    response = wd.call("POST", CONFIGS, json_body={"languages": 1, "position": []})
    assert {d["fieldName"] for d in response.json()["details"]} == {"name", "languages", "position"}
    broken = wd.call("POST", CONFIGS, body=b"{not json")
    assert broken.status == 400
    assert broken.json()["details"][0]["fieldName"] == "body"
    assert wd.call("POST", CONFIGS, json_body=[1]).status == 400


def test_pause_criteria_conditions_are_kept_in_the_canonical_casing(wd: WdApi) -> None:
    cobrowse = {
        "enabled": True,
        "pauseCriteria": [{"urlFragment": "/pay", "condition": "includes"}],
    }
    draft = wd.create_config(config_body(cobrowse=cobrowse))
    assert draft["cobrowse"]["pauseCriteria"][0]["condition"] == "Includes"


def test_the_listing_shows_one_draft_per_configuration_and_lags_writes(
    make_api: MakeApi, clock: FakeClock
) -> None:
    wd = make_wd(make_api, WebDeploymentKnobs.instant(), listing_lag_seconds=2.0)
    published = wd.create_config(config_body("Published"))["id"]
    wd.publish(published)
    wd.create_config(config_body("Draft only"))
    assert wd.ok("GET", CONFIGS)["entities"] == []
    clock.advance(2.0)
    entities = wd.ok("GET", CONFIGS)["entities"]
    assert sorted(e["name"] for e in entities) == ["Draft only", "Published"]
    assert {e["version"] for e in entities} == {"DRAFT"}
    only = wd.ok("GET", f"{CONFIGS}?showOnlyPublished=true")
    assert [e["name"] for e in only["entities"]] == ["Published"]
    assert "showOnlyPublished=true" in only["selfUri"]


def test_an_enabled_messenger_without_languages_is_a_400_on_create_and_on_a_draft_write(
    wd: WdApi,
) -> None:
    """The SDK: languages and defaultLanguage are "required if the messenger is enabled"."""
    body = config_body()
    del body["languages"], body["defaultLanguage"]
    refused = wd.call("POST", CONFIGS, json_body=body)
    assert refused.status == 400
    assert [d["fieldName"] for d in refused.json()["details"]] == ["languages", "defaultLanguage"]
    assert "required when the messenger is enabled" in refused.json()["message"]

    config_id = wd.create_config()["id"]
    without_default = config_body()
    del without_default["defaultLanguage"]
    refused = wd.call("PUT", f"{CONFIGS}/{config_id}/versions/draft", json_body=without_default)
    assert refused.status == 400
    assert [d["fieldName"] for d in refused.json()["details"]] == ["defaultLanguage"]
    assert wd.draft(config_id)["defaultLanguage"] == "en-us"  # the refused write changed nothing

    # A disabled Messenger needs no languages; one left to the server's default gets en-us.
    off = {"name": "Kiosk", "messenger": {"enabled": False}}
    assert "languages" not in wd.create_config(off)
    defaulted = wd.create_config({"name": "Bare"})
    assert (defaulted["languages"], defaulted["defaultLanguage"]) == (["en-us"], "en-us")
