"""Run a GitHub Actions workflow file locally, the way GitHub runs it, for scripts/workflow-smoke.

What it does as GitHub does: jobs in `needs` order with their `if:` (default `success()`),
`always()`/`failure()`/`cancelled()`/`success()`, matrices, job outputs, `needs.<job>.result`;
every `run:` step as `bash --noprofile --norc -eo pipefail {0}` (the `defaults.run.shell: bash`
the workflows set) with the workflow, job and step `env:`, `GITHUB_OUTPUT`, `GITHUB_ENV`,
`GITHUB_PATH`, `GITHUB_STEP_SUMMARY`, `GITHUB_EVENT_NAME` and friends; `${{ }}` expressions
(contexts github, env, inputs, matrix, needs, steps, runner, secrets, job); a fresh workspace and
RUNNER_TEMP per job; composite actions (`uses: ./` and a mapped `owner/repo@sha`) with their
inputs, defaults and outputs; the environment gate (approved or rejected); re-runs of failed jobs
(`run_attempt` + 1, succeeded jobs kept). Stand-ins: actions/checkout clones the local origin
repository, actions/setup-python does nothing, upload/download-artifact keep artifacts per run
(uploading an existing name without `overwrite: true` fails with GitHub's 409).
Not modelled: concurrency groups, services, containers, `continue-on-error`, timeouts per job.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

STEP_TIMEOUT = 180

# -- expressions ---------------------------------------------------------------------------

TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>\d+(?:\.\d+)?)|(?P<op>==|!=|<=|>=|&&|\|\||[!<>(),\[\].*])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*))"
)


class ExpressionError(Exception):
    pass


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = TOKEN.match(text, pos)
        if not match:
            raise ExpressionError(f"cannot read expression at {text[pos:]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


def to_str(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def truthy(value: Any) -> bool:
    return value not in (None, False, 0, "", 0.0)


def loose_equal(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return bool(a == b) if type(a) is type(b) else to_str(a) == to_str(b)
    return bool(a == b)


class Evaluator:
    """A recursive-descent evaluator of GitHub's expression syntax (the subset workflows use)."""

    def __init__(self, context: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]]):
        self.context, self.functions = context, functions

    def evaluate(self, text: str) -> Any:
        self.tokens, self.pos = tokenize(text), 0
        value = self.or_()
        if self.pos != len(self.tokens):
            raise ExpressionError(f"unexpected {self.tokens[self.pos][1]!r} in {text!r}")
        return value

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        token = self.tokens[self.pos]
        if expected is not None and token[1] != expected:
            raise ExpressionError(f"expected {expected!r}, got {token[1]!r}")
        self.pos += 1
        return token

    def or_(self) -> Any:
        value = self.and_()
        while self.peek() == "||":
            self.take()
            right = self.and_()
            value = value if truthy(value) else right
        return value

    def and_(self) -> Any:
        value = self.compare()
        while self.peek() == "&&":
            self.take()
            right = self.compare()
            value = right if truthy(value) else value
        return value

    def compare(self) -> Any:
        value = self.unary()
        while self.peek() in ("==", "!=", "<", ">", "<=", ">="):
            op = self.take()[1]
            right = self.unary()
            if op == "==":
                value = loose_equal(value, right)
            elif op == "!=":
                value = not loose_equal(value, right)
            else:
                value = {"<": value < right, ">": value > right, "<=": value <= right}.get(
                    op, value >= right
                )
        return value

    def unary(self) -> Any:
        if self.peek() == "!":
            self.take()
            return not truthy(self.unary())
        return self.postfix(self.primary())

    def primary(self) -> Any:
        kind, text = self.take()
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return float(text) if "." in text else int(text)
        if text == "(":
            value = self.or_()
            self.take(")")
            return value
        if kind != "name":
            raise ExpressionError(f"unexpected {text!r}")
        if text in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[text]
        if self.peek() == "(":
            self.take()
            args = []
            while self.peek() != ")":
                args.append(self.or_())
                if self.peek() == ",":
                    self.take()
            self.take(")")
            function = self.functions.get(text.lower())
            if function is None:
                raise ExpressionError(f"unknown function {text}()")
            return function(*args)
        return self.context.get(text)

    def postfix(self, value: Any) -> Any:
        while self.peek() in (".", "["):
            if self.take()[1] == ".":
                name = self.take()[1]
                if name == "*":
                    value = list(value.values()) if isinstance(value, dict) else []
                elif isinstance(value, list):  # a filter: list.*.name
                    value = [item.get(name) if isinstance(item, dict) else None for item in value]
                else:
                    value = value.get(name) if isinstance(value, dict) else None
            else:
                index = self.or_()
                self.take("]")
                if isinstance(value, dict):
                    value = value.get(to_str(index))
                elif isinstance(value, list) and isinstance(index, int) and index < len(value):
                    value = value[index]
                else:
                    value = None
        return value


def base_functions() -> dict[str, Callable[..., Any]]:
    return {
        "fromjson": lambda text: json.loads(text) if text else None,
        "tojson": lambda value: json.dumps(value, indent=2),
        "join": lambda items, sep=",": sep.join(to_str(i) for i in (items or [])),
        "contains": lambda hay, needle: (
            any(loose_equal(i, needle) for i in hay)
            if isinstance(hay, list)
            else to_str(needle).casefold() in to_str(hay).casefold()
        ),
        "startswith": lambda s, p: to_str(s).casefold().startswith(to_str(p).casefold()),
        "format": lambda fmt, *args: re.sub(r"\{(\d+)\}", lambda m: to_str(args[int(m[1])]), fmt),
    }


EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.S)


def interpolate(value: Any, evaluate: Callable[[str], Any]) -> Any:
    """Strings with ${{ }} replaced; a string that is one whole expression keeps its type."""
    if isinstance(value, dict):
        return {k: interpolate(v, evaluate) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, evaluate) for v in value]
    if not isinstance(value, str) or "${{" not in value:
        return value
    whole = EXPR.fullmatch(value.strip())
    if whole and value.count("${{") == 1:
        return evaluate(whole.group(1))
    return EXPR.sub(lambda m: to_str(evaluate(m.group(1))), value)


def condition(text: Any, evaluate: Callable[[str], Any], default: str = "success()") -> bool:
    if text is None or text == "":
        text = default
    if isinstance(text, bool):
        return text
    text = str(text).strip()
    match = EXPR.fullmatch(text)
    if match and text.count("${{") == 1:
        text = match.group(1)
    lowered = text.replace(" ", "")
    if not any(f in lowered for f in ("always()", "failure()", "cancelled()", "success()")):
        text = f"success() && ({text})"
    return truthy(evaluate(text))


# -- the run ---------------------------------------------------------------------------------


@dataclass
class StepRecord:
    job: str
    name: str
    outcome: str
    log: str = ""
    attempt: int = 1


@dataclass
class JobResult:
    result: str  # success | failure | skipped | cancelled
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class Run:
    """One workflow run: its attempts share run_id and artifacts."""

    workflow: str
    event_name: str
    event: dict[str, Any]
    sha: str
    ref: str = "refs/heads/main"
    inputs: dict[str, Any] = field(default_factory=dict)
    run_id: int = 0
    attempt: int = 0
    jobs: dict[str, JobResult] = field(default_factory=dict)
    steps: list[StepRecord] = field(default_factory=list)
    summary: str = ""


@dataclass
class Runner:
    """The machine: the origin repository, secrets and runner env per GitHub Environment,
    approvals of gated environments, composite actions by `uses:` name."""

    root: Path  # where runs keep workspaces and artifacts
    origin: Path  # bare git repository the checkouts clone
    repository: str
    secrets: dict[str, dict[str, str]]  # environment name ("" = repository) -> secrets
    machine_env: dict[str, dict[str, str]]  # environment name -> variables on the runner
    base_env: dict[str, str]
    approvals: dict[str, bool] = field(default_factory=dict)  # gated environment -> approved?
    actions: dict[str, Path] = field(default_factory=dict)  # "owner/repo" -> action folder
    token_permissions: Callable[[str, dict[str, str]], None] | None = None
    fork_events: bool = False  # the event comes from a fork: no secrets, read-only token
    next_run_id: int = 7000

    def run(self, workflow_file: Path, run: Run) -> Run:
        """Run (or re-run the failed jobs of) ``run``: attempt + 1."""
        if not run.run_id:
            self.next_run_id += 1
            run.run_id = self.next_run_id
        run.attempt += 1
        doc = YAML(typ="safe").load(workflow_file.read_text(encoding="utf-8"))
        run.workflow = workflow_file.name
        previous = dict(run.jobs)
        run.jobs = {}
        pending = dict(doc["jobs"])
        for _ in range(len(pending) + 1):
            ready = [
                job_id
                for job_id, job in pending.items()
                if all(n in run.jobs for n in as_list(job.get("needs")))
            ]
            if not ready:
                break
            for job_id in ready:
                job = pending.pop(job_id)
                kept = previous.get(job_id)
                if kept is not None and kept.result == "success":
                    run.jobs[job_id] = kept  # a re-run of failed jobs keeps the ones that passed
                    continue
                run.jobs[job_id] = self.run_job(doc, job_id, job, run)
        if pending:
            raise RuntimeError(f"jobs with unsatisfiable needs: {sorted(pending)}")
        return run

    def github_context(self, run: Run, token: str, workspace: Path) -> dict[str, Any]:
        return {
            "event_name": run.event_name,
            "event": {**run.event, "inputs": run.inputs} if run.inputs else run.event,
            "sha": run.sha,
            "ref": run.ref,
            "ref_name": run.ref.rsplit("/", 1)[-1],
            "repository": self.repository,
            "repository_owner": self.repository.split("/")[0],
            "run_id": str(run.run_id),
            "run_attempt": str(run.attempt),
            "run_number": str(run.run_id - 7000),
            "server_url": "https://github.example",
            "api_url": "https://api.github.example",
            "actor": "octocat",
            "workflow": run.workflow,
            "token": token,
            "workspace": str(workspace),
        }

    def run_job(self, doc: dict[str, Any], job_id: str, job: dict[str, Any], run: Run) -> JobResult:
        needs = {
            n: {"result": run.jobs[n].result, "outputs": run.jobs[n].outputs}
            for n in as_list(job.get("needs"))
        }
        matrix_values = expand_matrix(job.get("strategy", {}).get("matrix"))
        results: list[JobResult] = []
        for matrix in matrix_values:
            results.append(self.run_one(doc, job_id, job, run, needs, matrix))
        outcomes = {r.result for r in results}
        if "failure" in outcomes:
            result = "failure"
        elif "cancelled" in outcomes:
            result = "cancelled"
        elif outcomes == {"skipped"}:
            result = "skipped"
        else:
            result = "success"
        outputs: dict[str, str] = {}
        for r in results:
            outputs.update({k: v for k, v in r.outputs.items() if v != ""})
        return JobResult(result, outputs)

    def run_one(
        self,
        doc: dict[str, Any],
        job_id: str,
        job: dict[str, Any],
        run: Run,
        needs: dict[str, Any],
        matrix: dict[str, Any],
    ) -> JobResult:
        label = job_id + (f" ({', '.join(to_str(v) for v in matrix.values())})" if matrix else "")
        workspace = Path(tempfile.mkdtemp(prefix=f"{job_id}-", dir=self.root))
        temp = Path(tempfile.mkdtemp(prefix=f"{job_id}-temp-", dir=self.root))
        token = f"ghs_{run.run_id}_{run.attempt}_{job_id}_{len(run.steps)}"
        permissions = job.get("permissions", doc.get("permissions", {})) or {}
        if self.fork_events:
            permissions = dict.fromkeys(permissions, "read")
        if self.token_permissions:
            self.token_permissions(token, permissions)
        github = self.github_context(run, token, workspace)
        jobs_ctx: dict[str, Any] = {
            "github": github,
            "inputs": run.inputs,
            "needs": needs,
            "vars": {},
            "matrix": matrix,
            "strategy": {},
            "runner": {"temp": str(temp), "os": "Linux", "arch": "X64"},
        }
        any_failed = any(n["result"] == "failure" for n in needs.values())
        all_ok = all(n["result"] == "success" for n in needs.values())
        functions = base_functions() | {
            "success": lambda: all_ok,
            "failure": lambda: any_failed,
            "always": lambda: True,
            "cancelled": lambda: False,
        }
        job_eval = Evaluator(jobs_ctx, functions).evaluate
        if not condition(job.get("if"), job_eval):
            return JobResult("skipped")
        environment = interpolate(job.get("environment"), job_eval)
        if isinstance(environment, dict):
            environment = environment.get("name")
        environment = environment or ""
        if environment in self.approvals and not self.approvals[environment]:
            run.steps.append(StepRecord(label, "(approval rejected)", "failure", "", run.attempt))
            return JobResult("failure")
        secrets = (
            {}
            if self.fork_events
            else {
                **self.secrets.get("", {}),
                **self.secrets.get(environment, {}),
            }
        )
        jobs_ctx["secrets"] = {**secrets, "GITHUB_TOKEN": token}
        wf_env = interpolate(doc.get("env", {}) or {}, job_eval)
        jobs_ctx["env"] = wf_env
        job_env = {
            **wf_env,
            **interpolate(job.get("env", {}) or {}, Evaluator(jobs_ctx, functions).evaluate),
        }
        state = JobState(
            runner=self,
            run=run,
            label=label,
            workspace=workspace,
            temp=temp,
            github=github,
            machine_env={**self.base_env, **self.machine_env.get(environment, {})},
            job_env=job_env,
            contexts=jobs_ctx,
            functions=functions,
        )
        state.run_steps(job.get("steps", []), action_path=None, inputs=None)
        outputs = {}
        out_eval = state.evaluator(state.steps_ctx, None).evaluate
        for key, value in (job.get("outputs") or {}).items():
            outputs[key] = to_str(interpolate(value, out_eval))
        return JobResult("failure" if state.failed else "success", outputs)


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def expand_matrix(matrix: Any) -> list[dict[str, Any]]:
    if not matrix:
        return [{}]
    combos: list[dict[str, Any]] = [{}]
    for key, values in matrix.items():
        if key in ("include", "exclude"):
            continue
        combos = [{**c, key: v} for c in combos for v in values]
    return combos


@dataclass
class JobState:
    runner: Runner
    run: Run
    label: str
    workspace: Path
    temp: Path
    github: dict[str, Any]
    machine_env: dict[str, str]
    job_env: dict[str, str]
    contexts: dict[str, Any]
    functions: dict[str, Callable[..., Any]]
    failed: bool = False
    paths: list[str] = field(default_factory=list)
    exported: dict[str, str] = field(default_factory=dict)
    steps_ctx: dict[str, Any] = field(default_factory=dict)

    def evaluator(
        self, steps: dict[str, Any], inputs: dict[str, Any] | None, failed: bool | None = None
    ) -> Evaluator:
        failed = self.failed if failed is None else failed
        context = {**self.contexts, "steps": steps, "env": {**self.job_env, **self.exported}}
        context["job"] = {"status": "failure" if failed else "success"}
        if inputs is not None:
            context["inputs"] = inputs
        functions = self.functions | {
            "success": lambda: not failed,
            "failure": lambda: failed,
        }
        return Evaluator(context, functions)

    def run_steps(
        self,
        steps: list[dict[str, Any]],
        *,
        action_path: Path | None,
        inputs: dict[str, Any] | None,
    ) -> tuple[bool, dict[str, Any]]:
        """Run a job's steps, or a composite action's (own step scope, own failure state)."""
        scope: dict[str, Any] = self.steps_ctx if action_path is None else {}
        failed = False
        for index, step in enumerate(steps):
            step_failed = self.failed if action_path is None else failed
            evaluate = self.evaluator(scope, inputs, step_failed).evaluate
            name = str(step.get("name") or step.get("uses") or f"step {index}")
            name = to_str(interpolate(name, evaluate))
            if not condition(step.get("if"), evaluate):
                if "id" in step:
                    scope[step["id"]] = {
                        "outcome": "skipped",
                        "conclusion": "skipped",
                        "outputs": {},
                    }
                continue
            step_env = interpolate(step.get("env", {}) or {}, evaluate)
            caller_env = inputs.get("__env__", {}) if inputs else {}
            env = {
                **self.job_env,
                **self.exported,
                **caller_env,
                **{k: to_str(v) for k, v in step_env.items()},
            }
            ok, outputs, log = self.run_step(step, env, evaluate, action_path)
            self.runner_record(name, ok, log)
            if "id" in step:
                outcome = "success" if ok else "failure"
                scope[step["id"]] = {"outcome": outcome, "conclusion": outcome, "outputs": outputs}
            if not ok:
                failed = True
                if action_path is None:
                    self.failed = True
        return failed, scope

    def runner_record(self, name: str, ok: bool, log: str) -> None:
        outcome = "success" if ok else "failure"
        self.run.steps.append(StepRecord(self.label, name, outcome, log, self.run.attempt))

    def process_env(self, env: Mapping[str, str]) -> dict[str, str]:
        path = os.pathsep.join(
            [*reversed(self.paths), self.machine_env.get("PATH", os.environ["PATH"])]
        )
        return {
            **self.machine_env,
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": self.run.event_name,
            "GITHUB_SHA": self.run.sha,
            "GITHUB_REF": self.run.ref,
            "GITHUB_REPOSITORY": self.runner.repository,
            "GITHUB_RUN_ID": str(self.run.run_id),
            "GITHUB_RUN_ATTEMPT": str(self.run.attempt),
            "GITHUB_SERVER_URL": self.github["server_url"],
            "GITHUB_ACTOR": "octocat",
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_EVENT_PATH": str(self.temp / "event.json"),
            "RUNNER_TEMP": str(self.temp),
            "HOME": str(self.temp),
            **{k: to_str(v) for k, v in env.items()},
            "PATH": path,
        }

    def run_step(
        self,
        step: dict[str, Any],
        env: dict[str, str],
        evaluate: Callable[[str], Any],
        action_path: Path | None,
    ) -> tuple[bool, dict[str, str], str]:
        if "run" in step:
            return self.run_shell(step, env, evaluate, action_path)
        uses = str(step["uses"])
        with_ = {k: to_str(v) for k, v in interpolate(step.get("with", {}) or {}, evaluate).items()}
        name = uses.split("@")[0]
        if name == "actions/checkout":
            return self.checkout(with_)
        if name == "actions/setup-python":
            return True, {"python-version": with_.get("python-version", "")}, ""
        if name == "actions/upload-artifact":
            return self.upload(with_)
        if name == "actions/download-artifact":
            return self.download(with_)
        folder = (
            self.workspace / uses[2:] if uses.startswith("./") else self.runner.actions.get(name)
        )
        if folder is None:
            return False, {}, f"the smoke runner has no stand-in for {uses}"
        return self.composite(folder, with_, env)

    def run_shell(
        self,
        step: dict[str, Any],
        env: dict[str, str],
        evaluate: Callable[[str], Any],
        action_path: Path | None,
    ) -> tuple[bool, dict[str, str], str]:
        script = to_str(interpolate(step["run"], evaluate))
        shell = step.get("shell", "bash")
        if shell != "bash":
            return False, {}, f"unsupported shell {shell}"
        files = {
            name: self.temp / f"{name.lower()}-{len(self.run.steps)}"
            for name in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY")
        }
        for file in files.values():
            file.write_text("")
        script_file = self.temp / f"step-{len(self.run.steps)}.sh"
        script_file.write_text(script)
        extra = {k: str(v) for k, v in files.items()}
        if action_path is not None:
            extra["GITHUB_ACTION_PATH"] = str(action_path)
        cwd = self.workspace / to_str(interpolate(step.get("working-directory", "."), evaluate))
        try:
            done = subprocess.run(  # noqa: S603
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_file)],  # noqa: S607
                cwd=cwd,
                env=self.process_env({**env, **extra}),
                capture_output=True,
                text=True,
                timeout=STEP_TIMEOUT,
                check=False,
            )
            ok, log = done.returncode == 0, done.stdout + done.stderr
        except subprocess.TimeoutExpired:
            ok, log = False, f"step timed out after {STEP_TIMEOUT} s"
        outputs = parse_env_file(files["GITHUB_OUTPUT"].read_text())
        self.exported.update(parse_env_file(files["GITHUB_ENV"].read_text()))
        self.paths += [line for line in files["GITHUB_PATH"].read_text().splitlines() if line]
        self.run.summary += files["GITHUB_STEP_SUMMARY"].read_text()
        return ok, outputs, log

    def composite(
        self, folder: Path, with_: dict[str, str], env: dict[str, str]
    ) -> tuple[bool, dict[str, str], str]:
        action = YAML(typ="safe").load((folder / "action.yml").read_text(encoding="utf-8"))
        if action["runs"]["using"] != "composite":
            return False, {}, "not a composite action"
        base = self.evaluator(self.steps_ctx, None).evaluate
        inputs: dict[str, Any] = {}
        for key, spec in (action.get("inputs") or {}).items():
            if key in with_:
                inputs[key] = with_[key]
            else:
                inputs[key] = to_str(interpolate(spec.get("default", ""), base))
        unknown = set(with_) - set(inputs)
        if unknown:
            return False, {}, f"unexpected inputs {sorted(unknown)}"
        for key, spec in (action.get("inputs") or {}).items():
            if spec.get("required") and not inputs[key]:
                return False, {}, f"input {key} is required"
        inputs["__env__"] = env
        failed, scope = self.run_steps(action["runs"]["steps"], action_path=folder, inputs=inputs)
        evaluate = self.evaluator(scope, inputs).evaluate
        outputs = {
            key: to_str(interpolate(spec.get("value", ""), evaluate))
            for key, spec in (action.get("outputs") or {}).items()
        }
        return not failed, outputs, ""

    # -- stand-ins for the actions the workflows use --------------------------------------

    def checkout(self, with_: dict[str, str]) -> tuple[bool, dict[str, str], str]:
        target = self.workspace / with_.get("path", "")
        if with_.get("path"):
            target.mkdir(parents=True, exist_ok=True)
        ref = with_.get("ref") or self.run.sha
        done = run_git("clone", "-q", str(self.runner.origin), str(target), cwd=self.workspace)
        if done.returncode == 0:
            done = run_git("checkout", "-q", ref, cwd=target)
        if done.returncode == 0 and with_.get("persist-credentials", "true") == "false":
            # What the real action leaves: no credential in .git/config. The stand-in origin is
            # a local path, so remove its URL too: a push from this checkout must fail.
            done = run_git(
                "remote", "set-url", "origin", "https://github.example/none.git", cwd=target
            )
        return done.returncode == 0, {}, done.stderr

    def artifact_dir(self, name: str) -> Path:
        return self.runner.root / "artifacts" / str(self.run.run_id) / name

    def upload(self, with_: dict[str, str]) -> tuple[bool, dict[str, str], str]:
        name = with_["name"]
        target = self.artifact_dir(name)
        if target.exists() and with_.get("overwrite", "false") != "true":
            return (
                False,
                {},
                (
                    "Failed to CreateArtifact: Received non-retryable error: Failed request: "
                    f"(409) Conflict: an artifact with this name already exists on the workflow "
                    f"run ({name})"
                ),
            )
        files: list[Path] = []
        for pattern in filter(None, (line.strip() for line in with_["path"].splitlines())):
            path = self.workspace / pattern
            if path.is_dir():
                files += [p for p in path.rglob("*") if p.is_file()]
            elif path.is_file():
                files.append(path)
        if not files:
            ok = with_.get("if-no-files-found", "warn") != "error"
            return ok, {}, f"No files were found with the provided path: {with_['path']}"
        common = Path(os.path.commonpath([str(p.parent) for p in files]))
        if target.exists():
            shutil.rmtree(target)
        for file in files:
            dest = target / file.relative_to(common)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, dest)
        return True, {"artifact-id": name}, f"uploaded {len(files)} file(s)"

    def download(self, with_: dict[str, str]) -> tuple[bool, dict[str, str], str]:
        base = Path(with_.get("path") or self.workspace)
        base = base if base.is_absolute() else self.workspace / base
        stored = self.runner.root / "artifacts" / str(self.run.run_id)
        if with_.get("name"):
            source = stored / with_["name"]
            if not source.is_dir():
                return False, {}, f"Artifact not found for name: {with_['name']}"
            shutil.copytree(source, base, dirs_exist_ok=True)
            return True, {}, ""
        names = [p.name for p in stored.iterdir()] if stored.is_dir() else []
        for name in names:
            if fnmatch.fnmatch(name, with_.get("pattern", "*")):
                shutil.copytree(stored / name, base / name, dirs_exist_ok=True)
        return True, {}, ""


def run_git(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        ["git", "-c", "advice.detachedHead=false", *args],  # noqa: S607
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def parse_env_file(text: str) -> dict[str, str]:
    """GITHUB_OUTPUT/GITHUB_ENV: name=value lines and name<<DELIM heredocs."""
    values: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delimiter = line.split("<<", 1)
            body = []
            i += 1
            while i < len(lines) and lines[i] != delimiter:
                body.append(lines[i])
                i += 1
            values[key] = "\n".join(body)
        elif "=" in line:
            key, value = line.split("=", 1)
            values[key] = value
        i += 1
    return values
