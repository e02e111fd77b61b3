"""`reconciler audit verify FILE`: exit codes and the one-line messages a user sees."""

from __future__ import annotations

from pathlib import Path

import pytest
from audit_helpers import write_run

from reconciler.cli import run


def test_intact_log_exits_0_with_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "prod.jsonl"
    write_run(path, "run-1")
    log = write_run(path, "run-2")
    assert run(["audit", "verify", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out == f"{path}: intact, 10 lines, 2 runs, head {log.head}\n"
    assert err == ""
    assert run(["audit", "verify", str(path), "--expect-head", log.head]) == 0


def test_tampered_log_exits_1_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "prod.jsonl"
    write_run(path, "run-1")
    lines = path.read_bytes().splitlines(keepends=True)
    del lines[1]
    path.write_bytes(b"".join(lines))
    assert run(["audit", "verify", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"error: {path} line 2: seq is 3, expected 2")
    assert err.count("\n") == 1


def test_partial_last_line_exits_0_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "prod.jsonl"
    write_run(path, "run-1")
    with path.open("ab") as handle:
        handle.write(b'{"seq":6,')
    assert run(["audit", "verify", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "intact, 5 lines, 1 run," in out
    assert err.startswith(f"warning: {path} line 6 is partial")


def test_missing_file_exits_1_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "nope.jsonl"
    assert run(["audit", "verify", str(path)]) == 1
    _, err = capsys.readouterr()
    assert err == f"error: audit log {path} does not exist.\n"


def test_wrong_expected_head_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "prod.jsonl"
    write_run(path, "run-1")
    assert run(["audit", "verify", str(path), "--expect-head", "sha256:" + "0" * 64]) == 1
    assert "lines were removed from the end" in capsys.readouterr().err
