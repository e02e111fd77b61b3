#!/usr/bin/env python3
"""The GitHub side of the GitOps loop: comments, statuses, labels, issues, the reviewed digest.

Called by scripts/gitops (the `action.yml` commands); standard library only, and every API call
goes through `gh api` (the GitHub CLI on every runner), so the smoke test can put a fake `gh` on
PATH. Any failed call ends the command with one line naming the call, exit 1: a failure never
passes for "nothing found".

    changes                  PR's changed files against WATCH_PATHS -> relevant=true|false
    publish ENV              commit status with the digest on the PR head + sticky comment(s)
    labels ENV...            no-changes / creates / updates / deletes from each ENV's plan.json
                             ($PLANS/plan-ENV/ when PLANS is set, else artifacts/ENV/)
    review                   the reviewed digest per environment of the merged PR, or a manual
                             run's allow_unreviewed + reason -> digests={...}, unreviewed, reason
    apply-issue ENV failed|succeeded   one open `apply-failed` issue per environment
    drift-issue ENV STATUS   one open `drift` issue per environment (in-sync|drift|apply-pending)
    pending-apply            the URL of an apply run not yet completed -> pending=URL
    audit-fetch ENV FILE     the audit log from the audit branch (none yet: nothing written);
                             apply continues its chain, drift labels its report by it
    replan                   re-run the plan workflow on every open same-repository PR

Environment: GITHUB_REPOSITORY, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_SERVER_URL,
GITHUB_RUN_ID (set by Actions); PR, HEAD_SHA, RUN_URL and the command's own variables below.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

BOT = "github-actions[bot]"
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
MARKER = re.compile(r"^<!-- reconciler-plan:(?P<env>[A-Za-z0-9_.-]+)(?P<rest>[^>]*)-->")
LABELS = {
    "no-changes": ("0E8A16", "reconciler: the plan changes nothing"),
    "creates": ("1D76DB", "reconciler: the plan creates channels"),
    "updates": ("FBCA04", "reconciler: the plan updates channels"),
    "deletes": ("B60205", "reconciler: the plan deletes channels"),
}
CALL_TIMEOUT = 60


class Failure(Exception):
    """One line for the job log; exit 1."""


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None or value == "":
        if default is not None:
            return default
        raise Failure(f"{name} is not set")
    return value


def repo() -> str:
    return env("GITHUB_REPOSITORY")


def gh(
    method: str, path: str, body: Any = None, *, paginate: bool = False, raw: bool = False
) -> Any:
    """One `gh api` call; the parsed JSON (pages flattened), or bytes when ``raw``."""
    args = ["gh", "api", "-X", method, path]
    if paginate:
        args += ["--paginate", "--slurp"]
    if raw:
        args += ["-H", "Accept: application/vnd.github.raw+json"]
    if body is not None:
        args += ["--input", "-"]
    try:
        done = subprocess.run(  # noqa: S603  (gh from PATH, fixed arguments)
            args,
            input=json.dumps(body).encode() if body is not None else b"",
            capture_output=True,
            timeout=CALL_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Failure(f"gh api {method} {path}: {exc}") from None
    if done.returncode != 0:
        reason = (done.stderr.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
        raise ApiError(f"gh api {method} {path} failed: {reason}", reason)
    if raw:
        return done.stdout
    text = done.stdout.decode()
    if not text.strip():
        return None
    data = json.loads(text)
    if paginate and isinstance(data, list) and all(isinstance(page, list) for page in data):
        return [item for page in data for item in page]
    return data


class ApiError(Failure):
    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason

    @property
    def status(self) -> int | None:
        match = re.search(r"\(HTTP (\d{3})\)", self.reason)
        return int(match.group(1)) if match else None


def output(key: str, value: str) -> None:
    if "\n" in value:
        raise Failure(f"output {key} has a newline")
    if os.environ.get("GITHUB_OUTPUT"):
        with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as handle:
            handle.write(f"{key}={value}\n")


def summary(text: str) -> None:
    print(text)
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as handle:
            handle.write(text + "\n")


def env_name(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", value):
        raise Failure(f"bad environment name: '{value}'")
    return value


def status_context(environment: str) -> str:
    return f"reconciler/digest ({environment})"


def pr_number() -> str:
    number = env("PR")
    if not number.isdigit():
        raise Failure(f"PR is not a pull request number: '{number}'")
    return number


# -- pull requests -------------------------------------------------------------------------


def cmd_changes() -> None:
    """relevant=true when a changed file matches one of WATCH_PATHS (space-separated globs)."""
    patterns = env("WATCH_PATHS").split()
    files = [
        f["filename"] for f in gh("GET", f"repos/{repo()}/pulls/{pr_number()}/files", paginate=True)
    ]
    hits = [name for name in files if any(fnmatch.fnmatch(name, p) for p in patterns)]
    output("relevant", "true" if hits else "false")
    print(f"{len(hits)} of {len(files)} changed file(s) match {' '.join(patterns)}")


def split_plan(text: str, limit: int) -> list[str]:
    """plan.md cut at line ends into pieces of at most ``limit`` characters (as Atlantis does);
    a line longer than the limit is cut where it must be."""
    parts: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        if len(current) + len(line) > limit:
            parts.append(current)
            current = ""
        current += line
    if current or not parts:
        parts.append(current)
    return parts


def plan_comments(environment: str) -> list[str]:
    """The bodies of this environment's sticky comment(s) for the current outcome."""
    head = env("HEAD_SHA")
    run_url = env("RUN_URL", "")
    outcome = env("OUTCOME")
    title = f"## Reconciler plan: `{environment}`"
    if outcome in ("validation-failed", "plan-failed"):
        what = "Validation" if outcome == "validation-failed" else "The plan"
        return [
            f"<!-- reconciler-plan:{environment} head={head} -->\n\n{title}\n\n"
            f"**{what} failed**: no digest, nothing to review for `{environment}`. "
            f"See the annotations and the log of {run_url}.\n"
        ]
    if outcome != "success":
        raise Failure(f"OUTCOME must be success, validation-failed or plan-failed, not '{outcome}'")
    plan_json = json.loads(Path(f"artifacts/{environment}/plan.json").read_text(encoding="utf-8"))
    digest = plan_json["digest"]
    if not DIGEST.match(digest):
        raise Failure(f"artifacts/{environment}/plan.json: bad digest '{digest}'")
    text = Path(f"artifacts/{environment}/plan.md").read_text(encoding="utf-8")
    limit = int(env("COMMENT_LIMIT", "60000"))
    pieces = split_plan(text, limit)
    bodies = []
    for index, piece in enumerate(pieces, start=1):
        part = f"part={index}/{len(pieces)}"
        marker = f"<!-- reconciler-plan:{environment} head={head} digest={digest} {part} -->"
        heading = title if len(pieces) == 1 else f"{title} (part {index} of {len(pieces)})"
        note = ""
        if len(pieces) > 1 and index == 1:
            note = (
                f"The plan is split across {len(pieces)} comments; the whole of it is in "
                f"the `plan-{environment}` artifact of {run_url}.\n\n"
            )
        bodies.append(f"{marker}\n\n{heading}\n\n{note}{piece}")
    return bodies


def cmd_publish(environment: str) -> None:
    """Publish the outcome for ENV: the digest as a commit status on the PR head (the binding
    apply trusts), then the sticky comment(s), edited in place, surplus parts deleted."""
    environment = env_name(environment)
    number, head = pr_number(), env("HEAD_SHA")
    bodies = plan_comments(environment)
    digest_match = re.search(r"digest=(sha256:[0-9a-f]{64})", bodies[0].split("\n", 1)[0])
    status = {
        "context": status_context(environment),
        "target_url": env("RUN_URL", "") or None,
    }
    if digest_match:
        status.update(state="success", description=digest_match.group(1))
    else:
        status.update(state="failure", description="no reviewed plan: validation or plan failed")
    gh("POST", f"repos/{repo()}/statuses/{head}", status)
    comments = gh("GET", f"repos/{repo()}/issues/{number}/comments", paginate=True)
    ours = [
        c
        for c in comments
        if c.get("user", {}).get("login") == BOT
        and (m := MARKER.match(c.get("body", ""))) is not None
        and m.group("env") == environment
    ]
    for index, body in enumerate(bodies):
        if index < len(ours):
            gh("PATCH", f"repos/{repo()}/issues/comments/{ours[index]['id']}", {"body": body})
        else:
            gh("POST", f"repos/{repo()}/issues/{number}/comments", {"body": body})
    for stale in ours[len(bodies) :]:
        gh("DELETE", f"repos/{repo()}/issues/comments/{stale['id']}")
    state = status["state"]
    print(f"{environment}: status {state}, {len(bodies)} comment(s) on #{number}")


def wanted_labels(environments: list[str]) -> set[str]:
    totals = {"create": 0, "update": 0, "delete": 0}
    for environment in environments:
        name = env_name(environment)
        plans = os.environ.get("PLANS")  # downloaded plan-ENV artifacts, else this job's own
        path = (
            Path(plans, f"plan-{name}", "plan.json")
            if plans
            else Path(f"artifacts/{name}/plan.json")
        )
        if not path.is_file():
            raise Failure(f"{path}: no plan for {environment}, so no labels")
        plan_summary = json.loads(path.read_text(encoding="utf-8"))["summary"]
        for kind in totals:
            totals[kind] += int(plan_summary.get(kind, 0))
        totals["create"] += int(plan_summary.get("adopt", 0))
    names = {"create": "creates", "update": "updates", "delete": "deletes"}
    wanted = {names[kind] for kind, count in totals.items() if count}
    return wanted or {"no-changes"}


def cmd_labels(*environments: str) -> None:
    """Label the PR by what its plans do, across ENV... (as tfcmt does)."""
    number = pr_number()
    wanted = wanted_labels(list(environments))
    current = {
        label["name"]
        for label in gh("GET", f"repos/{repo()}/issues/{number}/labels", paginate=True)
    }
    for name in sorted((set(LABELS) & current) - wanted):
        gh("DELETE", f"repos/{repo()}/issues/{number}/labels/{name}")
    missing = sorted(wanted - current)
    for name in missing:
        color, description = LABELS[name]
        try:
            gh(
                "POST",
                f"repos/{repo()}/labels",
                {"name": name, "color": color, "description": description},
            )
        except ApiError as exc:
            if exc.status != 422:  # 422: the label exists already
                raise
    if missing:
        gh("POST", f"repos/{repo()}/issues/{number}/labels", {"labels": missing})
    print(f"labels on #{number}: {', '.join(sorted(wanted))}")


# -- apply ---------------------------------------------------------------------------------


def reviewed_digest(statuses: list[dict[str, Any]], environment: str, merged_at: str) -> str | None:
    """The digest of the latest status for ENV set by the workflow before the merge."""
    ours = [
        s
        for s in statuses
        if s.get("context") == status_context(environment)
        and s.get("creator", {}).get("login") == BOT
        and s.get("created_at", "9") <= merged_at
    ]
    if not ours:
        return None
    latest = max(ours, key=lambda s: (s.get("created_at", ""), s.get("id", 0)))
    description = str(latest.get("description") or "")
    return description if latest.get("state") == "success" and DIGEST.match(description) else None


def cmd_review() -> None:
    """Outputs digests={"ENV": "sha256:..."} for a merge, or unreviewed=true for a manual run
    that asked for it with a reason; anything else fails before any write to an org."""
    event, environments = env("GITHUB_EVENT_NAME"), env("ENVIRONMENTS").split()
    for environment in environments:
        env_name(environment)
    if event == "workflow_dispatch":
        allow = env("ALLOW_UNREVIEWED", "false")
        reason = " ".join(env("RECONCILER_UNREVIEWED_REASON", "").split())
        if allow != "true":
            raise Failure(
                "a manual run applies a plan no pull request reviewed: set allow_unreviewed "
                "and give a reason, or merge a pull request instead"
            )
        if not reason:
            raise Failure("allow_unreviewed needs a reason (it is recorded in the audit log)")
        output("digests", "{}")
        output("unreviewed", "true")
        output("reason", reason[:500])
        summary(f"**Unreviewed apply** by {env('GITHUB_ACTOR', 'unknown')}: {reason[:500]}")
        return
    if event != "push":
        raise Failure(f"apply runs on push or workflow_dispatch, not {event}")
    sha = env("GITHUB_SHA")
    pulls = gh("GET", f"repos/{repo()}/commits/{sha}/pulls")
    merged = [p for p in pulls if p.get("merged_at") and p.get("merge_commit_sha") == sha]
    if not merged:
        raise Failure(
            f"commit {sha} is not the merge of a pull request: nothing was reviewed, nothing is "
            "applied (run the workflow by hand with allow_unreviewed and a reason to apply it)"
        )
    number = merged[0]["number"]
    pull = gh("GET", f"repos/{repo()}/pulls/{number}")
    head, merged_at = pull["head"]["sha"], pull.get("merged_at")
    if not merged_at or pull.get("merge_commit_sha") != sha:
        raise Failure(f"pull request #{number} was not merged as {sha}")
    statuses = gh("GET", f"repos/{repo()}/commits/{head}/statuses", paginate=True)
    digests: dict[str, str] = {}
    for environment in environments:
        digest = reviewed_digest(statuses, environment, merged_at)
        if digest is None:
            raise Failure(
                f"pull request #{number} has no reviewed plan for {environment} on its head "
                f"{head} (status '{status_context(environment)}'): nothing is applied"
            )
        digests[environment] = digest
    output("digests", json.dumps(digests, separators=(",", ":")))
    output("unreviewed", "false")
    output("pr", str(number))
    lines = [f"Reviewed on pull request #{number} (head `{head}`):", ""]
    lines += [f"- `{environment}`: `{digest}`" for environment, digest in digests.items()]
    summary("\n".join(lines))


def find_issue(label: str, title: str) -> dict[str, Any] | None:
    issues = gh(
        "GET", f"repos/{repo()}/issues?labels={label}&state=open&per_page=100", paginate=True
    )
    found = [i for i in issues if i.get("title") == title and "pull_request" not in i]
    return min(found, key=lambda i: i["number"]) if found else None


def ensure_label(name: str, color: str, description: str) -> None:
    try:
        gh(
            "POST",
            f"repos/{repo()}/labels",
            {"name": name, "color": color, "description": description},
        )
    except ApiError as exc:
        if exc.status != 422:
            raise


def cmd_apply_issue(environment: str, outcome: str) -> None:
    """failed: open the environment's `apply-failed` issue, or comment on the open one;
    succeeded: close the open one with a comment. BODY_FILE holds the failure's summary."""
    environment = env_name(environment)
    title = f"Apply to {environment} failed"
    issue = find_issue("apply-failed", title)
    run_url = env("RUN_URL", "")
    if outcome == "succeeded":
        if issue is None:
            print(f"no open apply-failed issue for {environment}")
            return
        number = issue["number"]
        gh(
            "POST",
            f"repos/{repo()}/issues/{number}/comments",
            {"body": f"Applied successfully by {run_url}; closing."},
        )
        gh(
            "PATCH",
            f"repos/{repo()}/issues/{number}",
            {"state": "closed", "state_reason": "completed"},
        )
        print(f"closed #{number}")
        return
    if outcome != "failed":
        raise Failure(f"apply-issue takes failed or succeeded, not '{outcome}'")
    body = Path(env("BODY_FILE")).read_text(encoding="utf-8")
    if issue is not None:
        gh(
            "POST",
            f"repos/{repo()}/issues/{issue['number']}/comments",
            {"body": "Failed again.\n\n" + body},
        )
        print(f"commented on #{issue['number']}")
        return
    ensure_label("apply-failed", "B60205", "reconciler apply failed")
    created = gh(
        "POST", f"repos/{repo()}/issues", {"title": title, "body": body, "labels": ["apply-failed"]}
    )
    print(f"opened #{created['number']}")


def cmd_replan() -> None:
    """Dispatch the plan workflow on every open same-repository PR, so its digests are fresh."""
    workflow, base = env("PLAN_WORKFLOW", "plan.yml"), env("BASE_BRANCH", "main")
    pulls = gh("GET", f"repos/{repo()}/pulls?state=open&base={base}&per_page=100", paginate=True)
    ours = [p for p in pulls if p["head"]["repo"] and p["head"]["repo"]["full_name"] == repo()]
    for pull in ours:
        gh(
            "POST",
            f"repos/{repo()}/actions/workflows/{workflow}/dispatches",
            {"ref": pull["head"]["ref"], "inputs": {"pr": str(pull["number"])}},
        )
    numbers = " ".join(f"#{pull['number']}" for pull in ours) or "none"
    summary(f"Re-planning {len(ours)} open pull request(s): {numbers}")


# -- audit ---------------------------------------------------------------------------------


def cmd_audit_fetch(environment: str, target: str) -> None:
    """Continue the chain where the audit branch ends; a missing file or branch is a first run."""
    environment = env_name(environment)
    branch = env("AUDIT_BRANCH", "reconciler-audit")
    path = f"audit/{environment}.jsonl"
    try:
        data = gh("GET", f"repos/{repo()}/contents/{path}?ref={branch}", raw=True)
    except ApiError as exc:
        if exc.status != 404:
            raise
        print(f"no {path} on {branch} yet: no apply has recorded one")
        return
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    Path(target).write_bytes(data)
    lines = data.count(b"\n")
    print(f"{path} from {branch}: {lines} line(s)")


# -- drift ---------------------------------------------------------------------------------


def cmd_pending_apply() -> None:
    """pending=<run URL> when an apply run is queued, waiting or running, else empty."""
    workflow = env("APPLY_WORKFLOW", "apply.yml")
    runs = gh("GET", f"repos/{repo()}/actions/workflows/{workflow}/runs?per_page=20")
    pending = [r for r in runs.get("workflow_runs", []) if r.get("status") != "completed"]
    output("pending", pending[0]["html_url"] if pending else "")
    print(f"apply runs not completed: {len(pending)}")


def cmd_drift_issue(environment: str, status: str) -> None:
    """One open issue per environment: opened on drift, commented on (and its body replaced)
    when the drift changes, closed once in sync. An apply in progress is noted, not reported."""
    environment = env_name(environment)
    title = f"Drift: {environment} differs from main"
    run_url = env("RUN_URL", "")
    if status == "apply-pending":
        summary(
            f"An apply is pending or running ({env('PENDING', '')}): the differences in "
            f"`{environment}` may be that apply's, so they are not reported as drift."
        )
        return
    issue = find_issue("drift", title)
    if status == "in-sync":
        if issue is not None:
            gh(
                "POST",
                f"repos/{repo()}/issues/{issue['number']}/comments",
                {"body": f"Back in sync as of {run_url}."},
            )
            gh(
                "PATCH",
                f"repos/{repo()}/issues/{issue['number']}",
                {"state": "closed", "state_reason": "completed"},
            )
            print(f"closed #{issue['number']}")
        return
    if status != "drift":
        raise Failure(f"drift-issue takes in-sync, drift or apply-pending, not '{status}'")
    report = Path(f"artifacts/{environment}/drift.md").read_text(encoding="utf-8")
    fingerprint = hashlib.sha256(report.encode()).hexdigest()[:16]
    server = env("GITHUB_SERVER_URL", "https://github.com")
    workflow = env("APPLY_WORKFLOW", "apply.yml")
    apply_url = f"{server}/{repo()}/actions/workflows/{workflow}"
    body = (
        f"<!-- reconciler-drift:{fingerprint} -->\n{report}\n\nLast checked by {run_url}.\n\n"
        f"To make the org match `main` again: [Run workflow]({apply_url}) on `main` "
        "(`allow_unreviewed` with a reason; do not re-run an old run, it applies an old commit), "
        "or accept the change by editing the specs in a pull request. This issue closes itself "
        "once in sync.\n"
    )
    if issue is None:
        ensure_label("drift", "D93F0B", "an org differs from main")
        created = gh(
            "POST", f"repos/{repo()}/issues", {"title": title, "body": body, "labels": ["drift"]}
        )
        print(f"opened #{created['number']}")
        return
    if f"<!-- reconciler-drift:{fingerprint} -->" in (issue.get("body") or ""):
        print(f"#{issue['number']}: the drift is unchanged")
        return
    gh("PATCH", f"repos/{repo()}/issues/{issue['number']}", {"body": body})
    gh(
        "POST",
        f"repos/{repo()}/issues/{issue['number']}/comments",
        {
            "body": f"The drift in `{environment}` changed ({run_url}); the description "
            f"above is up to date.\n\n{report}"
        },
    )
    print(f"updated #{issue['number']} and commented")


COMMANDS = {
    "changes": (cmd_changes, 0),
    "publish": (cmd_publish, 1),
    "labels": (cmd_labels, -1),
    "review": (cmd_review, 0),
    "apply-issue": (cmd_apply_issue, 2),
    "replan": (cmd_replan, 0),
    "audit-fetch": (cmd_audit_fetch, 2),
    "pending-apply": (cmd_pending_apply, 0),
    "drift-issue": (cmd_drift_issue, 2),
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(f"gitops: usage: {' | '.join(COMMANDS)}", file=sys.stderr)
        return 1
    function, arity = COMMANDS[argv[0]]
    args = argv[1:]
    if (arity >= 0 and len(args) != arity) or (arity < 0 and not args):
        print(f"gitops: {argv[0]}: wrong number of arguments", file=sys.stderr)
        return 1
    try:
        function(*args)
    except Failure as exc:
        print(f"gitops: {exc}", file=sys.stderr)
        return 1
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"gitops: {argv[0]}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
