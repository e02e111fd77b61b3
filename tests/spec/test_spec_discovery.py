"""Nothing under channels/ is skipped silently: every file named like a spec is read or refused
by name. Symbolic links to folders are followed (a loop is refused), suffixes match in any case,
and FIFOs, devices and links to nothing are refused instead of skipped or read (a FIFO would
hang the run). Any refusal is a diagnostic, so plan (and --prune) never runs on a partial tree."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from reconciler.cli import run
from reconciler.spec.loader import load_specs

SPEC = """\
name: {name}
webMessagingWidgetConfiguration: {{widgetId: w, theme: default}}
securityPolicy: {{enabled: false, allowedOrigins: [], requireConsent: false}}
routingConfiguration: {{queueId: q}}
"""

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and POSIX links")


def write(path: Path, name: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SPEC.format(name=name), encoding="utf-8")


def names(root: Path) -> list[str]:
    return sorted(spec.name for spec in load_specs([root]).specs)


@posix_only
def test_a_linked_folder_is_read_and_a_loop_is_refused_by_name(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    write(shared / "team.yaml", "Team")
    root = tmp_path / "channels"
    write(root / "own.yaml", "Own")
    (root / "linked").symlink_to(shared, target_is_directory=True)
    (root / "again").symlink_to(root, target_is_directory=True)
    result = load_specs([root])
    assert sorted(spec.name for spec in result.specs) == ["Own", "Team"]
    assert [(d.file, d.rule) for d in result.diagnostics] == [
        ((root / "again").as_posix(), "file.link-loop")
    ]


def test_suffixes_match_in_any_case(tmp_path: Path) -> None:
    write(tmp_path / "A.YAML", "Upper")
    write(tmp_path / "b.Yml", "Mixed")
    write(tmp_path / "c.txt", "Ignored")
    assert names(tmp_path) == ["Mixed", "Upper"]


@posix_only
def test_a_fifo_named_like_a_spec_is_refused_not_read(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "A")
    os.mkfifo(tmp_path / "pipe.yaml")  # reading it would block forever
    result = load_specs([tmp_path])
    assert [spec.name for spec in result.specs] == ["A"]
    (problem,) = result.diagnostics
    assert problem.file == (tmp_path / "pipe.yaml").as_posix()
    assert "named pipe" in problem.message
    assert load_specs([tmp_path / "pipe.yaml"]).diagnostics[0].rule == "file.not-regular"


@posix_only
def test_a_link_to_nothing_is_refused_by_name(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", "A")
    (tmp_path / "gone.yaml").symlink_to(tmp_path / "missing.yaml")
    result = load_specs([tmp_path])
    (problem,) = result.diagnostics
    assert problem.file.endswith("gone.yaml")
    assert "link to nothing" in problem.message


@posix_only
def test_plan_with_prune_never_runs_on_a_tree_with_a_file_it_did_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    write(Path("channels/a.yaml"), "A")
    os.mkfifo("channels/b.yaml")
    assert run(["--sandbox", "plan", "--prune"]) == 1
    err = capsys.readouterr().err
    assert "channels/b.yaml" in err
    assert not Path("artifacts/plan.json").exists()
