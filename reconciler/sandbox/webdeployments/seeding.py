"""Seeding settled Web Deployments pairs straight into an app (tests, benchmarks, demos).

Through ``SandboxApp.direct``: the routes' own validation and defaults, but no token, fault,
lag or timer, so each pair is Active and listed at once. A refused body is a ConfigError naming
the pair and the server's message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from reconciler.errors import ConfigError
from reconciler.sandbox.webdeployments.common import CONFIGURATIONS, DEPLOYMENTS

if TYPE_CHECKING:
    from reconciler.sandbox.app import SandboxApp


def seed_pair(
    app: SandboxApp,
    name: str,
    *,
    configuration: Mapping[str, Any] | None = None,
    deployment: Mapping[str, Any] | None = None,
    versions: int = 1,
) -> tuple[str, str]:
    """(configuration id, deployment id): a configuration named ``name`` (its body extended by
    ``configuration``) published ``versions`` times, and a deployment of the same name serving
    the latest version (its body extended by ``deployment``; default ``allowAllDomains``)."""

    def ok(method: str, target: str, body: Any = None) -> dict[str, Any]:
        reply = app.direct(method, target, body)
        if not 200 <= reply.status < 300:
            raise ConfigError(f"sandbox seed pair {name!r}: {reply.payload['message']}")
        return dict(reply.payload)

    config_id = str(ok("POST", CONFIGURATIONS, {"name": name, **(configuration or {})})["id"])
    latest = ""
    for _ in range(versions):
        latest = ok("POST", f"{CONFIGURATIONS}/{config_id}/versions/draft/publish")["version"]
    if not latest:
        raise ConfigError(f"sandbox seed pair {name!r}: versions must be >= 1")
    body = {
        "name": name,
        "allowAllDomains": True,
        "configuration": {"id": config_id, "version": latest},
        **(deployment or {}),
    }
    return config_id, str(ok("POST", DEPLOYMENTS, body)["id"])
