"""`reconciler audit verify FILE`: exit codes and the one-line messages a user sees."""

from __future__ import annotations

import json
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


def test_a_deeply_nested_line_is_one_error_never_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "audit.jsonl"
    path.write_text("[" * 100_000 + "]" * 100_000 + "\n")
    assert run(["audit", "verify", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path} line 1:")
    assert err.count("\n") == 1


def test_an_empty_log_is_told_apart_from_a_missing_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "audit.jsonl"
    path.write_bytes(b"")
    assert run(["audit", "verify", str(path)]) == 0
    assert "is empty: no run has written it, or it was cut to nothing" in capsys.readouterr().err
    assert run(["audit", "verify", str(tmp_path / "gone.jsonl")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_the_head_apply_prints_catches_a_log_cut_at_a_run_boundary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("channels").mkdir()
    Path("channels/a.yaml").write_text(
        "name: Alpha\nwebMessagingWidgetConfiguration: {widgetId: w-1, theme: default}\n"
        "securityPolicy: {enabled: false, allowedOrigins: [], requireConsent: false}\n"
        "routingConfiguration: {queueId: q-1}\n",
        encoding="utf-8",
    )
    assert run(["--sandbox", "apply", "--yes"]) == 0
    log = Path(".reconciler/audit/sandbox.jsonl")
    first_run = log.read_bytes()
    Path("channels/a.yaml").write_text(
        Path("channels/a.yaml").read_text().replace("q-1", "q-2"), encoding="utf-8"
    )
    assert run(["--sandbox", "apply", "--yes"]) == 0
    out = capsys.readouterr().out
    head = json.loads(Path("artifacts/apply.json").read_text())["audit_head"]
    assert f"(head {head})" in out
    log.write_bytes(first_run)  # the second run's lines removed: the chain still verifies
    assert run(["audit", "verify", str(log)]) == 0
    capsys.readouterr()
    assert run(["audit", "verify", str(log), "--expect-head", head]) == 1
    assert "lines were removed from the end" in capsys.readouterr().err
