"""``reconciler validate``: check channel specs and report every problem at once.

``--env`` may be given more than once, and ``--all-envs`` checks the specs as every environment
in ``environments/`` sees them (the pre-commit hook's default): a repository whose specs use
``${var.X}`` has no valid reading without an environment."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import click
from click.core import ParameterSource

from reconciler.cli.app import EXIT_FAILURE, EXIT_OK, cli
from reconciler.cli.options import DEFAULT_PATH
from reconciler.environments import available, load_environment, spec_context
from reconciler.errors import SpecError, UsageError
from reconciler.render.diagnostics import RENDERERS, Checked
from reconciler.spec.validate import validate_paths


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidateOptions:
    paths: tuple[str, ...]
    output_format: str
    env_name: str | None = None
    env_names: tuple[str, ...] = ()  # several: each checked in turn (--all-envs, --env ...)


@cli.command()
@click.argument("paths", nargs=-1, metavar="[PATH]...", type=click.Path(exists=True, path_type=str))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(list(RENDERERS)),
    default="text",
    show_default=True,
    help="text: file:line:col lines; json: one document; github: workflow annotations.",
)
@click.option(
    "--env",
    "env_names",
    envvar="RECONCILER_ENV",
    metavar="NAME",
    multiple=True,
    help="Use environments/NAME.yaml: its ${var.X} variables and spec selection; repeatable "
    "(each environment is checked in turn); env RECONCILER_ENV.",
)
@click.option(
    "--all-envs",
    is_flag=True,
    help="Check the specs as every environment in environments/ sees them (none there: "
    "once, without one). The pre-commit hook's default.",
)
@click.pass_context
def validate(
    ctx: click.Context,
    paths: tuple[str, ...],
    output_format: str,
    env_names: tuple[str, ...],
    all_envs: bool,
) -> int:
    """Check the channel specs in PATH... (files or folders; default: channels/).

    Reports every problem of every file, then a summary, on stdout. With --env NAME the
    specs are checked as that environment sees them: its variables resolved, the specs limited
    to other environments left out; the environment file's own problems are listed the same
    way. --all-envs (or --env more than once) checks them once per environment. Exit status:
    0 when all specs are valid, 1 when any is not (or the environment is unknown), 64 for a
    usage error such as a path that does not exist.
    """
    if not paths:
        if not Path(DEFAULT_PATH).is_dir():
            raise UsageError(
                f"no PATH given and no {DEFAULT_PATH}/ folder in the current directory"
            )
        paths = (DEFAULT_PATH,)
    names = tuple(name.strip() for name in env_names if name.strip())
    if all_envs:
        if names and ctx.get_parameter_source("env_names") is ParameterSource.COMMANDLINE:
            raise UsageError("--all-envs checks every environment: give it or --env, not both")
        names = tuple(available())  # RECONCILER_ENV in the shell does not narrow it
    if len(names) > 1:
        return run_validate_each(paths, output_format, names)
    return run_validate(
        ValidateOptions(
            paths=paths, output_format=output_format, env_name=names[0] if names else None
        )
    )


def run_validate_each(paths: tuple[str, ...], output_format: str, names: tuple[str, ...]) -> int:
    """Each environment in turn, every problem of each reported: text and github name the
    environment before its lines; json is one document holding one report per environment."""
    failed = False
    reports: dict[str, object] = {}
    for name in names:
        options = ValidateOptions(paths=paths, output_format=output_format, env_name=name)
        if output_format == "json":
            code, text = render_validate(options)
            reports[name] = json.loads(text)
        else:
            click.echo(f"environment {name}:")
            code = run_validate(options)
        failed = failed or code != EXIT_OK
    if output_format == "json":
        click.echo(json.dumps({"environments": reports}, indent=2, ensure_ascii=False))
    return EXIT_FAILURE if failed else EXIT_OK


def run_validate(options: ValidateOptions) -> int:
    code, text = render_validate(options)
    click.echo(text)
    return code


def render_validate(options: ValidateOptions) -> tuple[int, str]:
    """The exit code and the report of one validation (one environment, or none)."""
    environment = None
    if options.env_name is not None and options.env_name.strip():
        try:
            environment = load_environment(options.env_name.strip())
        except SpecError as exc:
            checked = Checked(files=1, channels=0)
            return EXIT_FAILURE, RENDERERS[options.output_format](exc.diagnostics, checked)
    result = validate_paths(options.paths, spec_context(environment, os.environ))
    checked = Checked(files=len(result.files), channels=result.channels)
    text = RENDERERS[options.output_format](result.diagnostics, checked)
    return (EXIT_OK if result.ok else EXIT_FAILURE), text
