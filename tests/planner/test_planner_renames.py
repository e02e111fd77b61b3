"""Renames keep ids: a spec's ``renamedFrom`` turns "delete the old, create the new" into an
in-place update of the same object, for both kinds; without it, a plan that deletes one object
and creates another of the same kind says it may be a rename and how to declare it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from planner_factories import live, plan, spec

from reconciler.cli import run
from reconciler.errors import PlanError
from reconciler.model import ChannelSpec
from reconciler.planner import ActionKind
from reconciler.render.plan_markdown import render_plan_markdown
from reconciler.render.plan_text import render_plan_text


def renamed(name: str, *former: str) -> ChannelSpec:
    return dataclasses.replace(spec(name), renamed_from=former)


def test_a_rename_is_an_update_of_the_same_channel_and_nothing_is_deleted() -> None:
    result = plan([renamed("Sales America", "Sales US")], [live("Sales US", id="c-1")], prune=True)
    (action,) = result.actions
    assert action.kind is ActionKind.UPDATE
    assert action.channel_id == "c-1"
    assert action.previous_name == "Sales US"
    assert [c.path for c in action.changes] == ["name"]
    assert action.body is not None
    assert action.body["name"] == "Sales America"
    text = render_plan_text(result)
    assert '~ rename "Sales US" -> "Sales America" [id c-1]' in text
    assert "rename <code>Sales US</code> -> <code>Sales America</code>" in render_plan_markdown(
        result
    )
    assert result.to_json()["actions"][0]["previous_name"] == "Sales US"


def test_a_rename_checks_ownership_on_the_old_channel() -> None:
    foreign = plan([renamed("New", "Old")], [live("Old", id="c-1", owner="someone-else")])
    assert [a.kind for a in foreign.actions] == [ActionKind.CONFLICT]
    unmanaged = plan([renamed("New", "Old")], [live("Old", id="c-1", owner=None)], adopt=True)
    assert [a.kind for a in unmanaged.actions] == [ActionKind.ADOPT]


def test_the_new_name_wins_when_both_exist_and_the_old_is_pruned_as_usual() -> None:
    lives = [live("Old", id="c-old"), live("New", id="c-new")]
    result = plan([renamed("New", "Old")], lives, prune=True)
    by_kind = {a.kind: a.channel_id for a in result.actions}
    assert by_kind == {ActionKind.NOOP: "c-new", ActionKind.DELETE: "c-old"}


def test_a_former_name_another_spec_uses_or_renames_is_refused() -> None:
    with pytest.raises(PlanError, match="another spec describes"):
        plan([renamed("New", "Old"), spec("Old")], [live("Old")])
    with pytest.raises(PlanError, match="also renames"):
        plan([renamed("A", "Old"), renamed("B", "Old")], [live("Old")])


def test_a_delete_and_a_create_in_one_plan_suggest_a_rename() -> None:
    result = plan([spec("Sales America")], [live("Sales US")], prune=True)
    create = next(a for a in result.actions if a.kind is ActionKind.CREATE)
    assert len(create.notes) == 1
    assert "'Sales US'" in create.notes[0]
    assert "renamedFrom" in create.notes[0]
    assert "keeps its id" in create.notes[0]
    assert "Note: \"Sales America\": this plan also deletes channel 'Sales US'" in render_plan_text(
        result
    )
    # Without deletes there is nothing to suggest.
    assert not any(a.notes for a in plan([spec("Sales America")], []).actions)


CHANNEL = """\
name: {name}
{former}webMessagingWidgetConfiguration: {{widgetId: w-1, theme: default}}
securityPolicy: {{enabled: false, allowedOrigins: [], requireConsent: false}}
routingConfiguration: {{queueId: q-1}}
"""

WEB = """\
kind: webDeployment
name: {name}
{former}configuration:
  languages: [en-us]
  defaultLanguage: en-us
deployment:
  allowAllDomains: true
  flow: {{name: Sales Inbound Message}}
"""


@pytest.mark.parametrize(("template", "kind"), [(CHANNEL, "channel"), (WEB, "webDeployment")])
def test_renaming_in_the_sandbox_keeps_the_id_across_plan_and_apply(
    template: str, kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    spec_file = Path("channels/a.yaml")
    spec_file.parent.mkdir()
    spec_file.write_text(template.format(name="Sales US", former=""), encoding="utf-8")
    assert run(["--sandbox", "apply", "--yes"]) == 0
    before = json.loads(Path("artifacts/apply.json").read_text())["actions"]
    (first_id,) = [a["channel_id"] for a in before if a["resource_kind"] == kind]

    spec_file.write_text(
        template.format(name="Sales America", former="renamedFrom: [Sales US]\n"),
        encoding="utf-8",
    )
    assert run(["--sandbox", "plan", "--prune"]) == 0
    planned = json.loads(Path("artifacts/plan.json").read_text())["actions"]
    assert [(a["action"], a.get("previous_name"), a["id"]) for a in planned] == [
        ("update", "Sales US", first_id)
    ]
    assert run(["--sandbox", "apply", "--yes", "--prune"]) == 0
    after = json.loads(Path("artifacts/apply.json").read_text())["actions"]
    assert [(a["kind"], a["channel_id"], a["status"]) for a in after] == [
        ("update", first_id, "succeeded")
    ]
    assert run(["--sandbox", "plan", "--detailed-exitcode", "--prune"]) == 0
    state = json.loads(Path(".reconciler/sandbox.json").read_text())["kinds"]
    names = [o["name"] for o in state[kind]]
    assert names == ["Sales America"]


def test_a_name_that_mixes_scripts_gets_a_look_alike_note() -> None:
    cyrillic_a = "\u0430"
    result = plan([spec(f"P{cyrillic_a}yPal Support")], [])
    (action,) = result.actions
    assert action.notes == (
        "its name mixes Latin and Cyrillic letters; it may look like a name it is not",
    )
    assert not plan([spec("Support")], []).actions[0].notes


def test_names_that_only_look_alike_are_one_identity() -> None:
    full_width = "\uff33ales \uff25\uff35"  # "Sales EU" in full-width letters
    result = plan([spec(full_width)], [live("Sales EU", id="c-1")])
    assert [(a.kind, a.channel_id) for a in result.actions] == [(ActionKind.UPDATE, "c-1")]
