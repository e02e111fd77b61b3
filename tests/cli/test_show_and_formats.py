"""``reconciler show PLAN`` and ``plan``/``drift --format``: a saved plan read back, and the plan
document on stdout for scripts. Everything runs on the embedded sandbox in a temp folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reconciler.cli import run

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def workdir(workdir: Path) -> Path:
    """The shared project folder with a copy of the repository's channels/."""
    shutil.copytree(ROOT / "channels", workdir / "channels", dirs_exist_ok=True)
    return workdir


def test_plan_format_json_writes_exactly_plan_json_to_stdout(workdir: Path, capsys) -> None:
    assert run(["--sandbox", "plan", "--format", "json"]) == 0
    captured = capsys.readouterr()
    saved = (workdir / "artifacts" / "plan.json").read_text(encoding="utf-8")
    assert captured.out == saved
    assert json.loads(captured.out)["summary"]["create"] > 0
    # The human line moves to stderr so stdout stays one document.
    assert "Wrote artifacts/plan.json and artifacts/plan.md." in captured.err


def test_plan_format_markdown_is_plan_md(workdir: Path, capsys) -> None:
    assert run(["--sandbox", "plan", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert out == (workdir / "artifacts" / "plan.md").read_text(encoding="utf-8")


def test_show_renders_a_saved_plan_as_plan_printed_it(workdir: Path, capsys) -> None:
    assert run(["--sandbox", "plan"]) == 0
    printed = capsys.readouterr().out
    assert run(["show", "artifacts/plan.json"]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith('Plan for environment "sandbox"')
    assert printed.startswith(shown)  # plan adds only its "Wrote ..." line
    assert printed[len(shown) :] == "Wrote artifacts/plan.json and artifacts/plan.md.\n"


@pytest.mark.parametrize(("fmt", "artifact"), [("json", "plan.json"), ("markdown", "plan.md")])
def test_show_formats_reproduce_the_artifacts(workdir: Path, capsys, fmt, artifact) -> None:
    assert run(["--sandbox", "plan", "-q"]) == 0
    capsys.readouterr()
    assert run(["show", "--format", fmt, "artifacts/plan.json"]) == 0
    assert capsys.readouterr().out == (workdir / "artifacts" / artifact).read_text("utf-8")


def test_show_renders_a_drift_report(workdir: Path, capsys) -> None:
    assert run(["--sandbox", "drift", "-q"]) == 2
    capsys.readouterr()
    assert run(["show", "artifacts/drift.json"]) == 0
    out = capsys.readouterr().out
    assert out.startswith('Drift report for environment "sandbox"')
    assert "Drift: 8 channels drifted" in out


def test_show_refuses_an_edited_plan(workdir: Path, capsys) -> None:
    assert run(["--sandbox", "plan", "-q"]) == 0
    path = workdir / "artifacts" / "plan.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["actions"][0]["name"] = "Tampered"
    path.write_text(json.dumps(document), encoding="utf-8")
    capsys.readouterr()
    assert run(["show", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: plan digest mismatch")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "error: cannot read plan missing.json: "),
        ("not json", "error: plan missing.json is not JSON: "),
        ("{}", "error: missing.json is not a plan of this tool"),
    ],
)
def test_show_bad_files_are_one_line(workdir: Path, capsys, content, message) -> None:
    if content is not None:
        (workdir / "missing.json").write_text(content, encoding="utf-8")
    assert run(["show", "missing.json"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(message)
    assert err.count("\n") == 1


def test_quiet_prints_the_summary_line_only(workdir: Path, capsys) -> None:
    assert run(["--sandbox", "plan", "--quiet"]) == 0
    assert capsys.readouterr().out == (
        "Plan: 8 to create, 0 to update, 0 to delete, 0 to adopt, 0 conflicts, 0 unchanged.\n"
    )


def test_verbose_lists_the_unchanged_objects(workdir: Path, capsys) -> None:
    assert run(["--sandbox", "apply", "--yes"]) == 0
    capsys.readouterr()
    assert run(["--sandbox", "plan"]) == 0
    normal = capsys.readouterr().out
    assert run(["--sandbox", "plan", "-v"]) == 0
    verbose = capsys.readouterr().out
    assert '= noop "Support Website"' not in normal
    assert '= noop "Support Website"' in verbose
    assert '= noop web deployment "Sales EU"' in verbose


def test_quiet_and_verbose_together_is_a_usage_error(workdir: Path, capsys) -> None:
    assert run(["--sandbox", "plan", "-q", "-v"]) == 64
    assert "--quiet and --verbose cannot be used together" in capsys.readouterr().err
