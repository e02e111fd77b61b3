"""``reconciler show PLAN``: a saved plan.json (or drift.json) rendered again, like
``terraform show``.

The file is read as ``apply --plan`` reads it (``plan.schema.json``, then its own digest), so
what ``show`` prints is what apply would execute. Nothing is contacted: no org, no sandbox.

Exit status: 0 shown; 1 the file is missing, not JSON, not a plan or edited since written.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from reconciler.cli.app import EXIT_OK, cli
from reconciler.cli.commands.plan import (
    format_option,
    plan_as_text,
    plan_document,
    use_color,
)


@cli.command()
@click.argument("plan_path", metavar="PLAN", type=click.Path(dir_okay=False, path_type=Path))
@format_option(
    "text: the terminal report; markdown: the pull-request comment; json: the plan document, "
    "checked and written out canonically."
)
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="With text: list the unchanged objects too.",
)
def show(plan_path: Path, output_format: str, verbose: bool) -> int:
    """Print a saved plan.json or drift.json as text, markdown or JSON.

    The plan is checked as apply --plan checks it (its schema and its digest), so an edited
    plan is refused here too. No org is contacted.
    """
    from reconciler.artifacts import read_plan
    from reconciler.cli.app import NORMAL, VERBOSE

    plan = read_plan(plan_path, drift_reports=True)
    if output_format == "text":
        color = use_color(sys.stdout, os.environ)
        level = VERBOSE if verbose else NORMAL
        click.echo(plan_as_text(plan, level=level, color=color), nl=False, color=color)
    else:
        click.echo(plan_document(plan, output_format, full_plan=plan_path.as_posix()), nl=False)
    return EXIT_OK
