"""``reconciler validate``: check channel specs and report every problem at once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from reconciler.cli.app import EXIT_FAILURE, EXIT_OK, cli
from reconciler.errors import UsageError
from reconciler.render.diagnostics import RENDERERS, Checked
from reconciler.spec.validate import validate_paths

DEFAULT_PATH = "channels"


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidateOptions:
    paths: tuple[str, ...]
    output_format: str


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
def validate(paths: tuple[str, ...], output_format: str) -> int:
    """Check the channel specs in PATH... (files or folders; default: channels/).

    Reports every problem of every file, then a summary, on stdout. Exit status: 0 when all
    specs are valid, 1 when any is not, 2 for a usage error such as a path that does not exist.
    """
    if not paths:
        if not Path(DEFAULT_PATH).is_dir():
            raise UsageError(
                f"no PATH given and no {DEFAULT_PATH}/ folder in the current directory"
            )
        paths = (DEFAULT_PATH,)
    return run_validate(ValidateOptions(paths=paths, output_format=output_format))


def run_validate(options: ValidateOptions) -> int:
    result = validate_paths(options.paths)
    checked = Checked(files=len(result.files), channels=result.channels)
    click.echo(RENDERERS[options.output_format](result.diagnostics, checked))
    return EXIT_OK if result.ok else EXIT_FAILURE
