"""Helpers for the sandbox tests: a fake clock, a fixed wall clock and a tiny client that
calls the pure handler directly (no httpx, no sockets)."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from typing import Any

from reconciler.sandbox import SandboxApp, SandboxRequest, SandboxResponse

COLLECTION = "/api/v2/webmessaging/channels"
WALL = datetime(2026, 3, 4, 5, 6, 7, 891000, tzinfo=timezone.utc)


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def channel_body(name: str = "Support", **overrides: Any) -> dict[str, Any]:
    """A valid create body touching every field of a channel."""
    body: dict[str, Any] = {
        "name": name,
        "description": "Help for customers",
        "webMessagingWidgetConfiguration": {
            "widgetId": "widget-1",
            "theme": "default",
            "customAttributes": {"team": "support"},
        },
        "securityPolicy": {
            "enabled": True,
            "allowedOrigins": ["https://www.example.com", "http://localhost:8080"],
            "requireConsent": True,
        },
        "routingConfiguration": {"queueId": "queue-1"},
    }
    body.update(overrides)
    return body


class Api:
    """Calls ``app.handle`` the way an HTTP client would."""

    def __init__(self, app: SandboxApp, *, login: bool = True) -> None:
        self.app = app
        self.token = self.login() if login else ""

    def login(self, auth: str | None = None, form: bytes = b"grant_type=client_credentials") -> str:
        response = self.token_request(auth or basic("client", "s3cr3t"), form)
        assert response.status == 200, response.body
        return str(response.json()["access_token"])

    def token_request(self, auth: str | None, form: bytes) -> SandboxResponse:
        headers = {"content-type": "application/x-www-form-urlencoded"}
        if auth is not None:
            headers["authorization"] = auth
        return self.app.handle(
            SandboxRequest.build("POST", "/oauth/token", headers=headers, body=form)
        )

    def call(
        self,
        method: str,
        target: str,
        *,
        json_body: Any = None,
        body: bytes | None = None,
        token: str | None = "",
    ) -> SandboxResponse:
        headers: dict[str, str] = {}
        bearer = self.token if token == "" else token
        if bearer is not None:
            headers["authorization"] = f"Bearer {bearer}"
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["content-type"] = "application/json"
        return self.app.handle(
            SandboxRequest.build(method, target, headers=headers, body=body or b"")
        )

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        response = self.call("POST", COLLECTION, json_body=body)
        assert response.status == 200, response.body
        return dict(response.json())

    def listing(self, query: str = "") -> dict[str, Any]:
        response = self.call("GET", f"{COLLECTION}{query}")
        assert response.status == 200, response.body
        return dict(response.json())
