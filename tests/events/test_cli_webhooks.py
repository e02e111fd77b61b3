"""`reconciler webhooks redeliver`: exit codes and the one-line summary."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from webhook_receiver import SECRET, Receiver

from reconciler.cli import run
from reconciler.events import EventType, channel_event
from reconciler.webhooks import Outbox

NOW = datetime(2026, 11, 24, 18, 0, tzinfo=timezone.utc)


def pending_outbox(path: Path, *names: str) -> list[str]:
    outbox = Outbox(path)
    ids = []
    for name in names:
        event = channel_event(
            EventType.CHANNEL_PROVISIONED,
            run_id="run-1",
            environment="prod",
            channel_id=f"id-{name}",
            channel_name=name,
            source="",
            now=NOW,
        )
        outbox.record_pending(event, attempts=5, status=503, error="HTTP 503", now=1.0)
        ids.append(event.webhook_id)
    return ids


@pytest.fixture
def env(receiver: Receiver, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Receiver:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WEBHOOK_URL", receiver.url)
    monkeypatch.setenv("WEBHOOK_SECRET", SECRET)
    return receiver


def test_redeliver_sends_everything_pending_and_exits_0(
    env: Receiver, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = pending_outbox(tmp_path / ".reconciler" / "outbox" / "prod.jsonl", "A", "B")
    ids += pending_outbox(tmp_path / ".reconciler" / "outbox" / "dev.jsonl", "C")
    assert run(["webhooks", "redeliver"]) == 0
    summary = capsys.readouterr().out
    assert summary == "redelivered 3 of 3 pending event(s) from .reconciler/outbox/\n"
    assert sorted(d.headers["webhook-id"] for d in env.accepted()) == sorted(ids)
    assert all(d.verified for d in env.deliveries)
    assert list((tmp_path / ".reconciler" / "outbox").glob("*.jsonl")) == []


def test_redeliver_exits_1_when_something_stays_pending(
    env: Receiver, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outbox = tmp_path / "box.jsonl"
    ids = pending_outbox(outbox, "A", "B")
    env.fail_ids = {ids[1]}
    env.fail_status = 404
    assert run(["webhooks", "redeliver", "--outbox", str(outbox), "--max-attempts", "1"]) == 1
    out = capsys.readouterr().out
    assert out == (
        f"redelivered 1 of 2 pending event(s); 1 still pending in {outbox} (last error: HTTP 404)\n"
    )
    [left] = Outbox(outbox).pending()
    assert left.event.webhook_id == ids[1]
    assert left.attempts == 6


def test_nothing_pending_exits_0(env: Receiver, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["webhooks", "redeliver"]) == 0
    assert capsys.readouterr().out == "nothing pending in .reconciler/outbox/\n"
    assert env.deliveries == []


def test_pending_without_a_url_exits_1_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("WEBHOOK_URL", raising=False)
    outbox = tmp_path / "box.jsonl"
    pending_outbox(outbox, "A")
    assert run(["webhooks", "redeliver", "--outbox", str(outbox)]) == 1
    assert capsys.readouterr().err == (
        "error: WEBHOOK_URL is not set: cannot redeliver 1 pending event(s).\n"
    )
    assert len(Outbox(outbox).pending()) == 1


def test_bad_secret_exits_1_without_echoing_it(
    env: Receiver,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("WEBHOOK_SECRET", "whsec_tooshort")
    pending_outbox(tmp_path / "box.jsonl", "A")
    assert run(["webhooks", "redeliver", "--outbox", str(tmp_path / "box.jsonl")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: WEBHOOK_SECRET must decode to 24 to 64 bytes")
    assert "tooshort" not in err
