"""--target: partial plans (pure planner) and their CLI round trip (plan, apply --plan)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from planner_factories import kinds, live, plan, spec
from support import serve_sandbox

from reconciler.cli import run
from reconciler.planner import matches, partial_note, plan_from_json, unmatched_targets
from reconciler.sandbox import SandboxApp


@pytest.mark.parametrize(
    ("name", "targets", "expected"),
    [
        ("Sales EU", (), True),
        ("Sales EU", ("sales*",), True),
        ("Sales EU", ("SALES eu",), True),
        ("Sales EU", ("sales ??",), True),
        ("Sales EU", ("support", "*eu"), True),
        ("Sales EU", ("sales",), False),
        ("STRASSE", ("straße",), True),  # casefold, as the API compares names
        ("a[1]", ("a[[]1]",), True),
    ],
)
def test_matching_is_a_case_insensitive_glob(
    name: str, targets: tuple[str, ...], expected: bool
) -> None:
    assert matches(name, targets) is expected


def test_a_partial_plan_considers_only_targeted_specs_and_channels() -> None:
    specs = [spec("Sales EU", queue="new"), spec("Sales US"), spec("Support", queue="new")]
    lives = [
        live("Sales EU"),
        live("Support"),
        live("Sales Old"),  # managed, no spec: pruned only when targeted
        live("Other Old"),
    ]
    full = plan(specs, lives, prune=True)
    assert kinds(full) == {
        "Other Old": "delete",
        "Sales EU": "update",
        "Sales Old": "delete",
        "Sales US": "create",
        "Support": "update",
    }
    partial = plan(specs, lives, prune=True, targets=("sales*",))
    assert kinds(partial) == {"Sales EU": "update", "Sales Old": "delete", "Sales US": "create"}
    assert partial.spec_digest != full.spec_digest
    document = partial.to_json()
    assert document["targets"] == ["sales*"]
    assert plan_from_json(document).options.targets == ("sales*",)


def test_unmatched_targets_and_the_partial_note() -> None:
    assert unmatched_targets(("sales*", "nope", "SUPPORT"), ["Sales EU", "Support"]) == ["nope"]
    assert partial_note(()) == ""
    assert "'sales*', 'kiosk'" in partial_note(("sales*", "kiosk"))


def channel(name: str, queue: str) -> str:
    return (
        f"name: {name}\n"
        "webMessagingWidgetConfiguration: {widgetId: w-1, theme: default}\n"
        "securityPolicy: {enabled: false, allowedOrigins: [], requireConsent: false}\n"
        f"routingConfiguration: {{queueId: {queue}}}\n"
    )


@contextlib.contextmanager
def org(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxApp]:
    with serve_sandbox(monkeypatch, rate_limit_per_minute=6000, seed=2) as app:
        yield app


def write(workdir: Path, queues: dict[str, str]) -> None:
    text = "---\n".join(channel(name, queue) for name, queue in queues.items())
    (workdir / "channels" / "all.yaml").write_text(text, encoding="utf-8")


def queues(app: SandboxApp) -> dict[str, str]:
    return {
        str(c["name"]): str(c["routingConfiguration"]["queueId"])
        for c in app.state.channels.values()
    }


@pytest.mark.socket
def test_plan_and_apply_with_targets_end_to_end(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with org(monkeypatch) as app:
        write(workdir, {"Sales EU": "q1", "Sales US": "q1", "Support": "q1"})
        assert run(["apply", "--yes"]) == 0
        write(workdir, {"Sales EU": "q2", "Sales US": "q2", "Support": "q2"})
        capsys.readouterr()

        assert run(["plan", "--target", "SALES e*", "--target", "kiosk", "--out", "out"]) == 0
        captured = capsys.readouterr()
        assert '~ update "Sales EU"' in captured.out
        assert "Support" not in captured.out
        assert "Sales US" not in captured.out
        assert "Partial plan: limited to channels matching --target 'SALES e*', 'kiosk'" in (
            captured.out
        )
        assert captured.err == (
            "warning: --target 'kiosk' matched no spec and no channel this run considers\n"
        )
        markdown = Path("out/plan.md").read_text(encoding="utf-8")
        assert "**Partial plan**: limited to channels matching --target 'SALES e\\*', 'kiosk'" in (
            markdown
        )
        saved = json.loads(Path("out/plan.json").read_text(encoding="utf-8"))
        assert saved["targets"] == ["SALES e*", "kiosk"]

        # A saved partial plan keeps its targets: the other specs changed too, yet it applies,
        # and it changes only what it targeted.
        assert run(["apply", "--yes", "--plan", "out/plan.json", "--out", "out"]) == 0
        assert queues(app) == {"Sales EU": "q2", "Sales US": "q1", "Support": "q1"}
        assert "Partial plan" in capsys.readouterr().out

        # A target is a planning option: not with a saved plan.
        assert run(["apply", "--yes", "--plan", "out/plan.json", "--target", "x"]) == 64
        assert "--target are planning options" in capsys.readouterr().err

        # drift honours targets too
        assert run(["drift", "--target", "support", "--out", "out"]) == 2
        drift = json.loads(Path("out/drift.json").read_text(encoding="utf-8"))
        assert [a["name"] for a in drift["actions"]] == ["Support"]
        capsys.readouterr()
