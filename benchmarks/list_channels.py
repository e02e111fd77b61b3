"""Benchmark: list N channels from the in-process sandbox with the real client.

    python benchmarks/list_channels.py [--channels 10000] [--runs 5]

Seeds N channels into an emulator mounted in-process (no sockets), lists them with
``GenesysBackend`` and prints the request counts (expected: 1 token request and
ceil(N/100) page requests), the median wall and CPU time over the runs, and the time the pacer
would have waited at the emulator's default 300 requests/minute. That wait is simulated on a
virtual clock, so the timings measure the client and emulator code, not the rate limit.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import time
from typing import Any

from reconciler.genesys.client import GenesysBackend
from reconciler.genesys.settings import resolve_settings
from reconciler.sandbox import SandboxApp, SandboxConfig, SandboxState, SandboxTransport

CLIENT = ("bench-client", "bench-secret")


class VirtualClock:
    """Monotonic time that sleeping moves instead of waiting; sleepers wake in order."""

    def __init__(self) -> None:
        self.now = 0.0
        self._targets: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        target = self.now + max(0.0, seconds)
        self._targets.append(target)
        try:
            while True:
                await asyncio.sleep(0)
                await asyncio.sleep(0)
                if self.now >= target:
                    return
                if target <= min(self._targets):
                    self.now = target
                    return
        finally:
            self._targets.remove(target)


def stored_channel(index: int) -> dict[str, Any]:
    channel_id = f"00000000-0000-4000-8000-{index:012d}"
    return {
        "id": channel_id,
        "name": f"channel-{index:06d}",
        "description": "Benchmark channel",
        "webMessagingWidgetConfiguration": {
            "widgetId": f"widget-{index}",
            "theme": "default",
            "customAttributes": {"x-managed-by": "benchmark"},
        },
        "securityPolicy": {
            "enabled": True,
            "allowedOrigins": ["https://www.example.com"],
            "requireConsent": True,
        },
        "routingConfiguration": {"queueId": "queue-1"},
        "version": 1,
        "dateCreated": "2026-01-01T00:00:00.000Z",
        "dateModified": "2026-01-01T00:00:00.000Z",
        "selfUri": f"/api/v2/webmessaging/channels/{channel_id}",
    }


def one_run(channels: list[dict[str, Any]]) -> dict[str, float]:
    clock = VirtualClock()
    app = SandboxApp(SandboxConfig(credentials=CLIENT, seed=1), SandboxState(channels), clock=clock)
    env = {
        "GENESYS_CLIENT_ID": CLIENT[0],
        "GENESYS_CLIENT_SECRET": CLIENT[1],
        "GENESYS_API_URL": "http://127.0.0.1:1",
        "GENESYS_LOGIN_URL": "http://127.0.0.1:1",
    }
    client = GenesysBackend(
        resolve_settings(env),
        transport=SandboxTransport(app, sleep=clock.sleep),
        clock=clock,
        sleep=clock.sleep,
    )

    async def list_all() -> int:
        async with client:
            return len(await client.adapter("channel").list())

    wall, cpu = time.perf_counter(), time.process_time()
    listed = asyncio.run(list_all())
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if listed != len(channels):
        raise SystemExit(f"listed {listed} channels, expected {len(channels)}")
    return {
        "wall": wall,
        "cpu": cpu,
        "tokens": app.stats.requests["POST /oauth/token"],
        "pages": app.stats.requests["GET /api/v2/webmessaging/channels"],
        "throttled": app.stats.statuses[429],
        "paced": client.pacing_wait_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    channels = [stored_channel(i) for i in range(args.channels)]
    runs = [one_run(channels) for _ in range(max(1, args.runs))]
    last = runs[-1]
    print(f"channels listed:        {args.channels}")
    print(f"token requests:         {last['tokens']:.0f} (expected 1)")
    expected_pages = max(1, math.ceil(args.channels / 100))
    print(f"page requests:          {last['pages']:.0f} (expected {expected_pages})")
    print(f"429 answers:            {last['throttled']:.0f}")
    print(f"wall time, median:      {statistics.median(r['wall'] for r in runs) * 1000:.1f} ms")
    print(f"CPU time, median:       {statistics.median(r['cpu'] for r in runs) * 1000:.1f} ms")
    print(f"runs:                   {len(runs)}")
    print(f"pacing wait at 300/min: {last['paced']:.1f} s (simulated, not waited)")


if __name__ == "__main__":
    main()
