"""``reconciler doctor``: a read-only check of one org, to run before the first apply and to
attach to a bug report.

Exit status: 0 when nothing blocks an apply, 1 when something does (each BLOCK line says what
to do), 64 usage error, 130/143 interrupted (a ``--write-probe`` scratch pair is removed first).
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from reconciler.cli.app import cli, global_options, sandbox_option
from reconciler.cli.inputs import (
    DEFAULT_PATH,
    chosen_environment,
    env_option,
    owner_for,
    owner_option,
)
from reconciler.environments import connection_env, spec_context
from reconciler.genesys.factory import settings_from_cli


@cli.command()
@sandbox_option
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@env_option
@owner_option(
    "Owner id whose objects are not conflicts; env RECONCILER_OWNER; else the --env file's owner."
)
@click.option(
    "--write-probe",
    is_flag=True,
    help="Also create one scratch web deployment pair (named reconciler-doctor-probe-...), "
    "settle what only a write can, and remove it, even when interrupted.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(("text", "json")),
    default="text",
    show_default=True,
    help="The report for people (text) or one JSON document for scripts and bug reports.",
)
@click.pass_context
def doctor(
    ctx: click.Context,
    paths: tuple[Path, ...],
    env_name: str | None,
    owner: str,
    write_probe: bool,
    output_format: str,
) -> int:
    """Check one org before the first apply: credentials, permissions, limits, conflicts.

    Checks the credentials, region and token; each permission the specs in PATH... (default:
    channels/, when it exists) and the --env file's kinds need, with one cheap request each;
    the rate limit the org announces; objects that would be conflicts; live fields the schema
    does not know; and settles what a read can (largest page, versions listing, flows name
    filter). Read-only, unless --write-probe. Exit status: 0 nothing blocks an apply, 1
    something does.
    """
    from reconciler.doctor.checks import DoctorRequest, run_doctor
    from reconciler.doctor.report import render_json, render_text

    environment = chosen_environment(env_name)
    if not paths and Path(DEFAULT_PATH).is_dir():
        paths = (Path(DEFAULT_PATH),)
    settings = settings_from_cli(global_options(ctx), connection_env(os.environ, environment))
    request = DoctorRequest(
        paths=paths,
        context=spec_context(environment, os.environ),
        owner=owner_for(ctx, owner, environment),
        env_name=None if environment is None else environment.name,
        write_probe=write_probe,
    )
    report = run_doctor(request, settings)
    text = render_json(report) if output_format == "json" else render_text(report)
    click.echo(text, nl=False)
    return report.exit_code
