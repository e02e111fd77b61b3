"""``reconciler apply`` end to end: the CLI against the sandbox over a real socket on 127.0.0.1,
with webhooks to a real receiver that verifies signatures with the standardwebhooks library."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import CREDENTIALS, pass_time, serve_sandbox
from webhook_receiver import SECRET, Receiver, serve

from reconciler.audit import verify_file
from reconciler.cli import run
from reconciler.sandbox import FaultPlan, SandboxApp, SandboxState


def spec(name: str, queue: str = "queue-1") -> str:
    return (
        f"name: {name}\n"
        f"description: Chat for {name}\n"
        "webMessagingWidgetConfiguration:\n"
        "  widgetId: widget-1\n"
        "  theme: default\n"
        "securityPolicy:\n"
        "  enabled: true\n"
        "  allowedOrigins: [https://www.example.com]\n"
        "  requireConsent: true\n"
        "routingConfiguration:\n"
        f"  queueId: {queue}\n"
    )


def write_specs(root: Path, names: list[str], queue: str = "queue-1") -> None:
    folder = root / "channels"
    folder.mkdir(exist_ok=True)
    text = "---\n".join(spec(n, queue) for n in names)
    (folder / "all.yaml").write_text(text, encoding="utf-8")


@contextlib.contextmanager
def sandbox(
    monkeypatch: pytest.MonkeyPatch, state: SandboxState | None = None, **config: Any
) -> Iterator[SandboxApp]:
    config.setdefault("rate_limit_per_minute", 6000)
    with serve_sandbox(monkeypatch, state, seed=3, **config) as app:
        yield app


@contextlib.contextmanager
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    with contextlib.contextmanager(serve)(Receiver(SECRET)) as rec:
        monkeypatch.setenv("WEBHOOK_URL", rec.url)
        monkeypatch.setenv("WEBHOOK_SECRET", SECRET)
        yield rec


def stored_names(app: SandboxApp) -> list[str]:
    return [str(c["name"]) for c in app.state.channels.values()]


def test_200_creates_under_faults_converge_with_no_duplicate_and_signed_events(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    names = [f"Channel {i:03d}" for i in range(200)]
    write_specs(workdir, names)
    faults = FaultPlan(
        seed=8, error_5xx=0.10, rate_limit_429=0.10, drop_after_commit=0.05, retry_after_seconds=0
    )
    with (
        sandbox(monkeypatch, faults=faults, listing_lag_seconds=1.0) as app,
        receiver(monkeypatch) as rec,
    ):
        rec.fail_next = 15  # the first deliveries fail: redelivery must keep each webhook-id
        code = run(["apply", "--yes", "--parallelism", "8"])
        out = capsys.readouterr()
        assert code == 0, out.err

        # Exactly the 200 specs, each once, though some POST answers were lost.
        assert sorted(stored_names(app)) == names
        assert app.stats.total > 200, "the faults never fired"

        # Every channel.provisioned was delivered at least once, signed, with one stable id.
        ids_by_channel: dict[str, set[str]] = defaultdict(set)
        for delivery in rec.deliveries:
            assert delivery.verified, "a webhook failed standardwebhooks verification"
            event = json.loads(delivery.body)
            if event["type"] == "channel.provisioned":
                ids_by_channel[event["data"]["channelName"]].add(delivery.headers["webhook-id"])
        assert sorted(ids_by_channel) == names
        assert all(len(ids) == 1 for ids in ids_by_channel.values())
        delivered = {json.loads(d.body)["data"].get("channelName") for d in rec.accepted()}
        assert set(names) <= delivered
        assert any(d.answered == 503 for d in rec.deliveries), "no redelivery was exercised"

        # The audit log verifies and has one line per action.
        log = workdir / "audit" / f"{app_environment()}.jsonl"
        result = verify_file(log)
        assert result.partial_line is None
        kinds = [json.loads(line)["kind"] for line in log.read_text().splitlines()]
        assert kinds.count("action") == 200

        report = json.loads((workdir / "artifacts" / "apply.json").read_text())
        assert report["succeeded"] == 200
        assert report["success_rate"] == 1.0

        # A second apply at once: the lagging listing still hides the newest channels, so it
        # plans creates for them, and each settles as "already created" through the 409.
        assert run(["apply", "--yes"]) == 0
        second = capsys.readouterr().out
        assert "FAILED" not in second
        assert sorted(stored_names(app)) == names, "the second apply duplicated a channel"
        # Once the listing caught up (1 s), the plan is empty.
        pass_time(1.1)
        assert run(["plan", "--detailed-exitcode"]) == 0
        assert run(["apply", "--yes"]) == 0
        assert "Nothing to apply" in capsys.readouterr().out  # and no audit run


def app_environment() -> str:
    # GENESYS_API_URL overrides without GENESYS_ENVIRONMENT: the label is the API host.
    return "127.0.0.1"


def test_saved_plan_is_refused_when_a_channel_changed_since(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_specs(workdir, ["Alpha", "Beta"])
    with sandbox(monkeypatch) as app:
        assert run(["apply", "--yes"]) == 0
        write_specs(workdir, ["Alpha", "Beta"], queue="queue-2")
        assert run(["plan"]) == 0
        # Someone edits Beta in the admin UI between review and merge.
        [beta] = [c for c in app.state.channels.values() if c["name"] == "Beta"]
        beta["description"] = "edited by hand"
        beta["version"] += 1
        versions = {c["name"]: c["version"] for c in app.state.channels.values()}
        capsys.readouterr()

        code = run(["apply", "--yes", "--plan", "artifacts/plan.json"])

        err = capsys.readouterr().err
        assert code == 1
        assert "stale" in err
        assert "'Beta'" in err
        assert "'Alpha'" not in err
        # Refused whole, before any write: Alpha was not updated either.
        assert {c["name"]: c["version"] for c in app.state.channels.values()} == versions


def test_saved_plan_applies_when_nothing_changed(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_specs(workdir, ["Alpha", "Beta"])
    with sandbox(monkeypatch) as app:
        assert run(["plan"]) == 0
        digest = json.loads((workdir / "artifacts" / "plan.json").read_text())["digest"]
        code = run(["apply", "--yes", "--plan", "artifacts/plan.json", "--expect-digest", digest])
        assert code == 0, capsys.readouterr().err
        assert sorted(stored_names(app)) == ["Alpha", "Beta"]


def test_saved_plan_is_refused_when_the_specs_changed(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_specs(workdir, ["Alpha"])
    with sandbox(monkeypatch) as app:
        assert run(["plan"]) == 0
        write_specs(workdir, ["Alpha", "Gamma"])
        code = run(["apply", "--yes", "--plan", "artifacts/plan.json"])
        assert code == 1
        assert "specs changed since the plan" in capsys.readouterr().err
        assert stored_names(app) == []


def test_expect_digest_mismatch_is_refused_before_any_write(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_specs(workdir, ["Alpha"])
    with sandbox(monkeypatch) as app:
        code = run(["apply", "--yes", "--expect-digest", "sha256:" + "0" * 64])
        assert code == 1
        assert "not the expected" in capsys.readouterr().err
        assert stored_names(app) == []
        assert not (workdir / "audit").exists(), "a refused plan starts no audit run"


def test_unsafe_plan_needs_force(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    names = [f"C{i:02d}" for i in range(10)]
    write_specs(workdir, names)
    with sandbox(monkeypatch) as app:
        assert run(["apply", "--yes"]) == 0
        write_specs(workdir, names, queue="queue-9")  # 10 of 10 managed channels change
        capsys.readouterr()
        assert run(["apply", "--yes"]) == 1
        assert "unsafe" in capsys.readouterr().err
        assert {c["routingConfiguration"]["queueId"] for c in app.state.channels.values()} == {
            "queue-1"
        }
        assert run(["apply", "--yes", "--force"]) == 0
        assert {c["routingConfiguration"]["queueId"] for c in app.state.channels.values()} == {
            "queue-9"
        }


def test_prune_deletes_only_with_the_flag_and_emits_deleted_events(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_specs(workdir, ["Alpha", "Beta"])
    with sandbox(monkeypatch) as app, receiver(monkeypatch) as rec:
        assert run(["apply", "--yes"]) == 0
        write_specs(workdir, ["Alpha"])
        assert run(["apply", "--yes"]) == 0
        assert sorted(stored_names(app)) == ["Alpha", "Beta"]
        assert run(["apply", "--yes", "--prune"]) == 0
        assert stored_names(app) == ["Alpha"]
        types = [json.loads(d.body)["type"] for d in rec.accepted()]
        assert types.count("channel.deleted") == 1
        # The middle apply had nothing to do: no audit run, so no reconcile.completed either.
        assert types.count("reconcile.completed") == 2


def test_off_a_terminal_apply_needs_yes(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_specs(workdir, ["Alpha"])
    with sandbox(monkeypatch) as app:
        assert run(["apply"]) == 64
        assert "--yes" in capsys.readouterr().err
        assert stored_names(app) == []


def test_a_failed_action_exits_1_and_the_others_still_run(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_specs(workdir, ["Alpha", "Beta"])
    # The listing lags a minute behind writes: the plan cannot see the hand-made "alpha", so
    # it plans a create, and the server's 409 names a channel that is not ours.
    with sandbox(monkeypatch, listing_lag_seconds=60.0) as app:
        foreign = {
            "name": "alpha",
            "description": "made by hand",
            "webMessagingWidgetConfiguration": {"widgetId": "w", "theme": "default"},
            "securityPolicy": {"enabled": False, "allowedOrigins": [], "requireConsent": False},
            "routingConfiguration": {"queueId": "q"},
        }
        seed_channel(app, foreign)
        code = run(["apply", "--yes"])
        out = capsys.readouterr()
        assert code == 1
        assert "already exists" in out.err
        assert "not managed by reconciler" in out.err
        assert sorted(n.casefold() for n in stored_names(app)) == ["alpha", "beta"]
        report = json.loads((workdir / "artifacts" / "apply.json").read_text())
        assert (report["succeeded"], report["failed"]) == (1, 1)
        assert report["success_rate"] == 0.5


def seed_channel(app: SandboxApp, body: dict[str, Any]) -> None:
    from reconciler.sandbox import SandboxRequest

    token = app.handle(
        SandboxRequest(
            method="POST",
            path="/oauth/token",
            query={},
            headers={
                "authorization": basic(*CREDENTIALS),
                "content-type": "application/x-www-form-urlencoded",
            },
            body=b"grant_type=client_credentials",
        )
    )
    access = json.loads(token.body)["access_token"]
    response = app.handle(
        SandboxRequest(
            method="POST",
            path="/api/v2/webmessaging/channels",
            query={},
            headers={"authorization": f"Bearer {access}", "content-type": "application/json"},
            body=json.dumps(body).encode(),
        )
    )
    assert response.status == 200, response.body


def basic(client_id: str, secret: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child needs POSIX signals")
def test_ctrl_c_stops_new_actions_closes_the_audit_and_exits_130(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = [f"Slow {i:02d}" for i in range(30)]
    write_specs(workdir, names)
    with sandbox(monkeypatch, latency_ms=150) as app:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        child = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "apply", "--yes", "--parallelism", "2"],
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stdout is not None
            deadline = time.monotonic() + 30
            line = ""
            while time.monotonic() < deadline:
                line = child.stdout.readline()
                if line.startswith("ok"):
                    break
            assert line.startswith("ok"), "apply never finished an action"
            child.send_signal(signal.SIGINT)
            _, err = child.communicate(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait(timeout=10)
        assert child.returncode == 130, err
        created = len(app.state.channels)
        assert 1 <= created < len(names), "Ctrl-C did not stop the run early"
        # One line for every action not started, however many there are.
        assert err.count("not started") == 1, err
        assert f"Interrupted: {len(names) - created} action(s) not started" in err
        log = workdir / "audit" / "127.0.0.1.jsonl"
        verify_file(log)
        records = [json.loads(x) for x in log.read_text().splitlines()]
        assert records[-1]["kind"] == "run.end"
        assert records[-1]["record"]["status"] == "interrupted"
        succeeded = [
            r for r in records if r["kind"] == "action" and r["record"]["status"] == "succeeded"
        ]
        assert len(succeeded) == created, "a completed action is missing from the audit"


def test_drift_sends_one_signed_drift_detected_event(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_specs(workdir, ["Alpha", "Beta"])
    with sandbox(monkeypatch) as app, receiver(monkeypatch) as rec:
        assert run(["apply", "--yes"]) == 0
        assert run(["drift"]) == 0
        [alpha] = [c for c in app.state.channels.values() if c["name"] == "Alpha"]
        alpha["description"] = "edited out of band"
        alpha["version"] += 1

        assert run(["drift"]) == 2

        drift = [json.loads(d.body) for d in rec.accepted()]
        drift = [e for e in drift if e["type"] == "drift.detected"]
        assert len(drift) == 1, "in sync sends nothing; drift sends one event"
        assert drift[0]["data"]["channels"] == [
            {"name": "Alpha", "action": "update", "drift": "edited", "channelId": alpha["id"]}
        ]
