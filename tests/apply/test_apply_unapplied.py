"""Green means applied: a run that leaves a spec unapplied says so and exits non-zero.

Each case runs for both kinds on the embedded sandbox: a spec whose object another owner holds
is a conflict; ``apply --yes`` used to print "Apply succeeded" and exit 0 for it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from minimal_specs import KINDS

from reconciler.cli import run


def _specs(template: str, *names: str) -> None:
    folder = Path("channels")
    folder.mkdir(exist_ok=True)
    for index, name in enumerate(names):
        (folder / f"s{index}.yaml").write_text(template.format(name=name), encoding="utf-8")


@KINDS
def test_a_conflict_left_unapplied_fails_the_apply_and_is_named(
    template: str,
    kind: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    _specs(template, "Shared")
    assert run(["--sandbox", "apply", "--yes", "--owner", "team-b"]) == 0
    _specs(template, "Shared", "Mine")
    capsys.readouterr()

    code = run(["--sandbox", "apply", "--yes"])
    out = capsys.readouterr()

    assert code == 1
    assert "Apply incomplete: 1 conflict left (not applied); 1 succeeded, 0 failed" in out.out
    label = "" if kind == "channel" else "web deployment "
    assert f"not applied: conflict {label}Shared (id " in out.err
    report = json.loads(Path("artifacts/apply.json").read_text())
    assert report["status"] == "failed"
    assert [(c["kind"], c["name"]) for c in report["conflicts"]] == [(kind, "Shared")]
    assert [(a["name"], a["status"]) for a in report["actions"]] == [("Mine", "succeeded")]


@KINDS
def test_a_plan_with_a_conflict_lists_it_and_its_detailed_exit_code_says_changes(
    template: str,
    kind: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    _specs(template, "Shared")
    assert run(["--sandbox", "apply", "--yes", "--owner", "team-b"]) == 0
    capsys.readouterr()

    assert run(["--sandbox", "plan", "--detailed-exitcode"]) == 2
    out = capsys.readouterr().out
    assert "1 conflict," in out
    assert "! conflict" in out


@KINDS
def test_a_plan_says_how_many_managed_objects_have_no_spec_instead_of_no_changes(
    template: str,
    kind: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    _specs(template, "Kept", "Gone A", "Gone B")
    assert run(["--sandbox", "apply", "--yes"]) == 0
    for extra in ("s1.yaml", "s2.yaml"):
        (Path("channels") / extra).unlink()
    capsys.readouterr()

    assert run(["--sandbox", "plan"]) == 0
    out = capsys.readouterr().out
    assert "No changes" not in out
    label = "channel" if kind == "channel" else "web deployment"
    named = f'2 managed objects have no spec: {label} "Gone A", {label} "Gone B"; --prune would'
    assert named in out
    assert named in Path("artifacts/plan.md").read_text()
