"""Webhook delivery: URL rules, signed HTTP delivery with retries, the outbox and the sink.

The event model and signing are in ``reconciler.events``; this package does the I/O.
"""

from __future__ import annotations

from reconciler.webhooks.delivery import DeliveryOutcome, DeliveryState, RetryPolicy
from reconciler.webhooks.outbox import Outbox, OutboxEntry
from reconciler.webhooks.sink import (
    EventSink,
    NullSink,
    RedeliveryReport,
    WebhookSink,
    default_outbox_path,
    from_env,
    redeliver,
)
from reconciler.webhooks.url import redact_url, validate_webhook_url

__all__ = [
    "DeliveryOutcome",
    "DeliveryState",
    "EventSink",
    "NullSink",
    "Outbox",
    "OutboxEntry",
    "RedeliveryReport",
    "RetryPolicy",
    "WebhookSink",
    "default_outbox_path",
    "from_env",
    "redact_url",
    "redeliver",
    "validate_webhook_url",
]
