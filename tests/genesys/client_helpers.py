"""Helpers of the client tests: a fake clock whose sleep moves time, settings with distinctive
fake secrets, channel bodies, and the emulator on the fake clock. (A module with a unique
name, not conftest.py, so ``from client_helpers import ...`` never finds another folder's.)"""

from __future__ import annotations

from collections.abc import Callable

from fakes import FakeClock, as_stored

from reconciler.genesys.client import GenesysBackend
from reconciler.genesys.settings import Settings, resolve_settings
from reconciler.sandbox import SandboxApp, SandboxConfig, SandboxState, SandboxTransport

__all__ = ["FakeClock"]

FAKE_CLIENT_ID = "cid-QUOKKA-7731"
FAKE_SECRET = "sek-PANGOLIN-9f3e2a"  # distinctive, so a scan can find any leak


def make_settings(**overrides: object) -> Settings:
    env = {
        "GENESYS_CLIENT_ID": FAKE_CLIENT_ID,
        "GENESYS_CLIENT_SECRET": FAKE_SECRET,
        "GENESYS_API_URL": "http://127.0.0.1:9",
        "GENESYS_LOGIN_URL": "http://127.0.0.1:9",
    }
    return resolve_settings(env, **overrides)  # type: ignore[arg-type]


ClientFactory = Callable[..., GenesysBackend]


def channel_body(name: str, **changes: object) -> dict[str, object]:
    """A valid channel create body."""
    body: dict[str, object] = {
        "name": name,
        "description": "Support chat",
        "webMessagingWidgetConfiguration": {
            "widgetId": "widget-1",
            "theme": "default",
            "customAttributes": {"x-managed-by": "tests"},
        },
        "securityPolicy": {
            "enabled": True,
            "allowedOrigins": ["https://www.example.com"],
            "requireConsent": True,
        },
        "routingConfiguration": {"queueId": "queue-1"},
    }
    body.update(changes)
    return body


def stored_channel(index: int) -> dict[str, object]:
    """A channel as the sandbox stores it; building state from these is fast for big orgs."""
    return as_stored(f"00000000-0000-4000-8000-{index:012d}", channel_body(f"channel-{index:05d}"))


def sandbox_app(clock: FakeClock, channels: int = 0, **config: object) -> SandboxApp:
    """An emulator on the fake clock that accepts only the fake credentials."""
    return SandboxApp(
        SandboxConfig(credentials=(FAKE_CLIENT_ID, FAKE_SECRET), seed=11, **config),  # type: ignore[arg-type]
        SandboxState(stored_channel(i) for i in range(channels)),
        clock=clock,
        wall_clock=clock.wall,
    )


def sandbox_transport(app: SandboxApp, clock: FakeClock) -> SandboxTransport:
    return SandboxTransport(app, sleep=clock.sleep)
