"""The pre-commit hook other repositories use: ``pre-commit try-repo . reconciler-validate``
installs this checkout into pre-commit's own environment and validates the example specs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytest.importorskip(
    "pre_commit", reason="pre-commit is a test extra for Python 3.11+; not installed here"
)


@pytest.mark.slow
def test_try_repo_runs_the_hook_on_the_examples(tmp_path: Path) -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("try-repo needs this checkout to be a git repository")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", ".", "reconciler-validate", "--all-files"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "reconciler validate" in done.stdout
    assert "Passed" in done.stdout
