"""The repository keeps its promises to a new user: the README's commands are the ones CI runs."""

from __future__ import annotations

import os
import re
import shlex
import sys
from pathlib import Path

import pytest

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
    """The same install and the same pytest command, in .ci/run's own venv (.ci-venv: it never
    deletes the developer's .venv); tests/test_ci_run.py checks the rest of .ci/run."""
    test_command = quick_start_commands()[1]
    install, pytest_command = (step.strip() for step in test_command.split("&&")[1:])
    ci_run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    in_ci_venv = [
        f'"$venv/bin/{program.removeprefix(".venv/bin/")}" {rest}'
        for program, rest in (step.split(" ", 1) for step in (install, pytest_command))
    ]
    assert in_ci_venv[0] + "\n" in ci_run
    assert in_ci_venv[1] + "\n" in ci_run


def test_schemas_folder_is_the_packaged_one() -> None:
    # One copy of every schema: the top-level folder users point tools at is the wheel's.
    assert (ROOT / "schemas").resolve() == (ROOT / "reconciler" / "schemas").resolve()


def test_quick_start_main_job_runs_on_the_sandbox(tmp_path: Path) -> None:
    """The main-job command, minus the install, in a copy of the repository's channels/."""
    import shutil
    import subprocess

    shutil.copytree(ROOT / "channels", tmp_path / "channels")
    main_job = quick_start_commands()[0]
    steps = [step.strip() for step in main_job.split("&&")]
    runs = [step for step in steps if step.startswith(".venv/bin/reconciler ")]
    assert runs, "the main job runs reconciler"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GENESYS_", "WEBHOOK_"))}
    for _ in range(2):  # a second run converges: nothing left to change
        outputs = []
        for step in runs:
            args = shlex.split(step)[1:]
            done = subprocess.run(
                [sys.executable, "-m", "reconciler", *args],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert done.returncode == 0, done.stderr
            outputs.append(done.stdout)
    assert "0 to create, 0 to update" in outputs[0]
    assert (tmp_path / ".reconciler" / "sandbox.json").is_file()


def test_trying_the_tool_on_the_sandbox_never_dirties_git_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Quick start's main job, run (in-process) in a git clone of the examples: every file
    it writes (state, audit log, outbox, locks, artifacts) is one git ignores."""
    import shutil
    import subprocess

    from reconciler.cli import run

    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    shutil.copytree(ROOT / "channels", tmp_path / "channels")
    shutil.copy(ROOT / ".gitignore", tmp_path / ".gitignore")
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull}
    for command in (
        ["init", "-q"],
        ["add", "-A"],
        ["-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "specs"],
    ):
        subprocess.run([git, *command], cwd=tmp_path, env=env, check=True, timeout=60)
    monkeypatch.chdir(tmp_path)
    for command in (["plan"], ["apply", "--yes"]):
        assert run(["--sandbox", *command]) == 0, capsys.readouterr().err
    status = subprocess.run(
        [git, "status", "--porcelain"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert status.stdout == "", status.stdout
