"""``reconciler audit verify FILE``: check an audit log's hash chain."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.audit import verify_file
from reconciler.cli.app import EXIT_OK, cli


@cli.group()
def audit() -> None:
    """Inspect audit logs."""


@audit.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--expect-head",
    metavar="SHA256",
    help="Also require the last line's sha256 to be this value (as printed by a run or in "
    "reconcile.completed's auditHead): detects lines removed from the end.",
)
def verify(file: Path, expect_head: str | None) -> int:
    """Verify FILE's hash chain: exit 0 if intact, 1 naming the first bad line.

    A partial last line (a writer killed mid-line) is a warning, not a failure: the next run
    moves it to FILE.partial and continues the chain.
    """
    result = verify_file(file, expect_head=expect_head)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(result.summary())
    return EXIT_OK
