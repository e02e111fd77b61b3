"""Checking an audit log: the first bad line and why, or a summary of an intact chain.

A partial last line (no trailing newline: a writer was killed mid-line) is not an error: it is
reported as a warning, and the next ``AuditLog.open`` moves it aside. Lines removed from the
end cannot be seen from the file alone; ``expect_head`` (the head recorded elsewhere) covers it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.audit.chain import GENESIS, AuditKind, seal_matches, sha256
from reconciler.errors import AuditError

_FIELDS: tuple[tuple[str, type], ...] = (
    ("seq", int),
    ("time", str),
    ("runId", str),
    ("kind", str),
    ("prev", str),
    ("record", dict),
    ("hash", str),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyResult:
    """An intact chain: complete lines, runs started, head, and any warnings."""

    path: Path
    lines: int
    runs: int
    head: str
    partial_line: int | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def summary(self) -> str:
        return (
            f"{self.path}: intact, {self.lines} line{'s' * (self.lines != 1)}, "
            f"{self.runs} run{'s' * (self.runs != 1)}, head {self.head}"
        )


def _parse(raw: bytes, where: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise AuditError(f"{where}: not valid JSON (the line was edited or cut short)") from None
    except RecursionError:
        raise AuditError(f"{where}: nested too deeply to be an audit line (edited)") from None
    if not isinstance(value, dict):
        raise AuditError(f"{where}: not a JSON object")
    for name, kind in _FIELDS:
        item = value.get(name)
        if not isinstance(item, kind) or isinstance(item, bool):
            raise AuditError(f"{where}: field {name!r} is missing or not a {kind.__name__}")
    return value


def _check_seq(seq: int, number: int, where: str) -> None:
    if seq == number:
        return
    if seq > number:
        why = "a line was deleted before it, or lines were reordered"
    else:
        why = "a line was inserted before it, or lines were reordered"
    raise AuditError(f"{where}: seq is {seq}, expected {number}: {why}")


def verify_file(path: Path | str, *, expect_head: str | None = None) -> VerifyResult:
    """Verify the whole chain; AuditError naming the first bad line and why."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise AuditError(f"audit log {path} does not exist") from None
    except IsADirectoryError:
        raise AuditError(f"audit log {path} is a folder, not a file") from None
    except OSError as exc:
        raise AuditError(f"cannot read audit log {path}: {exc.strerror}") from exc
    raw_lines = data.split(b"\n")
    partial = raw_lines.pop()  # b"" when the file ends with a newline
    prev = GENESIS
    runs = 0
    open_run = ""
    for number, raw in enumerate(raw_lines, start=1):
        where = f"{path} line {number}"
        value = _parse(raw, where)
        if not seal_matches(raw):
            raise AuditError(f"{where}: does not match its own hash: edited after it was written")
        _check_seq(value["seq"], number, where)
        if value["prev"] != prev:
            if number == 1:
                raise AuditError(f"{where}: prev is not the genesis value: the log's start is gone")
            raise AuditError(
                f"{where}: prev does not match the sha256 of line {number - 1}: "
                f"line {number - 1} was changed, or a line was inserted or replaced here"
            )
        if value["kind"] == AuditKind.RUN_START.value:
            runs += 1
            open_run = value["runId"]
        elif value["kind"] == AuditKind.RUN_END.value:
            open_run = ""
        prev = sha256(raw)
    warnings: list[str] = []
    if not data:
        warnings.append(
            f"{path} is empty: no run has written it, or it was cut to nothing; compare "
            "--expect-head with the head a run printed"
        )
    partial_line = None
    if partial:
        partial_line = len(raw_lines) + 1
        warnings.append(
            f"{path} line {partial_line} is partial ({len(partial)} bytes, no newline): a writer "
            f"was stopped mid-line; the next run moves it to {path.name}.partial"
        )
    if open_run:
        warnings.append(
            f"{path}: run {open_run} has no run.end line (it was killed, or its end was removed)"
        )
    if expect_head is not None and expect_head != prev:
        raise AuditError(
            f"{path}: head is {prev}, expected {expect_head}: lines were removed from the end "
            f"or the last line was replaced"
        )
    return VerifyResult(
        path=path,
        lines=len(raw_lines),
        runs=runs,
        head=prev,
        partial_line=partial_line,
        warnings=tuple(warnings),
    )
