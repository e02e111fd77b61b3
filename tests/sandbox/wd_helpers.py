"""Helpers for the Web Deployments emulator tests: paths, bodies and an Api with shortcuts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from reconciler.sandbox import WebDeploymentKnobs

from .helpers import Api

CONFIGS = "/api/v2/webdeployments/configurations"
DEPLOYMENTS = "/api/v2/webdeployments/deployments"
FLOWS = "/api/v2/flows"
SUPPORTED = "/api/v2/conversations/messaging/supportedcontent"


def config_body(name: str = "Sales EU", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "description": "Pre-sales questions",
        "languages": ["en-us", "de"],
        "defaultLanguage": "en-us",
        "messenger": {
            "enabled": True,
            "styles": {"primaryColor": "#0D6EFD"},
            "launcherButton": {"visibility": "On"},
        },
        "position": {"alignment": "Right", "sideSpace": 20, "bottomSpace": 12},
    }
    body.update(overrides)
    return body


class WdApi(Api):
    """An Api with the Web Deployments calls a test repeats."""

    def ok(self, method: str, target: str, body: Any = None) -> Any:
        response = self.call(method, target, json_body=body)
        assert 200 <= response.status < 300, (response.status, response.body)
        return response.json() if response.body else None

    def create_config(self, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return dict(self.ok("POST", CONFIGS, body or config_body()))

    def publish(self, config_id: str) -> dict[str, Any]:
        return dict(self.ok("POST", f"{CONFIGS}/{config_id}/versions/draft/publish"))

    def draft(self, config_id: str) -> dict[str, Any]:
        return dict(self.ok("GET", f"{CONFIGS}/{config_id}/versions/draft"))

    def flow_id(self, name: str) -> str:
        query = urlencode({"type": "inboundshortmessage", "name": name})
        listing = self.ok("GET", f"{FLOWS}?{query}")
        (flow,) = [f for f in listing["entities"] if f["name"] == name]
        return str(flow["id"])

    def published_pair(self, name: str = "Sales EU", **deployment: Any) -> tuple[str, str]:
        """(configuration id, deployment id) of a configuration published as "1" and a
        deployment serving it (timers must be instant, or the clock moved by the test)."""
        config_id = self.create_config(config_body(name))["id"]
        self.publish(config_id)
        body = {
            "name": name,
            "configuration": {"id": config_id, "version": "1"},
            "allowedDomains": ["shop.example.eu"],
            **deployment,
        }
        return config_id, str(self.ok("POST", DEPLOYMENTS, body)["id"])


def make_wd(make_api: Callable[..., Api], knobs: WebDeploymentKnobs, **config: Any) -> WdApi:
    api = make_api(webdeployments=knobs, **config)
    return WdApi(api.app)


def after_of(uri: str) -> str:
    """The ``after`` cursor of a page link, or ""."""
    return parse_qs(urlsplit(uri).query).get("after", [""])[0]
