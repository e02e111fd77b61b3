"""``reconciler schema NAME``: print or write one of the JSON Schemas shipped in the package.

A team's repository has no ``schemas/`` folder of its own; ``reconciler schema channel --out
schemas/channel.schema.json`` puts one there, the path that the first line of every file
``reconciler import`` writes (``# yaml-language-server: $schema=...``) points at, so editors
validate specs as they are typed. The text is the packaged file, byte for byte.

Exit status: 0 written; 1 the file cannot be written; 64 an unknown NAME.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import click

from reconciler.cli.app import EXIT_OK, cli

#: NAME -> the schema file in reconciler/schemas/ (spec kinds by their ``kind:`` value).
SCHEMAS = {
    "channel": "channel.schema.json",
    "webDeployment": "webdeployment.schema.json",
    "supportedContent": "supportedcontent.schema.json",
    "messagingSetting": "messagingsetting.schema.json",
    "messagingDefaults": "messagingdefaults.schema.json",
    "environment": "environment.schema.json",
    "plan": "plan.schema.json",
    "event": "event.schema.json",
}


@cli.command()
@click.argument("name", metavar="NAME", type=click.Choice(list(SCHEMAS), case_sensitive=False))
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the schema to this file (its folder is created) instead of stdout.",
)
def schema(name: str, out_path: Path | None) -> int:
    """Print the JSON Schema of a spec kind (channel, webDeployment), environment, plan or event.

    With --out, write it to a file, for editors: 'reconciler schema channel --out
    schemas/channel.schema.json' is where the files 'reconciler import' writes point.
    """
    from reconciler.artifacts import write_atomic
    from reconciler.errors import ConfigError

    resource = SCHEMAS[next(key for key in SCHEMAS if key.lower() == name.lower())]
    text = resources.files("reconciler.schemas").joinpath(resource).read_text("utf-8")
    if out_path is None:
        click.echo(text, nl=False)
        return EXIT_OK
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot write {out_path}: {exc.strerror or exc}") from exc
    write_atomic(out_path, text)
    click.echo(f"Wrote {out_path.as_posix()}.", err=True)
    return EXIT_OK
