"""Docs that cannot drift: the README's command table, every flag the README and docs/*.md
mention, and every reconciler command they show, checked against the commands themselves.

Each example runs on the embedded sandbox in a temp copy of channels/ and environments/ (in
the order its page gives them), unless it needs what a test cannot have (a real org's
audit file, a terminal, a webhook endpoint, a server that runs until stopped): then it must
at least parse as a valid invocation (NOT_RUN says why, per example).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import click
import pytest
from doc_examples import DOCS, ROOT, Example, examples

from reconciler.cli import cli, run
from reconciler.cli.commands import COMMANDS

#: Flags of other tools that the docs mention, and whose they are.
FOREIGN = {
    "--strict": "mypy",
    "--stat": "git diff",
    "--builtin-schema": "check-jsonschema",
    "--noprofile": "bash",
    "--norc": "bash",
    "--no-index": "pip",
    "--no-deps": "pip",
    "--no-build-isolation": "pip",
    "--require-hashes": "pip",
    "--channels": "benchmarks/soak.py",
    "--runs": "benchmarks/soak.py",
    "--fault-rate": "benchmarks/soak.py",
    "--actions": "benchmarks/kill_soak.py",
    "--kills": "benchmarks/kill_soak.py",
}
#: Examples shown but not run here (they still must parse), and why.
NOT_RUN = {
    "reconciler sandbox serve": "serves until stopped (tests/sandbox/test_cli.py runs it)",
    "reconciler sandbox serve --port 0": "serves until stopped",
    "reconciler webhooks redeliver": "needs WEBHOOK_URL, a receiver (tests/events cover it)",
    "reconciler audit verify audit/prod.jsonl": "a prod org's log; the sandbox writes sandbox's",
    "reconciler apply --force": "asks for confirmation on a terminal",
}
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9]*(?:-[a-z0-9]+)*(?![\w-])")


def commands(group: click.Group = cli, prefix: str = "") -> dict[str, click.Command]:
    """Every command by its path (``plan``, ``audit verify``), groups included."""
    ctx = click.Context(group)
    found: dict[str, click.Command] = {}
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        path = f"{prefix}{name}"
        found[path] = command
        if isinstance(command, click.Group):
            found.update(commands(command, f"{path} "))
    return found


def flags_of(command: click.Command) -> set[str]:
    return {
        opt
        for param in command.params
        for opt in (*param.opts, *param.secondary_opts)
        if opt.startswith("--")
    }


ALL_COMMANDS = commands()
ALL_FLAGS = flags_of(cli) | {"--help"} | set().union(*map(flags_of, ALL_COMMANDS.values()))


def command_path(args: list[str]) -> tuple[str, list[str]]:
    """The longest command path at the start of ``args`` (global options skipped)."""
    words = [a for a in args if a not in flags_of(cli)]
    path = ""
    for word in words:
        candidate = f"{path} {word}".strip()
        if candidate not in ALL_COMMANDS:
            break
        path = candidate
    return path, words[len(path.split()) :] if path else words


def parse(args: list[str]) -> None:
    """Parse ``args`` as click would run them, without running anything. A path option
    that must exist may name a file this temp folder lacks: the syntax is what is checked."""
    ctx = cli.make_context("reconciler", list(args))
    command: click.Command = cli
    while isinstance(command, click.Group):
        # click keeps the command name apart from its arguments (_protected_args since 8.2).
        rest = [
            *ctx.__dict__.get("_protected_args", ctx.__dict__.get("protected_args", [])),
            *ctx.args,
        ]
        if not rest:
            return
        name, sub, rest = command.resolve_command(ctx, rest)
        assert sub is not None
        assert name is not None
        try:
            ctx = sub.make_context(name, rest, parent=ctx)
        except click.BadParameter as exc:
            if "does not exist" not in exc.format_message():
                raise
            return
        command = sub


@pytest.fixture(scope="module")
def shown() -> list[Example]:
    found = examples()
    assert len(found) > 30, "the extraction finds the docs' examples"
    return found


def test_the_readme_table_lists_every_command_with_its_own_flags() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = [line for line in readme.splitlines() if line.startswith("| `reconciler ")]
    listed = set()
    for row in rows:
        synopsis, *spans = re.findall(r"`([^`]+)`", row)
        row_path, _ = command_path(synopsis.split()[1:])
        assert row_path, row
        listed.add(row_path.split()[0])
        for span in spans:
            # `apply --plan` in another command's row is apply's flag
            named, _ = command_path(span.split())
            path = named or row_path
            own = flags_of(ALL_COMMANDS[path]).union(
                *(flags_of(c) for p, c in ALL_COMMANDS.items() if p.startswith(f"{path} "))
            )
            for flag in FLAG.findall(span):
                assert flag in own | flags_of(cli), f"{flag} is not an option of {path}: {row}"
    assert listed == set(COMMANDS)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_flag_the_docs_mention_exists(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    unknown = sorted(set(FLAG.findall(text)) - ALL_FLAGS - FOREIGN.keys())
    assert unknown == [], f"{doc.name} mentions flags no command has: {unknown}"


def test_every_example_names_a_command_and_parses(shown: list[Example]) -> None:
    for example in shown:
        if example.synopsis:
            path, _ = command_path(example.args)
            assert path or not example.args, f"unknown command: {example}"
            for flag in FLAG.findall(example.text):
                assert flag in flags_of(ALL_COMMANDS[path]) | flags_of(cli), str(example)
            continue
        path, rest = command_path(example.args)
        if not path or (isinstance(ALL_COMMANDS[path], click.Group) and not rest):
            continue  # the tool's or a group's name in prose
        if not rest and not any(a.startswith("-") for a in example.args):
            # a command named in prose ("reconciler audit verify checks ..."), arguments
            # elsewhere: it must exist
            assert path in ALL_COMMANDS, str(example)
            if any(p.required for p in ALL_COMMANDS[path].params):
                continue
        try:
            parse(example.args)
        except click.ClickException as exc:
            pytest.fail(f"{example}: {exc.format_message()}")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_example_runs_on_the_sandbox(
    doc: Path, shown: list[Example], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    page = [e for e in shown if e.doc == doc.relative_to(ROOT).as_posix() and not e.synopsis]
    shutil.copytree(ROOT / "channels", tmp_path / "channels")
    shutil.copytree(ROOT / "environments", tmp_path / "environments")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RECONCILER_SANDBOX", "1")
    ran = 0
    for example in sorted(page, key=lambda e: e.line):
        path, rest = command_path(example.args)
        required = path and any(p.required for p in ALL_COMMANDS[path].params)
        if example.text in NOT_RUN or not example.args or (required and not rest):
            continue
        code = run(example.args)
        captured = capsys.readouterr()
        assert code in (0, 2), f"{example}: exit {code}\n{captured.err}"
        ran += 1
    if page:
        assert ran, f"no example of {doc.name} ran"
