"""Errors point at the line and suggest the fix (issue 23, item 6): unknown flows and profiles,
a reference written as a string, YAML indentation, unknown kinds and commands, bad --env."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from issue23_helpers import write

from reconciler.cli import run
from reconciler.errors import PlanError
from reconciler.planner import PlanOptions, build_plan
from reconciler.spec.validate import load_valid_specs

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)

SPEC = """\
kind: webDeployment
name: Sales EU
description: Sales in Europe
deployment:
  allowAllDomains: true
  flow: {{name: {flow}}}
  supportedContent:
    name: {profile}
"""
FLOWS = [
    (f"f-{i}", name)
    for i, name in enumerate(
        [
            "Billing Inbound",
            "Returns Inbound",
            "Sales Inbound Message",
            "Sales Outbound",
            "Support",
            "Support Inbound Message",
            "Tier 2",
        ]
    )
]
PROFILES = [("p-1", "Default"), ("p-2", "Images only")]


def plan_error(tmp_path: Path, flow: str, profile: str) -> str:
    write(tmp_path, "channels/web.yaml", SPEC.format(flow=flow, profile=profile))
    specs = load_valid_specs([tmp_path / "channels"])
    with pytest.raises(PlanError) as caught:
        build_plan(
            specs,
            [],
            options=PlanOptions(),
            environment="dev",
            now=NOW,
            catalog={"flow": FLOWS, "supportedContent": PROFILES},
        )
    return str(caught.value)


def test_an_unknown_flow_names_the_line_of_its_key_and_suggests_close_names(
    tmp_path: Path,
) -> None:
    message = plan_error(tmp_path, "Sales Inbound Mesage", "Default")
    where, _, rest = message.partition(": deployment.flow: ")
    assert where.endswith("channels/web.yaml:6:3")  # the flow: key, not the document's line 1
    assert rest == (
        "no inbound message flow is named 'Sales Inbound Mesage'; did you mean "
        "'Sales Inbound Message' or 'Support Inbound Message'? (inbound message flows that "
        "exist: 'Billing Inbound', 'Returns Inbound', 'Sales Inbound Message', "
        "'Sales Outbound', 'Support' and 2 more)"
    )


def test_an_unknown_profile_names_its_line_and_what_exists(tmp_path: Path) -> None:
    message = plan_error(tmp_path, "Support", "Imagez only")
    assert "channels/web.yaml:7:3: deployment.supportedContent: no supported content profile " in (
        message
    )
    assert "did you mean 'Images only'?" in message
    assert "(supported content profiles that exist: 'Default', 'Images only')" in message


def test_a_reference_written_as_a_string_suggests_the_mapping(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    text = SPEC.format(flow="x", profile="Default").replace("flow: {name: x}", "flow: Sales")
    write(tmp_path, "channels/web.yaml", text)
    assert run(["validate"]) == 1
    assert capsys.readouterr().out.splitlines()[0] == (
        "channels/web.yaml:6:3: deployment.flow: must be a mapping, not the string 'Sales'; "
        'a reference names its object: write flow: {name: "Sales"}'
    )


def test_a_yaml_indentation_error_says_so_in_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "channels/a.yaml", "name: x\ndeployment:\n  flow: {}\n   bad: 1\n")
    assert run(["validate"]) == 1
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith(
        "channels/a.yaml:4:4: wrong indentation: this line does not line up with the keys above it"
    )
    assert "$:" not in line


def test_an_unknown_kind_suggests_the_nearest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "channels/a.yaml", "kind: webdeploymnt\nname: x\n")
    assert run(["validate"]) == 1
    assert capsys.readouterr().out.splitlines()[0] == (
        "channels/a.yaml:1:1: kind: unknown kind 'webdeploymnt'; did you mean 'webDeployment'? "
        "(known kinds: 'channel', 'webDeployment', 'supportedContent', 'messagingSetting', "
        "'messagingDefaults')"
    )


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["plna"], "error: No such command 'plna'; did you mean 'plan'? Try 'reconciler --help'."),
        (
            ["audit", "verfy"],
            "error: No such command 'verfy'; did you mean 'verify'? Try 'reconciler audit --help'.",
        ),
    ],
)
def test_an_unknown_command_suggests_the_nearest(
    argv: list[str], hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(argv) == 64
    assert capsys.readouterr().err.strip() == hint


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "prdo",
            "unknown environment 'prdo': no environments/prdo.yaml (environments found: "
            "dev, prod); did you mean 'prod'?",
        ),
        (
            "environments/prod.yaml",
            "--env 'environments/prod.yaml': give the environment's name, "
            "not a path: --env prod (it reads environments/prod.yaml)",
        ),
        ("prod.yaml", "--env 'prod.yaml': give the environment's name, not a path: --env prod"),
        ("../prod", "--env '../prod': give the environment's name, not a path: --env prod"),
        ("a b", "--env 'a b': an environment name is letters, digits, '.', '_' and '-'"),
    ],
)
def test_a_bad_env_is_a_usage_error(
    value: str,
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "channels/a.yaml", "name: x\n")
    for name in ("dev", "prod"):
        write(tmp_path, f"environments/{name}.yaml", "region: sandbox\n")
    for command in ("validate", "plan", "apply"):
        assert run([command, "--env", value]) == 64, command
        assert f"error: {message}" in capsys.readouterr().err


def test_an_unknown_flow_id_names_the_line_of_its_key(tmp_path: Path) -> None:
    write(
        tmp_path,
        "channels/web.yaml",
        SPEC.format(flow="x", profile="Default").replace(
            "flow: {name: x}", "flow: {id: 00000000-0000-4000-8000-000000000099}"
        ),
    )
    specs = load_valid_specs([tmp_path / "channels"])
    with pytest.raises(PlanError) as caught:
        build_plan(
            specs,
            [],
            options=PlanOptions(),
            environment="dev",
            now=NOW,
            catalog={"flow": FLOWS, "supportedContent": PROFILES},
        )
    assert str(caught.value).endswith(
        "channels/web.yaml:6:3: deployment.flow: no inbound message flow has the id "
        "'00000000-0000-4000-8000-000000000099'"
    )
