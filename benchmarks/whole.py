"""Helpers for benchmarks of whole commands, timed as a user runs them: one new process each.

A workspace is a folder laid out as a team's repository is: ``channels/`` with 100 channel
documents a file, and the ``--sandbox`` org in ``.reconciler/sandbox.json`` holding the same
channels, ``changed_pct`` of them with another description (so the plan updates them).

Each run is timed by the kernel: ``os.wait4`` gives the child's user+system CPU and its peak
resident memory; wall time is measured around it. Set ``PYTHONPATH`` to another checkout's root
to time that checkout with the same script (how the "before" figures were taken).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PER_FILE = 100


@dataclass(frozen=True, slots=True)
class Run:
    cpu: float  # seconds, user + system
    wall: float  # seconds
    peak_mib: float  # peak resident set size
    code: int


def spec_yaml(i: int, description: str) -> str:
    return (
        f"name: Channel {i:05d}\n"
        f"description: {description}\n"
        "webMessagingWidgetConfiguration:\n"
        f"  widgetId: widget-{i}\n"
        "  theme: default\n"
        "  customAttributes:\n"
        f"    brand: brand-{i % 7}\n"
        "    lang: en\n"
        "securityPolicy:\n"
        "  enabled: true\n"
        "  allowedOrigins:\n"
        f"    - https://site{i}.example.com\n"
        "    - https://www.example.com\n"
        "  requireConsent: true\n"
        "routingConfiguration:\n"
        f"  queueId: queue-{i % 50}\n"
    )


def stored_channel(i: int, description: str) -> dict[str, object]:
    channel_id = f"00000000-0000-4000-8000-{i:012d}"
    return {
        "name": f"Channel {i:05d}",
        "description": description,
        "webMessagingWidgetConfiguration": {
            "widgetId": f"widget-{i}",
            "theme": "default",
            "customAttributes": {
                "brand": f"brand-{i % 7}",
                "lang": "en",
                "x-managed-by": "reconciler",
            },
        },
        "securityPolicy": {
            "enabled": True,
            "allowedOrigins": [f"https://site{i}.example.com", "https://www.example.com"],
            "requireConsent": True,
        },
        "routingConfiguration": {"queueId": f"queue-{i % 50}"},
        "id": channel_id,
        "version": 1,
        "dateCreated": "2026-01-01T00:00:00.000Z",
        "dateModified": "2026-01-01T00:00:00.000Z",
        "selfUri": f"/api/v2/webmessaging/channels/{channel_id}",
    }


def make_workspace(root: Path, channels: int, changed_pct: float = 5.0) -> Path:
    """Write ``channels`` specs and a matching sandbox org under ``root``; returns ``root``."""
    step = max(1, round(100 / changed_pct)) if changed_pct > 0 else channels + 1
    folder = root / "channels"
    folder.mkdir(parents=True, exist_ok=True)
    for start in range(0, channels, PER_FILE):
        documents = [spec_yaml(i, "desired") for i in range(start, min(channels, start + PER_FILE))]
        (folder / f"c{start // PER_FILE:04d}.yaml").write_text("---\n".join(documents))
    stored = [stored_channel(i, "edited" if i % step == 0 else "desired") for i in range(channels)]
    stored.sort(key=lambda channel: str(channel["id"]))
    state = {"format": "reconciler-sandbox-state", "version": 1, "channels": stored}
    (root / ".reconciler").mkdir(exist_ok=True)
    (root / ".reconciler" / "sandbox.json").write_text(json.dumps(state, indent=1) + "\n")
    return root


def run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    """Run ``argv`` in ``cwd`` as a new process, output discarded; its CPU, wall and memory."""
    started = time.perf_counter()
    child = subprocess.Popen(
        argv,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait again
    return Run(
        cpu=usage.ru_utime + usage.ru_stime,
        wall=wall,
        peak_mib=usage.ru_maxrss / 1024,  # KiB on Linux
        code=child.returncode,
    )


def reconciler(*args: str) -> list[str]:
    return [sys.executable, "-m", "reconciler", *args]


def medians(runs: list[Run]) -> Run:
    return Run(
        cpu=statistics.median(r.cpu for r in runs),
        wall=statistics.median(r.wall for r in runs),
        peak_mib=statistics.median(r.peak_mib for r in runs),
        code=max(r.code for r in runs),
    )


def target_line(label: str, value: float, unit: str, goal: float, today: float) -> str:
    """One line: the median, the goal, and the ratio to the issue's "today" figure."""
    met = "met" if value <= goal else "NOT MET"
    return (
        f"{label:<44} {value:8.3f} {unit:<4} goal <= {goal:g} {unit} ({met}); "
        f"{value / today:.2f}x of today's {today:g} {unit}"
    )
