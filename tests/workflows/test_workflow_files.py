"""The workflows keep the promises of docs/gitops.md: shell, triggers, locks, permissions,
pinning, reviewed plans only, and the action other repositories use."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from workflow_files import (
    EXAMPLE_NAMES,
    EXAMPLE_WORKFLOWS,
    NAMES,
    ROOT,
    WORKFLOWS,
    action_steps,
    load,
    load_action,
    step_named,
    steps,
    walk,
)

SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"@[0-9a-f]{40} # v\d+\.\d+\.\d+$")
WRITE_SCOPES_ALLOWED = {
    # job -> scopes it may write, and why (docs/gitops.md "Permissions").
    ("plan", "plan"): {"pull-requests", "statuses"},  # sticky comment; the digest status
    ("plan", "fork"): {"pull-requests"},  # the no-live-plan note (read-only token on forks)
    ("plan", "reconciler"): {"pull-requests"},  # labels
    ("apply", "dev"): {"actions", "contents", "issues"},  # re-plan; audit branch; apply-failed
    ("apply", "prod"): {"actions", "contents", "issues"},
    ("drift", "drift"): {"issues"},  # the drift issue
}
ALL = [(name, WORKFLOWS) for name in NAMES] + [(name, EXAMPLE_WORKFLOWS) for name in EXAMPLE_NAMES]
IDS = [f"{'repo' if folder == WORKFLOWS else 'example'}/{name}" for name, folder in ALL]


def jobs(name: str, folder: Path = WORKFLOWS) -> dict[str, dict[str, Any]]:
    return dict(load(name, folder)["jobs"])


@pytest.mark.parametrize(("name", "folder"), ALL, ids=IDS)
def test_every_workflow_runs_bash_with_pipefail(name: str, folder: Path) -> None:
    # `shell: bash` is `bash --noprofile --norc -eo pipefail {0}`; the default is `bash -e {0}`.
    assert load(name, folder)["defaults"] == {"run": {"shell": "bash"}}
    for path, value in walk(load(name, folder)):
        if path[-1] == "shell":
            assert value == "bash", path


@pytest.mark.parametrize(("name", "folder"), ALL, ids=IDS)
def test_top_level_permissions_are_read_only(name: str, folder: Path) -> None:
    assert load(name, folder)["permissions"] in ({"contents": "read"}, {})


@pytest.mark.parametrize(("name", "folder"), ALL, ids=IDS)
def test_jobs_widen_permissions_only_where_needed(name: str, folder: Path) -> None:
    for job_id, job in jobs(name, folder).items():
        permissions = job.get("permissions", {})
        assert isinstance(permissions, dict), f"{name}/{job_id}: permissions must be a mapping"
        written = {scope for scope, level in permissions.items() if level == "write"}
        assert written <= WRITE_SCOPES_ALLOWED.get((name, job_id), set()), (name, job_id, written)


@pytest.mark.parametrize(("name", "folder"), ALL, ids=IDS)
def test_every_action_is_pinned_by_commit_sha(name: str, folder: Path) -> None:
    text = (folder / f"{name}.yml").read_text(encoding="utf-8")
    uses = [value for path, value in walk(load(name, folder)) if path[-1] == "uses"]
    assert uses, f"{name}.yml uses no action at all"
    for action in uses:
        if action == "./":
            assert folder == WORKFLOWS, "the example must use the pinned action, not ./"
            continue
        assert SHA_PIN.match(action), f"{name}.yml: {action} is not pinned by a full commit SHA"
        lines = [line for line in text.splitlines() if action in line]
        assert all(VERSION_COMMENT.search(line) for line in lines), f"{action}: no # vX.Y.Z"


def test_the_action_pins_its_own_actions_and_shell() -> None:
    action = load_action()
    assert action["runs"]["using"] == "composite"
    for step in action["runs"]["steps"]:
        if "uses" in step:
            assert SHA_PIN.match(step["uses"]), step["uses"]
        else:
            assert step["shell"] == "bash"
    text = (ROOT / "action.yml").read_text(encoding="utf-8")
    assert "@a26af69be951a213d495a4c3e4e4022e16d87065 # v5.6.0" in text


@pytest.mark.parametrize(("name", "folder"), ALL, ids=IDS)
def test_no_pull_request_target(name: str, folder: Path) -> None:
    assert "pull_request_target" not in load(name, folder)["on"]
    lines = (folder / f"{name}.yml").read_text(encoding="utf-8").splitlines()
    code = [line for line in lines if not line.lstrip().startswith("#")]
    assert not [line for line in code if "pull_request_target" in line]


@pytest.mark.parametrize(("name", "folder"), ALL, ids=IDS)
def test_secrets_are_only_read_into_step_env(name: str, folder: Path) -> None:
    for path, value in walk(load(name, folder)):
        if isinstance(value, str) and "secrets." in value:
            # jobs.<job>.steps.<n>.env.<VAR>: never in run:, with:, or job-wide env.
            assert (path[0], path[2], path[-2]) == ("jobs", "steps", "env"), path
            assert re.fullmatch(r"\$\{\{ secrets\.[A-Z_]+ \}\}", value), (path, value)


@pytest.mark.parametrize(("name", "folder"), ALL, ids=IDS)
def test_tool_checkouts_keep_no_credentials(name: str, folder: Path) -> None:
    # Only the audit checkout (its own path, after the apply) keeps a token that can push.
    for job_id, job in jobs(name, folder).items():
        for step in steps(job):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                settings = step.get("with", {})
                if settings.get("path") == ".reconciler-audit":
                    assert job_id in ("dev", "prod")
                else:
                    assert settings.get("persist-credentials") is False, (name, job_id)


@pytest.mark.parametrize(("name", "folder"), ALL, ids=IDS)
def test_nothing_is_installed_while_credentials_are_in_reach(name: str, folder: Path) -> None:
    # The install step comes first and gets no secret; apply, plan and drift refuse to run
    # without it (scripts/gitops require_install). ci.yml holds no credential at all.
    if name == "ci":
        return
    for job_id, job in jobs(name, folder).items():
        commands = [s.get("with", {}).get("command") for s in steps(job)]
        for command in ("plan", "apply", "drift"):
            if command in commands:
                assert "install" in commands, (name, job_id)
                assert commands.index("install") < commands.index(command), (name, job_id)
        for step in action_steps(job, "install"):
            assert "env" not in step, (name, job_id)
        for step in steps(job):
            assert "pip install" not in str(step.get("run", "")), (name, job_id)


def test_install_uses_the_hashed_lock_and_resolves_nothing() -> None:
    gitops = (ROOT / "scripts" / "gitops").read_text(encoding="utf-8")
    assert "--require-hashes --no-deps" in gitops
    assert "--no-build-isolation --no-index" in gitops
    lock = (ROOT / "requirements" / "apply.txt").read_text(encoding="utf-8")
    pins = re.findall(r"^([a-z0-9][a-z0-9._-]*)==", lock, flags=re.MULTILINE)
    assert {"click", "httpx", "jsonschema", "deepdiff", "hatchling"} <= set(pins)
    blocks = re.split(r"\n(?=[a-z0-9])", lock.split("\n", 2)[-1].strip())
    assert all("--hash=sha256:" in block for block in blocks if "==" in block)


def test_ci_runs_the_readme_command_and_is_not_cancelled_on_main() -> None:
    ci = load("ci")
    assert set(ci["on"]) == {"push", "pull_request"}
    assert ci["concurrency"]["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"
    test = jobs("ci")["test"]
    readme_command = "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && "
    assert any(readme_command in str(s.get("run", "")) for s in steps(test))
    lint_runs = "\n".join(str(s.get("run", "")) for s in steps(jobs("ci")["lint"]))
    for command in (
        "ruff check",
        "ruff format --check",
        "mypy",
        "scripts/actionlint.mjs .github/workflows/*.yml",
        "examples/gitops-repo/.github/workflows/*.yml",
        "check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml",
        "check-jsonschema --builtin-schema vendor.github-actions action.yml",
        "reconciler validate --format github channels/",
        "scripts/workflow-smoke",
    ):
        assert command in lint_runs, command


def test_plan_always_reports_one_check_for_branch_protection() -> None:
    plan = load("plan")
    # No path filter on the trigger: a filtered-out workflow never reports its required check.
    assert plan["on"]["pull_request"] is None
    assert "pr" in plan["on"]["workflow_dispatch"]["inputs"]
    aggregate = jobs("plan")["reconciler"]
    assert aggregate["if"] == "always()"
    assert set(aggregate["needs"]) == {"changes", "validate", "plan", "fork"}
    check = step_named(aggregate, "every needed job")["run"]
    assert "success" in check
    assert "skipped" in check
    assert "exit 1" in check
    assert step_named(aggregate, "label")["with"]["command"] == "labels"


def test_plan_validates_and_plans_per_environment_and_publishes_unless_cancelled() -> None:
    validate, plan = jobs("plan")["validate"], jobs("plan")["plan"]
    assert validate["strategy"]["matrix"]["environment"] == ["dev", "prod"]
    assert (
        action_steps(validate, "validate")[0]["with"]["environment"] == "${{ matrix.environment }}"
    )
    assert plan["strategy"]["matrix"]["environment"] == ["dev", "prod"]
    assert plan["environment"] == "${{ matrix.environment }}-readonly"
    publish = step_named(plan, "publish")
    assert publish["if"] == "${{ !cancelled() }}"
    outcome = publish["with"]["outcome"]
    assert "validation-failed" in outcome
    assert "plan-failed" in outcome
    assert publish["with"]["head-sha"] == "${{ env.HEAD_SHA }}"
    upload = step_named(plan, "upload")
    assert upload["with"]["overwrite"] is True
    assert upload["if"] == "${{ !cancelled() }}"


def test_plan_gives_forks_validation_and_a_note_but_no_secrets() -> None:
    plan_jobs = jobs("plan")
    assert "head.repo.full_name == github.repository" in plan_jobs["plan"]["if"]
    assert "head.repo.full_name != github.repository" in plan_jobs["fork"]["if"]
    assert "head.repo" not in plan_jobs["validate"]["if"]
    fork_text = str(plan_jobs["fork"])
    assert "secrets." not in fork_text
    assert "GITHUB_STEP_SUMMARY" in fork_text


@pytest.mark.parametrize("folder", [WORKFLOWS, EXAMPLE_WORKFLOWS], ids=["repo", "example"])
def test_apply_has_no_run_wide_lock_and_locks_each_environment(folder: Path) -> None:
    apply = load("apply", folder)
    assert "concurrency" not in apply
    for env in ("dev", "prod"):
        job = jobs("apply", folder)[env]
        assert job["environment"] == env
        assert job["concurrency"] == {
            "group": f"reconciler-apply-{env}",
            "cancel-in-progress": False,
        }


@pytest.mark.parametrize("folder", [WORKFLOWS, EXAMPLE_WORKFLOWS], ids=["repo", "example"])
def test_apply_applies_only_reviewed_digests_or_a_reasoned_manual_run(folder: Path) -> None:
    apply, apply_jobs = load("apply", folder), jobs("apply", folder)
    inputs = apply["on"]["workflow_dispatch"]["inputs"]
    assert inputs["allow_unreviewed"]["type"] == "boolean"
    assert inputs["allow_unreviewed"]["default"] is False
    assert "reason" in inputs
    review = action_steps(apply_jobs["review"], "review")[0]["with"]
    assert review["environment"] == "dev prod"
    assert review["unreviewed-reason"] == "${{ inputs.reason }}"
    assert apply_jobs["dev"]["needs"] == "review"
    dev_apply = action_steps(apply_jobs["dev"], "apply")[0]["with"]
    assert dev_apply["digest"] == "${{ fromJSON(needs.review.outputs.digests).dev }}"
    assert dev_apply["unreviewed-reason"] == "${{ needs.review.outputs.reason }}"


@pytest.mark.parametrize("folder", [WORKFLOWS, EXAMPLE_WORKFLOWS], ids=["repo", "example"])
def test_prod_plans_before_its_gate_and_applies_that_saved_plan(folder: Path) -> None:
    apply_jobs = jobs("apply", folder)
    prod_plan, prod = apply_jobs["prod-plan"], apply_jobs["prod"]
    assert prod_plan["environment"] == "prod-readonly"
    assert set(prod_plan["needs"]) == {"review", "dev"}
    assert 'PLANNED != "$REVIEWED"' in step_named(prod_plan, "the plan is the reviewed")["run"]
    assert step_named(prod_plan, "upload")["with"]["name"] == "prod-plan"
    assert set(prod["needs"]) == {"review", "prod-plan"}
    applied = action_steps(prod, "apply")[0]["with"]
    assert applied["plan"] == "${{ runner.temp }}/prod-plan/plan.json"
    assert applied["digest"] == "${{ fromJSON(needs.review.outputs.digests).prod }}"


@pytest.mark.parametrize("folder", [WORKFLOWS, EXAMPLE_WORKFLOWS], ids=["repo", "example"])
def test_apply_jobs_survive_reruns_and_keep_their_audit_and_issues(folder: Path) -> None:
    for env in ("dev", "prod"):
        job = jobs("apply", folder)[env]
        upload = step_named(job, "upload")
        assert upload["with"]["overwrite"] is True
        assert upload["if"] == "always()"
        push = action_steps(job, "audit-push")[0]
        assert push["if"] == "always()"
        assert push["with"]["checkout"] == ".reconciler-audit"
        fetch = action_steps(job, "audit-fetch")[0]
        names = [s.get("name") for s in steps(job)]
        assert names.index(fetch["name"]) < names.index(step_named(job, "apply")["name"])
        issues = {s["if"]: s["with"]["status"] for s in action_steps(job, "apply-issue")}
        assert issues == {"failure()": "failed", "success()": "succeeded"}
        assert action_steps(job, "replan")[0]["if"] == "${{ !cancelled() }}"


@pytest.mark.parametrize("folder", [WORKFLOWS, EXAMPLE_WORKFLOWS], ids=["repo", "example"])
def test_drift_runs_every_six_hours_and_cooperates_with_apply(folder: Path) -> None:
    drift = load("drift", folder)
    assert set(drift["on"]) == {"schedule", "workflow_dispatch"}
    (cron,) = (entry["cron"] for entry in drift["on"]["schedule"])
    minute, hour, *rest = cron.split()
    assert minute.isdigit()
    assert hour == "*/6"
    assert rest == ["*", "*", "*"]
    job = jobs("drift", folder)["drift"]
    assert job["strategy"]["matrix"]["environment"] == ["dev", "prod"]
    assert job["permissions"]["actions"] == "read"
    pending = action_steps(job, "pending-apply")[0]
    assert pending["if"] == "steps.drift.outputs.status == 'drift'"
    issue = action_steps(job, "drift-issue")[0]["with"]
    assert "apply-pending" in issue["status"]


def test_the_example_runs_the_same_jobs_and_commands_as_this_repository() -> None:
    for name in EXAMPLE_NAMES:
        ours, theirs = jobs(name), jobs(name, EXAMPLE_WORKFLOWS)
        assert list(ours) == list(theirs), name
        for job_id in ours:
            commands = [s.get("with", {}).get("command") for s in steps(ours[job_id])]
            assert commands == [s.get("with", {}).get("command") for s in steps(theirs[job_id])], (
                name,
                job_id,
            )


def test_the_lock_lists_every_runtime_dependency_of_the_package() -> None:
    """The apply jobs install from requirements/apply.txt with --no-deps: a runtime
    dependency missing from the lock would fail only on GitHub, at import time."""
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from 3.11")

    def normal(name: str) -> str:  # PEP 503
        return re.sub(r"[-_.]+", "-", name).lower()

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {
        normal(re.split(r"[<>=!~;\[ ]", dep, maxsplit=1)[0]) for dep in project["dependencies"]
    }
    lock = (ROOT / "requirements" / "apply.txt").read_text(encoding="utf-8")
    pinned = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", lock, flags=re.MULTILINE)
    assert wanted <= {normal(name) for name in pinned}, sorted(wanted - {normal(n) for n in pinned})


#: The commands that write to an org (or to its audit branch) and so must hold its group.
ORG_WRITES = ("apply", "audit-push")


@pytest.mark.parametrize("folder", [WORKFLOWS, EXAMPLE_WORKFLOWS], ids=["repo", "example"])
def test_every_path_that_writes_an_org_holds_its_one_group_across_workflows(
    folder: Path,
) -> None:
    """GitHub queues a second run of a concurrency group (repository-wide, across workflows):
    the push apply, the manual apply (workflow_dispatch of the same jobs) and any path that
    remediates drift must hold ``reconciler-apply-<environment>``, so two never run at once.
    A read-only job must not hold it: a third run queued in a group cancels the pending one,
    so a drift check there could cancel a pending apply."""
    holders: dict[str, list[str]] = {}
    names = NAMES if folder == WORKFLOWS else EXAMPLE_NAMES
    for name in names:
        for job_name, job in jobs(name, folder).items():
            writes = any(action_steps(job, command) for command in ORG_WRITES)
            group = (job.get("concurrency") or {}).get("group", "")
            if writes:
                environment = job["environment"]
                environment = environment if isinstance(environment, str) else environment["name"]
                assert group == f"reconciler-apply-{environment}", (name, job_name)
                assert job["concurrency"]["cancel-in-progress"] is False
                holders.setdefault(group, []).append(f"{name}/{job_name}")
            else:
                assert not str(group).startswith("reconciler-apply-"), (name, job_name)
    assert set(holders) == {"reconciler-apply-dev", "reconciler-apply-prod"}
