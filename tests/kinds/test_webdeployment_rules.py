"""The pure rules of the webDeployment kind: normalisation, server fields, managed view,
overlay, the description ownership marker and the cross-field checks."""

from __future__ import annotations

import copy
import json
import random
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from reconciler.kinds.webdeployment_rules import (
    DRAFT_VERSION,
    add_marker,
    check_document,
    desired_deployment,
    latest_published,
    managed_view,
    normalise_configuration,
    normalise_deployment,
    overlay,
    pinned_version,
    read_marker,
    spec_from_live,
    strip_marker,
    strip_server_fields_configuration,
    strip_server_fields_deployment,
)
from reconciler.spec.loader import load_text

EXAMPLE = (
    Path(__file__).resolve().parents[2] / "docs" / "examples" / "webdeployment" / "sales-eu.yaml"
)

# --- strategies -----------------------------------------------------------------------------

# A small key alphabet, with the names the rules treat specially, so that generated bodies
# collide with each other and with the normalised paths.
KEYS = st.sampled_from(
    [
        "a",
        "b",
        "enabled",
        "messenger",
        "styles",
        "primaryColor",
        "cobrowse",
        "pauseCriteria",
        "condition",
        "customI18nLabels",
        "language",
        "localizedLabels",
        "key",
        "allowedDomains",
        "allowAllDomains",
    ]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.sampled_from(["", "x", "On", "#0d6efd", "includes", "Shop.Example.com ", "en-us"]),
    st.text(max_size=6),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=25,
)
BODIES = st.dictionaries(KEYS, JSON, max_size=6)
NO_NULLS = st.recursive(
    st.one_of(st.booleans(), st.integers(-5, 5), st.text(max_size=4)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=3)),
    max_leaves=20,
)
DESIRED = st.dictionaries(KEYS, NO_NULLS, max_size=5)

HOSTS = st.from_regex(r"(\*\.)?[a-z][a-z0-9]{0,6}(\.[a-z][a-z0-9]{0,6}){0,2}", fullmatch=True)
OWNERS = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"), min_size=1
).filter(lambda owner: owner == owner.strip())


# --- normalisation --------------------------------------------------------------------------


def test_empty_values_are_the_same_as_absent_ones() -> None:
    live: dict[str, Any] = {
        "messenger": {"enabled": True, "apps": {"conversations": {"humanize": {"bot": {}}}}},
        "journeyEvents": None,
        "cobrowse": {"maskSelectors": []},
        "headlessMode": {"enabled": False},
    }
    assert normalise_configuration(live) == {
        "messenger": {"enabled": True},
        "headlessMode": {"enabled": False},
    }


def test_colour_and_pause_condition_ignore_letter_case() -> None:
    spec = {
        "messenger": {"styles": {"primaryColor": "#0D6EFD"}},
        "cobrowse": {"pauseCriteria": [{"urlFragment": "/pay", "condition": "StartsWith"}]},
    }
    server: dict[str, Any] = {
        "messenger": {"styles": {"primaryColor": "#0d6efd"}},
        "cobrowse": {"pauseCriteria": [{"urlFragment": "/pay", "condition": "startswith"}]},
    }
    assert normalise_configuration(server) == normalise_configuration(spec)
    # The URL fragment is not a case-insensitive field.
    server["cobrowse"]["pauseCriteria"][0]["urlFragment"] = "/PAY"
    assert normalise_configuration(server) != normalise_configuration(spec)


def test_an_unknown_pause_condition_is_kept_as_the_server_wrote_it() -> None:
    body = {"cobrowse": {"pauseCriteria": [{"condition": "MatchesRegex"}]}}
    assert normalise_configuration(body) == body


def test_labels_compare_sorted_by_language_and_key() -> None:
    spec = {
        "customI18nLabels": [
            {"language": "en-us", "localizedLabels": [{"key": "B", "value": "1"}]},
            {
                "language": "de",
                "localizedLabels": [{"key": "Z", "value": "2"}, {"key": "A", "value": "3"}],
            },
        ]
    }
    server = {
        "customI18nLabels": [
            {
                "language": "de",
                "localizedLabels": [{"key": "A", "value": "3"}, {"key": "Z", "value": "2"}],
            },
            {"language": "en-us", "localizedLabels": [{"key": "B", "value": "1"}]},
        ]
    }
    assert normalise_configuration(server) == normalise_configuration(spec)
    assert [e["language"] for e in normalise_configuration(spec)["customI18nLabels"]] == [
        "de",
        "en-us",
    ]


def test_languages_keep_their_order() -> None:
    assert normalise_configuration({"languages": ["en-us", "de"]}) != normalise_configuration(
        {"languages": ["de", "en-us"]}
    )


def test_domains_are_a_set_of_lower_case_host_names() -> None:
    spec = {"allowedDomains": ["b.example.com", "a.example.com"]}
    server = {"allowedDomains": ["A.example.com", "b.example.com", "a.example.com"]}
    assert normalise_deployment(server) == normalise_deployment(spec)
    assert normalise_deployment(spec)["allowedDomains"] == ["a.example.com", "b.example.com"]


def test_allow_all_domains_with_an_empty_list_is_allow_all_domains() -> None:
    assert normalise_deployment(
        {"allowAllDomains": True, "allowedDomains": []}
    ) == normalise_deployment({"allowAllDomains": True})
    assert normalise_deployment(
        {"allowAllDomains": False, "allowedDomains": ["x.example"]}
    ) == normalise_deployment({"allowedDomains": ["x.example"]})
    assert normalise_deployment({"allowAllDomains": True}) != normalise_deployment(
        {"allowedDomains": ["x.example"]}
    )


def test_normalising_never_changes_its_input() -> None:
    body = {"allowedDomains": ["B.example", "a.example"], "flow": {}}
    before = copy.deepcopy(body)
    normalise_deployment(body)
    normalise_configuration(body)
    assert body == before


@given(BODIES)
@settings(max_examples=150)
def test_normalise_configuration_is_idempotent(body: dict[str, Any]) -> None:
    once = normalise_configuration(body)
    assert normalise_configuration(once) == once


@given(BODIES)
@settings(max_examples=150)
def test_normalise_deployment_is_idempotent(body: dict[str, Any]) -> None:
    once = normalise_deployment(body)
    assert normalise_deployment(once) == once


# --- server-set fields ----------------------------------------------------------------------


def test_server_fields_of_a_configuration_version_are_stripped() -> None:
    live = {
        "id": "c1",
        "name": "Sales EU",
        "version": "3",
        "status": "Active",
        "datePublished": "2026-01-01T00:00:00Z",
        "publishedUser": {"id": "u1"},
        "selfUri": "/api/v2/webdeployments/configurations/c1/versions/3",
        "languages": ["en-us"],
        "someFutureField": {"kept": True},
    }
    assert strip_server_fields_configuration(live) == {
        "name": "Sales EU",
        "languages": ["en-us"],
        "someFutureField": {"kept": True},
    }


def test_server_fields_of_a_deployment_are_stripped_references_keep_their_id() -> None:
    live = {
        "id": "d1",
        "name": "Sales EU",
        "snippet": "(function (g, e, n, es, ys) {})",
        "status": "Active",
        "allowedDomains": ["shop.example.eu"],
        "flow": {"id": "f1", "name": "Sales Inbound", "selfUri": "/api/v2/flows/f1"},
        "supportedContent": {"id": "s1", "name": "Images", "mediaTypes": {"allow": {}}},
        "configuration": {"id": "c1", "version": "3", "name": "Sales EU", "messenger": {}},
        "lastModifiedUser": {"id": "u1"},
        "pushIntegrations": [{"id": "p1", "provider": "FCM"}],
    }
    assert strip_server_fields_deployment(live) == {
        "name": "Sales EU",
        "status": "Active",
        "allowedDomains": ["shop.example.eu"],
        "flow": {"id": "f1"},
        "supportedContent": {"id": "s1"},
        "configuration": {"id": "c1", "version": "3"},
        "pushIntegrations": [{"id": "p1", "provider": "FCM"}],
    }


# --- managed view and overlay ---------------------------------------------------------------


LIVE_CONFIGURATION = {
    "languages": ["en-us", "de"],
    "defaultLanguage": "en-us",
    "messenger": {
        "enabled": True,
        "styles": {"primaryColor": "#0d6efd"},
        "launcherButton": {"visibility": "On", "displayType": "Icon"},
        "fileUpload": {
            "enableAttachments": True,
            "modes": [{"fileTypes": ["image/png"], "maxFileSizeKB": 10240, "serverOnly": 1}],
        },
        "apps": {"conversations": {"sessionDurationSeconds": 259200}},
    },
    "position": {"alignment": "Auto", "sideSpace": 20, "bottomSpace": 12},
    "notModelledByAnyClient": {"x": 1},
}


def test_the_managed_view_shows_only_what_the_spec_mentions() -> None:
    spec = {
        "messenger": {
            "styles": {"primaryColor": "#0D6EFD"},
            "fileUpload": {"modes": [{"fileTypes": ["image/png"], "maxFileSizeKB": 10240}]},
        },
        "headlessMode": {"enabled": True},
    }
    assert managed_view(spec, LIVE_CONFIGURATION) == {
        "messenger": {
            "styles": {"primaryColor": "#0d6efd"},
            "fileUpload": {"modes": [{"fileTypes": ["image/png"], "maxFileSizeKB": 10240}]},
        }
    }
    # Equal once normalised, except the managed block the org lacks (shown as added).
    assert normalise_configuration(
        managed_view(spec, LIVE_CONFIGURATION)
    ) == normalise_configuration({**spec, "headlessMode": None})


def test_overlay_keeps_what_the_spec_does_not_name() -> None:
    spec = {
        "messenger": {"styles": {"primaryColor": "#FF0000"}},
        "languages": ["fr"],
        "defaultLanguage": "fr",
    }
    body = overlay(LIVE_CONFIGURATION, spec)
    assert body["messenger"]["styles"] == {"primaryColor": "#FF0000"}
    assert body["messenger"]["launcherButton"] == {"visibility": "On", "displayType": "Icon"}
    assert body["messenger"]["apps"] == {"conversations": {"sessionDurationSeconds": 259200}}
    assert body["notModelledByAnyClient"] == {"x": 1}
    assert body["languages"] == ["fr"]  # lists are replaced whole, not merged
    assert LIVE_CONFIGURATION["languages"] == ["en-us", "de"]  # and the input is untouched


@given(live=BODIES, desired=DESIRED)
@settings(max_examples=150)
def test_overlay_then_managed_view_gives_back_the_desired_block(
    live: dict[str, Any], desired: dict[str, Any]
) -> None:
    written = overlay(live, desired)
    assert normalise_configuration(managed_view(desired, written)) == normalise_configuration(
        desired
    )
    assert normalise_deployment(managed_view(desired, written)) == normalise_deployment(desired)


@given(live=BODIES, desired=DESIRED, seed=st.integers(0, 2**16))
@settings(max_examples=100)
def test_what_the_server_rewrites_is_no_difference(
    live: dict[str, Any], desired: dict[str, Any], seed: int
) -> None:
    """The server reorders domains, fills defaults in, changes colour case: still no change."""
    rng = random.Random(seed)
    stored = overlay(live, desired)
    stored["serverDefault"] = {"filled": True}
    if isinstance(stored.get("allowedDomains"), list):
        rng.shuffle(stored["allowedDomains"])
    for key, value in list(stored.items()):
        if value is None:
            stored[key] = rng.choice([[], {}])
    view = managed_view(desired, stored)
    assert normalise_deployment(view) == normalise_deployment(desired)


@given(
    domains=st.lists(HOSTS, min_size=1, max_size=6, unique=True),
    seed=st.integers(0, 2**16),
)
def test_a_deployment_written_from_the_spec_plans_clean(domains: list[str], seed: int) -> None:
    live = {
        "id": "d1",
        "name": "Sales EU",
        "allowAllDomains": True,
        "allowedDomains": [],
        "status": "Pending",
        "flow": {"id": "f0", "name": "Old"},
    }
    desired = desired_deployment({"allowedDomains": domains}, flow_id="f1")
    written = overlay(strip_server_fields_deployment(live), desired)
    assert written["allowAllDomains"] is False  # never a true flag beside a list
    assert written["flow"] == {"id": "f1"}  # the old flow's name does not survive
    rng = random.Random(seed)
    served = copy.deepcopy(written)
    rng.shuffle(served["allowedDomains"])
    assert normalise_deployment(managed_view(desired, served)) == normalise_deployment(desired)


def test_desired_deployment_writes_allow_all_with_an_empty_list() -> None:
    assert desired_deployment({"allowAllDomains": True, "status": "Inactive"}) == {
        "allowAllDomains": True,
        "allowedDomains": [],
        "status": "Inactive",
    }
    assert desired_deployment({"allowedDomains": ["b.example", "a.example"]}) == {
        "allowAllDomains": False,
        "allowedDomains": ["a.example", "b.example"],
    }


@pytest.mark.parametrize(
    ("block", "pinned"),
    [
        ({}, None),
        ({"configurationVersion": "latest"}, None),
        ({"configurationVersion": "12"}, "12"),
        ({"configurationVersion": "DRAFT"}, None),
        ({"configurationVersion": 3}, None),
    ],
)
def test_pinned_version(block: dict[str, Any], pinned: str | None) -> None:
    assert pinned_version(block) == pinned


@pytest.mark.parametrize(
    ("versions", "latest"),
    [
        ([DRAFT_VERSION, "1", "2"], "2"),
        (["10", "9", DRAFT_VERSION], "10"),  # numeric, not by text and not by list order
        ([DRAFT_VERSION], None),  # nothing published: nothing a deployment may serve
        (["draft", "0", "", 3, None], None),
    ],
)
def test_latest_published(versions: list[Any], latest: str | None) -> None:
    assert latest_published(versions) == latest


# --- the ownership marker -------------------------------------------------------------------


def test_the_marker_is_a_last_line_after_a_blank_line() -> None:
    assert add_marker("Pre-sales questions.", "team-eu") == (
        "Pre-sales questions.\n\n[x-managed-by: team-eu]"
    )
    assert add_marker("", "team-eu") == "[x-managed-by: team-eu]"
    assert read_marker("Pre-sales questions.\n\n[x-managed-by: team-eu]") == "team-eu"


def test_a_new_owner_replaces_the_old_marker() -> None:
    assert add_marker(add_marker("Text", "old"), "new") == "Text\n\n[x-managed-by: new]"


def test_markers_not_at_the_end_or_not_on_their_own_line_are_text() -> None:
    assert read_marker("[x-managed-by: a]\n\nmore text") is None
    assert read_marker("see [x-managed-by: a]") is None
    assert read_marker("Text\n\n[managed-by: a]") is None
    assert read_marker(None) is None
    assert strip_marker("see [x-managed-by: a]") == "see [x-managed-by: a]"


def test_the_marker_survives_a_server_that_uses_crlf_or_trims() -> None:
    assert read_marker("Text\r\n\r\n[x-managed-by: team]\r\n") == "team"
    assert strip_marker("Text\r\n\r\n[x-managed-by: team] ") == "Text"


@pytest.mark.parametrize("owner", ["", " padded", "two\nlines"])
def test_owners_that_cannot_be_one_line_are_refused(owner: str) -> None:
    with pytest.raises(ValueError, match="cannot be written"):
        add_marker("Text", owner)


@pytest.mark.parametrize("description", ["\r", "a\n", "a\r\n", "\n\n", " "])
def test_strip_after_add_keeps_trailing_line_breaks(description: str) -> None:
    assert strip_marker(add_marker(description, "team")) == description


@given(description=st.text(max_size=40), owner=OWNERS)
@settings(max_examples=150)
def test_the_marker_round_trips(description: str, owner: str) -> None:
    marked = add_marker(description, owner)
    assert read_marker(marked) == owner
    if read_marker(description) is None:
        assert strip_marker(marked) == description


# --- cross-field rules ----------------------------------------------------------------------


def rules_of(text: str) -> list[tuple[str, str, int]]:
    [spec], problems = load_text(text, "a.yaml")
    assert problems == []
    return [(d.rule, d.path, d.line) for d in check_document(spec)]


def test_a_sparse_document_breaks_no_rule() -> None:
    assert rules_of("kind: webDeployment\nname: X\ndeployment: {allowAllDomains: true}\n") == []


def test_each_rule_names_the_place() -> None:
    text = (
        "kind: webDeployment\n"
        "name: X\n"
        "description: 'x [X-MANAGED-BY: me]'\n"
        "configuration:\n"
        "  languages: [en-us]\n"
        "  defaultLanguage: de\n"
        "deployment:\n"
        "  flow: {}\n"
    )
    assert rules_of(text) == [
        ("webdeployment.reserved-marker", "description", 3),
        ("webdeployment.default-language", "configuration.defaultLanguage", 6),
        ("webdeployment.domains", "deployment", 7),
        ("webdeployment.reference", "deployment.flow", 8),
    ]


@given(JSON)
@settings(max_examples=150)
def test_the_rules_never_crash_on_bodies_that_failed_the_schema(junk: Any) -> None:
    [spec], _ = load_text("kind: webDeployment\nname: X\n", "a.yaml")
    for key in ("configuration", "deployment", "description"):
        body = {"kind": "webDeployment", "name": "X", key: junk}
        check_document(type(spec)(name="X", body=body, source=spec.source))


# --- import ---------------------------------------------------------------------------------

FLOW = "5b9d7d0c-3c3e-4a4e-8d62-0f5e8f1c2a11"
PROFILE = "0c4e2f45-8c3b-4e6f-9d4a-1b2c3d4e5f60"


def webdeployment_schema() -> dict[str, Any]:
    text = resources.files("reconciler.schemas").joinpath("webdeployment.schema.json")
    return json.loads(text.read_text("utf-8"))  # type: ignore[no-any-return]


def live_pair() -> tuple[dict[str, Any], dict[str, Any]]:
    """A pair as the server would hold it after applying docs/examples/webdeployment/sales-eu."""
    [spec], problems = load_text(EXAMPLE.read_text(encoding="utf-8"), "sales-eu.yaml")
    assert problems == []
    server_version = {
        "id": "c1",
        "name": "Sales EU",
        "description": "Pre-sales questions from the European storefronts.\n\n[x-managed-by: eu]",
        "version": "2",
        "status": "Active",
        "datePublished": "2026-11-02T10:00:00Z",
        "publishedUser": {"id": "u1", "selfUri": "/api/v2/users/u1"},
        "messenger": {
            "enabled": True,
            "fileUpload": {"enableAttachments": True},
            "apps": {"conversations": {"sessionDurationSeconds": 259200, "humanize": {"bot": {}}}},
            "aFieldNoClientModels": {"x": 1},
        },
        "journeyEvents": {"enabled": False},
        "supportCenter": {"enabled": False, "futureKnob": 3},
        "selfUri": "/api/v2/webdeployments/configurations/c1/versions/2",
    }
    configuration = overlay(server_version, spec.body["configuration"])
    configuration["messenger"]["styles"]["primaryColor"] = "#0d6efd"
    deployment = {
        "id": "d1",
        "name": "Sales EU",
        "description": server_version["description"],
        "allowAllDomains": False,
        "allowedDomains": ["shop.example.eu", "shop.example.de"],
        "flow": {"id": FLOW, "name": "Sales Inbound Message", "selfUri": f"/api/v2/flows/{FLOW}"},
        "supportedContent": {"id": PROFILE, "name": "Images only", "selfUri": "/x"},
        "configuration": {"id": "c1", "version": "2", "name": "Sales EU"},
        "status": "Pending",
        "snippet": "(function (g, e, n, es, ys) {})",
        "lastModifiedUser": {"id": "u1"},
    }
    return configuration, deployment


def test_import_writes_the_writable_fields_the_schema_knows_without_the_marker() -> None:
    configuration, deployment = live_pair()
    spec = spec_from_live(configuration, deployment, webdeployment_schema())
    assert spec["description"] == "Pre-sales questions from the European storefronts."
    assert spec["deployment"] == {
        "allowedDomains": ["shop.example.de", "shop.example.eu"],
        "flow": {"id": FLOW},
        "supportedContent": {"id": PROFILE},
    }
    block = spec["configuration"]
    assert "version" not in block
    assert "status" not in block
    assert "aFieldNoClientModels" not in block["messenger"]
    assert block["messenger"]["apps"]["conversations"] == {
        "sessionDurationSeconds": 259200,  # a server default the schema knows: imported
        "showAgentTypingIndicator": True,
        "markdown": {"enabled": True},
    }
    assert block["supportCenter"] == {"enabled": False, "futureKnob": 3}  # passed through
    assert list(block)[:2] == ["messenger", "journeyEvents"]  # the API's order, not the spec's


def test_an_imported_spec_validates_and_plans_clean() -> None:
    configuration, deployment = live_pair()
    schema = webdeployment_schema()
    spec = spec_from_live(configuration, deployment, schema)
    assert list(Draft202012Validator(schema).iter_errors(spec)) == []
    [loaded], _ = load_text("kind: webDeployment\nname: X\n", "a.yaml")
    assert check_document(type(loaded)(name="X", body=spec, source=loaded.source)) == []
    block = spec["configuration"]
    assert normalise_configuration(managed_view(block, configuration)) == (
        normalise_configuration(block)
    )
    desired = desired_deployment(spec["deployment"], flow_id=FLOW, supported_content_id=PROFILE)
    live = strip_server_fields_deployment(deployment)
    assert normalise_deployment(managed_view(desired, live)) == normalise_deployment(desired)


def test_import_of_an_all_domains_deployment_without_description() -> None:
    configuration = {"id": "c1", "name": "Open", "version": "1"}
    deployment = {"id": "d1", "name": "Open", "allowAllDomains": True, "allowedDomains": []}
    assert spec_from_live(configuration, deployment, webdeployment_schema()) == {
        "kind": "webDeployment",
        "name": "Open",
        "deployment": {"allowAllDomains": True},
    }


@pytest.mark.parametrize(
    ("old", "new", "paths"),
    [
        ({}, {}, []),
        (
            {"messenger": {"styles": {"primaryColor": "#111111"}, "enabled": True}},
            {"messenger": {"styles": {"primaryColor": "#222222"}, "enabled": True}},
            ["messenger.styles"],
        ),
        (
            {"languages": ["en-us"]},
            {"languages": ["de"], "position": {"sideSpace": 1}},
            [
                "languages",
                "position",
            ],
        ),
        ({"messenger": {"enabled": True}}, {"messenger": 3}, ["messenger"]),
    ],
)
def test_changed_paths_name_where_two_configurations_differ_two_keys_deep(
    old: dict[str, Any], new: dict[str, Any], paths: list[str]
) -> None:
    from reconciler.kinds.webdeployment_rules import changed_paths

    assert changed_paths(old, new) == paths
    assert changed_paths(new, old) == paths
