"""Impact notes: each customer-facing change of a web deployment is named on its action, in
the terminal plan, in plan.md (marked, and counted in the summary) and in plan.json; a saved
plan's impacts are assessed again, never taken from the file."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from guardrail_factories import deployment_spec, live_pair, make_plan

from reconciler import kinds
from reconciler.artifacts import plan_json_text
from reconciler.planner import Plan, plan_from_json
from reconciler.render.plan_markdown import render_plan_markdown
from reconciler.render.plan_text import render_plan_text
from reconciler.spec.schema import kind_schema

CONVERSATIONS = {"messenger": {"apps": {"conversations": {"sessionDurationSeconds": 3600}}}}


def codes(plan: Plan) -> dict[str, list[str]]:
    return {a.name: [i.code for i in a.impacts] for a in plan.actions if a.impacts}


def test_removed_domains_are_named() -> None:
    plan = make_plan([deployment_spec(allowedDomains=["a.example"])], [live_pair()])
    (action,) = plan.actions
    (impact,) = action.impacts
    assert impact.code == "domains-removed"
    assert "b.example, c.example" in impact.message


def test_an_added_domain_alone_is_no_impact() -> None:
    plan = make_plan(
        [deployment_spec(allowedDomains=["a.example", "b.example", "c.example", "d.example"])],
        [live_pair()],
    )
    assert codes(plan) == {}


def test_allow_all_domains_turned_on() -> None:
    plan = make_plan([deployment_spec(allowAllDomains=True)], [live_pair()])
    assert codes(plan) == {"Sales EU": ["all-domains-allowed"]}


def test_allow_all_domains_turned_off_names_what_is_kept() -> None:
    live = live_pair(allowAllDomains=True, allowedDomains=[])
    plan = make_plan([deployment_spec(allowedDomains=["a.example"])], [live])
    (impact,) = plan.actions[0].impacts
    assert impact.code == "domains-removed"
    assert "only a.example keep" in impact.message


def test_a_deleted_deployment() -> None:
    plan = make_plan([], [live_pair()], prune=True)
    (action,) = plan.actions
    assert [i.code for i in action.impacts] == ["deployment-deleted"]
    assert "dep-1" in action.impacts[0].message


def test_a_create_replacing_a_deleted_deployment_of_a_like_name() -> None:
    plan = make_plan([deployment_spec("Sales Europe")], [live_pair("Sales EU")], prune=True)
    assert codes(plan) == {
        "Sales EU": ["deployment-deleted"],
        "Sales Europe": ["snippet-id-changed"],
    }
    (create,) = [a for a in plan.actions if a.kind.value == "create"]
    assert "'Sales EU'" in create.impacts[0].message
    assert "renamedFrom" in create.impacts[0].message


def test_a_rename_with_renamed_from_has_no_snippet_impact() -> None:
    spec = deployment_spec("Sales Europe")
    spec = type(spec)(
        kind=spec.kind,
        name=spec.name,
        body=spec.body,
        source=spec.source,
        renamed_from=("Sales EU",),
    )
    plan = make_plan([spec], [live_pair("Sales EU")], prune=True)
    assert codes(plan) == {}


def test_status_to_inactive() -> None:
    plan = make_plan([deployment_spec(status="Inactive")], [live_pair()])
    assert codes(plan) == {"Sales EU": ["messaging-off"]}
    plan = make_plan([deployment_spec(status="Active")], [live_pair(status="Inactive")])
    assert codes(plan) == {}


@pytest.mark.parametrize(
    ("wanted", "live", "code"),
    [
        (
            {"messenger": {"sessionPersistenceType": "DomainOrSubdomainOnly"}},
            {"messenger": {"sessionPersistenceType": "AcrossSubdomains"}},
            "session-persistence-changed",
        ),
        (
            {"messenger": {"apps": {"conversations": {"sessionDurationSeconds": 600}}}},
            CONVERSATIONS,
            "session-duration-changed",
        ),
        (  # the whole block added: the field inside it still counts
            {"messenger": {"apps": {"conversations": {"sessionDurationSeconds": 600}}}},
            {},
            "session-duration-changed",
        ),
    ],
)
def test_session_settings(wanted: dict[str, Any], live: dict[str, Any], code: str) -> None:
    plan = make_plan([deployment_spec(configuration=wanted)], [live_pair(configuration=live)])
    assert code in codes(plan)["Sales EU"]


def test_a_routine_change_has_no_impact() -> None:
    wanted = {"messenger": {"styles": {"primaryColor": "#112233"}}}
    plan = make_plan([deployment_spec(configuration=wanted)], [live_pair()])
    assert plan.changes
    assert codes(plan) == {}


def three_impacts() -> Plan:
    return make_plan(
        [
            deployment_spec("Sales EU", allowedDomains=["a.example"]),
            deployment_spec("Support", status="Inactive"),
        ],
        [live_pair("Sales EU"), live_pair("Support", id="dep-2"), live_pair("Old", id="dep-3")],
        prune=True,
    )


def test_text_shows_each_note_under_its_action_and_counts_them() -> None:
    text = render_plan_text(three_impacts())
    lines = text.splitlines()
    head = next(i for i, line in enumerate(lines) if '"Sales EU"' in line and "update" in line)
    assert any("!! customer impact [domains-removed]" in line for line in lines[head : head + 6])
    assert "!! customer impact [messaging-off]" in text
    assert "!! customer impact [deployment-deleted]" in text
    assert "!! customer impact: 3 changes affect live customers." in text


def test_markdown_marks_each_note_and_the_summary_counts_them() -> None:
    md = render_plan_markdown(three_impacts())
    assert "> **⚠ customer impact: 3 changes affect live customers.**" in md
    marked = [line for line in md.splitlines() if line.startswith("> **⚠ customer impact**")]
    assert len(marked) == 3
    assert any("[`domains-removed`\\]" in line and "b.example" in line for line in marked)
    # the note sits right under its action's block, outside the collapsed diff
    block = md.index("<code>Support</code>")
    note = md.index("[`messaging-off`", block)
    assert md.index("</details>", block) < note
    assert "<details>" not in md[block:note]


def test_json_carries_impacts_valid_against_the_schema_and_outside_the_digest() -> None:
    plan = three_impacts()
    doc = json.loads(plan_json_text(plan))
    jsonschema.validate(doc, kind_schema("plan.schema.json"))
    by_name = {a["name"]: a for a in doc["actions"]}
    assert by_name["Old"]["impacts"][0]["code"] == "deployment-deleted"
    assert set(by_name["Sales EU"]["impacts"][0]) == {"code", "message"}
    # editing the notes away changes neither the digest nor what a reader of the plan sees
    for action in doc["actions"]:
        action.pop("impacts", None)
    again = plan_from_json(doc)
    assert again.digest == plan.digest
    assert [i.code for a in again.actions for i in a.impacts] == [
        i.code for a in plan.actions for i in a.impacts
    ]


def test_every_code_a_kind_gives_is_declared() -> None:
    declared = kinds.impact_codes()
    for action in three_impacts().actions:
        for impact in action.impacts:
            assert impact.code in declared
    assert declared["deployment-deleted"][0] == "webDeployment"


def test_an_unrelated_create_beside_a_delete_is_no_rename() -> None:
    plan = make_plan([deployment_spec("Careers")], [live_pair("Sales EU")], prune=True)
    assert codes(plan) == {"Sales EU": ["deployment-deleted"]}
