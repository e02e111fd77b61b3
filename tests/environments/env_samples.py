"""Spec and environment texts shared by the environment tests."""

from __future__ import annotations

from pathlib import Path


def channel(name: str = "Support", queue: str = "queue-1", extra: str = "") -> str:
    return (
        f"{extra}"
        f"name: {name}\n"
        "description: Customer support chat\n"
        "webMessagingWidgetConfiguration:\n"
        "  widgetId: widget-1\n"
        "  theme: default\n"
        "securityPolicy:\n"
        "  enabled: true\n"
        "  allowedOrigins:\n"
        "    - https://www.example.com\n"
        "  requireConsent: true\n"
        "routingConfiguration:\n"
        f"  queueId: {queue}\n"
    )


def write_env(root: Path, name: str, text: str) -> Path:
    folder = root / "environments"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


DEV = """\
region: sandbox
owner: team-dev
variables:
  queue: dev-queue-1
  origin: https://dev.example.com
"""

PROD = """\
region: eu-west-1
owner: team-prod
variables:
  queue: prod-queue-9
  origin: https://www.example.com
"""
