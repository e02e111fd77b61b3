"""Crash recovery: ``reconciler apply`` SIGKILLed at random (seeded) points, over and over.

After each kill the audit log verifies (at most a partial last line, no break in the chain);
a final rerun converges on exactly the specs with no duplicate, and every action whose success
was audited before a kill is there live. A kill while the run's last webhook is in flight
leaves the event in the outbox, and ``webhooks redeliver`` sends it with its original id.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import HookReceiver, channel_body, serve_hooks, write_specs
from support import CREDENTIALS

from reconciler.audit import verify_file
from reconciler.cli import run
from reconciler.sandbox import SandboxApp, SandboxConfig, SandboxState, serve_in_thread

pytestmark = [
    pytest.mark.socket,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL needs POSIX signals"),
]

SECRET = "whsec_Y3Jhc2gtY3Jhc2gtY3Jhc2gtY3Jhc2gtY3Jhc2g="
OWNER = "reconciler"


def child_env(api_url: str, hook_url: str | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GENESYS_", "RECONCILER_", "WEBHOOK_"))
    }
    env.update(
        GENESYS_CLIENT_ID=CREDENTIALS[0],
        GENESYS_CLIENT_SECRET=CREDENTIALS[1],
        GENESYS_API_URL=api_url,
        GENESYS_LOGIN_URL=api_url,
        RECONCILER_RATE_PER_MINUTE="60000",
        PYTHONUNBUFFERED="1",
    )
    if hook_url:
        env.update(WEBHOOK_URL=hook_url, WEBHOOK_SECRET=SECRET)
    return env


APPLY = [
    sys.executable,
    "-m",
    "reconciler",
    "apply",
    "--yes",
    "--prune",
    "--force",
    "--parallelism",
    "2",
    "--audit-log",
    "audit.jsonl",
    "--outbox",
    "outbox.jsonl",
    "channels",
]


def records(path: Path) -> list[dict[str, Any]]:
    """Complete lines only (a partial last line is what a kill may leave)."""
    text = path.read_bytes().decode("utf-8", "replace")
    return [json.loads(line) for line in text.split("\n")[:-1] if line]


def run_starts(path: Path) -> int:
    return path.read_bytes().count(b'"kind":"run.start"') if path.exists() else 0


def audit_verify_ok(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert run(["audit", "verify", str(path)]) == 0, capsys.readouterr()
    out = capsys.readouterr()
    result = verify_file(path)
    if result.partial_line is not None:
        lines = path.read_bytes().split(b"\n")
        assert result.partial_line == len(lines), "the partial line is not the last one"
        assert "partial" in out.err
    return out.out


@pytest.mark.soak
def test_random_sigkills_then_a_rerun_converge_without_duplicates_or_lost_audit_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    creates = {f"Crash {i:02d}": "q-1" for i in range(30)}
    updates = {f"Keep {i:02d}": "q-2" for i in range(6)}
    doomed = [f"Gone {i:02d}" for i in range(6)]
    write_specs(tmp_path / "channels", {**creates, **updates})
    app = SandboxApp(
        SandboxConfig(credentials=CREDENTIALS, rate_limit_per_minute=0, latency_ms=120, seed=11),
        SandboxState(),
    )
    app.seed_channels(channel_body(n, "q-1", owner=OWNER) for n in [*updates, *doomed])
    rng = random.Random(20261124)
    audit = tmp_path / "audit.jsonl"
    kills = 0
    audited_successes: list[dict[str, Any]] = []
    with serve_in_thread(app) as server:
        env = child_env(server.url, None)
        for round_number in range(5):
            started = run_starts(audit)
            child = subprocess.Popen(
                APPLY, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            try:
                # Kill somewhere between "the run has started writing" and well into it.
                deadline = time.monotonic() + 30
                while run_starts(audit) == started and time.monotonic() < deadline:
                    if child.poll() is not None:
                        break
                    time.sleep(0.01)
                time.sleep(rng.uniform(0.0, 0.6))
                if child.poll() is None:
                    child.send_signal(signal.SIGKILL)
                    kills += 1
                child.wait(timeout=30)
            finally:
                if child.poll() is None:
                    child.kill()
                    child.wait(timeout=10)
            if round_number == 2:
                # A kill in the middle of a line's write (rare with one write per line, so
                # made here by hand): the fragment must be reported, then moved aside.
                with audit.open("ab") as log:
                    log.write(b'{"seq":999,"time":"2026-11-24T00:00:00.000Z","runId":"x')
                assert verify_file(audit).partial_line is not None
            audit_verify_ok(audit, capsys)
            audited_successes = [
                r["record"]
                for r in records(audit)
                if r["kind"] == "action" and r["record"]["status"] == "succeeded"
            ]

        live_before = len(app.state.channels)
        with capsys.disabled():
            print(
                f"crash: {kills} SIGKILLs; {len(audited_successes)} successes audited before the "
                f"last kill; {live_before} channels live then"
            )
        assert kills >= 4, "the runs ended before they could be killed: slow the sandbox down"
        assert audited_successes, "no action finished before the kills"

        # The rerun converges.
        final = subprocess.run(
            APPLY, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        assert final.returncode == 0, final.stdout + final.stderr
        stored = list(app.state.channels.values())

    names = Counter(str(c["name"]).casefold() for c in stored)
    assert all(n == 1 for n in names.values()), "a channel was created twice"
    by_name = {c["name"]: c for c in stored}
    assert set(by_name) == {*creates, *updates}
    for name, queue in {**creates, **updates}.items():
        assert by_name[name]["routingConfiguration"]["queueId"] == queue
    # Every success audited before a kill is there live (or gone, for a delete).
    live_ids = {c["id"] for c in stored}
    for record in audited_successes:
        if record["kind"] == "delete":
            assert record["channel_id"] not in live_ids
        else:
            assert record["channel_id"] in live_ids, record
    # The chain is intact after the recovery and the final run closed it.
    out = audit_verify_ok(audit, capsys)
    assert "intact" in out
    final_records = records(audit)
    assert final_records[-1]["kind"] == "run.end"
    assert final_records[-1]["record"]["status"] == "succeeded"
    runs = {r["runId"] for r in final_records if r["kind"] == "run.start"}
    assert len(runs) >= kills + 1
    partials = sorted(tmp_path.glob("audit.jsonl.partial"))
    assert len(partials) == 1, "the partial line was not moved aside"
    assert any(r["kind"] == "log.repaired" for r in final_records)
    with capsys.disabled():
        print(
            f"crash: rerun converged ({len(by_name)} channels, none twice); audit: "
            f"{len(final_records)} lines over {len(runs)} runs, intact; "
            f"partial lines moved aside: {len(partials)}"
        )


def test_kill_while_the_last_webhook_is_in_flight_then_redeliver_keeps_its_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    names = {f"Hook {i:02d}": "q-1" for i in range(8)}
    write_specs(tmp_path / "channels", names)
    app = SandboxApp(SandboxConfig(credentials=CREDENTIALS, rate_limit_per_minute=0, seed=12))
    receiver = HookReceiver(SECRET, hold_types=frozenset({"reconcile.completed"}))
    with serve_in_thread(app) as server, serve_hooks(receiver) as hook_url:
        env = child_env(server.url, hook_url)
        child = subprocess.Popen(
            APPLY, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            assert receiver.arrived.wait(60), "reconcile.completed never arrived"
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait(timeout=10)
        assert child.returncode == -signal.SIGKILL
        receiver.release.set()

        audit = tmp_path / "audit.jsonl"
        audit_verify_ok(audit, capsys)
        before = records(audit)
        assert [r["kind"] for r in before].count("action") == len(names)
        assert before[-1]["kind"] != "run.end", "the kill came after the run closed"
        # Outbox: the event in flight when the process died is pending there.
        outbox_lines = [json.loads(x) for x in (tmp_path / "outbox.jsonl").read_text().splitlines()]
        in_flight = {
            line["event"]["webhookId"]
            for line in outbox_lines
            if line.get("op") == "pending" and line["event"]["type"] == "reconcile.completed"
        }
        assert len(in_flight) == 1, "the event in flight is not pending in the outbox"

        for key, value in env.items():
            monkeypatch.setenv(key, value)
        capsys.readouterr()
        assert run(["webhooks", "redeliver", "--outbox", "outbox.jsonl"]) == 0
        assert "redelivered" in capsys.readouterr().out

        completed = [h for h in receiver.hooks if h.event_type == "reconcile.completed"]
        ids = {h.webhook_id for h in completed}
        assert ids == in_flight, "redelivery changed the webhook-id"
        assert len({h.body for h in completed}) == 1, "redelivery changed the body"
        assert ids <= receiver.accepted_ids()
        provisioned = {
            json.loads(h.body)["data"]["channelName"]
            for h in receiver.hooks
            if h.event_type == "channel.provisioned" and 200 <= h.status < 300
        }
        assert provisioned == set(names)
        assert all(h.verified for h in receiver.hooks)

        # The next run repairs nothing it should not, and finds nothing to do.
        assert (
            run(
                [
                    "apply",
                    "--yes",
                    "--audit-log",
                    "audit.jsonl",
                    "--outbox",
                    "outbox.jsonl",
                    "channels",
                ]
            )
            == 0
        )
        assert "Nothing to apply" in capsys.readouterr().out
        assert len(app.state.channels) == len(names)
        audit_verify_ok(audit, capsys)
