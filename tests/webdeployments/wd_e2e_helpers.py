"""Helpers for the ``kind: webDeployment`` end-to-end tests: the emulator served on 127.0.0.1 with
a request log, spec files, and readers of the emulated org.

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
    FaultPlan,
    SandboxApp,
    SandboxConfig,
    SandboxRequest,
    SandboxResponse,
    SandboxState,
    WebDeploymentKnobs,
    serve_in_thread,
)
from reconciler.sandbox.webdeployments.flows import flow_object
from reconciler.sandbox.webdeployments.supported_content import DEFAULT_PROFILE_ID

CREDENTIALS = ("cid-wd-e2e", "sek-wd-e2e-OKAPI")
CONFIGURATIONS = "/api/v2/webdeployments/configurations"
DEPLOYMENTS = "/api/v2/webdeployments/deployments"
CONFIG_KIND = "webDeploymentConfiguration"
DEPLOYMENT_KIND = "webDeployment"
WRITES = ("POST", "PUT", "DELETE")
#: Timers a hundredth of the contract's: drafts Active after 20 ms, deployments after 120 ms.
FAST = WebDeploymentKnobs().scaled(0.01)
SALES_FLOW = flow_object("Sales Inbound Message")["id"]
SUPPORT_FLOW = flow_object("Support Inbound Message")["id"]
OLD_SUPPORT_FLOW = flow_object("Support Inbound Message (old)")["id"]
IMAGES_ONLY = "Images only"
#: How the org behaves where the contract leaves it open, applied over every ``wd_sandbox``'s
#: knobs (set per test by the ``org_variant`` fixture; the contract's answers when empty).
VARIANT: dict[str, object] = {}


class LoggingApp(SandboxApp):
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

    def writes(self) -> list[tuple[str, str, int]]:
        """The write requests (token requests left out), in order."""
        with self._log_lock:
            return [
                entry for entry in self.log if entry[0] in WRITES and entry[1].startswith("/api/")
            ]

    def clear_log(self) -> None:
        with self._log_lock:
            self.log.clear()


@contextlib.contextmanager
def wd_sandbox(
    monkeypatch: pytest.MonkeyPatch,
    *,
    knobs: WebDeploymentKnobs = FAST,
    faults: FaultPlan | None = None,
    listing_lag_seconds: float = 0.0,
    state: SandboxState | None = None,
) -> Iterator[LoggingApp]:
    """The emulator on 127.0.0.1, the reconciler pointed at it through its environment."""
    config = SandboxConfig(
        credentials=CREDENTIALS,
        seed=12,
        rate_limit_per_minute=0,
        listing_lag_seconds=listing_lag_seconds,
        faults=faults or FaultPlan(),
        webdeployments=knobs.replace(**VARIANT),
    )
    app = LoggingApp(config, state)
    with serve_in_thread(app) as server:
        monkeypatch.setenv("GENESYS_API_URL", server.url)
        monkeypatch.setenv("GENESYS_LOGIN_URL", server.url)
        yield app


def spec_text(
    name: str,
    *,
    colour: str = "#0D6EFD",
    domains: tuple[str, ...] = ("shop.example.eu", "shop.example.de"),
    flow: str = "Sales Inbound Message",
    profile: str | None = IMAGES_ONLY,
    description: str | None = None,
    status: str | None = None,
    side_space: int = 20,
) -> str:
    lines = [
        "kind: webDeployment",
        f"name: {name}",
        f"description: {description if description is not None else 'Chat for ' + name}",
        "configuration:",
        "  languages: [en-us, de]",
        "  defaultLanguage: en-us",
        "  messenger:",
        "    enabled: true",
        f'    styles: {{primaryColor: "{colour}"}}',
        '    launcherButton: {visibility: "On"}',
        f"  position: {{alignment: Right, sideSpace: {side_space}, bottomSpace: 12}}",
        "deployment:",
        f"  allowedDomains: [{', '.join(domains)}]",
        f"  flow: {{name: {flow}}}",
    ]
    if profile is not None:
        lines.append(f"  supportedContent: {{name: {profile}}}")
    if status is not None:
        lines.append(f"  status: {status}")
    return "\n".join(lines) + "\n"


def write_spec(root: Path, file_name: str, text: str) -> Path:
    folder = root / "channels"
    folder.mkdir(exist_ok=True)
    path = folder / file_name
    path.write_text(text, encoding="utf-8")
    return path


def configurations(app: SandboxApp) -> list[dict[str, Any]]:
    """The stored configuration records (``{id, draft, versions}``)."""
    return list(app.state.objects(CONFIG_KIND).values())


def deployments(app: SandboxApp) -> list[dict[str, Any]]:
    return list(app.state.objects(DEPLOYMENT_KIND).values())


def configuration_named(app: SandboxApp, name: str) -> dict[str, Any]:
    (record,) = [r for r in configurations(app) if r["draft"]["name"] == name]
    return record


def deployment_named(app: SandboxApp, name: str) -> dict[str, Any]:
    (deployment,) = [d for d in deployments(app) if d["name"] == name]
    return deployment


def served_version(app: SandboxApp, name: str) -> dict[str, Any]:
    """The configuration version the deployment named ``name`` serves."""
    ref = deployment_named(app, name)["configuration"]
    record = app.state.objects(CONFIG_KIND)[ref["id"]]
    (version,) = [v for v in record["versions"] if v["version"] == ref["version"]]
    return dict(version)


def write_count(app: SandboxApp) -> int:
    """Write requests the emulator answered (token requests left out)."""
    return sum(
        count
        for key, count in app.stats.requests.items()
        if key.split(" ", 1)[0] in WRITES and "/oauth/" not in key
    )


def default_profile_id() -> str:
    return DEFAULT_PROFILE_ID


def publish_directly(app: SandboxApp, config_id: str, **draft_changes: Any) -> str:
    """An edit in the admin UI: replace the draft's top-level fields given, publish it; the
    deployment is not moved. Returns the new version number."""
    if draft_changes:
        record = app.state.objects(CONFIG_KIND)[config_id]
        body = {
            k: v
            for k, v in record["draft"].items()
            if k
            not in (
                "id",
                "version",
                "status",
                "selfUri",
                "dateCreated",
                "dateModified",
                "createdUser",
                "lastModifiedUser",
            )
        }
        reply = app.direct(
            "PUT", f"{CONFIGURATIONS}/{config_id}/versions/draft", {**body, **draft_changes}
        )
        assert reply.status == 200, reply.payload
    reply = app.direct("POST", f"{CONFIGURATIONS}/{config_id}/versions/draft/publish")
    assert reply.status == 200, reply.payload
    return str(reply.payload["version"])


def move_directly(app: SandboxApp, deployment_id: str, version: str) -> None:
    """The deployment moved to another version in the admin UI (a full PUT of its fields)."""
    current = app.state.objects(DEPLOYMENT_KIND)[deployment_id]
    body = {
        k: v
        for k, v in current.items()
        if k
        in ("name", "description", "allowAllDomains", "allowedDomains", "flow", "supportedContent")
    }
    body["flow"] = {"id": current["flow"]["id"]} if current.get("flow") else None
    body["supportedContent"] = {"id": current["supportedContent"]["id"]}
    body = {k: v for k, v in body.items() if v is not None}
    body["configuration"] = {"id": current["configuration"]["id"], "version": version}
    reply = app.direct("PUT", f"{DEPLOYMENTS}/{deployment_id}", body)
    assert reply.status == 200, reply.payload
