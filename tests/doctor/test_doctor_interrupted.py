"""``doctor --write-probe`` killed with SIGTERM in the middle of its probe: a subprocess against
``reconciler sandbox serve`` (a subprocess too, saving its org to a state file after every
write), and nothing of the scratch pair is left in the org afterwards."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reconciler.errors import ConfigError
from reconciler.sandbox import SandboxState

PROBE = "reconciler-doctor-probe-"
DEADLINE = 60.0


def read_line(proc: subprocess.Popen[str], timeout: float = DEADLINE) -> str:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            proc.kill()
            raise AssertionError("no output from sandbox serve in time")
    return proc.stdout.readline()


def probe_objects(state_file: Path) -> dict[str, list[str]]:
    """The probe's objects in the saved org, by kind (an unreadable file mid-write: none)."""
    try:
        state = SandboxState.load(state_file)
    except ConfigError:
        return {}
    configs = [r["draft"]["name"] for r in state.objects("webDeploymentConfiguration").values()]
    deployments = [d["name"] for d in state.objects("webDeployment").values()]
    found = {
        "configuration": [n for n in configs if n.startswith(PROBE)],
        "deployment": [n for n in deployments if n.startswith(PROBE)],
    }
    return {kind: names for kind, names in found.items() if names}


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_during_the_write_probe_removes_the_scratch_pair(tmp_path: Path) -> None:
    state_file = tmp_path / "org.json"
    (tmp_path / "channels").mkdir()
    (tmp_path / "channels" / "web.yaml").write_text(
        "kind: webDeployment\nname: Shop\ndeployment: {allowAllDomains: true}\n",
        encoding="utf-8",
    )
    # Every answer takes 50 ms and deployments turn Active after 0.6 s: the probe is still
    # running when its deployment appears in the saved org.
    server = subprocess.Popen(
        [
            sys.executable, "-m", "reconciler", "sandbox", "serve", "--port", "0",
            "--state", str(state_file), "--latency-ms", "50", "--wd-time-scale", "0.05",
        ],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
    )  # fmt: skip
    doctor: subprocess.Popen[str] | None = None
    try:
        url = read_line(server).strip().rsplit(" ", 1)[-1]
        assert url.startswith("http://127.0.0.1:"), url
        env = {
            **{
                k: v for k, v in os.environ.items() if not k.startswith(("GENESYS_", "RECONCILER_"))
            },
            "GENESYS_API_URL": url,
            "GENESYS_LOGIN_URL": url,
            "GENESYS_CLIENT_ID": "doctor-test",
            "GENESYS_CLIENT_SECRET": "doctor-test-secret",
        }
        doctor = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "doctor", "--write-probe"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path, env=env,
        )  # fmt: skip
        deadline = time.monotonic() + DEADLINE
        while "deployment" not in probe_objects(state_file):
            assert doctor.poll() is None, doctor.communicate()
            assert time.monotonic() < deadline, "the probe never made its deployment"
            time.sleep(0.02)
        assert probe_objects(state_file)["configuration"]  # both halves of the pair exist
        doctor.send_signal(signal.SIGTERM)
        out, err = doctor.communicate(timeout=DEADLINE)
        assert doctor.returncode == 143, (out, err)
        assert "interrupted by SIGTERM" in err
        assert "created and removed" in err
        assert probe_objects(state_file) == {}
    finally:
        for proc in (doctor, server):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.communicate(timeout=DEADLINE)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.communicate()
    assert server.returncode == 0
