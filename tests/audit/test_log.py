"""Writing the audit log: one chain across runs, complete fsynced lines, safe repair."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from audit_helpers import DIGEST, ENV, ticking_clock, write_run

from reconciler.audit import GENESIS, AuditKind, AuditLog, redact_argv, verify_file
from reconciler.audit.chain import sha256
from reconciler.errors import AuditError


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def test_two_runs_make_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit" / "sandbox.jsonl"
    first = write_run(path, "run-1")
    second = write_run(path, "run-2", actions=3)
    records = lines(path)
    assert [r["seq"] for r in records] == list(range(1, 12))
    assert records[0]["prev"] == GENESIS
    raw = path.read_bytes().splitlines()
    for before, after in zip(raw, records[1:], strict=False):
        assert after["prev"] == sha256(before)
    assert records[5]["runId"] == "run-2"
    assert records[5]["prev"] == first.head  # the second run continues the first run's chain
    assert second.head == sha256(raw[-1])
    result = verify_file(path)
    assert (result.lines, result.runs, result.head) == (11, 2, second.head)
    assert result.warnings == ()


def test_records_carry_the_run_facts(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    write_run(path, "run-1")
    start, *_, webhook, end = lines(path)
    assert start["kind"] == AuditKind.RUN_START.value
    assert start["record"] == {
        "environment": "sandbox",
        "gitCommit": ENV["GITHUB_SHA"],
        "actor": "octocat",
        "argv": ["apply", "--yes"],
        "planDigest": DIGEST,
    }
    assert start["time"] == "2027-01-15T08:00:00.000Z"
    assert webhook["record"]["state"] == "delivered"
    assert end["record"]["successRate"] == 1.0
    assert end["record"]["counts"] == {"create": 2}


def test_success_rate_counts_actions_and_is_null_for_none(tmp_path: Path) -> None:
    with AuditLog.open(tmp_path / "a.jsonl", run_id="r") as log:
        log.run_end(status="failed", attempted=4, succeeded=3, failed=1, counts={})
        log.run_end(status="succeeded", attempted=0, succeeded=0, failed=0, counts={"noop": 2})
    rates = [r["record"]["successRate"] for r in lines(tmp_path / "a.jsonl")]
    assert rates == [0.75, None]


def test_every_line_is_written_whole_and_fsynced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        synced.append(os.fstat(fd).st_size)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    path = tmp_path / "a.jsonl"
    write_run(path, "run-1")
    data = path.read_bytes()
    ends = [i + 1 for i, byte in enumerate(data) if byte == ord("\n")]
    # the file was fsynced right after each line, at each line's end
    assert [size for size in synced if size in ends] == ends


def test_argv_secrets_are_removed() -> None:
    argv = [
        "apply",
        "--client-secret=abc123",
        "--token",
        "tok-xyz",
        "--PASSWORD",
        "p4ss",
        "--webhook-url=https://alice:hunter2@hooks.example.com/x?sig=s3cr3t",
        "https://bob:pw@example.com/",
        "--env",
        "prod",
    ]
    shown = redact_argv(argv)
    assert shown == [
        "apply",
        "--client-secret=***",
        "--token",
        "***",
        "--PASSWORD",
        "***",
        "--webhook-url=https://***@hooks.example.com/x?sig=***",
        "https://***@example.com/",
        "--env",
        "prod",
    ]


def test_run_start_stores_redacted_argv(tmp_path: Path) -> None:
    with AuditLog.open(tmp_path / "a.jsonl", run_id="r") as log:
        log.run_start(
            environment="prod",
            argv=["apply", "--client-secret", "abc123"],
            plan_digest=DIGEST,
            env={"GITHUB_ACTOR": "ci"},
            cwd=tmp_path,  # not a git repository: no commit
        )
    text = (tmp_path / "a.jsonl").read_text()
    assert "abc123" not in text
    record = lines(tmp_path / "a.jsonl")[0]["record"]
    assert record["gitCommit"] is None
    assert record["actor"] == "ci"


def test_an_unreviewed_run_records_its_reason(tmp_path: Path) -> None:
    # What apply.yml sets on a manual run with allow_unreviewed: the reason lands in the log.
    env = {"GITHUB_ACTOR": "ci", "RECONCILER_UNREVIEWED_REASON": "  repair drift\n(issue 12) "}
    with AuditLog.open(tmp_path / "a.jsonl", run_id="r") as log:
        log.run_start(environment="prod", argv=["apply"], plan_digest=DIGEST, env=env)
        log.run_start(environment="prod", argv=["apply"], plan_digest=DIGEST, env={})
    first, second = (line["record"] for line in lines(tmp_path / "a.jsonl"))
    assert first["unreviewedReason"] == "repair drift (issue 12)"
    assert "unreviewedReason" not in second
    assert verify_file(tmp_path / "a.jsonl").lines == 2


def test_partial_last_line_is_moved_aside_and_the_chain_continues(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    write_run(path, "run-1")
    fragment = b'{"seq":6,"time":"2027-01-15T08:00:09.000Z","runId":"run-1","ki'
    with path.open("ab") as handle:
        handle.write(fragment)  # a process killed mid-line
    before = verify_file(path)
    assert before.partial_line == 6
    assert "partial" in before.warnings[0]

    write_run(path, "run-2")
    partial = path.with_name("a.jsonl.partial")
    assert partial.read_bytes() == fragment + b"\n"
    records = lines(path)
    repaired = records[5]
    assert repaired["kind"] == AuditKind.REPAIRED.value
    assert repaired["record"] == {
        "partialBytes": len(fragment),
        "partialSha256": sha256(fragment),
        "movedTo": "a.jsonl.partial",
    }
    after = verify_file(path)
    assert (after.lines, after.runs, after.warnings) == (11, 2, ())


def test_a_file_that_is_only_a_partial_line_restarts_from_genesis(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"seq":1,"ti')
    write_run(path, "run-1")
    assert lines(path)[0]["prev"] == GENESIS
    assert verify_file(path).lines == 6


def test_second_writer_is_refused_while_the_log_is_open(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    with (
        AuditLog.open(path, run_id="r1"),
        pytest.raises(AuditError, match="in use by another reconciler process"),
    ):
        AuditLog.open(path, run_id="r2")
    AuditLog.open(path, run_id="r3").close()  # free again once closed


def test_unusable_input_is_an_audit_error(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    with AuditLog.open(path, run_id="r") as log, pytest.raises(AuditError, match="not JSON"):
        log.action({"latency": float("nan")})
    path.write_text("hello\n")
    with pytest.raises(AuditError, match="last line is not an audit line"):
        AuditLog.open(path, run_id="r")
    closed = AuditLog.open(tmp_path / "b.jsonl", run_id="r", clock=ticking_clock())
    closed.close()
    with pytest.raises(AuditError, match="closed"):
        closed.action({})


def test_unwritable_location_is_an_audit_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(AuditError, match="cannot open audit log"):
        AuditLog.open(blocker / "a.jsonl", run_id="r")


WRITER = """
import sys
from reconciler.audit import AuditLog
log = AuditLog.open(sys.argv[1], run_id="doomed")
log.run_start(environment="sandbox", argv=["apply"], plan_digest="", env={"GITHUB_ACTOR": "x"})
while True:
    log.action({"action": "create", "padding": "x" * 5000})
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")
def test_a_killed_writer_leaves_a_log_that_verifies_and_continues(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(path)])
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if path.exists() and path.read_bytes().count(b"\n") >= 20:
                break
            time.sleep(0.01)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    killed = verify_file(path)  # intact, with at most a partial last line
    assert killed.lines >= 20
    assert killed.runs == 1
    write_run(path, "run-2")
    after = verify_file(path)
    assert after.runs == 2
    assert after.partial_line is None
