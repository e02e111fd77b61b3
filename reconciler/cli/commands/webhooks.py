"""``reconciler webhooks redeliver``: send the events a run could not deliver."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import click

from reconciler.cli.app import EXIT_FAILURE, EXIT_OK, cli
from reconciler.webhooks import RedeliveryReport, RetryPolicy, redeliver
from reconciler.webhooks.sink import DEFAULT_OUTBOX_DIR


@cli.group()
def webhooks() -> None:
    """Manage webhook deliveries."""


async def _redeliver_all(paths: list[Path], policy: RetryPolicy) -> list[RedeliveryReport]:
    env = dict(os.environ)
    return list(await asyncio.gather(*(redeliver(p, env, policy=policy) for p in paths)))


def summarise(reports: list[RedeliveryReport], where: str) -> tuple[int, str]:
    """The exit code and the one-line summary of a redelivery."""
    total = sum(len(report.outcomes) for report in reports)
    delivered = sum(report.delivered for report in reports)
    if total == 0:
        return EXIT_OK, f"nothing pending in {where}"
    if delivered == total:
        return EXIT_OK, f"redelivered {delivered} of {total} pending event(s) from {where}"
    failed = [outcome for report in reports for outcome in report.still_pending]
    files = ", ".join(str(report.outbox) for report in reports if report.still_pending)
    return EXIT_FAILURE, (
        f"redelivered {delivered} of {total} pending event(s); {len(failed)} still pending in "
        f"{files} (last error: {failed[-1].error or 'unknown'})"
    )


@webhooks.command("redeliver")
@click.option(
    "--outbox",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help=f"Outbox file to send [default: every {DEFAULT_OUTBOX_DIR}/*.jsonl].",
)
@click.option(
    "--max-attempts",
    type=click.IntRange(1, 20),
    default=RetryPolicy().max_attempts,
    show_default=True,
    help="Attempts per event (with backoff) before it stays pending.",
)
def redeliver_command(outbox: Path | None, max_attempts: int) -> int:
    """Send every pending event again to WEBHOOK_URL, with the same webhook-id and body,
    and every pending Slack or Teams notice to the URL in the variable it names.

    Delivered events leave the outbox. Exit 0 when every pending event was delivered (or none
    was pending), 1 otherwise.
    """
    paths = [outbox] if outbox is not None else sorted(DEFAULT_OUTBOX_DIR.glob("*.jsonl"))
    where = str(outbox) if outbox is not None else f"{DEFAULT_OUTBOX_DIR}/"
    reports = asyncio.run(_redeliver_all(paths, RetryPolicy(max_attempts=max_attempts)))
    for report in reports:
        for warning in report.warnings:
            click.echo(f"warning: {warning}", err=True)
    code, line = summarise(reports, where)
    click.echo(line)
    return code
