"""A valid channel document to start test inputs from (shared by the tests in this folder)."""

from __future__ import annotations

VALID_CHANNEL = """\
name: Support
description: Customer support chat
webMessagingWidgetConfiguration:
  widgetId: widget-1
  theme: default
  customAttributes:
    team: support
securityPolicy:
  enabled: true
  allowedOrigins:
    - https://www.example.com
    - http://localhost:8080
  requireConsent: true
routingConfiguration:
  queueId: queue-1
"""


def channel(name: str = "Support") -> str:
    return VALID_CHANNEL.replace("name: Support", f"name: {name}", 1)
