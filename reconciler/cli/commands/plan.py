"""``reconciler plan`` and ``reconciler drift``: what would change, what changed behind our back.

Both validate the specs first (the same diagnostics as ``validate``, before any API call), list
the org once, print a Terraform-like report and write ``plan.json``/``plan.md`` (or
``drift.json``/``drift.md``) to ``--out``. Exit codes follow Terraform's ``-detailed-exitcode``:
0 nothing to do, 2 changes (conflicts included), 1 error; ``drift`` always uses them.

``--format json`` (or ``markdown``) writes the plan document itself to stdout, byte for byte
the ``plan.json`` (or ``plan.md``) written to ``--out``, for scripts; the few human lines
(where the artifacts went, warnings) then go to stderr, so stdout stays one document.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from typing import IO, Any

import click

from reconciler.cli.app import (
    EXIT_CHANGES,
    EXIT_OK,
    QUIET,
    VERBOSE,
    cli,
    verbosity,
    verbosity_options,
)
from reconciler.cli.inputs import PlanningInputs, planning_inputs, spec_errors_reported
from reconciler.errors import ConfigError
from reconciler.planner import ActionKind, Plan, ReportKind, partial_note, unmatched_targets
from reconciler.planning import PlanRequest, PlanResult, run_plan
from reconciler.policies import Policies, unapproved
from reconciler.render.plan_text import (
    drift_summary_line,
    headline,
    render_plan_text,
    summary_line,
)
from reconciler.webhooks import DeliveryState

FORMATS = ("text", "markdown", "json")


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


def format_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--format text|markdown|json`` as ``output_format``."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(FORMATS),
        default="text",
        show_default=True,
        help=help_text,
    )


def plan_as_text(plan: Plan, *, level: int, color: bool) -> str:
    """The terminal report at a verbosity level: the summary line alone with --quiet; with
    --verbose the unchanged objects too."""
    if level == QUIET:
        drift = plan.report is ReportKind.DRIFT
        return (drift_summary_line(plan) if drift else summary_line(plan)) + "\n"
    text = render_plan_text(plan, color=color)
    if plan.options.targets:
        text += partial_note(plan.options.targets) + "\n"
    if level == VERBOSE:
        unchanged = [headline(a) for a in plan.actions if a.kind is ActionKind.NOOP]
        text += "".join(f"{line}\n" for line in unchanged)
    return text


def plan_document(plan: Plan, output_format: str, *, full_plan: str) -> str:
    """The plan as ``markdown`` (plan.md's text) or ``json`` (plan.json's text)."""
    from reconciler.artifacts import plan_json_text, plan_markdown

    if output_format == "json":
        return plan_json_text(plan)
    return plan_markdown(plan, full_plan=full_plan)


def _execute(inputs: PlanningInputs, report: ReportKind) -> PlanResult:
    """Run the planning; invalid specs stop it before any API call."""
    from reconciler.spec.validate import load_valid_specs

    request = PlanRequest(
        paths=inputs.paths,
        options=inputs.options,
        out_dir=inputs.out_dir,
        report=report,
        context=inputs.context,
        notices=inputs.environment.notices if inputs.environment is not None else {},
        notices_file=inputs.environment.file if inputs.environment is not None else "",
    )
    try:
        settings = inputs.settings()
    except ConfigError:
        with spec_errors_reported():  # invalid specs are still reported first
            load_valid_specs(list(request.paths), request.context)
        raise
    with spec_errors_reported():  # specs are checked while the org is being read
        return run_plan(request, settings, env=inputs.connection_env)


def approval_lines(plan: Plan, policies: Any) -> list[str]:
    """One line per impact code an ``approve`` policy holds back: apply needs its flag."""
    if not isinstance(policies, Policies) or plan.report is not ReportKind.PLAN:
        return []
    by_code: dict[str, list[str]] = {}
    rules: dict[str, str] = {}
    for item in unapproved(policies, plan.changes, ()):
        by_code.setdefault(item.impact.code, []).append(item.action.name)
        rules[item.impact.code] = item.policy.label
    return [
        f"Approval needed: {len(names)} change(s) with impact {code} "
        f"({', '.join(map(repr, names))}); policy {rules[code]} makes apply refuse them "
        f"without --allow-impact {code}."
        for code, names in sorted(by_code.items())
    ]


def _report(result: PlanResult, *, output_format: str, level: int, policies: Any = None) -> None:
    plan = result.plan
    if output_format == "text":
        color = use_color(sys.stdout, os.environ)
        click.echo(plan_as_text(plan, level=level, color=color), nl=False, color=color)
    else:
        full_plan = result.json_path.as_posix()
        click.echo(plan_document(plan, output_format, full_plan=full_plan), nl=False)
    warn_unmatched(plan)
    for line in approval_lines(plan, policies):
        click.echo(line, err=output_format != "text")
    if result.audit_missing is not None:
        click.echo(
            f"warning: no audit log at {result.audit_missing.as_posix()}: drift cannot tell an "
            "edit out of band from a spec change, so changed objects are reported as 'unknown' "
            "(the GitOps drift job reads the log from the reconciler-audit branch first)",
            err=True,
        )
    if level != QUIET:
        click.echo(
            # Forward slashes on every OS: the same line in docs, logs and CI on Windows.
            f"Wrote {result.json_path.as_posix()} and {result.markdown_path.as_posix()}.",
            err=output_format != "text",
        )
    if result.webhook is not None and result.webhook.state is DeliveryState.UNRECORDED:
        click.echo(
            "warning: the drift.detected webhook was not delivered, and the outbox cannot be "
            f"written, so it is NOT kept: {result.webhook.error}",
            err=True,
        )
    for notice in result.notices:
        if notice.state is DeliveryState.PENDING:
            click.echo(
                f"warning: the {notice.event_type} notice was not delivered ({notice.error}); "
                "it is kept in the outbox for 'reconciler webhooks redeliver'",
                err=True,
            )
        elif notice.state is DeliveryState.UNRECORDED:
            click.echo(
                f"warning: the {notice.event_type} notice could not be kept: {notice.error}",
                err=True,
            )
    if result.webhook is not None and result.webhook.state is DeliveryState.PENDING:
        click.echo(
            "warning: the drift.detected webhook was not delivered; it is kept in the outbox "
            "for 'reconciler webhooks redeliver'",
            err=True,
        )


FORMAT_HELP = (
    "What stdout shows: the report (text), or the {stem}.md or {stem}.json document itself "
    "(the other lines then go to stderr)."
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
@format_option(FORMAT_HELP.format(stem="plan"))
@verbosity_options
def plan(
    inputs: PlanningInputs,
    detailed_exitcode: bool,
    output_format: str,
    quiet: bool,
    verbose: bool,
) -> int:
    """Show what apply would change for the specs in PATH... (default: channels/).

    Writes plan.json (what apply --plan executes) and plan.md (for a pull-request comment) to
    --out. Exit status: 0 on success, 1 on error; with --detailed-exitcode 0 when nothing
    would change, 2 when something would (conflicts count), 1 on error.
    """
    level = verbosity(quiet, verbose)
    result = _execute(inputs, ReportKind.PLAN)
    _report(result, output_format=output_format, level=level, policies=inputs.context.policies)
    if detailed_exitcode and result.plan.has_changes:
        return EXIT_CHANGES
    return EXIT_OK


@cli.command()
@planning_inputs()
@format_option(FORMAT_HELP.format(stem="drift"))
@verbosity_options
def drift(inputs: PlanningInputs, output_format: str, quiet: bool, verbose: bool) -> int:
    """Report how the org differs from the specs in PATH... (default: channels/).

    Drift is a managed channel edited out of band, a spec whose channel is missing (deleted
    out of band), a new conflict (an unmanaged or foreign channel holding a spec's name) and,
    with --prune, a managed channel no spec describes. Writes drift.json and drift.md to
    --out. Exit status: 0 in sync, 2 drift found, 1 on error.
    """
    level = verbosity(quiet, verbose)
    result = _execute(inputs, ReportKind.DRIFT)
    _report(result, output_format=output_format, level=level)
    return EXIT_CHANGES if result.plan.has_changes else EXIT_OK
