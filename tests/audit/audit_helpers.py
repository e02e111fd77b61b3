"""Helpers for the audit tests (a uniquely named module, importable by name)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

from reconciler.audit import AuditLog
from reconciler.webhooks import DeliveryOutcome, DeliveryState

DIGEST = "sha256:" + "cd" * 32
ENV = {"GITHUB_ACTOR": "octocat", "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567"}


def ticking_clock(start: float = 1_800_000_000.0) -> Callable[[], float]:
    counter = itertools.count()
    return lambda: start + next(counter)


def write_run(path: Path, run_id: str, actions: int = 2, *, end: bool = True) -> AuditLog:
    """One complete run: start, `actions` action lines, one webhook outcome, end."""
    log = AuditLog.open(path, run_id=run_id, clock=ticking_clock())
    log.run_start(environment="sandbox", argv=["apply", "--yes"], plan_digest=DIGEST, env=ENV)
    for i in range(actions):
        log.action({"action": "create", "channel": f"ch-{i}", "status": "succeeded"})
    log.webhook(
        DeliveryOutcome(
            webhook_id="msg_" + "0" * 32,
            event_type="channel.provisioned",
            state=DeliveryState.DELIVERED,
            attempts=1,
            status=204,
        )
    )
    if end:
        log.run_end(
            status="succeeded",
            attempted=actions,
            succeeded=actions,
            failed=0,
            counts={"create": actions},
        )
    log.close()
    return log
