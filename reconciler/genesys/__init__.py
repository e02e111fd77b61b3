"""The HTTP backend: Genesys Cloud's channels API, or the sandbox emulator, over httpx.

settings.py    environment variables -> Settings (regions, URL overrides, Secret)
auth.py        OAuth client credentials as an httpx.Auth (cached, shared, refresh on 401)
retry.py       which failures repeat (never a POST that may have been applied), backoff
pacing.py      one rate pacer per client, fed by the inin-ratelimit-* headers
transport.py   the wrapper that paces and records every attempt on the wire
responses.py   body checks and error bodies -> typed exceptions
client.py      GenesysChannelsClient (reconciler.backend.ChannelsBackend)
calls.py       record_calls(): the attempts made inside a block, with correlation ids
factory.py     open_backend(settings) and settings_from_cli(global_options)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.genesys.calls import CallRecord, record_calls
    from reconciler.genesys.client import GenesysChannelsClient
    from reconciler.genesys.factory import open_backend, settings_from_cli
    from reconciler.genesys.settings import Secret, Settings, resolve_settings

# Names are imported on first use (PEP 562), so importing ``reconciler.genesys.settings``
# (environment files need its regions) does not load httpx.
_WHERE = {
    "CallRecord": "calls",
    "record_calls": "calls",
    "GenesysChannelsClient": "client",
    "open_backend": "factory",
    "settings_from_cli": "factory",
    "Secret": "settings",
    "Settings": "settings",
    "resolve_settings": "settings",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)


__all__ = [
    "CallRecord",
    "GenesysChannelsClient",
    "Secret",
    "Settings",
    "open_backend",
    "record_calls",
    "resolve_settings",
    "settings_from_cli",
]
