"""Command-line interface: ``reconciler`` and ``python -m reconciler``.

Commands live one module each in ``reconciler.cli.commands``; importing that package registers
them on the group.
"""

from __future__ import annotations

import sys

from reconciler.cli import commands  # noqa: F401  (registers the commands)
from reconciler.cli.app import cli, run

__all__ = ["cli", "main", "run"]


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())
