"""The sink against a real receiver on 127.0.0.1: delivery, retries, outbox and redelivery."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
from webhook_receiver import SECRET, Receiver, no_sleep

from reconciler.errors import WebhookError
from reconciler.events import Event, EventType, channel_event
from reconciler.webhooks import (
    DeliveryOutcome,
    DeliveryState,
    NullSink,
    Outbox,
    RetryPolicy,
    WebhookSink,
    from_env,
    redeliver,
)

NOW = datetime(2026, 11, 24, 18, 0, tzinfo=timezone.utc)
FAST = RetryPolicy(max_attempts=3, timeout=5.0)


def event(name: str = "Support", run_id: str = "run-1") -> Event:
    return channel_event(
        EventType.CHANNEL_PROVISIONED,
        run_id=run_id,
        environment="sandbox",
        channel_id=f"id-{name}",
        channel_name=name,
        source=f"channels/{name}.yaml:1:1",
        now=NOW,
    )


def sink_for(receiver: Receiver, outbox: Path, **env: str) -> WebhookSink:
    settings = {"WEBHOOK_URL": receiver.url, "WEBHOOK_SECRET": SECRET, **env}
    sink = from_env(settings, outbox, policy=FAST, sleep=no_sleep)
    assert isinstance(sink, WebhookSink)
    return sink


def emit(sink: WebhookSink | NullSink, *events: Event) -> list[DeliveryOutcome]:
    async def go() -> list[DeliveryOutcome]:
        async with sink:
            return await sink.emit_all(events)

    return asyncio.run(go())


def test_delivered_event_is_verified_by_the_library(receiver: Receiver, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox" / "sandbox.jsonl"
    [outcome] = emit(sink_for(receiver, outbox), event())
    assert outcome.state is DeliveryState.DELIVERED
    assert (outcome.attempts, outcome.status) == (1, 204)
    [delivery] = receiver.deliveries
    assert delivery.verified
    assert delivery.headers["webhook-id"] == event().webhook_id
    assert json.loads(delivery.body)["data"]["channelName"] == "Support"
    assert not outbox.exists()  # nothing pending: the outbox is compacted away


def test_failures_are_retried_then_delivered_with_one_id(
    receiver: Receiver, tmp_path: Path
) -> None:
    receiver.fail_next = 2
    [outcome] = emit(sink_for(receiver, tmp_path / "o.jsonl"), event())
    assert outcome.delivered
    assert outcome.attempts == 3
    assert [d.answered for d in receiver.deliveries] == [503, 503, 204]
    assert {d.headers["webhook-id"] for d in receiver.deliveries} == {event().webhook_id}
    assert all(d.verified for d in receiver.deliveries)


def test_failed_delivery_is_an_outcome_kept_in_the_outbox(
    receiver: Receiver, tmp_path: Path
) -> None:
    receiver.fail_next = 10
    outbox = tmp_path / "o.jsonl"
    [failed, other] = emit(sink_for(receiver, outbox), event("Support"), event("Sales"))
    assert failed.state is DeliveryState.PENDING
    assert other.state is DeliveryState.PENDING
    assert (failed.attempts, failed.status, failed.error) == (3, 503, "HTTP 503")
    pending = Outbox(outbox).pending()
    assert {entry.event.webhook_id: entry.event for entry in pending} == {
        e.webhook_id: e for e in (event("Support"), event("Sales"))
    }
    assert all(entry.attempts == 3 and entry.status == 503 for entry in pending)


def test_redeliver_keeps_id_and_body_and_empties_the_outbox(
    receiver: Receiver, tmp_path: Path
) -> None:
    receiver.fail_next = 3
    outbox = tmp_path / "o.jsonl"
    emit(sink_for(receiver, outbox), event())
    first = receiver.deliveries[0]
    report = asyncio.run(
        redeliver(
            outbox,
            {"WEBHOOK_URL": receiver.url, "WEBHOOK_SECRET": SECRET},
            policy=FAST,
            sleep=no_sleep,
        )
    )
    assert report.delivered == 1
    assert not report.still_pending
    last = receiver.deliveries[-1]
    assert last.answered == 204
    assert last.verified
    assert last.headers["webhook-id"] == first.headers["webhook-id"]
    assert last.body == first.body
    assert not outbox.exists()


def test_redeliver_keeps_what_still_fails(receiver: Receiver, tmp_path: Path) -> None:
    receiver.fail_ids = {event("A").webhook_id, event("B").webhook_id}
    outbox = tmp_path / "o.jsonl"
    emit(sink_for(receiver, outbox), event("A"), event("B"))
    receiver.fail_ids = {event("B").webhook_id}  # A goes through now, B still fails
    report = asyncio.run(
        redeliver(
            outbox,
            {"WEBHOOK_URL": receiver.url, "WEBHOOK_SECRET": SECRET},
            policy=FAST,
            sleep=no_sleep,
        )
    )
    assert report.delivered == 1
    assert len(report.still_pending) == 1
    [left] = Outbox(outbox).pending()
    assert left.event == event("B")
    assert left.attempts == 6  # attempts accumulate across runs


def test_outbox_is_written_before_the_first_attempt(tmp_path: Path) -> None:
    """A crash during delivery loses nothing: the event is already pending on disk."""
    outbox = tmp_path / "o.jsonl"
    seen: list[list[str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append([entry.event.webhook_id for entry in Outbox(outbox).pending()])
        return httpx.Response(204)

    sink = from_env(
        {"WEBHOOK_URL": "https://hooks.example.com/x", "WEBHOOK_SECRET": SECRET},
        outbox,
        transport=httpx.MockTransport(handler),
        sleep=no_sleep,
    )
    [outcome] = emit(sink, event())
    assert outcome.delivered
    assert seen == [[event().webhook_id]]
    assert Outbox(outbox).pending() == []


def test_no_secret_in_outbox_outcomes_repr_or_logs(
    receiver: Receiver, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    receiver.fail_next = 10
    host, rest = receiver.url.split("://", 1)
    url = f"{host}://alice:hunter2@{rest}?token=s3cr3t"
    outbox = tmp_path / "o.jsonl"
    sink = from_env(
        {"WEBHOOK_URL": url, "WEBHOOK_SECRET": SECRET}, outbox, policy=FAST, sleep=no_sleep
    )
    text = repr(sink)
    [outcome] = emit(sink, event())
    text += repr(outcome) + outbox.read_text() + caplog.text
    key = SECRET.removeprefix("whsec_")
    for secret in (key, "hunter2", "s3cr3t", "webhook-signature", "v1,"):
        assert secret not in text
    assert "***" in repr(sink)


def test_no_url_means_no_sink_and_no_outbox(tmp_path: Path) -> None:
    sink = from_env({"WEBHOOK_SECRET": SECRET}, tmp_path / "o.jsonl")
    assert isinstance(sink, NullSink)
    [outcome] = emit(sink, event())
    assert outcome.state is DeliveryState.SKIPPED
    assert not (tmp_path / "o.jsonl").exists()
    assert isinstance(from_env({"WEBHOOK_URL": "  "}, tmp_path / "o.jsonl"), NullSink)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"WEBHOOK_URL": "https://h.example.com/x"}, "WEBHOOK_SECRET is not set"),
        ({"WEBHOOK_URL": "https://h.example.com/x", "WEBHOOK_SECRET": "hunter2hunter2"}, "whsec_"),
        ({"WEBHOOK_URL": "http://h.example.com/x", "WEBHOOK_SECRET": SECRET}, "WEBHOOK_URL must"),
    ],
)
def test_bad_settings_are_one_clear_error(
    env: dict[str, str], message: str, tmp_path: Path
) -> None:
    with pytest.raises(WebhookError, match=message) as info:
        from_env(env, tmp_path / "o.jsonl")
    assert "hunter2" not in str(info.value)


def test_concurrent_events_are_independent(receiver: Receiver, tmp_path: Path) -> None:
    receiver.fail_next = 3  # three of the first attempts fail; those events retry
    events = [event(f"ch-{i:02d}") for i in range(20)]
    outcomes = emit(sink_for(receiver, tmp_path / "o.jsonl"), *events)
    assert all(outcome.delivered for outcome in outcomes)
    assert [o.webhook_id for o in outcomes] == [e.webhook_id for e in events]
    accepted = {d.headers["webhook-id"] for d in receiver.accepted()}
    assert accepted == {e.webhook_id for e in events}
    assert sum(o.attempts for o in outcomes) == 23


def test_partial_outbox_line_is_ignored_and_dropped_on_next_append(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.jsonl")
    outbox.record_pending(event("A"), attempts=1, status=503, error="HTTP 503", now=1.0)
    with outbox.path.open("ab") as handle:
        handle.write(b'{"op":"pending","event":{"webh')  # a crash mid-append
    assert [e.event for e in outbox.pending()] == [event("A")]
    outbox.record_pending(event("B"), attempts=0, status=None, error="", now=2.0)
    assert [e.event for e in outbox.pending()] == [event("A"), event("B")]
    assert outbox.path.read_bytes().count(b"\n") == 2


def test_a_corrupt_outbox_line_is_moved_aside_with_a_warning_and_the_rest_is_read(
    tmp_path: Path,
) -> None:
    path = tmp_path / "o.jsonl"
    outbox = Outbox(path)
    outbox.record_pending(event("A"), attempts=0, status=None, error="", now=1.0)
    with path.open("ab") as handle:
        handle.write(b"not json\n" + b"[" * 50_000 + b"]" * 50_000 + b"\n")
    outbox.record_pending(event("B"), attempts=0, status=None, error="", now=2.0)

    assert [e.event for e in outbox.pending()] == [event("A"), event("B")]
    assert len(outbox.warnings) == 2
    assert "o.jsonl line 2 is not valid JSON; moved to o.jsonl.corrupt" in outbox.warnings[0]
    assert "line 3 is nested too deeply" in outbox.warnings[1]
    aside = (tmp_path / "o.jsonl.corrupt").read_bytes()
    assert aside.startswith(b"not json\n")
    assert b"not json" not in path.read_bytes()
    assert [e.event for e in Outbox(path).pending()] == [event("A"), event("B")]


def test_an_outbox_that_cannot_be_written_is_unrecorded_never_kept(
    receiver: Receiver, tmp_path: Path
) -> None:
    blocker = tmp_path / "outbox.jsonl"
    blocker.mkdir()  # a folder where the file should be: every append fails
    receiver.fail_next = 10  # and the receiver is down
    (outcome,) = emit(sink_for(receiver, blocker), event("A"))
    assert outcome.state is DeliveryState.UNRECORDED
    assert "cannot write outbox" in outcome.error


def test_unusable_outbox_folder_is_refused_up_front(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    settings = {"WEBHOOK_URL": "https://hooks.example.com/x", "WEBHOOK_SECRET": SECRET}
    with pytest.raises(WebhookError, match="cannot create outbox folder"):
        from_env(settings, blocker / "outbox" / "prod.jsonl")


def test_outbox_write_failure_still_returns_an_outcome(receiver: Receiver, tmp_path: Path) -> None:
    outbox = tmp_path / "taken"
    outbox.mkdir()  # a folder where the outbox file should be: every write fails
    [outcome] = emit(sink_for(receiver, outbox), event())
    assert outcome.delivered
    assert "cannot write outbox" in outcome.error
