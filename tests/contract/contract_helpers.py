"""Helpers of the contract tests (a uniquely named module, not conftest.py)."""

from __future__ import annotations

from typing import Any

from fakes import as_stored

FAKE_CLIENT_ID = "cid-WOMBAT-4412"
FAKE_SECRET = "sek-AXOLOTL-c0ffee"  # distinctive, so the cassette scan can find any leak


def channel_body(name: str, **changes: Any) -> dict[str, Any]:
    """A valid channel create body."""
    body: dict[str, Any] = {
        "name": name,
        "description": "Support chat",
        "webMessagingWidgetConfiguration": {
            "widgetId": "widget-1",
            "theme": "compact",
            "customAttributes": {"x-managed-by": "contract-tests", "lang": "en"},
        },
        "securityPolicy": {
            "enabled": True,
            "allowedOrigins": ["https://www.example.com", "https://shop.example.com:8443"],
            "requireConsent": True,
        },
        "routingConfiguration": {"queueId": "queue-42"},
    }
    body.update(changes)
    return body


def stored_channel(index: int) -> dict[str, Any]:
    """A channel as the sandbox stores it; building state from these is fast for big orgs."""
    return as_stored(f"00000000-0000-4000-8000-{index:012d}", channel_body(f"seeded-{index:03d}"))
