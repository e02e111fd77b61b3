"""Command-line interface: ``reconciler`` and ``python -m reconciler``.

Commands live one module each in ``reconciler.cli.commands``, imported when their command runs
(the table in ``reconciler/cli/commands/__init__.py``).
"""

from __future__ import annotations

import sys

from reconciler.cli.app import cli, run

__all__ = ["cli", "main", "run"]


def main() -> None:
    """Console-script entry point."""
    sys.exit(run())
