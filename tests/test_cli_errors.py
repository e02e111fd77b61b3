"""The one error handler: every failure is one line and a documented exit code, never a
traceback (unless RECONCILER_DEBUG asks for one)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import click
import pytest

from reconciler.cli import cli, run
from reconciler.errors import ConfigError, PlanError, UsageError


@pytest.fixture
def command() -> Iterator[Callable[[BaseException], None]]:
    """Register a throwaway command that raises what the test says."""
    raised: list[BaseException] = []

    @click.command("explode")
    def explode() -> None:
        raise raised[0]

    cli.add_command(explode)
    try:
        yield raised.append
    finally:
        cli.commands.pop("explode", None)


@pytest.mark.parametrize(
    ("error", "code", "line"),
    [
        (ConfigError("missing GENESYS_CLIENT_ID; set it or use --sandbox"), 1, "missing"),
        (PlanError("the plan is stale"), 1, "the plan is stale"),
        (UsageError("--plan x: no such file"), 64, "--plan x: no such file"),
        (KeyboardInterrupt(), 130, "interrupted"),
    ],
)
def test_known_errors_are_one_line_and_their_exit_code(
    command: Callable[[BaseException], None],
    capsys: pytest.CaptureFixture[str],
    error: BaseException,
    code: int,
    line: str,
) -> None:
    command(error)
    assert run(["explode"]) == code
    # One line (click ends a Ctrl-C'd terminal line with a bare newline first).
    err = capsys.readouterr().err.lstrip("\n")
    assert err.count("\n") == 1
    assert err.startswith("error: ")
    assert line in err


def test_an_unexpected_error_exits_3_with_how_to_report_it(
    command: Callable[[BaseException], None],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("RECONCILER_DEBUG", raising=False)
    command(ZeroDivisionError("division by zero"))
    assert run(["explode"]) == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "unexpected ZeroDivisionError: division by zero" in err
    assert "please report it" in err
    assert "RECONCILER_DEBUG=1" in err


def test_reconciler_debug_shows_the_traceback(
    command: Callable[[BaseException], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECONCILER_DEBUG", "1")
    command(ZeroDivisionError("division by zero"))
    with pytest.raises(ZeroDivisionError):
        run(["explode"])


def test_an_unknown_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["plan", "--no-such-flag"]) == 64
    err = capsys.readouterr().err
    assert err == "error: No such option '--no-such-flag'. Try 'reconciler plan --help'.\n"
    assert "Traceback" not in err


def test_help_and_version_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--help"]) == 0
    assert "apply" in capsys.readouterr().out
    assert run(["--version"]) == 0
    assert "reconciler, version" in capsys.readouterr().out


def test_a_usage_error_is_never_read_as_changes(capsys: pytest.CaptureFixture[str]) -> None:
    # Scripts read exit 2 from drift and plan --detailed-exitcode as "changes present".
    assert run(["drift", "--max-delete-pct", "101"]) == 64
    assert run(["plan", "--detailed-exitcode", "--safety-min-existing", "-1"]) == 64
    assert "--safety-min-existing" in capsys.readouterr().err
