"""A kill between a web deployment's writes: the configuration is created and published, then
``apply`` is SIGKILLed while its deployment create is in flight. Each write had its intent
on record first (``intent.step``); the next run settles each against the org and writes the
``action.recovered`` line naming them, then completes the pair (or finds it complete).

The emulator holds the deployment create until the test has killed the run, then either
drops it (never made) or makes it (committed with nobody left to record it)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from support import CREDENTIALS

from reconciler.audit import verify_file
from reconciler.sandbox import (
    SandboxApp,
    SandboxConfig,
    SandboxRequest,
    SandboxResponse,
    SandboxState,
    WebDeploymentKnobs,
    serve_in_thread,
)

pytestmark = [
    pytest.mark.socket,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL needs POSIX signals"),
]

DEPLOYMENTS = "/api/v2/webdeployments/deployments"
SPEC = """\
kind: webDeployment
name: Kill Me Softly
deployment:
  allowAllDomains: true
  flow: {name: Sales Inbound Message}
"""


APPLY = ("apply", "--yes", "--audit-log", "audit.jsonl", "channels")


class HoldingApp(SandboxApp):
    """Holds the first deployment create until ``release``; then makes it or not."""

    def __init__(self, *args: Any, commit: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commit = commit
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.answered = threading.Event()
        self._held = False

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        if request.method == "POST" and request.path == DEPLOYMENTS and not self._held:
            self._held = True
            self.arrived.set()
            self.release.wait(30)
            try:
                if self.commit:
                    return super().handle(request)
                return SandboxResponse(status=503, body=b"{}")
            finally:
                self.answered.set()
        return super().handle(request)


def _env(url: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GENESYS_", "WEBHOOK_")) or k == "RECONCILER_LOCK_DIR"
    }
    env.update(
        GENESYS_CLIENT_ID=CREDENTIALS[0],
        GENESYS_CLIENT_SECRET=CREDENTIALS[1],
        GENESYS_API_URL=url,
        GENESYS_LOGIN_URL=url,
        RECONCILER_RATE_PER_MINUTE="60000",
        PYTHONUNBUFFERED="1",
    )
    return env


def _apply(cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", *APPLY],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


@pytest.mark.parametrize("commit", [False, True], ids=["deployment-not-made", "deployment-made"])
def test_a_kill_between_configuration_and_deployment_leaves_each_write_on_record(
    tmp_path: Path, commit: bool
) -> None:
    (tmp_path / "channels").mkdir()
    (tmp_path / "channels" / "w.yaml").write_text(SPEC, encoding="utf-8")
    config = SandboxConfig(
        credentials=CREDENTIALS,
        seed=9,
        rate_limit_per_minute=0,
        webdeployments=WebDeploymentKnobs().scaled(0.01),
    )
    app = HoldingApp(config, SandboxState(), commit=commit)
    with serve_in_thread(app) as server:
        env = _env(server.url)
        child = _apply(tmp_path, env)
        assert app.arrived.wait(60), "the run never reached its deployment create"
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=30)
        app.release.set()
        assert app.answered.wait(30)
        configs = list(app.state.objects("webDeploymentConfiguration"))
        assert len(configs) == 1, "the configuration was created before the kill"
        # The killed run's log: an intent before each write, no outcome.
        killed = _lines(tmp_path / "audit.jsonl")
        steps = [x["record"]["step"] for x in killed if x["kind"] == "intent.step"]
        assert steps == ["configuration.create", "configuration.publish", "deployment.create"]
        assert not [x for x in killed if x["kind"] == "action"]

        rerun = _apply(tmp_path, env)
        output = rerun.communicate(timeout=120)[0]
        assert rerun.returncode == 0, output
        plan = subprocess.run(
            [sys.executable, "-m", "reconciler", "plan", "--detailed-exitcode", "channels"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert plan.returncode == 0, plan.stdout + plan.stderr

    verify_file(tmp_path / "audit.jsonl")
    lines = _lines(tmp_path / "audit.jsonl")
    (recovered,) = [x["record"] for x in lines if x["kind"] == "action.recovered"]
    assert recovered["kind"] == "create"
    assert recovered["status"] == "succeeded", "the configuration was made: committed"
    judged = {s["step"]: s for s in recovered["steps"]}
    assert judged["configuration.create"]["committed"] is True
    assert judged["configuration.create"]["configurationId"] == configs[0]
    assert judged["configuration.publish"]["committed"] is True
    assert judged["configuration.publish"]["version"] == "1"
    assert judged["deployment.create"]["committed"] is commit
    # The pair is whole: one configuration, one deployment on it.
    deployments = list(app.state.objects("webDeployment").values())
    assert len(deployments) == 1
    assert deployments[0]["configuration"]["id"] == configs[0]
    assert list(app.state.objects("webDeploymentConfiguration")) == configs
    if commit:
        assert judged["deployment.create"]["deploymentId"] == deployments[0]["id"]
    else:
        # The next run completed the pair, and that write is on record too.
        (completed,) = [
            x["record"]
            for x in lines
            if x["kind"] == "action" and x["record"]["status"] == "succeeded"
        ]
        assert [s["step"] for s in completed["steps"]] == ["deployment.create"]
        assert completed["steps"][0]["deploymentId"] == deployments[0]["id"]
