"""Events are Standard Webhooks: a receiver using the `standardwebhooks` library accepts them."""

from __future__ import annotations

import base64
import json
import re
import time
from datetime import datetime, timezone
from importlib import resources
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from webhook_receiver import SECRET

from reconciler.errors import WebhookError
from reconciler.events import (
    SCHEMA_VERSION,
    Event,
    EventType,
    WebhookSecret,
    channel_event,
    drift_detected,
    reconcile_completed,
    signed_headers,
    webhook_id_for,
)

NOW = datetime(2026, 11, 24, 18, 0, 0, 123456, tzinfo=timezone.utc)
DIGEST = "sha256:" + "ab" * 32


def provisioned(run_id: str = "run-1", name: str = "Support") -> Event:
    return channel_event(
        EventType.CHANNEL_PROVISIONED,
        run_id=run_id,
        environment="sandbox",
        channel_id="c-1",
        channel_name=name,
        source="channels/support.yaml:1:1",
        now=NOW,
    )


def every_event() -> list[Event]:
    channel = [
        channel_event(
            kind,
            run_id="run-1",
            environment="sandbox",
            channel_id="c-1",
            channel_name="Support",
            source="channels/support.yaml:1:1",
            now=NOW,
            changed_fields=("description",),
        )
        for kind in EventType
        if kind.value.startswith("channel.")
    ]
    completed = reconcile_completed(
        run_id="run-1",
        environment="sandbox",
        plan_digest=DIGEST,
        status="failed",
        attempted=4,
        succeeded=3,
        failed=1,
        counts={"create": 3, "update": 1, "noop": 5},
        duration_ms=1234,
        now=NOW,
        audit_head=DIGEST,
    )
    drift = drift_detected(
        run_id="drift-1",
        environment="sandbox",
        plan_digest=DIGEST,
        counts={"update": 1},
        channels=[{"name": "Support", "action": "update", "channelId": "c-1"}],
        now=NOW,
    )
    return [*channel, completed, drift]


def event_schema() -> dict[str, Any]:
    text = resources.files("reconciler").joinpath("schemas/event.schema.json").read_text()
    return dict(json.loads(text))


def test_library_receiver_verifies_our_signature() -> None:
    event = provisioned()
    headers = signed_headers(WebhookSecret.parse(SECRET), event, int(time.time()))
    payload = Webhook(SECRET).verify(event.body(), headers)
    assert payload["type"] == "channel.provisioned"
    assert payload["data"]["channelId"] == "c-1"


def test_library_receiver_rejects_another_secret_and_an_edited_body() -> None:
    event = provisioned()
    headers = signed_headers(WebhookSecret.parse(SECRET), event, int(time.time()))
    other = "whsec_" + base64.b64encode(b"z" * 32).decode()
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(event.body(), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(event.body().replace(b"c-1", b"c-2"), headers)


@given(
    key=st.binary(min_size=24, max_size=64),
    msg_id=st.from_regex(r"msg_[0-9a-f]{32}", fullmatch=True),
    timestamp=st.integers(min_value=0, max_value=4_000_000_000),
    body=st.text(),
)
def test_signature_equals_the_reference_implementation(
    key: bytes, msg_id: str, timestamp: int, body: str
) -> None:
    secret_text = "whsec_" + base64.b64encode(key).decode()
    ours = WebhookSecret.parse(secret_text).sign(msg_id, timestamp, body.encode())
    reference = Webhook(secret_text).sign(
        msg_id, datetime.fromtimestamp(timestamp, tz=timezone.utc), body
    )
    assert ours == reference


def test_headers_and_body_have_the_spec_shape() -> None:
    event = provisioned()
    headers = signed_headers(WebhookSecret.parse(SECRET), event, 1_764_000_000)
    assert re.fullmatch(r"msg_[0-9a-f]{32}", headers["webhook-id"])
    assert headers["webhook-timestamp"] == "1764000000"
    assert re.fullmatch(r"v1,[A-Za-z0-9+/]{43}=", headers["webhook-signature"])
    body = event.body()
    assert b" " not in body.replace(b"Support", b"")  # compact JSON
    payload = json.loads(body)
    assert list(payload) == ["type", "timestamp", "data"]
    assert payload["timestamp"] == "2026-11-24T18:00:00.123Z"
    assert payload["data"] == {
        "schemaVersion": SCHEMA_VERSION,
        "channelId": "c-1",
        "channelName": "Support",
        "environment": "sandbox",
        "runId": "run-1",
        "source": "channels/support.yaml:1:1",
    }


def test_webhook_id_is_stable_per_event_and_unique_across_events() -> None:
    assert provisioned().webhook_id == provisioned().webhook_id
    assert provisioned("run-1", "Support").webhook_id == provisioned("run-1", "SUPPORT").webhook_id
    ids = {provisioned("run-1").webhook_id, provisioned("run-2").webhook_id}
    ids |= {provisioned("run-1", "Sales").webhook_id}
    ids |= {webhook_id_for("run-1", kind, "support") for kind in EventType}
    assert len(ids) == 3 + len(EventType) - 1  # provisioned/run-1/support is counted once


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0", "must have the form whsec_<base64>"),
        ("whsec_not*base64!", "not valid base64"),
        ("whsec_" + base64.b64encode(b"short").decode(), "decodes to 5"),
        ("whsec_" + base64.b64encode(b"x" * 65).decode(), "decodes to 65"),
        ("whsec_", "decodes to 0"),
    ],
)
def test_malformed_secret_is_a_clear_error_without_the_secret(text: str, expected: str) -> None:
    with pytest.raises(WebhookError) as info:
        WebhookSecret.parse(text)
    message = str(info.value)
    assert expected in message
    assert "WEBHOOK_SECRET" in message
    payload = text.removeprefix("whsec_")
    assert not payload or payload not in message


def test_secret_never_shows_in_repr() -> None:
    secret = WebhookSecret.parse(SECRET)
    key_b64 = SECRET.removeprefix("whsec_")
    assert key_b64 not in repr(secret)
    assert "kkkk" not in repr(secret)
    assert key_b64 not in str(secret)


def test_unpadded_secret_is_accepted_like_the_library_does() -> None:
    unpadded = SECRET.rstrip("=")
    event = provisioned()
    headers = signed_headers(WebhookSecret.parse(unpadded), event, int(time.time()))
    Webhook(SECRET).verify(event.body(), headers)


@pytest.mark.parametrize("event", every_event(), ids=lambda e: e.type.value)
def test_every_event_matches_the_published_schema(event: Event) -> None:
    jsonschema.Draft202012Validator(
        event_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(event.payload())


def test_schema_rejects_a_payload_missing_a_required_field() -> None:
    payload = provisioned().payload()
    del payload["data"]["channelId"]
    validator = jsonschema.Draft202012Validator(event_schema())
    assert not validator.is_valid(payload)
    payload = provisioned().payload()
    payload["type"] = "channel.renamed"
    assert not validator.is_valid(payload)


def test_schema_is_valid_draft_2020_12() -> None:
    schema = event_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_schema_covers_every_event_type() -> None:
    refs = {ref["$ref"].rsplit("/", 1)[1] for ref in event_schema()["oneOf"]}
    assert refs == {kind.value for kind in EventType}


def test_success_rate_is_per_action_and_null_when_nothing_was_attempted() -> None:
    completed = every_event()[-2]
    assert completed.data["successRate"] == 0.75
    empty = reconcile_completed(
        run_id="r",
        environment="sandbox",
        plan_digest=DIGEST,
        status="succeeded",
        attempted=0,
        succeeded=0,
        failed=0,
        counts={"noop": 3},
        duration_ms=5,
        now=NOW,
    )
    assert empty.data["successRate"] is None
    jsonschema.Draft202012Validator(event_schema()).validate(empty.payload())


def test_outbox_form_round_trips_and_rejects_junk() -> None:
    for event in every_event():
        assert Event.from_json(json.loads(json.dumps(event.to_json()))) == event
    with pytest.raises(WebhookError, match="unknown event type"):
        Event.from_json({"webhookId": "m", "type": "x.y", "timestamp": "t", "data": {}})
    with pytest.raises(WebhookError, match="'data'"):
        Event.from_json({"webhookId": "m", "type": "drift.detected", "timestamp": "t"})
