"""What `.ci/run` runs, kept in step with the README, pyproject.toml and the developer's venv."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
CI_RUN = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def tool() -> dict[str, Any]:
    if sys.version_info < (3, 11):
        pytest.skip("reads pyproject.toml with tomllib (Python 3.11+)")
    import tomllib

    document = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return dict(document["tool"])


def pytest_words(command: str) -> list[str]:
    """The words from ``-m pytest`` on of a shell command line."""
    words = shlex.split(command)
    start = words.index("pytest") - 1
    assert words[start] == "-m"
    return words[start:]


def readme_test_command() -> str:
    (line,) = [x for x in README.splitlines() if "pip install -q -e '.[test]'" in x]
    return line.split("&&")[-1].strip()


def ci_steps() -> list[str]:
    return [line for line in CI_RUN.splitlines() if "-m pytest" in line]


def test_ci_runs_exactly_the_readme_s_test_command() -> None:
    readme = pytest_words(readme_test_command())
    assert readme == ["-m", "pytest", "-q", "-n", "auto"]
    first = ci_steps()[0]
    assert pytest_words(first) == readme
    # Coverage comes in through the environment, so the command itself stays the README's.
    assert first.startswith('PYTEST_ADDOPTS="--cov ')


def test_the_long_tests_the_default_run_leaves_out_run_in_their_own_step(
    tool: dict[str, Any],
) -> None:
    options = tool["pytest"]["ini_options"]
    addopts = options["addopts"]
    left_out = addopts[addopts.index("-m") + 1]
    markers = {m.split(":")[0] for m in options["markers"]}
    assert left_out == "not slow and not soak and not smoke"
    assert {"slow", "soak", "smoke"} <= markers
    (long_step,) = ci_steps()[1:]
    assert pytest_words(long_step) == [
        *("-m", "pytest", "-q", "-n", "auto"),
        *("-m", "slow or soak or smoke"),
    ]


def test_ci_never_deletes_the_developer_s_venv() -> None:
    removals = re.findall(r'rm -rf ("[^"]+")', CI_RUN)
    assert removals == ['"$venv"', '"$actionlint_dir"']
    assert "venv=.ci-venv\n" in CI_RUN
    assert "/.ci-venv/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    commands = "\n".join(x for x in CI_RUN.splitlines() if not x.lstrip().startswith("#"))
    assert not re.search(r"(?<![-\w])\.venv\b", commands)


def test_coverage_has_a_floor(tool: dict[str, Any]) -> None:
    assert tool["coverage"]["report"]["fail_under"] >= 80
    assert tool["coverage"]["run"]["source"] == ["reconciler"]


def test_the_readme_s_development_section_lists_every_step() -> None:
    section = README.split("## Development", 1)[1]
    steps = re.findall(r"^  \d+\. (.+)$", section, flags=re.M)
    headings = re.findall(r'^echo "== (.+)"$', CI_RUN, flags=re.M)
    # A fresh venv, then one README step per heading, in order; the two mypy headings are one
    # README step, and so are actionlint and the schemas.
    assert len(steps) == 1 + len(headings) - 2
    words = ("tests", "long", "ruff", "mypy", "mypy", "import", "actionlint", "schemas")
    for word, heading in zip(
        (*words, "validate", "smoke"),
        headings,
        strict=True,
    ):
        assert word in heading, heading
    for needle in ('-m "slow or soak or smoke"', ".ci-venv", "tests/mypy.ini", "fail_under"):
        assert needle in section, needle
