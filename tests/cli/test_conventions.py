"""Command-line conventions users of Terraform and octoDNS expect: --version from one source,
a bare command listing the commands, -q/-v, errors that are sentences, network failures that
name the host, and click's shell completion."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from support import pointed_at, sandbox_app

import reconciler
from reconciler.cli import run
from reconciler.cli.commands import COMMANDS
from reconciler.cli.commands.apply import TerminalHooks
from reconciler.executor import ActionResult, ActionStatus
from reconciler.planner import ActionKind

ROOT = Path(__file__).resolve().parents[2]


def test_version_has_one_source(capsys) -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    project = pyproject.split("[project]\n", 1)[1].split("\n[", 1)[0]
    assert not re.search(r"^version\s*=", project, re.M)  # no second copy to forget
    assert re.search(r'^dynamic = \["version"\]', project, re.M)
    assert '[tool.hatch.version]\npath = "reconciler/__init__.py"' in pyproject
    assert run(["--version"]) == 0
    assert capsys.readouterr().out == f"reconciler, version {reconciler.__version__}\n"
    assert version("reconciler") == reconciler.__version__


def test_bare_reconciler_lists_the_commands_and_exits_0(capsys) -> None:
    assert run([]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    listed = re.findall(r"^  (\S+)  ", captured.out.split("Commands:", 1)[1], re.M)
    assert listed == sorted(COMMANDS)


def test_a_bare_group_lists_its_subcommands(capsys) -> None:
    assert run(["audit"]) == 0
    assert "verify" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["plan", "--no-such-flag"], "No such option '--no-such-flag'. Try"),
        (["schema", "queue"], "'event'. Try 'reconciler schema --help'."),
        (["show", "missing.json"], "cannot read plan missing.json: No such file or directory."),
        (["plan", "-q", "-v"], "--quiet and --verbose cannot be used together."),
    ],
)
def test_every_error_is_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, args, expected
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "channels").mkdir()
    assert run(args) in (1, 64)
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("error: ")
    assert err.rstrip("\n").endswith(".")
    assert expected in err


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def planning(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(
        ROOT / "channels",
        workdir / "channels",
        ignore=shutil.ignore_patterns("web"),
        dirs_exist_ok=True,
    )
    monkeypatch.setenv("RECONCILER_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("RECONCILER_BACKOFF_BASE", "0")
    return workdir


@pytest.mark.socket
def test_an_unreachable_login_host_is_named(planning, monkeypatch, capsys) -> None:
    port = closed_port()
    monkeypatch.setenv("GENESYS_LOGIN_URL", f"http://localhost:{port}")
    monkeypatch.setenv("GENESYS_API_URL", f"http://127.0.0.1:{port}")
    assert run(["plan"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        "error: could not reach localhost: POST /oauth/token (token request): ConnectError ("
    )
    assert err.endswith("; GET /api/v2/webmessaging/channels not sent (after 2 attempts).\n")


@pytest.mark.socket
def test_an_unreachable_api_host_is_named(planning, monkeypatch, capsys) -> None:
    with pointed_at(monkeypatch, sandbox_app()):  # the token comes from here
        monkeypatch.setenv("GENESYS_API_URL", f"http://localhost:{closed_port()}")
        assert run(["plan"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: could not reach localhost: GET /api/v2/webmessaging/channels")
    assert "token request" not in err


def test_apply_quiet_prints_the_summary_only(planning, monkeypatch, capsys) -> None:
    assert run(["--sandbox", "apply", "--yes", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Apply succeeded: 6 succeeded, 0 failed, 0 skipped in ")
    assert out.count("\n") == 1


def test_import_quiet_prints_the_summary_only(planning, monkeypatch, capsys) -> None:
    assert run(["--sandbox", "apply", "--yes", "-q"]) == 0
    capsys.readouterr()
    assert run(["--sandbox", "import", "-q", "--out-dir", "imported"]) == 0
    assert capsys.readouterr().out == (
        "Imported 9 of 9 object(s) from sandbox into imported/; 0 skipped.\n"
    )
    assert len(list(Path("imported").rglob("*.yaml"))) == 9


def action(name: str) -> ActionResult:
    return ActionResult(
        kind=ActionKind.CREATE,
        name=name,
        status=ActionStatus.SUCCEEDED,
        attempts=1,
        latency_ms=3.0,
    )


@pytest.mark.parametrize(("verbose", "bar"), [(False, True), (True, False)])
def test_verbose_lists_every_action_on_a_terminal(capsys, verbose: bool, bar: bool) -> None:
    from reconciler.cli.app import NORMAL, VERBOSE

    hooks = TerminalHooks(
        assume_yes=True, interactive=True, color=False, level=VERBOSE if verbose else NORMAL
    )
    hooks.finished(action("Kiosk"), 1, 2, 0.0)
    captured = capsys.readouterr()
    assert ("[###" in captured.err) is bar
    assert ("ok      create Kiosk (1 request(s), 3 ms)" in captured.out) is verbose


def test_bash_completion_script_is_what_the_readme_says(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "_RECONCILER_COMPLETE=bash_source reconciler" in readme
    env = {**os.environ, "_RECONCILER_COMPLETE": "bash_source"}
    done = subprocess.run(
        [sys.executable, "-c", "from reconciler.cli import main; main()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "_reconciler_completion" in done.stdout
