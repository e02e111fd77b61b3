"""The pre-commit hook other repositories use (issue 23, item 2): it validates the specs as every
environment in environments/ sees them (or the ones its `args` name), so a repository shaped
like examples/gitops-repo/, whose specs use ``${var.X}``, passes; a problem in one environment
fails it, naming that environment. The hook's own command line is run here as pre-commit runs
it (entry + args, no file names); ``pre-commit try-repo`` runs it for real when installed."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "gitops-repo"
BIN = Path(sys.executable).parent


def hook() -> dict[str, Any]:
    (found,) = [
        h
        for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
        if h["id"] == "reconciler-validate"
    ]
    return dict(found)


def run_hook(cwd: Path, args: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    """``entry`` + ``args`` (the repository's `args:` replace the hook's own), in ``cwd``."""
    spec = hook()
    assert spec["pass_filenames"] is False
    command = shlex.split(spec["entry"]) + (spec.get("args", []) if args is None else args)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS_", "RECONCILER_"))}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def team_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "team"
    shutil.copytree(EXAMPLE, repo)
    return repo


def test_the_hook_passes_on_a_repository_whose_specs_use_variables(team_repo: Path) -> None:
    done = run_hook(team_repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == [
        "environment dev:",
        "no problems (2 files, 2 channels checked)",
        "environment prod:",
        "no problems (2 files, 2 channels checked)",
    ]


def test_a_problem_in_one_environment_fails_the_hook_and_names_it(team_repo: Path) -> None:
    prod = team_repo / "environments" / "prod.yaml"
    prod.write_text(prod.read_text().replace("  helpDomain: help.example.com\n", ""))
    done = run_hook(team_repo)
    assert done.returncode == 1
    out = done.stdout
    assert "environment dev:\nno problems" in out
    prod_part = out.split("environment prod:", 1)[1]
    assert "channels/web/support.yaml:" in prod_part
    assert "undefined variable 'var.helpDomain'" in prod_part


def test_the_args_name_the_environments_to_check(team_repo: Path) -> None:
    prod = team_repo / "environments" / "prod.yaml"
    prod.write_text(prod.read_text().replace("  helpDomain: help.example.com\n", ""))
    done = run_hook(team_repo, ["--env", "dev"])  # only dev: prod's gap is not looked at
    assert done.returncode == 0, done.stdout
    assert done.stdout == "no problems (2 files, 2 channels checked)\n"
    done = run_hook(team_repo, ["--env", "dev", "--env", "prod"])
    assert done.returncode == 1
    assert "undefined variable 'var.helpDomain'" in done.stdout


def test_without_environments_the_hook_validates_once(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "channels", tmp_path / "channels")
    done = run_hook(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("no problems (")


def test_the_hook_runs_when_a_spec_or_an_environment_file_changes() -> None:
    import re

    files = re.compile(hook()["files"])
    for path in ("channels/web/support.yaml", "channels/a.yml", "environments/prod.yaml"):
        assert files.search(path), path
    for path in ("README.md", "docs/channels/x.yaml", ".github/workflows/plan.yml"):
        assert not files.search(path), path


def test_all_envs_and_env_together_is_a_usage_error(team_repo: Path) -> None:
    done = run_hook(team_repo, ["--all-envs", "--env", "dev"])
    assert done.returncode == 64
    assert "give it or --env, not both" in done.stderr


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.mark.slow
def test_try_repo_runs_the_hook_on_the_examples(tmp_path: Path) -> None:
    """pre-commit installs this checkout into its own environment and runs the hook on
    this repository's specs, then on a team's repository shaped like examples/gitops-repo/."""
    pytest.importorskip(
        "pre_commit", reason="pre-commit is a test extra for Python 3.11+; not installed here"
    )
    if not (ROOT / ".git").exists():
        pytest.skip("try-repo needs this checkout to be a git repository")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}
    team = tmp_path / "team"
    shutil.copytree(EXAMPLE, team)
    git("init", "-q", "-b", "main", cwd=team)
    git("add", "-A", cwd=team)
    for cwd in (ROOT, team):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pre_commit",
                "try-repo",
                str(ROOT),
                "reconciler-validate",
                "--all-files",
            ],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "reconciler validate" in done.stdout
        assert "Passed" in done.stdout
