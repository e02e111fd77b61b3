"""Test doubles shared by several test folders (importable as ``fakes``: pytest puts
``tests/`` on sys.path for its rootdir conftest)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any


class FakeClock:
    """Monotonic time that only ``sleep`` moves; ``slept`` lists every wait."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.slept: list[float] = []
        self._targets: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Virtual time: sleepers first let runnable tasks reach their own sleep, then the one
        with the earliest wake-up moves the clock to it and goes on at once, so concurrent
        sleepers wake in order and at their own times, as they would for real."""
        self.slept.append(seconds)
        target = self.now + max(0.0, seconds)
        self._targets.append(target)
        try:
            while True:
                await asyncio.sleep(0)
                await asyncio.sleep(0)
                if self.now >= target:
                    break
                if target <= min(self._targets):
                    self.now = target
                    break
        finally:
            self._targets.remove(target)

    def wall(self) -> datetime:
        return datetime.fromtimestamp(1_800_000_000 + self.now, tz=timezone.utc)


def as_stored(channel_id: str, body: Mapping[str, Any], version: int = 1) -> dict[str, Any]:
    """A create body as the sandbox stores it, with fixed server fields: for building a
    ``SandboxState`` directly, which is faster than creating channels through the API."""
    return {
        "id": channel_id,
        **body,
        "version": version,
        "dateCreated": "2026-01-01T00:00:00.000Z",
        "dateModified": "2026-01-01T00:00:00.000Z",
        "selfUri": f"/api/v2/webmessaging/channels/{channel_id}",
    }
