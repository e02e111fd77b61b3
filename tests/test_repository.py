"""The repository keeps its promises to a new user: the README's commands are the ones CI runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, re.S)]


def test_quick_start_has_the_two_commands_first() -> None:
    commands = quick_start_commands()
    assert len(commands) >= 2
    main_job, tests = commands[0], commands[1]
    assert "pip install" in main_job
    assert "reconciler" in main_job.split("&&")[-1]
    assert "'.[test]'" in tests
    assert "pytest" in tests


def test_ci_runs_exactly_the_readme_test_command() -> None:
    test_command = quick_start_commands()[1]
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_command in ci_lines


def test_schemas_folder_is_the_packaged_one() -> None:
    # One copy of every schema: the top-level folder users point tools at is the wheel's.
    assert (ROOT / "schemas").resolve() == (ROOT / "reconciler" / "schemas").resolve()
