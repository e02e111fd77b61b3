"""scripts/workflow-smoke: the workflows' reconciler steps, in order, against a real sandbox."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from workflow_files import ROOT

pytestmark = pytest.mark.socket
BIN = Path(sys.executable).parent
NO_CREDENTIALS = dict.fromkeys(
    ("GENESYS_CLIENT_ID", "GENESYS_CLIENT_SECRET", "GENESYS_ENVIRONMENT", "GENESYS_API_URL"),
    "",
)


def run_script(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    full_env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHON": sys.executable,
    }
    full_env.update(env or {})
    return subprocess.run(
        args,
        cwd=cwd,
        env=full_env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


@pytest.mark.slow
def test_smoke_runs_plan_apply_drift_in_workflow_order(tmp_path: Path) -> None:
    before = sorted(p.name for p in (ROOT / "channels").rglob("*"))
    result = run_script(
        str(ROOT / "scripts" / "workflow-smoke"), cwd=tmp_path, env={"TMPDIR": str(tmp_path)}
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    order = [line[3:] for line in result.stdout.splitlines() if line.startswith("== ")]
    assert [step.split(":")[0] for step in order if ":" in step] == [
        "ci.yml",
        "plan.yml",
        "plan.yml",
        "apply.yml",
        "apply.yml",
        "apply.yml",
        "drift.yml",
        "drift.yml",
    ]
    assert result.stdout.rstrip().endswith(
        "workflow-smoke: OK (validate, plan, apply, drift, audit verify)"
    )
    # It worked in a temp copy, cleaned up after itself and left the repository alone.
    assert sorted(p.name for p in (ROOT / "channels").rglob("*")) == before
    assert list(tmp_path.iterdir()) == []


def test_plan_step_fails_the_job_on_a_reconciler_error(tmp_path: Path) -> None:
    # No credentials at all: the reconciler exits 1, which is neither "no changes" nor "changes".
    shutil.copytree(ROOT / "channels", tmp_path / "channels")
    env = NO_CREDENTIALS
    output = tmp_path / "github_output"
    result = run_script(
        str(ROOT / "scripts" / "gitops"),
        "plan",
        "dev",
        cwd=tmp_path,
        env={**env, "GITHUB_OUTPUT": str(output)},
    )
    assert result.returncode == 1
    assert "plan for dev failed (exit 1)" in result.stderr
    assert not output.exists() or "changes=" not in output.read_text()


def test_drift_step_fails_the_job_on_a_reconciler_error(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "channels", tmp_path / "channels")
    env = NO_CREDENTIALS
    result = run_script(str(ROOT / "scripts" / "gitops"), "drift", "prod", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "drift check for prod failed (exit 1)" in result.stderr


def test_digest_is_taken_only_from_this_environments_marked_comment(tmp_path: Path) -> None:
    dev, prod = "sha256:" + "a" * 64, "sha256:" + "b" * 64
    comments = "\n".join(
        [
            '"<!-- reconciler-plan:prod -->\\n\\nDigest: `' + prod + '`"',
            '"Please re-run, the old one was ' + "sha256:" + "c" * 64 + '"',
            '"<!-- reconciler-plan:dev -->\\n\\nDigest: `' + dev + '`"',
        ]
    )
    found = run_script(
        str(ROOT / "scripts" / "gitops"),
        "digest-from-comments",
        "dev",
        cwd=tmp_path,
        stdin=comments,
    )
    assert found.stdout.strip() == dev
    found = run_script(
        str(ROOT / "scripts" / "gitops"),
        "digest-from-comments",
        "prod",
        cwd=tmp_path,
        stdin=comments,
    )
    assert found.stdout.strip() == prod


def test_a_failed_plan_comment_withdraws_the_digest(tmp_path: Path) -> None:
    # The sticky comment replaced by "plan failed" (no digest): nothing reviewed to expect.
    comments = "\n".join(
        [
            '"<!-- reconciler-plan:dev -->\\n\\nDigest: `sha256:' + "a" * 64 + '`"',
            '"<!-- reconciler-plan:dev -->\\n\\n**The plan failed**: no digest"',
        ]
    )
    gitops = str(ROOT / "scripts" / "gitops")
    found = run_script(gitops, "digest-from-comments", "dev", cwd=tmp_path, stdin=comments)
    assert found.returncode == 0
    assert found.stdout.strip() == ""


def test_bad_environment_names_are_refused(tmp_path: Path) -> None:
    result = run_script(str(ROOT / "scripts" / "gitops"), "plan", "../etc", cwd=tmp_path)
    assert result.returncode == 1
    assert "bad environment name: '../etc'" in result.stderr
