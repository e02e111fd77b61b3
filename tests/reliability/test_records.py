"""Crash-consistent records, failures that say so, signals that end runs in order (issue 13,
items 5, 7 and 8).

- A write committed just before a kill -9 (an ``intent`` line with no outcome) is audited
  and announced by the next run, under the change's own ``webhook-id``; the run after that
  finds nothing to record again.
- SIGTERM ends an apply like the first Ctrl-C: no new actions, summary, audit ``run.end``,
  apply.json, exit 143.
- Unwritable paths are found before the first API write; a webhook outage never holds the
  apply past its budget.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from minimal_specs import CHANNEL, WEB
from reliability_helpers import HookReceiver, serve_hooks, write_specs
from support import CREDENTIALS

from reconciler.audit import AuditKind, AuditLog, verify_file
from reconciler.cli import run
from reconciler.events import EventType, change_event_id
from reconciler.sandbox import SandboxApp, SandboxConfig, serve_in_thread

SECRET = "whsec_cmVjb3Jkcy1yZWNvcmRzLXJlY29yZHMtcmVjb3Jkcw=="


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x]


@pytest.fixture
def hooks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HookReceiver]:
    monkeypatch.chdir(tmp_path)
    receiver = HookReceiver(SECRET)
    with serve_hooks(receiver) as url:
        monkeypatch.setenv("WEBHOOK_URL", url)
        monkeypatch.setenv("WEBHOOK_SECRET", SECRET)
        yield receiver


@pytest.mark.parametrize(("template", "kind"), [(CHANNEL, "channel"), (WEB, "webDeployment")])
def test_a_create_committed_just_before_a_kill_is_audited_and_announced_by_the_next_run(
    template: str,
    kind: str,
    hooks: HookReceiver,
    capsys: pytest.CaptureFixture[str],
) -> None:
    Path("channels").mkdir()
    Path("channels/a.yaml").write_text(template.format(name="Alpha"), encoding="utf-8")
    # The killed run: its create reached the org (made here by a run with another log)...
    assert run(["--sandbox", "apply", "--yes", "--audit-log", "elsewhere.jsonl"]) == 0
    (made,) = list(json.loads(Path("artifacts/apply.json").read_text())["actions"])
    first_ids = {h.webhook_id for h in hooks.hooks if h.event_type == "channel.provisioned"}
    # ...and its log holds the intent, fsynced before the POST, and nothing after it.
    audit = Path(".reconciler/audit/sandbox.jsonl")
    with AuditLog.open(audit, run_id="killed-run") as log:
        log.run_start(environment="sandbox", argv=["apply"], plan_digest="sha256:" + "0" * 64)
        log.append(
            AuditKind.INTENT,
            {
                "intentId": "intent-1",
                "resourceKind": kind,
                "action": "create",
                "name": "Alpha",
                "id": None,
                "liveRevision": None,
                "owner": "reconciler",
            },
        )
    capsys.readouterr()

    assert run(["--sandbox", "apply", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "Recovered 1 write(s) an earlier run left unrecorded (1 had been made)" in out
    recovered = [r for r in lines(audit) if r["kind"] == "action.recovered"]
    assert [(r["record"]["name"], r["record"]["status"]) for r in recovered] == [
        ("Alpha", "succeeded")
    ]
    assert recovered[0]["record"]["channel_id"] == made["channel_id"]
    expected_id = change_event_id(
        EventType.CHANNEL_PROVISIONED, kind, made["channel_id"], str(made["version"])
    )
    announced = [h for h in hooks.hooks if h.event_type == "channel.provisioned"]
    assert len(announced) == 2, "the recovered create was not announced"
    assert {h.webhook_id for h in announced} == {expected_id} == first_ids  # one id: dedupable
    assert json.loads(Path("artifacts/apply.json").read_text())["recovered"][0]["name"] == "Alpha"
    verify_file(audit)

    # The run after finds the work done: no second success, no third announcement.
    assert run(["--sandbox", "apply", "--yes"]) == 0
    assert len([r for r in lines(audit) if r["kind"] == "action.recovered"]) == 1
    assert len([h for h in hooks.hooks if h.event_type == "channel.provisioned"]) == 2


def test_unwritable_out_audit_or_outbox_is_found_before_any_write(
    hooks: HookReceiver, capsys: pytest.CaptureFixture[str]
) -> None:
    write_specs(Path("channels"), {"Alpha": "q-1"})
    Path("blocker").write_text("a file, not a folder", encoding="utf-8")
    for flags, what in (
        (["--out", "blocker/out"], "cannot write to --out blocker"),
        (["--audit-log", "blocker/audit.jsonl"], "cannot write the audit log blocker"),
        (["--outbox", "blocker/outbox.jsonl"], "cannot create outbox folder blocker"),
    ):
        capsys.readouterr()
        assert run(["--sandbox", "apply", "--yes", *flags]) == 1
        err = capsys.readouterr().err
        assert what in err, err
        state = Path(".reconciler/sandbox.json")
        assert not state.exists() or "Alpha" not in state.read_text()


def test_a_webhook_outage_never_holds_the_apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from reconciler import applying

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(applying, "DEFAULT_WEBHOOK_BUDGET", 0.5)
    receiver = HookReceiver(SECRET, hold_types=frozenset({"channel.provisioned"}))
    with serve_hooks(receiver) as url:
        monkeypatch.setenv("WEBHOOK_URL", url)
        monkeypatch.setenv("WEBHOOK_SECRET", SECRET)
        write_specs(Path("channels"), {"Alpha": "q-1"})
        try:
            code = run(["--sandbox", "apply", "--yes"])
        finally:
            receiver.release.set()
    out = capsys.readouterr().out
    assert code == 0
    assert "1 webhook event(s) not delivered: kept in the outbox" in out
    pending = [x for x in lines(Path(".reconciler/outbox/sandbox.jsonl")) if x["op"] == "pending"]
    assert [p["event"]["type"] for p in pending] == ["channel.provisioned"]


@pytest.mark.socket
@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM to a child needs POSIX signals")
def test_sigterm_ends_an_apply_like_the_first_ctrl_c(tmp_path: Path) -> None:
    write_specs(tmp_path / "channels", {f"Term {i:02d}": "q-1" for i in range(40)})
    app = SandboxApp(
        SandboxConfig(credentials=CREDENTIALS, rate_limit_per_minute=0, latency_ms=150, seed=5)
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GENESYS_", "RECONCILER_", "WEBHOOK_"))
    }
    audit = tmp_path / "audit.jsonl"
    with serve_in_thread(app) as server:
        env.update(
            GENESYS_CLIENT_ID=CREDENTIALS[0],
            GENESYS_CLIENT_SECRET=CREDENTIALS[1],
            GENESYS_API_URL=server.url,
            GENESYS_LOGIN_URL=server.url,
            PYTHONUNBUFFERED="1",
        )
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "reconciler",
                "apply",
                "--yes",
                "--parallelism",
                "2",
                "--audit-log",
                str(audit),
                "channels",
            ],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and child.poll() is None:
                if audit.exists() and b'"kind":"action"' in audit.read_bytes():
                    break
                time.sleep(0.02)
            child.send_signal(signal.SIGTERM)
            out, err = child.communicate(timeout=60)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait(timeout=10)
    assert child.returncode == 143, err.decode()
    assert b"Apply interrupted" in out
    assert b"Traceback" not in err
    records = lines(audit)
    assert records[-1]["kind"] == "run.end"
    assert records[-1]["record"]["status"] == "interrupted"
    report = json.loads((tmp_path / "artifacts" / "apply.json").read_text())
    assert report["status"] == "interrupted"
    assert report["signal"] == "SIGTERM"
    assert any(a["status"] == "skipped" for a in report["actions"]), "every action started"
    assert len(app.state.channels) < 40
    verify_file(audit)


@pytest.mark.socket
def test_repeated_authentication_failures_stop_the_run_early_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from reconciler.sandbox import FaultPlan

    monkeypatch.chdir(tmp_path)
    write_specs(Path("channels"), {f"Auth {i:02d}": "q-1" for i in range(10)})
    # The credentials are revoked mid-run: every write is refused (401), and so is every
    # new token.
    faults = FaultPlan(
        only_methods=frozenset({"POST"}),
        script=("401",) * 100,
        token_script=("ok",) + ("invalid_client",) * 100,
    )
    app = SandboxApp(
        SandboxConfig(credentials=CREDENTIALS, rate_limit_per_minute=0, faults=faults, seed=2)
    )
    with serve_in_thread(app) as server:
        for key, value in (
            ("GENESYS_CLIENT_ID", CREDENTIALS[0]),
            ("GENESYS_CLIENT_SECRET", CREDENTIALS[1]),
            ("GENESYS_API_URL", server.url),
            ("GENESYS_LOGIN_URL", server.url),
        ):
            monkeypatch.setenv(key, value)
        code = run(["apply", "--yes", "--parallelism", "1"])
    out = capsys.readouterr()
    assert code == 1
    stopped = [line for line in out.err.splitlines() if "stopped early" in line]
    assert stopped == [
        "error: stopped early: 3 actions in a row were refused authentication (401); check "
        "GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET"
    ]
    report = json.loads(Path("artifacts/apply.json").read_text())
    assert report["status"] == "failed"
    assert [a["status"] for a in report["actions"]].count("failed") == 3
    assert [a["status"] for a in report["actions"]].count("skipped") == 7


def test_a_full_disk_ends_the_run_with_one_line_and_no_corrupt_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import errno

    from reconciler.audit import log as audit_log

    monkeypatch.chdir(tmp_path)
    write_specs(Path("channels"), {f"Disk {i:02d}": "q-1" for i in range(6)})
    real_write = audit_log.write_all
    writes = {"n": 0}

    def filling_up(fd: int, data: bytes) -> None:
        writes["n"] += 1
        if writes["n"] > 4:  # run.start and a few lines fit, then the disk is full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_write(fd, data)

    monkeypatch.setattr(audit_log, "write_all", filling_up)
    code = run(["--sandbox", "apply", "--yes", "--parallelism", "1"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1, err
    assert err.startswith(
        "error: cannot write audit log .reconciler/audit/sandbox.jsonl: No space left"
    )
    monkeypatch.setattr(audit_log, "write_all", real_write)
    verify_file(Path(".reconciler/audit/sandbox.jsonl"))  # every line written is whole
    json.loads(Path(".reconciler/sandbox.json").read_text())  # the org was saved whole
    assert not Path("artifacts/apply.json").exists() or json.loads(
        Path("artifacts/apply.json").read_text()
    )
