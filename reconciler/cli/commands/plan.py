"""``reconciler plan`` and ``reconciler drift``: what would change, what changed behind our back.

Both validate the specs first (the same diagnostics as ``validate``, before any API call), list
the org once, print a Terraform-like report and write ``plan.json``/``plan.md`` (or
``drift.json``/``drift.md``) to ``--out``. Exit codes follow Terraform's ``-detailed-exitcode``:
0 nothing to do, 2 changes (conflicts included), 1 error; ``drift`` always uses them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import IO

import click

from reconciler.cli.app import EXIT_CHANGES, EXIT_OK, cli
from reconciler.cli.inputs import PlanningInputs, planning_inputs, spec_errors_reported
from reconciler.planner import Plan, ReportKind, partial_note, unmatched_targets
from reconciler.planning import PlanRequest, PlanResult, run_plan
from reconciler.render.plan_text import render_plan_text
from reconciler.webhooks import DeliveryState


def use_color(stream: IO[str], env: Mapping[str, str]) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    try:
        on_terminal = stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        on_terminal = False
    return on_terminal and not env.get("NO_COLOR")


def warn_unmatched(plan: Plan) -> None:
    """A warning line per --target that matched no channel of the plan (a likely typo)."""
    names = [action.name for action in plan.actions]
    for target in unmatched_targets(plan.options.targets, names):
        click.echo(
            f"warning: --target {target!r} matched no spec and no channel this run considers",
            err=True,
        )


def _execute(inputs: PlanningInputs, report: ReportKind) -> PlanResult:
    """Run the planning; invalid specs stop it before any API call."""
    from reconciler.genesys.settings import resolve_settings
    from reconciler.spec.validate import load_valid_specs

    request = PlanRequest(
        paths=inputs.paths,
        options=inputs.options,
        out_dir=inputs.out_dir,
        report=report,
        context=inputs.context,
    )
    with spec_errors_reported():
        specs = load_valid_specs(list(request.paths), request.context)
    settings = resolve_settings(inputs.connection_env, sandbox=inputs.sandbox)
    return run_plan(request, settings, env=inputs.connection_env, specs=specs)


def _report(result: PlanResult) -> None:
    color = use_color(sys.stdout, os.environ)
    click.echo(render_plan_text(result.plan, color=color), nl=False, color=color)
    if result.plan.options.targets:
        click.echo(partial_note(result.plan.options.targets))
    warn_unmatched(result.plan)
    click.echo(f"Wrote {result.json_path} and {result.markdown_path}.")
    if result.webhook is not None and result.webhook.state is DeliveryState.UNRECORDED:
        click.echo(
            "warning: the drift.detected webhook was not delivered, and the outbox cannot be "
            f"written, so it is NOT kept: {result.webhook.error}",
            err=True,
        )
    if result.webhook is not None and result.webhook.state is DeliveryState.PENDING:
        click.echo(
            "warning: the drift.detected webhook was not delivered; it is kept in the outbox "
            "for 'reconciler webhooks redeliver'",
            err=True,
        )


@cli.command()
@planning_inputs(
    adopt_help="Take over unmanaged channels that hold a spec's name (never another owner's)."
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when there is nothing to change, 2 when there are changes, 1 on error.",
)
def plan(inputs: PlanningInputs, detailed_exitcode: bool) -> int:
    """Show what apply would change for the specs in PATH... (default: channels/).

    Writes plan.json (what apply --plan executes) and plan.md (for a pull-request comment) to
    --out. Exit status: 0 on success, 1 on error; with --detailed-exitcode 0 when nothing
    would change, 2 when something would (conflicts count), 1 on error.
    """
    result = _execute(inputs, ReportKind.PLAN)
    _report(result)
    if detailed_exitcode and result.plan.has_changes:
        return EXIT_CHANGES
    return EXIT_OK


@cli.command()
@planning_inputs()
def drift(inputs: PlanningInputs) -> int:
    """Report how the org differs from the specs in PATH... (default: channels/).

    Drift is a managed channel edited out of band, a spec whose channel is missing (deleted
    out of band), a new conflict (an unmanaged or foreign channel holding a spec's name) and,
    with --prune, a managed channel no spec describes. Writes drift.json and drift.md to
    --out. Exit status: 0 in sync, 2 drift found, 1 on error.
    """
    result = _execute(inputs, ReportKind.DRIFT)
    _report(result)
    return EXIT_CHANGES if result.plan.has_changes else EXIT_OK
