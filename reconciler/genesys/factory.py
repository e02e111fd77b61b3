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
from typing import Protocol

import httpx

from reconciler.genesys.client import GenesysChannelsClient
from reconciler.genesys.settings import (
    SANDBOX_CLIENT_ID,
    SANDBOX_CLIENT_SECRET,
    Settings,
    resolve_settings,
)
from reconciler.sandbox import (
    DEFAULT_STATE_PATH,
    SandboxApp,
    SandboxConfig,
    SandboxState,
    SandboxTransport,
)


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
) -> AsyncIterator[GenesysChannelsClient]:
    """The backend for ``settings``, closed (and the sandbox state saved) on exit, error or not.

    ``transport`` replaces the network for a real org (tests); the sandbox brings its own.
    ``read_only`` (plan, drift): the sandbox state is loaded without re-checking every stored
    body, and saved only if a request changed it.
    """
    if not settings.is_sandbox:
        client = GenesysChannelsClient(settings, transport=transport, clock=clock, sleep=sleep)
        try:
            yield client
        finally:
            await client.aclose()
        return
    path = Path(sandbox_state_path)
    app = SandboxApp(
        SandboxConfig(credentials=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET)),
        SandboxState.load(path, check_bodies=not read_only),
        clock=clock or time.monotonic,
    )
    loaded = _versions(app.state) if read_only else {}
    client = GenesysChannelsClient(
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


def _versions(state: SandboxState) -> dict[str, object]:
    """What a write changes: the set of ids, and each channel's version (bumped by updates)."""
    return {key: channel.get("version") for key, channel in state.channels.items()}
