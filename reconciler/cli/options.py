"""Options more than one command declares, kept light: importing this module loads click and
nothing of the planner, so ``validate`` starts without it (``inputs.py`` builds on it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

#: Where specs are read from when no PATH is given.
DEFAULT_PATH = "channels"


def env_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--env NAME`` (or RECONCILER_ENV): the environment file environments/NAME.yaml."""
    return click.option(
        "--env",
        "env_name",
        envvar="RECONCILER_ENV",
        metavar="NAME",
        help="Use environments/NAME.yaml: its region, owner and ${var.X} variables; "
        "env RECONCILER_ENV.",
    )(command)
