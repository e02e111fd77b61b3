"""The click group, global options and the one error handler.

The CLI is the only layer that prints. Each command turns its options into a small options
object, calls one function that returns a result, renders it and returns an exit code.

Exit codes (every command):

    0    success (for plan --detailed-exitcode and drift: no changes)
    1    failure: invalid specs, API error, refused plan, failed action
    2    changes present (only plan --detailed-exitcode and drift)
    3    unexpected error: a bug; the message says how to report it
    64   usage error: a bad flag, option, argument or combination (EX_USAGE, sysexits.h),
         never 2, so a script reading 2 as "changes" cannot mistake a typo for drift
    130  interrupted (Ctrl-C)
    143  terminated (SIGTERM; apply ends in order, as on Ctrl-C)
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from reconciler import __version__
from reconciler.cli.commands import COMMANDS
from reconciler.errors import ReconcilerError, UsageError

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CHANGES = 2
EXIT_UNEXPECTED = 3
EXIT_USAGE = UsageError.exit_code  # 64: click's usage errors and ours exit alike
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # SIGTERM (128 + 15): a cancelled CI job

#: What click 8.2+ raises for a group run without a command (its message is the help text);
#: click 8.1 prints that help itself and exits 0.
NO_ARGS_IS_HELP: type[click.UsageError] = getattr(
    click.exceptions, "NoArgsIsHelpError", type("NoArgsIsHelpError", (click.UsageError,), {})
)

REPORT_HINT = (
    "this is a bug in reconciler {version}; please report it with the command you ran "
    "and this message (run with RECONCILER_DEBUG=1 for the traceback)"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class GlobalOptions:
    """Options that every command sees."""

    sandbox: bool


class SuggestingGroup(click.Group):
    """A group that answers a mistyped command with the nearest ones (``did you mean
    'plan'?``)."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            from reconciler.suggest import did_you_mean

            hint = did_you_mean(name, self.list_commands(ctx))
            if hint:
                ctx.fail(f"No such command {name!r}; {hint}")
        return super().resolve_command(ctx, args)


SuggestingGroup.group_class = SuggestingGroup  # its sub-groups (audit, sandbox) suggest too


class LazyGroup(SuggestingGroup):
    """A group whose commands are imported when they run (click's lazy-group pattern).

    ``lazy`` maps each command name to its module, which registers the command on the group
    when imported, and to the first paragraph of its help, so ``--help`` imports nothing.
    """

    def __init__(self, *args: Any, lazy: Mapping[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            importlib.import_module(self.lazy[cmd_name][0])
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = [name for name in self.list_commands(ctx) if not self._hidden(name)]
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            # Not imported yet: a stand-in with the same help, shortened by click's own rule.
            command = self.commands.get(name) or click.Command(name, help=self.lazy[name][1])
            rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def _hidden(self, name: str) -> bool:
        command = self.commands.get(name)
        return command is not None and command.hidden


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="reconciler")
@click.option(
    "--sandbox",
    is_flag=True,
    envvar="RECONCILER_SANDBOX",
    help="Use the embedded sandbox emulator instead of a real org (no credentials needed); "
    "the same as GENESYS_ENVIRONMENT=sandbox.",
)
@click.pass_context
def cli(ctx: click.Context, sandbox: bool) -> None:
    """Declarative GitOps reconciler for Genesys Cloud web messaging channels."""
    ctx.obj = GlobalOptions(sandbox=sandbox)


F = TypeVar("F", bound=Callable[..., Any])


def sandbox_option(command: F) -> F:
    """``--sandbox`` after the command name too (``reconciler plan --sandbox``)."""

    def remember(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        if value:
            ctx.obj = GlobalOptions(sandbox=True)

    return click.option(
        "--sandbox",
        is_flag=True,
        expose_value=False,
        callback=remember,
        help="Use the embedded sandbox emulator (same as the global --sandbox).",
    )(command)


QUIET, NORMAL, VERBOSE = 0, 1, 2


def verbosity_options(command: F) -> F:
    """``-q/--quiet`` and ``-v/--verbose``, passed to the command as ``quiet`` and ``verbose``;
    ``verbosity(quiet, verbose)`` makes them one level."""
    command = click.option(
        "-v",
        "--verbose",
        is_flag=True,
        help="Say more: every object, also the unchanged ones and, on a terminal, every action.",
    )(command)
    command = click.option(
        "-q", "--quiet", is_flag=True, help="Print only the summary line, warnings and errors."
    )(command)
    return command


def verbosity(quiet: bool, verbose: bool) -> int:
    """One level from the two flags; both at once is a usage error."""
    if quiet and verbose:
        raise UsageError("--quiet and --verbose cannot be used together")
    return QUIET if quiet else VERBOSE if verbose else NORMAL


def global_options(ctx: click.Context) -> GlobalOptions:
    obj = ctx.find_object(GlobalOptions)
    return obj if obj is not None else GlobalOptions(sandbox=False)


def sentence(message: str) -> str:
    """The message as a sentence: stripped, ending with a full stop (or its own ? or !)."""
    text = message.strip()
    return text if text.rstrip(")").endswith((".", "?", "!")) else f"{text}."


def echo_error(message: str) -> None:
    """``error: <message>.`` on stderr: every error the CLI reports ends with a full stop."""
    click.echo(f"error: {sentence(message)}", err=True)


def run(args: list[str] | None = None, *, prog_name: str = "reconciler") -> int:
    """Run the CLI and return its exit code; every exception ends here."""
    try:
        result: Any = cli.main(args=args, prog_name=prog_name, standalone_mode=False)
    except click.exceptions.Exit as exc:  # --help, --version
        return int(exc.exit_code)
    except NO_ARGS_IS_HELP as exc:  # bare `reconciler` (or group): the command list
        click.echo(exc.format_message())
        return EXIT_OK
    except click.UsageError as exc:
        hint = f" Try '{exc.ctx.command_path} --help'." if exc.ctx is not None else ""
        echo_error(f"{sentence(exc.format_message())}{hint}")
        return EXIT_USAGE
    except click.ClickException as exc:
        echo_error(exc.format_message())
        return EXIT_FAILURE
    except (KeyboardInterrupt, click.exceptions.Abort):
        echo_error("interrupted")
        return EXIT_INTERRUPTED
    except ReconcilerError as exc:
        echo_error(str(exc))
        return exc.exit_code
    except BrokenPipeError:
        # stdout closed early (`reconciler plan | head`): not an error of ours.
        sys.stderr.close()
        return EXIT_FAILURE
    except Exception as exc:
        if os.environ.get("RECONCILER_DEBUG"):
            raise
        echo_error(f"unexpected {type(exc).__name__}: {exc}")
        echo_error(REPORT_HINT.format(version=__version__))
        return EXIT_UNEXPECTED
    return int(result) if isinstance(result, int) else EXIT_OK
