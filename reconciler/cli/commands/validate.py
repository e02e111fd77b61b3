"""``reconciler validate``: check channel specs and report every problem at once."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import click

from reconciler.cli.app import EXIT_FAILURE, EXIT_OK, cli
from reconciler.cli.options import DEFAULT_PATH, env_option
from reconciler.environments import load_environment, spec_context
from reconciler.errors import SpecError, UsageError
from reconciler.render.diagnostics import RENDERERS, Checked
from reconciler.spec.validate import validate_paths


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidateOptions:
    paths: tuple[str, ...]
    output_format: str
    env_name: str | None = None


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
@env_option
def validate(paths: tuple[str, ...], output_format: str, env_name: str | None) -> int:
    """Check the channel specs in PATH... (files or folders; default: channels/).

    Reports every problem of every file, then a summary, on stdout. With --env NAME the
    specs are checked as that environment sees them: its variables resolved, the specs limited
    to other environments left out; the environment file's own problems are listed the same
    way. Exit status: 0 when all specs are valid, 1 when any is not (or the environment is
    unknown), 64 for a usage error such as a path that does not exist.
    """
    if not paths:
        if not Path(DEFAULT_PATH).is_dir():
            raise UsageError(
                f"no PATH given and no {DEFAULT_PATH}/ folder in the current directory"
            )
        paths = (DEFAULT_PATH,)
    return run_validate(
        ValidateOptions(paths=paths, output_format=output_format, env_name=env_name)
    )


def run_validate(options: ValidateOptions) -> int:
    environment = None
    if options.env_name is not None and options.env_name.strip():
        try:
            environment = load_environment(options.env_name.strip())
        except SpecError as exc:
            checked = Checked(files=1, channels=0)
            click.echo(RENDERERS[options.output_format](exc.diagnostics, checked))
            return EXIT_FAILURE
    result = validate_paths(options.paths, spec_context(environment, os.environ))
    checked = Checked(files=len(result.files), channels=result.channels)
    click.echo(RENDERERS[options.output_format](result.diagnostics, checked))
    return EXIT_OK if result.ok else EXIT_FAILURE
