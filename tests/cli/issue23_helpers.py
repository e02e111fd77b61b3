"""A sandbox served on 127.0.0.1 in a thread, for CLI runs that read what a user sees."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import serve_sandbox, use_credentials

from reconciler.sandbox import SandboxApp, SandboxState
from reconciler.sandbox.webdeployments.knobs import WebDeploymentKnobs

CHANNEL = """\
name: {name}
webMessagingWidgetConfiguration: {{widgetId: w-1, theme: default}}
securityPolicy: {{enabled: false, allowedOrigins: [], requireConsent: false}}
routingConfiguration: {{queueId: q-1}}
"""

WEB = """\
kind: webDeployment
name: {name}
deployment:
  allowedDomains: [www.example.com]
  flow: {{name: Sales Inbound Message}}
"""


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@contextlib.contextmanager
def served(
    monkeypatch: pytest.MonkeyPatch,
    *,
    state: SandboxState | None = None,
    knobs: WebDeploymentKnobs | None = None,
    **config: Any,
) -> Iterator[SandboxApp]:
    """The sandbox over a real socket, its timers instant unless ``knobs`` says otherwise."""
    config.setdefault("rate_limit_per_minute", 6000)
    use_credentials(monkeypatch)
    with serve_sandbox(
        monkeypatch,
        state,
        seed=23,
        webdeployments=knobs or WebDeploymentKnobs.instant(),
        **config,
    ) as app:
        yield app
