"""Start-up: commands load lazily, so ``validate`` and ``--help`` stay light.

Each check runs a fresh interpreter (modules already imported by other tests would hide an
import), and looks at which modules the command loaded, never at how long it took.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from reconciler.cli import cli, run
from reconciler.cli.commands import COMMANDS

CASES = Path(__file__).resolve().parent / "cases"
HEAVY = ("httpx", "asyncio", "reconciler.executor", "reconciler.webhooks", "reconciler.audit")

PROBE = """
import json, sys
from reconciler.cli import run
code = run(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def modules_after(args: list[str], cwd: Path) -> tuple[int, set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return report["code"], set(report["modules"])


@pytest.mark.parametrize(
    "args",
    [["--help"], ["validate"], ["validate", "--format", "json"], ["--version"]],
)
def test_light_commands_load_neither_httpx_nor_asyncio(args: list[str]) -> None:
    code, modules = modules_after(args, CASES / "valid-multi-document-and-subfolder")
    assert code == 0
    loaded = sorted(name for name in modules if name.split(".")[0] in HEAVY or name in HEAVY)
    assert loaded == []
    # Checking specs never needs the planner or its renderers (they cost ~40 ms to import).
    assert not {"reconciler.planner", "reconciler.artifacts"} & modules


def test_settings_module_does_not_import_httpx(tmp_path: Path) -> None:
    probe = "import sys, reconciler.genesys.settings; print('httpx' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "False"


def test_lazy_help_lists_what_the_commands_themselves_say(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The table in cli/commands/__init__.py against each command's own docstring.
    ctx = click.Context(cli)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None, name
        assert command.help is not None
        assert command.help.split("\n\n")[0] == COMMANDS[name][1], name
    assert run(["--help"]) == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert f"  {name} " in out


def test_every_command_module_is_in_the_table() -> None:
    folder = Path(__file__).resolve().parent.parent / "reconciler" / "cli" / "commands"
    modules = {path.stem for path in folder.glob("*.py") if path.stem != "__init__"}
    listed = {module.rsplit(".", 1)[1] for module, _ in COMMANDS.values()}
    assert modules == listed


def test_an_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["valdate"]) == 64
    assert "No such command 'valdate'" in capsys.readouterr().err
