"""A sandbox served on 127.0.0.1 in a thread, for CLI runs that read what a user sees."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox import SandboxApp, SandboxConfig, SandboxState, serve_in_thread
from reconciler.sandbox.webdeployments.knobs import WebDeploymentKnobs

CREDENTIALS = ("cid-issue23", "sek-issue23-PANGOLIN")

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
    app = SandboxApp(
        SandboxConfig(
            credentials=CREDENTIALS,
            seed=23,
            webdeployments=knobs or WebDeploymentKnobs.instant(),
            **config,
        ),
        state,
    )
    with serve_in_thread(app) as server:
        monkeypatch.setenv("GENESYS_API_URL", server.url)
        monkeypatch.setenv("GENESYS_LOGIN_URL", server.url)
        monkeypatch.setenv("GENESYS_CLIENT_ID", CREDENTIALS[0])
        monkeypatch.setenv("GENESYS_CLIENT_SECRET", CREDENTIALS[1])
        monkeypatch.setenv("RECONCILER_RATE_PER_MINUTE", "6000")
        yield app
