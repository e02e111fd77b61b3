"""Helpers of the least-privilege and ``doctor`` tests: the emulator on 127.0.0.1 in any
variant, with every request it answered recorded, and spec files.

A uniquely named module (not conftest) so the test modules import it by name.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox import (
    SandboxApp,
    SandboxConfig,
    SandboxRequest,
    SandboxResponse,
    WebDeploymentKnobs,
    serve_in_thread,
)

CREDENTIALS = ("cid-doctor", "sek-doctor-OKAPI")
CHANNELS_PATH = "/api/v2/webmessaging/channels"
#: Every timer at 0: objects are Active at once (the variants differ in switches, not time).
INSTANT = WebDeploymentKnobs.instant()


class RecordingApp(SandboxApp):
    """The emulator, recording every request's method, path and answer status in order."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.log: list[tuple[str, str, int]] = []
        self._log_lock = threading.Lock()

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        response = super().handle(request)
        with self._log_lock:
            self.log.append((request.method, request.path, response.status))
        return response

    def requests_to(self, prefix: str) -> list[tuple[str, str, int]]:
        with self._log_lock:
            return [entry for entry in self.log if entry[1].startswith(prefix)]

    def templates(self) -> set[str]:
        """The ``METHOD template`` of every API request answered (token requests left out)."""
        return {key for key in self.stats.requests if " /api/" in key}


@contextlib.contextmanager
def served(
    monkeypatch: pytest.MonkeyPatch,
    *,
    knobs: WebDeploymentKnobs = INSTANT,
    channels_api: bool = True,
    denied: frozenset[str] = frozenset(),
    rate_limit_per_minute: int = 0,
) -> Iterator[RecordingApp]:
    """The emulator on 127.0.0.1, the reconciler pointed at it through its environment."""
    config = SandboxConfig(
        credentials=CREDENTIALS,
        seed=19,
        rate_limit_per_minute=rate_limit_per_minute,
        webdeployments=knobs,
        channels_api=channels_api,
        denied_permissions=denied,
    )
    app = RecordingApp(config)
    with serve_in_thread(app) as server:
        monkeypatch.setenv("GENESYS_API_URL", server.url)
        monkeypatch.setenv("GENESYS_LOGIN_URL", server.url)
        yield app


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def web_spec(name: str, *, flow: str = "{name: Sales Inbound Message}", extra: str = "") -> str:
    return (
        "kind: webDeployment\n"
        f"name: {name}\n"
        "configuration:\n"
        "  languages: [en-us]\n"
        "  defaultLanguage: en-us\n"
        "  messenger: {enabled: true}\n"
        "deployment:\n"
        "  allowAllDomains: true\n"
        f"  flow: {flow}\n"
        f"{extra}"
    )


CHANNEL_SPEC = """\
name: {name}
webMessagingWidgetConfiguration: {{widgetId: w-1, theme: default}}
securityPolicy: {{enabled: false, allowedOrigins: [], requireConsent: false}}
routingConfiguration: {{queueId: q-1}}
"""
