"""The I/O edge: one listing through the backend, atomic artifacts, reading a saved plan back."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from planner_factories import NOW, FakeBackend, live, spec

from reconciler.artifacts import read_plan, write_artifacts
from reconciler.errors import ConfigError, PlanError
from reconciler.planner import PlanOptions, ReportKind
from reconciler.planning import plan_against


def make_plan(report: ReportKind = ReportKind.PLAN):
    backend = FakeBackend([live("Sales", description="old"), live("Orphan")])
    result = asyncio.run(
        plan_against(
            [spec("Sales"), spec("New")],
            backend,  # type: ignore[arg-type]  # a partial fake: what planning reads
            options=PlanOptions(prune=True),
            now=NOW,
            report=report,
        )
    )
    return result, backend


def test_planning_reads_the_org_once_and_never_writes() -> None:
    result, backend = make_plan()
    assert backend.list_calls == 1  # FakeBackend fails the test on any other call
    assert result.environment == "fake-org"
    assert result.summary == {
        "create": 1,
        "update": 1,
        "adopt": 0,
        "delete": 1,
        "conflict": 0,
        "noop": 0,
    }


@pytest.mark.parametrize(
    ("report", "stem"), [(ReportKind.PLAN, "plan"), (ReportKind.DRIFT, "drift")]
)
def test_artifacts_are_written_whole_and_read_back(tmp_path: Path, report, stem) -> None:
    result, _ = make_plan(report)
    json_path, md_path = write_artifacts(result, tmp_path / "out")
    assert (json_path.name, md_path.name) == (f"{stem}.json", f"{stem}.md")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        [json_path.name, md_path.name]
    )  # no temp file left behind
    if report is ReportKind.DRIFT:  # a drift report is never a plan to apply
        with pytest.raises(PlanError, match="is a drift report, not a plan"):
            read_plan(json_path)
        return
    loaded = read_plan(json_path)
    assert loaded.digest == result.digest
    assert loaded.actions == result.actions
    # a second write replaces the files with identical bytes
    before = json_path.read_bytes()
    write_artifacts(result, tmp_path / "out")
    assert json_path.read_bytes() == before


def test_an_unwritable_out_folder_is_one_clear_error(tmp_path: Path) -> None:
    result, _ = make_plan()
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"cannot write .*plan\.json \(check --out\)"):
        write_artifacts(result, blocker / "out")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not JSON"),
        ('{"format_version": "2"}', "is not a plan of this tool"),
        ('{"format_version": "2", "digest": "x", "actions": []}', "is not a valid plan"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply|is not JSON"),
        ('{"runs": [], "channels": {}}', "is not a plan of this tool"),
    ],
)
def test_a_broken_plan_file_is_refused(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PlanError, match=message):
        read_plan(path)


def test_a_missing_plan_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="cannot read plan"):
        read_plan(tmp_path / "nope.json")


def test_a_plan_with_an_action_added_after_review_is_refused(tmp_path: Path) -> None:
    result, _ = make_plan()
    json_path, _ = write_artifacts(result, tmp_path)
    doc = json.loads(json_path.read_text(encoding="utf-8"))
    doc["actions"].append(dict(doc["actions"][0], name="Sneaky"))
    json_path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(PlanError, match="digest mismatch"):
        read_plan(json_path)
