"""``reconciler sandbox serve`` (a real subprocess) and ``reconciler sandbox reset``."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from reconciler.cli import run
from reconciler.sandbox import SandboxApp, SandboxState

from .helpers import COLLECTION, channel_body

LINE_TIMEOUT = 20.0


def read_line(proc: subprocess.Popen[str], timeout: float = LINE_TIMEOUT) -> str:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            proc.kill()
            raise AssertionError("no output from sandbox serve in time")
    return proc.stdout.readline()


def start(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", "sandbox", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={**os.environ, **(env or {})},
    )


def stop(proc: subprocess.Popen[str], sig: int) -> tuple[int, str]:
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=LINE_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    return proc.returncode, err


@pytest.mark.socket
@pytest.mark.skipif(
    sys.platform == "win32", reason="stops the child with SIGTERM/SIGINT: POSIX signals"
)
def test_serve_prints_url_serves_persists_and_exits_0_on_sigterm(tmp_path: Path) -> None:
    state_file = tmp_path / "org.json"
    proc = start(tmp_path, "--state", str(state_file), "--seed", "3")
    try:
        line = read_line(proc)
        assert line.startswith("sandbox listening on http://127.0.0.1:")
        url = line.split()[-1]
        with httpx.Client(base_url=url, timeout=10) as client:
            token = client.post(
                "/oauth/token", auth=("a", "b"), data={"grant_type": "client_credentials"}
            ).json()["access_token"]
            created = client.post(
                COLLECTION, json=channel_body(), headers={"Authorization": f"Bearer {token}"}
            )
            assert created.status_code == 200
        # Saved after the write, while still serving.
        assert len(SandboxState.load(state_file)) == 1
    finally:
        code, err = stop(proc, signal.SIGTERM)
    assert code == 0, err
    assert err == ""


@pytest.mark.socket
@pytest.mark.skipif(
    sys.platform == "win32", reason="stops the child with SIGTERM/SIGINT: POSIX signals"
)
def test_serve_exits_130_on_ctrl_c(tmp_path: Path) -> None:
    proc = start(tmp_path)
    try:
        assert "listening" in read_line(proc)
    finally:
        code, err = stop(proc, signal.SIGINT)
    assert code == 130
    assert "interrupted" in err


@pytest.mark.socket
@pytest.mark.skipif(
    sys.platform == "win32", reason="stops the child with SIGTERM/SIGINT: POSIX signals"
)
def test_serve_checks_credentials_when_given(tmp_path: Path) -> None:
    env_name = "SANDBOX_TEST_SECRET"
    proc = start(
        tmp_path,
        "--client-id",
        "me",
        "--client-secret-env",
        env_name,
        env={env_name: "Very-Secret-9"},
    )
    try:
        url = read_line(proc).split()[-1]
        form = {"grant_type": "client_credentials"}
        with httpx.Client(base_url=url, timeout=10) as client:
            assert client.post("/oauth/token", auth=("me", "wrong"), data=form).status_code == 401
            assert (
                client.post("/oauth/token", auth=("me", "Very-Secret-9"), data=form).status_code
                == 200
            )
    finally:
        code, err = stop(proc, signal.SIGTERM)
    assert code == 0
    assert "Very-Secret-9" not in err


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--fault-5xx", "1.5"], "--fault-5xx"),
        (["--fault-script", "503,boom"], "--fault-script"),
        (["--port", "70000"], "--port"),
        (["--rate-limit", "-3"], "--rate-limit"),
        (["--host", "0.0.0.0"], "--host"),
        (["--client-id", "x"], "--client-id"),
        (
            ["--client-id", "x", "--client-secret-env", "SANDBOX_NOT_SET_ANYWHERE"],
            "--client-secret-env",
        ),
    ],
)
def test_bad_flags_exit_64_with_one_clear_line(
    args: list[str], flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["sandbox", "serve", *args]) == 64
    err = capsys.readouterr().err
    first = err.splitlines()[0]
    assert first.startswith("error: ")
    assert flag in first
    assert "Traceback" not in err


def test_reset_empties_the_default_state_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    app = SandboxApp()
    app.seed_channels([{"name": "a"}, {"name": "b"}])
    default = tmp_path / ".reconciler" / "sandbox.json"
    app.state.save(default)
    assert run(["sandbox", "reset"]) == 0
    assert len(SandboxState.load(default)) == 0
    assert "2 channels removed" in capsys.readouterr().out


def test_reset_repairs_a_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("{broken")
    assert run(["sandbox", "reset", "--state", str(path)]) == 0
    assert json.loads(path.read_text())["kinds"]["channel"] == []


def test_serve_refuses_a_corrupt_state_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "state.json"
    path.write_text("{broken")
    assert run(["sandbox", "serve", "--state", str(path)]) == 1
    err = capsys.readouterr().err
    assert str(path) in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ('{\n  "format_version": "2",\n  "actions": []\n}\n', "without the sandbox state's format"),
        ('{"seq":1,"kind":"run.start"}\n{"seq":2,"kind":"run.end"}\n', "JSON-lines file"),
        ("name: Support\nwebMessagingWidgetConfiguration: {}\n", "not a JSON object"),
    ],
)
def test_reset_refuses_a_file_that_is_not_sandbox_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, why: str
) -> None:
    path = tmp_path / "precious.json"
    path.write_text(content)
    assert run(["sandbox", "reset", "--state", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path} is not sandbox state" in err
    assert why in err
    assert path.read_text() == content, "reset overwrote a file that was not sandbox state"


def test_serve_refuses_a_file_that_is_not_sandbox_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "plan.json"
    path.write_text('{"format_version": "2", "actions": []}')
    assert run(["sandbox", "serve", "--state", str(path)]) == 1
    assert str(path) in capsys.readouterr().err
    assert path.read_text() == '{"format_version": "2", "actions": []}'
