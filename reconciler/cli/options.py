"""Options shared by commands, in a module that imports no command (so ``validate`` stays light)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click


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
