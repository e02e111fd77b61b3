"""The sandbox emulator of the APIs the reconciler manages: the tutorial's channels API
and the Web Deployments API with flows and supported content (docs/api-notes.md).

One pure handler (``SandboxApp.handle``) does the shared work in memory: OAuth client
credentials, rate-limit headers and 429, correlation ids, JSON error bodies and seedable fault
injection; then it routes by path to one module per kind (``routing.py`` says how to add one,
``registry.py`` lists them): ``channels.py``, and ``webdeployments/`` with its behaviours as
knobs on the injected clock (``WebDeploymentKnobs``). It is mounted in-process as an httpx
transport (``SandboxTransport``) or served over real HTTP on loopback (``serve_in_thread``, and
the ``reconciler sandbox serve`` command). ``SandboxState`` persists the org, per kind, in a
file.
"""

from __future__ import annotations

from reconciler.sandbox.app import SandboxApp, SandboxStats
from reconciler.sandbox.config import (
    SCRIPT_ENTRIES,
    TOKEN_SCRIPT_ENTRIES,
    FaultPlan,
    SandboxConfig,
)
from reconciler.sandbox.server import SandboxServer, serve_in_thread
from reconciler.sandbox.state import DEFAULT_STATE_PATH, SandboxState
from reconciler.sandbox.transport import SandboxTransport
from reconciler.sandbox.webdeployments.knobs import WebDeploymentKnobs
from reconciler.sandbox.wire import MAX_BODY_BYTES, SandboxRequest, SandboxResponse

__all__ = [
    "DEFAULT_STATE_PATH",
    "MAX_BODY_BYTES",
    "SCRIPT_ENTRIES",
    "TOKEN_SCRIPT_ENTRIES",
    "FaultPlan",
    "SandboxApp",
    "SandboxConfig",
    "SandboxRequest",
    "SandboxResponse",
    "SandboxServer",
    "SandboxState",
    "SandboxStats",
    "SandboxTransport",
    "WebDeploymentKnobs",
    "serve_in_thread",
]
