"""Packaging and platforms: the wheel's metadata is complete, the version has one source, CI
tests the three operating systems administrators run plan on, and the package uses nothing
POSIX-only without a guard.

The build itself (python -m build, then twine check --strict) runs in CI's lint job, in a
venv of its own: build and twine are not test dependencies.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def project() -> dict:
    if sys.version_info < (3, 11):
        pytest.skip("reads pyproject.toml with tomllib (Python 3.11+)")
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_metadata_is_complete(project: dict) -> None:
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    assert project["dynamic"] == ["version"]
    assert project["readme"] == "README.md"
    assert project["requires-python"] == ">=3.10"
    classifiers = set(project["classifiers"])
    lowest = int(project["requires-python"].removeprefix(">=3."))
    for minor in range(lowest, 14):
        assert f"Programming Language :: Python :: 3.{minor}" in classifiers
    assert "Operating System :: OS Independent" in classifiers
    assert not any(c.startswith("License ::") for c in classifiers)  # PEP 639: the expression
    assert {"Homepage", "Source", "Issues", "Changelog", "Documentation"} <= set(project["urls"])
    assert project["scripts"] == {"reconciler": "reconciler.cli:main"}


def test_the_ci_python_versions_are_the_classified_ones(project: dict) -> None:
    ci = YAML(typ="safe").load((ROOT / ".github" / "workflows" / "ci.yml").read_text("utf-8"))
    matrix = ci["jobs"]["test"]["strategy"]["matrix"]
    tested = set(matrix["python-version"]) | {i["python-version"] for i in matrix["include"]}
    classified = {
        c.rsplit(" :: ", 1)[1] for c in project["classifiers"] if re.search(r":: 3\.\d+$", c)
    }
    assert tested == classified


def test_ci_tests_linux_macos_and_windows() -> None:
    ci = YAML(typ="safe").load((ROOT / ".github" / "workflows" / "ci.yml").read_text("utf-8"))
    test = ci["jobs"]["test"]
    assert test["runs-on"] == "${{ matrix.os }}"
    matrix = test["strategy"]["matrix"]
    systems = set(matrix["os"]) | {i["os"] for i in matrix["include"]}
    assert systems == {"ubuntu-latest", "macos-latest", "windows-latest"}
    runs = {s.get("name"): s for s in test["steps"]}
    assert runs["Tests (Windows)"]["if"] == "runner.os == 'Windows'"
    assert ".venv/Scripts/python -m pytest -q" in runs["Tests (Windows)"]["run"]
    lint = "\n".join(str(s.get("run", "")) for s in ci["jobs"]["lint"]["steps"])
    assert "-m build" in lint
    assert 'twine" check --strict' in lint


#: POSIX-only calls and where each is allowed: behind a guard that the comment names.
#: (signal.SIGINT and SIGTERM are not here: Windows has both, and signal.signal takes them.)
POSIX_ONLY = re.compile(
    r"\bimport fcntl\b|\bos\.(chmod|getuid|geteuid|fork|kill|setsid)\b"
    r"|signal\.SIG(KILL|HUP|USR1|USR2)\b|add_signal_handler|['\"]/tmp/|['\"]/dev/null['\"]"
)
GUARDED = {
    # except NotImplementedError: Windows event loops have no signal handlers; signal.signal
    # hands the signal to the loop instead.
    ("reconciler/run_control.py", "add_signal_handler"),
    # the same guard; on Windows Ctrl-C cancels the run's task and the probe's cleanup runs.
    ("reconciler/doctor/checks.py", "add_signal_handler"),
}


def test_nothing_posix_only_is_used_unguarded() -> None:
    found = set()
    for path in sorted((ROOT / "reconciler").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for match in POSIX_ONLY.finditer(text):
            found.add((path.relative_to(ROOT).as_posix(), match.group(0)))
    assert found <= GUARDED, sorted(found - GUARDED)
