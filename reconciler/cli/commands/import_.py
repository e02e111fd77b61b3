"""``reconciler import``: bootstrap specs from an existing org, optionally adopting the channels.

Exit status: 0 success; 1 API or file error, or a failed adoption; 64 usage error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from reconciler.applying import ApplyRequest, run_apply
from reconciler.cli.app import (
    EXIT_FAILURE,
    EXIT_OK,
    QUIET,
    cli,
    global_options,
    sandbox_option,
    verbosity,
    verbosity_options,
)
from reconciler.cli.commands.apply import TerminalHooks, report_apply
from reconciler.cli.commands.plan import use_color
from reconciler.cli.inputs import (
    chosen_environment,
    env_option,
    owner_for,
    owner_option,
    spec_errors_reported,
)
from reconciler.environments import connection_env, spec_context
from reconciler.errors import UsageError
from reconciler.genesys.factory import settings_from_cli
from reconciler.importing import DEFAULT_IMPORT_DIR, ImportRequest, run_import
from reconciler.planner import PlanOptions


@cli.command(name="import")
@sandbox_option
@env_option
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_IMPORT_DIR,
    show_default=True,
    help="Folder for the spec files, one per channel.",
)
@click.option(
    "--name",
    "names",
    multiple=True,
    metavar="GLOB",
    help="Import only channels whose names match GLOB (fnmatch, any case); repeatable.",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Re-import channels already described by a one-document file, replacing that file.",
)
@click.option(
    "--adopt",
    is_flag=True,
    help="Then take the imported channels over (an audited apply with --adopt of those files).",
)
@owner_option(
    "Owner id: channels another owner manages are skipped; env RECONCILER_OWNER; else "
    "the --env file's owner."
)
@click.option("--yes", "-y", is_flag=True, help="With --adopt: do not ask for confirmation.")
@click.option(
    "--audit-log",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --adopt: audit log to append to [default: audit/<environment>.jsonl].",
)
@verbosity_options
@click.pass_context
def import_(
    ctx: click.Context,
    env_name: str | None,
    out_dir: Path,
    names: tuple[str, ...],
    overwrite: bool,
    adopt: bool,
    owner: str,
    yes: bool,
    audit_log: Path | None,
    quiet: bool,
    verbose: bool,
) -> int:
    """Write one spec file per live channel to --out-dir, to start managing an existing org.

    Files are normalised (server fields and the x-managed-by marker left out), named after the
    channels, and headed with the source environment, channel id and date. A channel already
    described by a spec in --out-dir is skipped (re-imported with --overwrite), as is a channel
    another owner manages. Without --adopt, the next 'plan' shows the imported channels as
    conflicts and 'plan --adopt' as adoptions; with --adopt they are adopted now, through the
    same audited apply as 'apply --adopt', so the next plan is empty.
    """
    level = verbosity(quiet, verbose)
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    if adopt and not yes and not interactive:
        raise UsageError("import --adopt needs --yes when not run on a terminal")
    if audit_log is not None and not adopt:
        raise UsageError("--audit-log is for --adopt")
    environment = chosen_environment(env_name)
    environ = connection_env(os.environ, environment)
    settings = settings_from_cli(
        global_options(ctx), environ, None if environment is None else environment.name
    )
    request = ImportRequest(
        out_dir=out_dir,
        names=names,
        owner=owner_for(ctx, owner, environment),
        overwrite=overwrite,
        environment_name=None if environment is None else environment.name,
        kinds=frozenset() if environment is None else environment.kinds,
    )
    result = run_import(request, settings)
    if level != QUIET:
        for item in result.written:
            verb = "replaced" if item.replaced else "wrote"
            click.echo(f"{verb} {item.path.as_posix()}  ({item.name!r}, id {item.channel_id})")
        for name, why in result.skipped:
            click.echo(f"skipped {name!r}: {why}")
    click.echo(
        f"Imported {len(result.written)} of {result.considered} channel(s) from "
        f"{result.environment} into {out_dir.as_posix()}/; {len(result.skipped)} skipped."
    )
    if not adopt:
        if result.written and level != QUIET:
            env_flag = "" if environment is None else f" --env {environment.name}"
            click.echo(
                f"Next: 'reconciler plan --adopt{env_flag}' shows them as adoptions; "
                "apply it to take them over."
            )
        return EXIT_OK
    if not result.written:
        if level != QUIET:
            click.echo("Nothing to adopt.")
        return EXIT_OK
    apply_request = ApplyRequest(
        paths=result.paths,
        options=PlanOptions(owner=request.owner, adopt=True),
        audit_log=audit_log,
        argv=tuple(sys.argv[1:]),
        context=spec_context(environment, os.environ),
    )
    hooks = TerminalHooks(
        assume_yes=yes,
        interactive=interactive,
        color=use_color(sys.stdout, os.environ),
        level=level,
    )
    with spec_errors_reported():
        applied = run_apply(apply_request, settings, hooks, env=os.environ)
    if applied.declined:
        click.echo("Adoption cancelled: the files are written, no channel was changed.", err=True)
        return EXIT_FAILURE
    return report_apply(applied, interactive=interactive, level=level, seconds=hooks.elapsed())
