"""Two machines, one org: two applies of the same specs from two clones of one repository, at
the same moment, against one emulator on 127.0.0.1, with faults.

The emulator holds each create until the other run's create of the same name has arrived (or
a few seconds pass), so the race is certain, not a matter of luck: both runs list an org
without the name and both create it. For a kind whose server keeps names unique (channels)
the later create is answered 409 and settled on the holder; for web deployments both creates
succeed, and the twin rule must leave one pair per name. Each clone has its own lock folder
(two machines share none), so nothing but the org itself settles the race.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from minimal_specs import CHANNEL, WEB
from support import CREDENTIALS

from reconciler.audit import verify_file
from reconciler.sandbox import (
    FaultPlan,
    SandboxApp,
    SandboxConfig,
    SandboxRequest,
    SandboxResponse,
    SandboxState,
    WebDeploymentKnobs,
    serve_in_thread,
)

NAMES = [f"Race {i}" for i in range(6)]
#: The creates the emulator holds until both runs sent theirs: the first write of each kind.
RACED = {"/api/v2/webmessaging/channels", "/api/v2/webdeployments/configurations"}
CONFIG_KIND = "webDeploymentConfiguration"
DEPLOYMENT_KIND = "webDeployment"


class RacingApp(SandboxApp):
    """Holds the first create of each name until the second one arrives (3 s at most)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._arrived: Counter[str] = Counter()
        self._gate = threading.Condition()
        self.raced: set[str] = set()

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        if request.method == "POST" and request.path in RACED:
            try:
                name = str(json.loads(request.body).get("name", ""))
            except ValueError:
                name = ""
            with self._gate:
                self._arrived[name] += 1
                self._gate.notify_all()
                if self._gate.wait_for(lambda: self._arrived[name] >= 2, timeout=3.0):
                    self.raced.add(name)
        return super().handle(request)


def _clone(origin: Path, target: Path) -> None:
    if shutil.which("git"):
        subprocess.run(
            ["git", "clone", "--quiet", str(origin), str(target)], check=True, timeout=60
        )
    else:  # pragma: no cover - git is on every CI image
        shutil.copytree(origin, target)


def _origin(tmp_path: Path, template: str) -> Path:
    origin = tmp_path / "origin"
    (origin / "channels").mkdir(parents=True)
    for index, name in enumerate(NAMES):
        text = template.format(name=name)
        (origin / "channels" / f"s{index}.yaml").write_text(text, encoding="utf-8")
    if shutil.which("git"):
        git = ["git", "-C", str(origin), "-c", "user.name=t", "-c", "user.email=t@example.com"]
        subprocess.run([*git, "init", "--quiet"], check=True, timeout=60)
        subprocess.run([*git, "add", "."], check=True, timeout=60)
        subprocess.run([*git, "commit", "--quiet", "-m", "specs"], check=True, timeout=60)
    return origin


def _env(url: str, lock_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GENESYS_", "RECONCILER_", "WEBHOOK_"))
    }
    env.update(
        GENESYS_CLIENT_ID=CREDENTIALS[0],
        GENESYS_CLIENT_SECRET=CREDENTIALS[1],
        GENESYS_API_URL=url,
        GENESYS_LOGIN_URL=url,
        RECONCILER_RATE_PER_MINUTE="60000",
        RECONCILER_LOCK_DIR=str(lock_dir),
        PYTHONUNBUFFERED="1",
    )
    return env


def _reconciler(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _audit(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _live_names(app: SandboxApp, kind: str) -> Counter[str]:
    if kind == "channel":
        return Counter(str(c["name"]).casefold() for c in app.state.channels.values())
    pairs = Counter(str(d["name"]).casefold() for d in app.state.objects(DEPLOYMENT_KIND).values())
    configs = Counter(
        str(c["draft"]["name"]).casefold() for c in app.state.objects(CONFIG_KIND).values()
    )
    assert configs == pairs, f"a configuration without its deployment is left: {configs}"
    return pairs


@pytest.mark.parametrize(("template", "kind"), [(CHANNEL, "channel"), (WEB, "webDeployment")])
def test_two_applies_from_two_clones_at_once_leave_each_name_live_once(
    tmp_path: Path, template: str, kind: str
) -> None:
    origin = _origin(tmp_path, template)
    clones = [tmp_path / "runner-a", tmp_path / "runner-b"]
    for clone in clones:
        _clone(origin, clone)
    config = SandboxConfig(
        credentials=CREDENTIALS,
        seed=20,
        rate_limit_per_minute=0,
        # Faults on reads, so every run also retries under the race; writes answer.
        faults=FaultPlan(
            seed=20,
            error_5xx=0.08,
            rate_limit_429=0.04,
            only_methods=frozenset({"GET"}),
            retry_after_seconds=0,
        ),
        webdeployments=WebDeploymentKnobs().scaled(0.01),
    )
    app = RacingApp(config, SandboxState())
    apply = ["apply", "--yes", "--audit-log", "audit.jsonl", "channels"]
    with serve_in_thread(app) as server:
        envs = [_env(server.url, tmp_path / f"locks-{c.name}") for c in clones]
        runs = [_reconciler(apply, c, e) for c, e in zip(clones, envs, strict=True)]
        outputs = [run.communicate(timeout=240)[0] for run in runs]
        codes = [run.returncode for run in runs]
        plan_runs = [
            _reconciler(["plan", "--detailed-exitcode", "channels"], c, e)
            for c, e in zip(clones, envs, strict=True)
        ]
        plans = [run.communicate(timeout=120)[0] for run in plan_runs]
        plan_codes = [run.returncode for run in plan_runs]

    assert app.raced == set(NAMES), "every name was created by both runs at once"
    assert codes == [0, 0], "\n".join(outputs)
    # Each name live once, nothing half made.
    assert _live_names(app, kind) == Counter({name.casefold(): 1 for name in NAMES})
    # The next plan is empty, from either clone.
    assert plan_codes == [0, 0], plans
    # Both audit logs verify; every twin a run made is deleted, and that is on record.
    twins_deleted: list[str] = []
    for clone in clones:
        verify_file(clone / "audit.jsonl")
        lines = _audit(clone / "audit.jsonl")
        actions = [line["record"] for line in lines if line["kind"] == "action"]
        assert len(actions) == len(NAMES)
        assert all(a["status"] == "succeeded" for a in actions), actions
        for record in actions:
            twin = record.get("twin")
            if twin is None:
                continue
            assert twin["deleted"] is True
            assert any(
                s["step"] == "twin.delete" and s["id"] == twin["id"] for s in record["steps"]
            )
            intents = [
                line["record"]
                for line in lines
                if line["kind"] == "intent.step" and line["record"]["step"] == "twin.delete"
            ]
            assert any(i["id"] == twin["id"] for i in intents), "its intent came first"
            twins_deleted.append(twin["id"])
    if kind == "webDeployment":
        # Both runs created every name: one twin per name, each deleted by the run that made it.
        assert len(twins_deleted) == len(NAMES)
        live_ids = set(app.state.objects(DEPLOYMENT_KIND))
        assert not live_ids & set(twins_deleted)
    else:
        assert twins_deleted == [], "the server's 409 leaves no twin to delete"
