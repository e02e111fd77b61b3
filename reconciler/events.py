"""Webhook events: the payload model and Standard Webhooks signing.

Pure: no I/O, no clock (callers pass ``now`` and the attempt's unix timestamp). Delivery, the
outbox and the sink that ties them together live in ``reconciler.webhooks``.

Wire format (https://www.standardwebhooks.com, documented in ``schemas/event.schema.json``):

- body: compact JSON ``{"type", "timestamp", "data"}``; ``data.schemaVersion`` carries
  ``SCHEMA_VERSION`` so the top level stays exactly the spec's three fields;
- ``webhook-id``: ``msg_`` + 32 hex digits derived from the change itself: for a ``channel.*``
  event the type, the object's kind, id and revision (``change_event_id``), so the same change
  reported twice (a run that recovers a killed run's write, a redelivery) carries one id and
  receivers deduplicate it; for run-level events (run id, type);
- ``webhook-timestamp``: unix seconds of the attempt (new on every attempt);
- ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`` keyed by the
  base64-decoded part of a ``whsec_<base64>`` secret.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from reconciler.errors import WebhookError

#: Version of the ``data`` layouts in ``schemas/event.schema.json``; bump on a breaking change.
SCHEMA_VERSION = 1

SECRET_PREFIX = "whsec_"  # noqa: S105  (a prefix, not a password)
#: The spec's bounds for an HMAC key: at least 24 bytes (192 bits), at most 64 (512 bits).
MIN_SECRET_BYTES = 24
MAX_SECRET_BYTES = 64


class EventType(str, enum.Enum):
    """Every event the reconciler sends; the value is the wire ``type``."""

    CHANNEL_PROVISIONED = "channel.provisioned"
    CHANNEL_UPDATED = "channel.updated"
    CHANNEL_DELETED = "channel.deleted"
    CHANNEL_ADOPTED = "channel.adopted"
    RECONCILE_COMPLETED = "reconcile.completed"
    DRIFT_DETECTED = "drift.detected"


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """One webhook event, unsigned: what the outbox stores and what is signed on each attempt."""

    webhook_id: str
    type: EventType
    timestamp: str
    data: Mapping[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        return {"type": self.type.value, "timestamp": self.timestamp, "data": dict(self.data)}

    def body(self) -> bytes:
        """The exact bytes sent and signed: compact JSON, UTF-8, key order as built."""
        return json.dumps(self.payload(), separators=(",", ":"), ensure_ascii=False).encode()

    def to_json(self) -> dict[str, Any]:
        """The outbox form: the id plus the payload, never a signature or a secret."""
        return {"webhookId": self.webhook_id, **self.payload()}

    @classmethod
    def from_json(cls, value: Any) -> Event:
        """Inverse of ``to_json``; WebhookError (naming the field) on anything else."""
        if not isinstance(value, dict):
            raise WebhookError("event is not a JSON object")
        for key in ("webhookId", "type", "timestamp"):
            if not isinstance(value.get(key), str):
                raise WebhookError(f"event field {key!r} is missing or not a string")
        if not isinstance(value.get("data"), dict):
            raise WebhookError("event field 'data' is missing or not an object")
        try:
            kind = EventType(value["type"])
        except ValueError:
            raise WebhookError(f"unknown event type {value['type']!r}") from None
        return cls(
            webhook_id=value["webhookId"],
            type=kind,
            timestamp=value["timestamp"],
            data=value["data"],
        )


def webhook_id_for(run_id: str, kind: EventType, key: str) -> str:
    """A stable id: the same run, type and key (a channel name) always give the same id."""
    digest = hashlib.sha256(f"{run_id}\x00{kind.value}\x00{key}".encode()).hexdigest()
    return f"msg_{digest[:32]}"


def change_event_id(kind: EventType, resource_kind: str, object_id: str, revision: str) -> str:
    """The id of the event that reports one change: the same object at the same revision
    (after a create or update; before a delete) always gives the same id, whichever run
    reports it."""
    key = f"{resource_kind}\x00{object_id}\x00{revision}"
    return webhook_id_for("change", kind, key)


def format_timestamp(now: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, as the spec's examples write it."""
    if now.tzinfo is None:
        raise ValueError("event timestamps must be timezone-aware")
    text = now.astimezone(timezone.utc).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def make_event(
    kind: EventType, *, run_id: str, key: str, now: datetime, data: Mapping[str, Any]
) -> Event:
    """Build an event; ``data`` gets ``schemaVersion`` first, then the caller's fields."""
    return Event(
        webhook_id=webhook_id_for(run_id, kind, key),
        type=kind,
        timestamp=format_timestamp(now),
        data={"schemaVersion": SCHEMA_VERSION, **data},
    )


def channel_event(
    kind: EventType,
    *,
    run_id: str,
    environment: str,
    channel_id: str,
    channel_name: str,
    source: str,
    now: datetime,
    changed_fields: tuple[str, ...] = (),
    resource_kind: str = "channel",
    details: Mapping[str, Any] | None = None,
    revision: str | None = None,
    impacts: Sequence[Mapping[str, str]] = (),
) -> Event:
    """One of the four ``channel.*`` events, for an object of any kind.

    With ``revision`` (the object's revision after the write; for a delete, the one deleted)
    the webhook id comes from the change (``change_event_id``), else from the run.

    ``source`` is where the spec lives (``channels/web.yaml:3:1``; empty for a delete).
    ``changed_fields`` lists the changed top-level or dotted paths; only ``channel.updated``
    carries it. An object of another kind than ``channel`` adds ``kind`` and its ``details``
    (a web deployment's ids and served version). ``impacts`` (``{code, message}`` each) are
    what the change did to live customers, as the plan named them; absent when none.
    """
    if not kind.value.startswith("channel."):
        raise ValueError(f"{kind.value} is not a channel event")
    data: dict[str, Any] = {
        "channelId": channel_id,
        "channelName": channel_name,
        "environment": environment,
        "runId": run_id,
        "source": source,
    }
    if kind is EventType.CHANNEL_UPDATED:
        data["changedFields"] = list(changed_fields)
    key = channel_name.casefold()
    if resource_kind != "channel":
        data["kind"] = resource_kind
        data["details"] = dict(details or {})
        key = f"{resource_kind}:{key}"
    if impacts:
        data["impacts"] = [{"code": i["code"], "message": i["message"]} for i in impacts]
    event = make_event(kind, run_id=run_id, key=key, now=now, data=data)
    if revision is None:
        return event
    return Event(
        webhook_id=change_event_id(kind, resource_kind, channel_id, revision),
        type=event.type,
        timestamp=event.timestamp,
        data=event.data,
    )


def success_rate(succeeded: int, attempted: int) -> float | None:
    """Succeeded actions / attempted actions; None when nothing was attempted (no 0/0)."""
    return None if attempted == 0 else succeeded / attempted


def reconcile_completed(
    *,
    run_id: str,
    environment: str,
    plan_digest: str,
    status: str,
    attempted: int,
    succeeded: int,
    failed: int,
    counts: Mapping[str, int],
    duration_ms: int,
    now: datetime,
    audit_head: str = "",
) -> Event:
    """The run summary. ``status`` is ``succeeded``, ``failed`` or ``interrupted``;
    ``counts`` maps action kinds (create, update, ...) to how many the plan held;
    ``audit_head`` is the sha256 of the audit log's last line, anchoring it outside the file."""
    data: dict[str, Any] = {
        "runId": run_id,
        "environment": environment,
        "planDigest": plan_digest,
        "status": status,
        "attempted": attempted,
        "succeeded": succeeded,
        "failed": failed,
        "successRate": success_rate(succeeded, attempted),
        "counts": dict(counts),
        "durationMs": duration_ms,
    }
    if audit_head:
        data["auditHead"] = audit_head
    return make_event(EventType.RECONCILE_COMPLETED, run_id=run_id, key="", now=now, data=data)


def drift_detected(
    *,
    run_id: str,
    environment: str,
    plan_digest: str,
    counts: Mapping[str, int],
    channels: list[Mapping[str, str]],
    now: datetime,
) -> Event:
    """Drift between specs and the org; ``channels`` items hold ``name``, ``action`` and,
    for channels that exist, ``channelId``."""
    data = {
        "runId": run_id,
        "environment": environment,
        "planDigest": plan_digest,
        "counts": dict(counts),
        "channels": [dict(item) for item in channels],
    }
    return make_event(EventType.DRIFT_DETECTED, run_id=run_id, key="", now=now, data=data)


class WebhookSecret:
    """The HMAC key from a ``whsec_<base64>`` secret; its repr and str never show the key."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def parse(cls, text: str, *, name: str = "WEBHOOK_SECRET") -> WebhookSecret:
        """Check the form and size; errors name the variable, never echo its value."""
        text = text.strip()
        if not text.startswith(SECRET_PREFIX):
            raise WebhookError(f"{name} must have the form whsec_<base64>")
        encoded = text[len(SECRET_PREFIX) :]
        try:
            key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise WebhookError(f"{name} is not valid base64 after the whsec_ prefix") from None
        if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
            raise WebhookError(
                f"{name} must decode to {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes "
                f"(it decodes to {len(key)})"
            )
        return cls(key)

    def sign(self, webhook_id: str, timestamp: int, body: bytes) -> str:
        """``v1,<base64 HMAC-SHA256>`` over ``{id}.{timestamp}.{body}``."""
        message = f"{webhook_id}.{timestamp}.".encode() + body
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return "v1," + base64.b64encode(digest).decode("ascii")

    def __repr__(self) -> str:
        return "WebhookSecret(<redacted>)"

    __str__ = __repr__


def signed_headers(secret: WebhookSecret, event: Event, timestamp: int) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt at ``timestamp`` (unix seconds)."""
    return {
        "webhook-id": event.webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": secret.sign(event.webhook_id, timestamp, event.body()),
    }
