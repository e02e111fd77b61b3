"""Opening a backend from settings: a real org over the network, or the embedded sandbox.

With ``settings.is_sandbox`` the emulator runs in-process (``SandboxTransport``, base URL
``http://sandbox.localhost``, built-in credentials, no socket), its org loaded from and saved
back to a state file, so separate ``--sandbox`` runs see one org. The same client code runs in
both cases; only the transport differs.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import httpx

from reconciler.genesys.client import GenesysBackend
from reconciler.genesys.settings import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    Settings,
    resolve_settings,
)

if TYPE_CHECKING:
    from reconciler.sandbox import SandboxState

#: Where ``--sandbox`` keeps its org between runs (``reconciler.sandbox`` says the same; kept
#: here too so that opening a real org never imports the emulator).
DEFAULT_STATE_PATH = Path(".reconciler") / "sandbox.json"
#: How much faster than the contract's timings the embedded sandbox's objects turn Active.
SANDBOX_TIME_SCALE = 0.05


class SandboxFlag(Protocol):
    """What ``settings_from_cli`` reads of ``reconciler.cli.app.GlobalOptions`` (a protocol,
    so this module never imports the CLI, which imports it)."""

    @property
    def sandbox(self) -> bool: ...


def settings_from_cli(global_opts: SandboxFlag, env: Mapping[str, str] | None = None) -> Settings:
    """Settings for a command: ``--sandbox`` is the same as ``GENESYS_ENVIRONMENT=sandbox``;
    ``env`` defaults to ``os.environ``."""
    return resolve_settings(os.environ if env is None else env, sandbox=global_opts.sandbox)


@asynccontextmanager
async def open_backend(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
    sandbox_state_path: str | os.PathLike[str] = DEFAULT_STATE_PATH,
    read_only: bool = False,
) -> AsyncIterator[GenesysBackend]:
    """The backend for ``settings``, closed (and the sandbox state saved) on exit, error or not.

    ``transport`` replaces the network for a real org (tests); the sandbox brings its own.
    ``read_only`` (plan, drift): the sandbox state is loaded without re-checking every stored
    body, and saved only if a request changed it.
    """
    if not settings.is_sandbox:
        client = GenesysBackend(settings, transport=transport, clock=clock, sleep=sleep)
        try:
            yield client
        finally:
            await client.aclose()
        return
    from reconciler.sandbox import SandboxApp, SandboxConfig, SandboxState, SandboxTransport
    from reconciler.sandbox.webdeployments.knobs import WebDeploymentKnobs

    path = Path(sandbox_state_path)
    app = SandboxApp(
        SandboxConfig(
            credentials=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET),
            # The contract's timings (a deployment Pending for 12 s) at a twentieth: every
            # wait still happens, so trying the tool shows real behaviour, in seconds.
            webdeployments=WebDeploymentKnobs().scaled(SANDBOX_TIME_SCALE),
        ),
        SandboxState.load(path, check_bodies=not read_only),
        clock=clock or time.monotonic,
    )
    loaded = _versions(app.state) if read_only else {}
    client = GenesysBackend(
        settings,
        transport=SandboxTransport(app, sleep=sleep or asyncio.sleep),
        clock=clock,
        sleep=sleep,
    )
    try:
        yield client
    finally:
        try:
            await client.aclose()
        finally:
            if not read_only or _versions(app.state) != loaded:
                app.state.save(path)


def _versions(state: SandboxState) -> dict[tuple[str, str], object]:
    """What a write changes: the set of ids of every kind, and each object's version or date
    of modification (bumped by updates)."""
    return {
        (kind, key): (obj.get("version"), obj.get("dateModified"))
        for kind, objects in state.kinds.items()
        for key, obj in objects.items()
    }
