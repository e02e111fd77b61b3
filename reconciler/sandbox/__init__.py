"""The sandbox emulator of the channels API (contract: ``api-contract.md``).

One pure handler (``SandboxApp.handle``) implements the whole contract in memory: OAuth client
credentials, listing with paging and ``name=``, create/get/update/delete, server-side
validation, duplicate names and version conflicts, 413, rate-limit headers and 429,
correlation ids, and seedable fault injection. It is mounted in-process as an httpx transport
(``SandboxTransport``) or served over real HTTP on loopback (``serve_in_thread``, and the
``reconciler sandbox serve`` command). ``SandboxState`` persists the org in a file.
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
    "serve_in_thread",
]
