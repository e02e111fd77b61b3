"""`verify_file` names the first bad line for every kind of tampering."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from audit_helpers import write_run

from reconciler.audit import verify_file
from reconciler.audit.chain import encode_line, sha256
from reconciler.errors import AuditError


@pytest.fixture
def log(tmp_path: Path) -> Path:
    """Two runs: 10 lines (run-1 lines 1-5, run-2 lines 6-10; 2 actions per run)."""
    path = tmp_path / "sandbox.jsonl"
    write_run(path, "run-1")
    write_run(path, "run-2")
    return path


def rows(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines()


def save(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(line + b"\n" for line in lines))


def failure(path: Path, **kwargs: str) -> str:
    with pytest.raises(AuditError) as info:
        verify_file(path, **kwargs)
    return str(info.value)


def reseal(line: bytes, **changes: object) -> bytes:
    """Re-encode a line with changed fields and a freshly computed seal (a careful forger)."""
    value = json.loads(line)
    value.update(changes)
    return encode_line(
        seq=value["seq"],
        time=value["time"],
        run_id=value["runId"],
        kind=value["kind"],
        prev=value["prev"],
        record=value["record"],
    )


def test_intact_log(log: Path) -> None:
    result = verify_file(log)
    assert (result.lines, result.runs, result.partial_line) == (10, 2, None)
    assert result.head == sha256(rows(log)[-1])
    assert result.summary() == f"{log}: intact, 10 lines, 2 runs, head {result.head}"


def test_edited_line_is_named(log: Path) -> None:
    lines = rows(log)
    lines[2] = lines[2].replace(b'"succeeded"', b'"failed"')
    save(log, lines)
    assert failure(log) == f"{log} line 3: does not match its own hash: edited after it was written"


def test_edited_last_line_is_named(log: Path) -> None:
    lines = rows(log)
    lines[-1] = lines[-1].replace(b'"failed":0', b'"failed":9')
    save(log, lines)
    assert failure(log).startswith(f"{log} line 10: does not match its own hash")


def test_resealed_edit_breaks_the_next_line(log: Path) -> None:
    lines = rows(log)
    lines[3] = reseal(lines[3], record={"action": "create", "status": "failed"})
    save(log, lines)
    message = failure(log)
    assert message.startswith(f"{log} line 5: prev does not match the sha256 of line 4")
    assert "line 4 was changed" in message


def test_deleted_line_is_named(log: Path) -> None:
    lines = rows(log)
    del lines[4]
    save(log, lines)
    message = failure(log)
    assert message.startswith(f"{log} line 5: seq is 6, expected 5")
    assert "deleted" in message


def test_deleted_first_line_is_named(log: Path) -> None:
    save(log, rows(log)[1:])
    assert failure(log).startswith(f"{log} line 1: seq is 2, expected 1")


def test_inserted_copy_is_named(log: Path) -> None:
    lines = rows(log)
    lines.insert(6, lines[2])
    save(log, lines)
    message = failure(log)
    assert message.startswith(f"{log} line 7: seq is 3, expected 7")
    assert "inserted" in message


def test_inserted_forgery_is_named(log: Path) -> None:
    lines = rows(log)
    forged = reseal(lines[2], seq=4, prev=sha256(lines[2]), record={"action": "delete"})
    lines.insert(3, forged)
    save(log, lines)
    message = failure(log)
    assert message.startswith(f"{log} line 5: seq is 4, expected 5")
    assert "inserted" in message


def test_reordered_lines_are_named(log: Path) -> None:
    lines = rows(log)
    lines[7], lines[8] = lines[8], lines[7]
    save(log, lines)
    message = failure(log)
    assert message.startswith(f"{log} line 8: seq is 9, expected 8")
    assert "reordered" in message


def test_line_truncated_in_the_middle_of_the_file(log: Path) -> None:
    lines = rows(log)
    lines[5] = lines[5][:40]
    save(log, lines)
    assert failure(log) == f"{log} line 6: not valid JSON (the line was edited or cut short)"


def test_blank_and_foreign_lines(log: Path) -> None:
    lines = rows(log)
    save(log, [*lines[:2], b"", *lines[2:]])
    assert failure(log).startswith(f"{log} line 3: not valid JSON")
    save(log, [*lines[:2], b"[1, 2]", *lines[2:]])
    assert failure(log) == f"{log} line 3: not a JSON object"
    save(log, [*lines[:2], b'{"seq": 3}', *lines[2:]])
    assert failure(log) == f"{log} line 3: field 'time' is missing or not a str"


def test_partial_last_line_is_a_warning(log: Path) -> None:
    with log.open("ab") as handle:
        handle.write(b'{"seq":11,"ti')
    result = verify_file(log)
    assert (result.lines, result.partial_line) == (10, 11)
    assert result.warnings[0].startswith(f"{log} line 11 is partial (13 bytes, no newline)")


def test_lines_removed_from_the_end_need_the_head(log: Path) -> None:
    head = verify_file(log).head
    save(log, rows(log)[:-2])
    result = verify_file(log)  # the file alone cannot tell: the chain is intact
    assert any("has no run.end line" in warning for warning in result.warnings)
    assert "lines were removed from the end" in failure(log, expect_head=head)
    save(log, rows(log))
    assert verify_file(log, expect_head=result.head).lines == 8


def test_missing_file(tmp_path: Path) -> None:
    assert failure(tmp_path / "nope.jsonl") == f"audit log {tmp_path / 'nope.jsonl'} does not exist"


def test_empty_file_is_an_empty_chain(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    result = verify_file(path)
    assert (result.lines, result.runs) == (0, 0)
