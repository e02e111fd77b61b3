"""The pieces scripts/workflow-smoke is built from, each on its own: scripts/gitops's exit
codes, the GitHub side (scripts/gitops_github.py) against scripts/fake-gh, and the workflow
runner's GitHub semantics. The whole smoke (about two minutes) runs in .ci/run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from workflow_files import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from workflow_runner import Evaluator, Run, Runner, base_functions, interpolate

BIN = Path(sys.executable).parent
GITOPS = str(ROOT / "scripts" / "gitops")
NO_CREDENTIALS = dict.fromkeys(
    ("GENESYS_CLIENT_ID", "GENESYS_CLIENT_SECRET", "GENESYS_ENVIRONMENT", "GENESYS_API_URL"),
    "",
)
DEV, PROD = "sha256:" + "a" * 64, "sha256:" + "b" * 64
HEAD, MERGE = "1" * 40, "2" * 40


def run_script(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    full_env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHON": sys.executable,
    }
    full_env.pop("RUNNER_TEMP", None)
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


# -- scripts/gitops ---------------------------------------------------------------------------


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "channels", tmp_path / "channels")
    shutil.copytree(ROOT / "environments", tmp_path / "environments")
    return tmp_path


def test_plan_step_fails_the_job_on_a_reconciler_error(specs: Path) -> None:
    # No credentials at all: the reconciler exits 1, which is neither "no changes" nor "changes".
    output = specs / "github_output"
    result = run_script(
        GITOPS, "plan", "dev", cwd=specs, env={**NO_CREDENTIALS, "GITHUB_OUTPUT": str(output)}
    )
    assert result.returncode == 1
    assert "plan for dev failed (exit 1)" in result.stderr
    assert not output.exists() or "changes=" not in output.read_text()


def test_drift_step_fails_the_job_on_a_reconciler_error(specs: Path) -> None:
    result = run_script(GITOPS, "drift", "prod", cwd=specs, env=NO_CREDENTIALS)
    assert result.returncode == 1
    assert "drift check for prod failed (exit 1)" in result.stderr


def test_apply_without_a_digest_or_a_reason_applies_nothing(specs: Path) -> None:
    result = run_script(GITOPS, "apply", "dev", "", cwd=specs, env=NO_CREDENTIALS)
    assert result.returncode == 1
    assert "no reviewed digest for dev and no RECONCILER_UNREVIEWED_REASON" in result.stderr
    assert not (specs / "audit").exists()


def test_in_actions_apply_refuses_a_reconciler_the_install_step_did_not_put_there(
    specs: Path,
) -> None:
    temp = specs / "runner-temp"
    temp.mkdir()
    result = run_script(GITOPS, "apply", "dev", DEV, cwd=specs, env={"RUNNER_TEMP": str(temp)})
    assert result.returncode == 1
    assert "run the action with command: install first" in result.stderr


def test_validate_takes_the_environment_s_variables(specs: Path) -> None:
    result = run_script(GITOPS, "validate", "prod", cwd=specs)
    assert result.returncode == 0, result.stdout + result.stderr
    result = run_script(GITOPS, "validate", "staging", cwd=specs)
    assert result.returncode == 1  # no environments/staging.yaml


def test_bad_environment_names_are_refused(tmp_path: Path) -> None:
    result = run_script(GITOPS, "plan", "../etc", cwd=tmp_path)
    assert result.returncode == 1
    assert "bad environment name: '../etc'" in result.stderr


# -- the GitHub side against the fake gh ------------------------------------------------------


class FakeGitHub:
    def __init__(self, tmp_path: Path) -> None:
        self.dir = tmp_path
        self.state_file = tmp_path / "github.json"
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        (bin_dir / "gh").symlink_to(ROOT / "scripts" / "fake-gh")
        self.path = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
        self.save(
            {
                "repository": "acme/channels",
                "origin": str(tmp_path / "none.git"),
                "pulls": [],
                "issues": [],
                "comments": [],
                "statuses": [],
                "labels": {},
                "runs": [],
                "dispatches": [],
                "calls": [],
                "fail": [],
                "tokens": {
                    "writer": {"pull-requests": "write", "statuses": "write", "issues": "write"},
                    "reader": {"pull-requests": "read"},
                },
            }
        )

    def load(self) -> dict[str, Any]:
        return dict(json.loads(self.state_file.read_text()))

    def save(self, state: dict[str, Any]) -> None:
        self.state_file.write_text(json.dumps(state))

    def gitops(
        self, *args: str, token: str = "writer", **env: str
    ) -> subprocess.CompletedProcess[str]:
        return run_script(
            GITOPS,
            *args,
            cwd=self.dir,
            env={
                "PATH": self.path,
                "GH_TOKEN": token,
                "FAKE_GH_STATE": str(self.state_file),
                "GITHUB_REPOSITORY": "acme/channels",
                "GITHUB_OUTPUT": str(self.dir / "output"),
                "RUN_URL": "https://github.example/acme/channels/actions/runs/1",
                **env,
            },
        )

    def outputs(self) -> dict[str, str]:
        lines = (self.dir / "output").read_text().splitlines()
        return dict(line.split("=", 1) for line in lines)


@pytest.fixture
def github(tmp_path: Path) -> FakeGitHub:
    fake = FakeGitHub(tmp_path)
    state = fake.load()
    state["pulls"].append(
        {
            "number": 7,
            "state": "open",
            "merged_at": None,
            "merge_commit_sha": None,
            "labels": [],
            "files": ["channels/support.yaml"],
            "head": {"sha": HEAD, "ref": "b", "repo": {"full_name": "acme/channels"}},
        }
    )
    fake.save(state)
    return fake


def write_plan(folder: Path, environment: str, digest: str, text: str) -> None:
    out = folder / "artifacts" / environment
    out.mkdir(parents=True, exist_ok=True)
    summary = {"create": 1, "update": 0, "delete": 0, "adopt": 0}
    (out / "plan.json").write_text(json.dumps({"digest": digest, "summary": summary}))
    (out / "plan.md").write_text(text)


def publish(github: FakeGitHub, environment: str, outcome: str = "success", limit: str = "60000"):
    return github.gitops(
        "publish", environment, PR="7", HEAD_SHA=HEAD, OUTCOME=outcome, COMMENT_LIMIT=limit
    )


def merge(github: FakeGitHub) -> None:
    state = github.load()
    state["clock"] = state.get("clock", 0) + 1
    state["pulls"][0].update(
        state="closed", merge_commit_sha=MERGE, merged_at=f"2027-03-01T00:00:{state['clock']:02d}Z"
    )
    github.save(state)


def test_long_plans_are_split_across_comments_and_surplus_parts_removed(github: FakeGitHub) -> None:
    write_plan(github.dir, "dev", DEV, "".join(f"line {i:03d} of the plan\n" for i in range(100)))
    assert publish(github, "dev", limit="1000").returncode == 0
    bodies = [c["body"] for c in github.load()["comments"]]
    assert len(bodies) == 3
    assert all(f"<!-- reconciler-plan:dev head={HEAD} digest={DEV} part=" in b for b in bodies)
    assert "(part 2 of 3)" in bodies[1]
    assert "line 099 of the plan" in bodies[2]
    # A shorter plan: one comment, edited in place; the other two deleted.
    write_plan(github.dir, "dev", DEV, "short plan\n")
    assert publish(github, "dev", limit="1000").returncode == 0
    comments = github.load()["comments"]
    assert [c["body"].split("\n\n")[-1] for c in comments] == ["short plan\n"]


def test_a_failed_validation_replaces_the_plan_and_withdraws_the_digest(github: FakeGitHub) -> None:
    write_plan(github.dir, "prod", PROD, "plan\n")
    assert publish(github, "prod").returncode == 0
    assert publish(github, "prod", outcome="validation-failed").returncode == 0
    state = github.load()
    (comment,) = state["comments"]
    assert "**Validation failed**" in comment["body"]
    assert PROD not in comment["body"]
    assert [s["state"] for s in state["statuses"]] == ["success", "failure"]


def test_review_trusts_only_the_workflow_s_status_set_before_the_merge(github: FakeGitHub) -> None:
    for environment, digest in (("dev", DEV), ("prod", PROD)):
        write_plan(github.dir, environment, digest, "plan\n")
        assert publish(github, environment).returncode == 0
    merge(github)
    state = github.load()
    # After the merge: a newer status by the bot, and one by a person; both ignored.
    for login in ("github-actions[bot]", "mallory"):
        state["statuses"].append(
            {
                "id": 99 if login == "mallory" else 98,
                "sha": HEAD,
                "context": "reconciler/digest (dev)",
                "state": "success",
                "description": "sha256:" + "f" * 64,
                "creator": {"login": login},
                "created_at": "2027-03-01T01:00:00Z"
                if login != "mallory"
                else "2027-03-01T00:00:00Z",
            }
        )
    github.save(state)
    result = github.gitops(
        "review",
        token="reader",
        GITHUB_EVENT_NAME="push",
        GITHUB_SHA=MERGE,
        ENVIRONMENTS="dev prod",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(github.outputs()["digests"]) == {"dev": DEV, "prod": PROD}


def test_review_fails_on_a_gh_outage_or_a_missing_digest(github: FakeGitHub) -> None:
    write_plan(github.dir, "dev", DEV, "plan\n")
    assert publish(github, "dev").returncode == 0
    merge(github)
    review = {"GITHUB_EVENT_NAME": "push", "GITHUB_SHA": MERGE, "ENVIRONMENTS": "dev prod"}
    result = github.gitops("review", token="reader", **review)
    assert result.returncode == 1
    assert "has no reviewed plan for prod" in result.stderr
    state = github.load()
    state["fail"] = ["/statuses"]
    github.save(state)
    result = github.gitops("review", token="reader", **{**review, "ENVIRONMENTS": "dev"})
    assert result.returncode == 1
    assert "(HTTP 502)" in result.stderr
    assert not (github.dir / "output").exists() or "digests" not in github.outputs()


def test_a_manual_run_needs_allow_unreviewed_and_a_reason(github: FakeGitHub) -> None:
    manual = {"GITHUB_EVENT_NAME": "workflow_dispatch", "ENVIRONMENTS": "dev"}
    assert github.gitops("review", **manual, ALLOW_UNREVIEWED="false").returncode == 1
    result = github.gitops("review", **manual, ALLOW_UNREVIEWED="true")
    assert "needs a reason" in result.stderr
    result = github.gitops(
        "review", **manual, ALLOW_UNREVIEWED="true", RECONCILER_UNREVIEWED_REASON=" INC-1 "
    )
    assert result.returncode == 0
    assert github.outputs() == {"digests": "{}", "unreviewed": "true", "reason": "INC-1"}


def test_labels_follow_the_plans_of_every_environment(github: FakeGitHub) -> None:
    write_plan(github.dir, "dev", DEV, "plan\n")
    write_plan(github.dir, "prod", PROD, "plan\n")
    plan = json.loads((github.dir / "artifacts/prod/plan.json").read_text())
    plan["summary"] = {"create": 0, "update": 2, "delete": 1}
    (github.dir / "artifacts/prod/plan.json").write_text(json.dumps(plan))
    assert github.gitops("labels", "dev", "prod", PR="7").returncode == 0
    assert {lb["name"] for lb in github.load()["pulls"][0]["labels"]} == {
        "creates",
        "updates",
        "deletes",
    }
    for environment in ("dev", "prod"):
        write_plan(github.dir, environment, DEV, "plan\n")
        path = github.dir / f"artifacts/{environment}/plan.json"
        path.write_text(json.dumps({"digest": DEV, "summary": {}}))
    assert github.gitops("labels", "dev", "prod", PR="7").returncode == 0
    assert [lb["name"] for lb in github.load()["pulls"][0]["labels"]] == ["no-changes"]


def test_a_changed_drift_comments_and_an_unchanged_one_stays_quiet(github: FakeGitHub) -> None:
    report = github.dir / "artifacts/dev/drift.md"
    report.parent.mkdir(parents=True)
    report.write_text("1 channel edited out of band\n")
    for _ in range(2):
        assert github.gitops("drift-issue", "dev", "drift").returncode == 0
    state = github.load()
    assert [i["title"] for i in state["issues"]] == ["Drift: dev differs from main"]
    assert state["comments"] == []
    report.write_text("2 channels edited out of band\n")
    assert github.gitops("drift-issue", "dev", "drift").returncode == 0
    state = github.load()
    assert "2 channels" in state["issues"][0]["body"]
    assert len(state["comments"]) == 1
    assert github.gitops("drift-issue", "dev", "in-sync").returncode == 0
    assert github.load()["issues"][0]["state"] == "closed"


STUB_DRIFT = """#!/usr/bin/env bash
# A stand-in reconciler: records what audit/ENV.jsonl held when drift started, reports in sync.
out=""; env=""
while [[ $# -gt 0 ]]; do
  case $1 in --out) out=$2; shift 2 ;; --env) env=$2; shift 2 ;; *) shift ;; esac
done
mkdir -p "$out"; echo "## Drift report" >"$out/drift.md"
cat "audit/$env.jsonl" >"$out/seen-audit" 2>/dev/null || echo "(none)" >"$out/seen-audit"
"""


def _audit_branch(github: FakeGitHub, content: str) -> None:
    """The origin the fake gh reads `contents/...?ref=` from, with the audit branch on it."""
    origin, seed = github.dir / "origin.git", github.dir / "seed"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True, timeout=30)
    subprocess.run(
        ["git", "init", "-q", "-b", "reconciler-audit", str(seed)], check=True, timeout=30
    )
    (seed / "audit").mkdir()
    (seed / "audit" / "dev.jsonl").write_text(content)
    for args in (
        ["add", "-A"],
        ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "audit"],
        ["push", "-q", str(origin), "reconciler-audit"],
    ):
        subprocess.run(["git", *args], cwd=seed, check=True, timeout=30, capture_output=True)
    state = github.load()
    state["origin"] = str(origin)
    state["tokens"]["drift"] = {"contents": "read", "issues": "write", "actions": "read"}
    github.save(state)


@pytest.mark.parametrize("on_branch", [True, False], ids=["audit-on-branch", "no-audit-yet"])
def test_drift_reads_the_audit_log_from_the_audit_branch_first(
    github: FakeGitHub, on_branch: bool
) -> None:
    stub = github.dir / "stub-reconciler"
    stub.write_text(STUB_DRIFT)
    stub.chmod(0o755)
    _audit_branch(github, '{"line": 1}\n')
    if not on_branch:
        state = github.load()
        state["origin"] = str(github.dir / "none.git")  # a repository with no audit branch
        github.save(state)
    done = github.gitops("drift", "dev", token="drift", RECONCILER=str(stub))
    assert done.returncode == 0, done.stdout + done.stderr
    seen = (github.dir / "artifacts/dev/seen-audit").read_text()
    if on_branch:
        assert seen == '{"line": 1}\n'  # drift ran with the branch's log in place
        assert "audit/dev.jsonl from reconciler-audit: 1 line(s)" in done.stdout
        assert "::warning::" not in done.stdout
    else:
        assert seen == "(none)\n"
        assert (
            "::warning::no audit/dev.jsonl (not on reconciler-audit: no apply has recorded one "
            "yet): drift cannot tell an edit out of band from a spec change"
        ) in done.stdout


def test_drift_fails_when_the_audit_branch_cannot_be_read(github: FakeGitHub) -> None:
    stub = github.dir / "stub-reconciler"
    stub.write_text(STUB_DRIFT)
    stub.chmod(0o755)
    _audit_branch(github, "{}\n")
    state = github.load()
    state["fail"].append("GET .*/contents/audit/")
    github.save(state)
    done = github.gitops("drift", "dev", token="drift", RECONCILER=str(stub))
    assert done.returncode == 1
    assert "cannot read audit/dev.jsonl from reconciler-audit" in done.stderr
    assert not (github.dir / "artifacts/dev/seen-audit").exists()  # no guessing run


def test_the_fake_gh_enforces_the_job_token_s_permissions(github: FakeGitHub) -> None:
    write_plan(github.dir, "dev", DEV, "plan\n")
    result = github.gitops(
        "publish", "dev", token="reader", PR="7", HEAD_SHA=HEAD, OUTCOME="success"
    )
    assert result.returncode == 1
    assert "Resource not accessible by integration (HTTP 403)" in result.stderr


# -- the workflow runner ----------------------------------------------------------------------


def evaluate(text: str, **context: Any) -> Any:
    functions = base_functions() | {"success": lambda: True, "always": lambda: True}
    return Evaluator(context, functions).evaluate(text)


def test_expressions_follow_github_s_rules() -> None:
    needs = {"a": {"result": "success"}, "b": {"result": "skipped"}}
    assert evaluate("join(needs.*.result, ' ')", needs=needs) == "success skipped"
    assert evaluate("fromJSON(x).dev", x='{"dev": "d"}') == "d"
    assert evaluate("fromJSON(x).prod", x="{}") is None
    assert evaluate("a != 'success' && 'failed' || 'ok'", a="SUCCESS") == "ok"
    assert evaluate("!cancelled", cancelled=False) is True
    text = "${{ github.server_url }}/${{ github.repository }}/runs/${{ github.run_id }}"
    github = {"server_url": "https://g", "repository": "o/r", "run_id": 5}
    assert interpolate(text, lambda e: evaluate(e, github=github)) == "https://g/o/r/runs/5"


def write_workflow(folder: Path, steps: list[dict[str, Any]]) -> Path:
    workflow = {
        "on": "push",
        "jobs": {"job": {"runs-on": "ubuntu-latest", "steps": steps}},
    }
    path = folder / "w.yml"
    path.write_text(json.dumps(workflow))  # JSON is YAML
    return path


def runner(tmp_path: Path) -> Runner:
    (tmp_path / "runs").mkdir()
    return Runner(
        root=tmp_path / "runs",
        origin=tmp_path / "origin.git",
        repository="acme/channels",
        secrets={},
        machine_env={},
        base_env={"PATH": os.environ.get("PATH", "")},
    )


def test_a_run_step_fails_on_a_failing_pipe_stage_as_with_shell_bash(tmp_path: Path) -> None:
    path = write_workflow(tmp_path, [{"id": "s", "run": "false | cat\necho after"}])
    run = runner(tmp_path).run(path, Run("w", "push", {}, "0" * 40))
    assert run.jobs["job"].result == "failure"
    assert "after" not in run.steps[0].log


def test_uploading_an_existing_artifact_name_fails_unless_overwrite(tmp_path: Path) -> None:
    upload = {"uses": "actions/upload-artifact@x", "with": {"name": "a", "path": "f.txt"}}
    steps = [{"run": "echo hi > f.txt"}, upload]
    path = write_workflow(tmp_path, steps)
    machine = runner(tmp_path)
    run = machine.run(path, Run("w", "push", {}, "0" * 40))
    assert run.jobs["job"].result == "success"
    run.jobs = {}  # re-run the whole run: attempt 2 uploads the same name
    run = machine.run(path, run)
    assert run.jobs["job"].result == "failure"
    assert "(409) Conflict" in run.steps[-1].log
    upload["with"]["overwrite"] = True
    path = write_workflow(tmp_path, steps)
    run.jobs = {}
    assert machine.run(path, run).jobs["job"].result == "success"
