"""``reconciler plan`` and ``reconciler drift``: what would change, what changed behind our back.

Both validate the specs first (the same diagnostics as ``validate``, before any API call), list
the org once, print a Terraform-like report and write ``plan.json``/``plan.md`` (or
``drift.json``/``drift.md``) to ``--out``. Exit codes follow Terraform's ``-detailed-exitcode``:
0 nothing to do, 2 changes (conflicts included), 1 error; ``drift`` always uses them.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import click
from click.core import ParameterSource

from reconciler.cli.app import EXIT_CHANGES, EXIT_OK, cli, global_options, sandbox_option
from reconciler.cli.options import env_option as env_option  # apply, import use it too
from reconciler.environments import (
    Environment,
    connection_env,
    load_environment,
    resolve_owner,
    spec_context,
)
from reconciler.errors import SpecError, UsageError
from reconciler.planner import (
    DEFAULT_OWNER,
    Plan,
    PlanOptions,
    ReportKind,
    Thresholds,
    partial_note,
    unmatched_targets,
)
from reconciler.planner.thresholds import (
    DEFAULT_MAX_DELETE_PCT,
    DEFAULT_MAX_UPDATE_PCT,
    DEFAULT_MIN_EXISTING,
)
from reconciler.planning import DEFAULT_OUT_DIR, PlanRequest, PlanResult, run_plan
from reconciler.render.diagnostics import ordered
from reconciler.render.plan_text import render_plan_text
from reconciler.webhooks import DeliveryState

DEFAULT_PATH = "channels"
MAX_OWNER_LENGTH = 256  # a customAttributes value holds at most 256 characters


def use_color(stream: IO[str], env: Mapping[str, str]) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    try:
        on_terminal = stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        on_terminal = False
    return on_terminal and not env.get("NO_COLOR")


def check_owner(ctx: click.Context, param: click.Parameter, value: str) -> str:
    owner = value.strip()
    if not owner or len(owner) > MAX_OWNER_LENGTH or owner != value:
        raise click.BadParameter(
            f"must be 1 to {MAX_OWNER_LENGTH} characters without surrounding spaces"
        )
    return owner


def chosen_environment(env_name: str | None) -> Environment | None:
    """The environment named by --env/RECONCILER_ENV (an empty value means none)."""
    if env_name is None or not env_name.strip():
        return None
    with spec_errors_reported():
        return load_environment(env_name.strip())


@contextlib.contextmanager
def spec_errors_reported() -> Iterator[None]:
    """List a SpecError's diagnostics on stderr (as ``validate`` does), then let it end the run."""
    try:
        yield
    except SpecError as exc:
        report_spec_errors(exc)
        raise


def owner_for(ctx: click.Context, owner: str, environment: Environment | None) -> str:
    """--owner or RECONCILER_OWNER when given, else the environment's owner, else the default."""
    source = ctx.get_parameter_source("owner")
    given = None if source in (None, ParameterSource.DEFAULT) else owner
    return resolve_owner(given, environment, DEFAULT_OWNER)


def plan_options(
    ctx: click.Context,
    environment: Environment | None,
    *,
    owner: str,
    prune: bool,
    adopt: bool,
    targets: tuple[str, ...],
    max_update_pct: float,
    max_delete_pct: float,
    safety_min_existing: int,
) -> PlanOptions:
    """The PlanOptions of plan, drift and apply, from the options they share."""
    return PlanOptions(
        owner=owner_for(ctx, owner, environment),
        prune=prune,
        adopt=adopt,
        thresholds=Thresholds(
            min_existing=safety_min_existing,
            max_update_pct=max_update_pct,
            max_delete_pct=max_delete_pct,
        ),
        targets=targets,
    )


def warn_unmatched(plan: Plan) -> None:
    """A warning line per --target that matched no channel of the plan (a likely typo)."""
    names = [action.name for action in plan.actions]
    for target in unmatched_targets(plan.options.targets, names):
        click.echo(
            f"warning: --target {target!r} matched no spec and no channel this run considers",
            err=True,
        )


def planning_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The inputs ``plan``, ``drift`` and ``apply`` share."""
    decorators: list[Callable[[Any], Any]] = [
        sandbox_option,
        click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path)),
        env_option,
        click.option(
            "--target",
            "targets",
            multiple=True,
            metavar="GLOB",
            help="Limit the run to channels whose names match GLOB (fnmatch, any case); "
            "repeatable. The plan is then partial.",
        ),
        click.option(
            "--out",
            "out_dir",
            type=click.Path(file_okay=False, path_type=Path),
            default=DEFAULT_OUT_DIR,
            show_default=True,
            help="Folder for the JSON and markdown artifacts.",
        ),
        click.option(
            "--owner",
            envvar="RECONCILER_OWNER",
            default=DEFAULT_OWNER,
            show_default=True,
            callback=check_owner,
            help="Owner id in the x-managed-by marker; env RECONCILER_OWNER; else the "
            "--env file's owner.",
        ),
        click.option(
            "--prune",
            is_flag=True,
            help="Delete channels that carry this owner's marker and have no spec.",
        ),
        click.option(
            "--max-update-pct",
            type=click.FloatRange(0, 100),
            default=DEFAULT_MAX_UPDATE_PCT,
            show_default=True,
            help="Unsafe when updates touch more than this share of the managed channels.",
        ),
        click.option(
            "--max-delete-pct",
            type=click.FloatRange(0, 100),
            default=DEFAULT_MAX_DELETE_PCT,
            show_default=True,
            help="Unsafe when deletes touch more than this share of the managed channels.",
        ),
        click.option(
            "--safety-min-existing",
            type=click.IntRange(min=0),
            default=DEFAULT_MIN_EXISTING,
            show_default=True,
            help="Thresholds apply once this many managed channels exist.",
        ),
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def _request(
    paths: tuple[Path, ...],
    out_dir: Path,
    options: PlanOptions,
    report: ReportKind,
    environment: Environment | None,
) -> PlanRequest:
    if not paths:
        if not Path(DEFAULT_PATH).is_dir():
            raise UsageError(
                f"no PATH given and no {DEFAULT_PATH}/ folder in the current directory"
            )
        paths = (Path(DEFAULT_PATH),)
    return PlanRequest(
        paths=paths,
        options=options,
        out_dir=out_dir,
        report=report,
        context=spec_context(environment, os.environ),
    )


def report_spec_errors(exc: SpecError) -> None:
    """List invalid specs on stderr exactly as ``validate`` lists them."""
    for diagnostic in ordered(exc.diagnostics):
        click.echo(str(diagnostic), err=True)


def _execute(
    ctx: click.Context, request: PlanRequest, environment: Environment | None
) -> PlanResult:
    """Run the planning; invalid specs stop it before any API call."""
    with spec_errors_reported():
        return run_plan(request, global_options(ctx), env=connection_env(os.environ, environment))


def _report(result: PlanResult) -> None:
    color = use_color(sys.stdout, os.environ)
    click.echo(render_plan_text(result.plan, color=color), nl=False, color=color)
    if result.plan.options.targets:
        click.echo(partial_note(result.plan.options.targets))
    warn_unmatched(result.plan)
    click.echo(f"Wrote {result.json_path} and {result.markdown_path}.")
    if result.webhook is not None and result.webhook.state is DeliveryState.PENDING:
        click.echo(
            "warning: the drift.detected webhook was not delivered; it is kept in the outbox "
            "for 'reconciler webhooks redeliver'",
            err=True,
        )


@cli.command()
@planning_options
@click.option(
    "--adopt",
    is_flag=True,
    help="Take over unmanaged channels that hold a spec's name (never another owner's).",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when there is nothing to change, 2 when there are changes, 1 on error.",
)
@click.pass_context
def plan(
    ctx: click.Context,
    paths: tuple[Path, ...],
    env_name: str | None,
    targets: tuple[str, ...],
    out_dir: Path,
    owner: str,
    prune: bool,
    max_update_pct: float,
    max_delete_pct: float,
    safety_min_existing: int,
    adopt: bool,
    detailed_exitcode: bool,
) -> int:
    """Show what apply would change for the specs in PATH... (default: channels/).

    Writes plan.json (what apply --plan executes) and plan.md (for a pull-request comment) to
    --out. Exit status: 0 on success, 1 on error; with --detailed-exitcode 0 when nothing
    would change, 2 when something would (conflicts count), 1 on error.
    """
    environment = chosen_environment(env_name)
    options = plan_options(
        ctx,
        environment,
        owner=owner,
        prune=prune,
        adopt=adopt,
        targets=targets,
        max_update_pct=max_update_pct,
        max_delete_pct=max_delete_pct,
        safety_min_existing=safety_min_existing,
    )
    request = _request(paths, out_dir, options, ReportKind.PLAN, environment)
    result = _execute(ctx, request, environment)
    _report(result)
    if detailed_exitcode and result.plan.has_changes:
        return EXIT_CHANGES
    return EXIT_OK


@cli.command()
@planning_options
@click.pass_context
def drift(
    ctx: click.Context,
    paths: tuple[Path, ...],
    env_name: str | None,
    targets: tuple[str, ...],
    out_dir: Path,
    owner: str,
    prune: bool,
    max_update_pct: float,
    max_delete_pct: float,
    safety_min_existing: int,
) -> int:
    """Report how the org differs from the specs in PATH... (default: channels/).

    Drift is a managed channel edited out of band, a spec whose channel is missing (deleted
    out of band), a new conflict (an unmanaged or foreign channel holding a spec's name) and,
    with --prune, a managed channel no spec describes. Writes drift.json and drift.md to
    --out. Exit status: 0 in sync, 2 drift found, 1 on error.
    """
    environment = chosen_environment(env_name)
    options = plan_options(
        ctx,
        environment,
        owner=owner,
        prune=prune,
        adopt=False,
        targets=targets,
        max_update_pct=max_update_pct,
        max_delete_pct=max_delete_pct,
        safety_min_existing=safety_min_existing,
    )
    request = _request(paths, out_dir, options, ReportKind.DRIFT, environment)
    result = _execute(ctx, request, environment)
    _report(result)
    return EXIT_CHANGES if result.plan.has_changes else EXIT_OK
