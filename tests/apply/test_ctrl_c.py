"""Ctrl-C answers at once (issue 23, item 9): the first SIGINT or SIGTERM prints a line right
away, and the run ends within seconds even while it waits on an activation or the rate limit
(waits are cut, a write in flight never is); the next apply finishes the job.

Both processes are real: ``reconciler sandbox serve`` and ``reconciler apply`` as
subprocesses on 127.0.0.1, the signal sent to the apply.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.audit import verify_file

pytestmark = [
    pytest.mark.socket,
    pytest.mark.skipif(sys.platform == "win32", reason="signals to a child need POSIX"),
]

WEB = """\
kind: webDeployment
name: {name}
deployment:
  allowAllDomains: true
  flow: {{name: Sales Inbound Message}}
"""
CHANNEL = """\
name: {name}
webMessagingWidgetConfiguration: {{widgetId: w-1, theme: default}}
securityPolicy: {{enabled: false, allowedOrigins: [], requireConsent: false}}
routingConfiguration: {{queueId: q-1}}
"""
#: Far more than any wait of these tests may take once a signal arrived.
BOUND = 60.0


class Child:
    """A subprocess whose stdout and stderr lines are collected as they come."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(self.process.stdout, self.out), daemon=True),
            threading.Thread(target=self._read, args=(self.process.stderr, self.err), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream: object, into: list[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            into.append(line)

    def wait_for(self, lines: list[str], text: str, timeout: float = BOUND) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(lines):
                if text in line:
                    return line
            if self.process.poll() is not None and not any(r.is_alive() for r in self._readers):
                break
            time.sleep(0.02)
        seen = f"out={''.join(self.out)} err={''.join(self.err)}"
        raise AssertionError(f"{text!r} never came; {seen}")

    def finish(self, timeout: float = BOUND) -> int:
        code = self.process.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout=10)
        return code

    def kill(self) -> None:
        """Make sure it is gone, and close its pipes."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        for reader in self._readers:
            reader.join(timeout=10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


def clean_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GENESYS_", "RECONCILER_", "WEBHOOK_"))
    }
    env["PYTHONUNBUFFERED"] = "1"
    return env


@contextlib.contextmanager
def sandbox_serve(tmp_path: Path, *options: str) -> Iterator[str]:
    server = Child(
        [sys.executable, "-m", "reconciler", "sandbox", "serve", "--seed", "9", *options],
        tmp_path,
        clean_env(),
    )
    try:
        line = server.wait_for(server.out, "sandbox listening on ")
        yield line.split("sandbox listening on ", 1)[1].strip()
    finally:
        if server.process.poll() is None:
            server.process.send_signal(signal.SIGTERM)
            try:
                server.finish(timeout=20)
            finally:
                server.kill()
        else:
            server.kill()


def apply(tmp_path: Path, url: str, *extra: str) -> Child:
    env = clean_env()
    env.update(
        GENESYS_API_URL=url,
        GENESYS_LOGIN_URL=url,
        GENESYS_CLIENT_ID="cid-ctrl-c",
        GENESYS_CLIENT_SECRET="sek-ctrl-c",
        RECONCILER_PROGRESS_INTERVAL="0.2",
    )
    argv = [sys.executable, "-m", "reconciler", "apply", "--yes", "--audit-log", "audit.jsonl"]
    return Child([*argv, *extra, "channels"], tmp_path, env)


def write_specs(tmp_path: Path, template: str, names: list[str]) -> None:
    folder = tmp_path / "channels"
    folder.mkdir(exist_ok=True)
    (folder / "all.yaml").write_text(
        "---\n".join(template.format(name=n) for n in names), encoding="utf-8"
    )


def test_a_first_ctrl_c_during_an_activation_answers_at_once_and_ends_the_run(
    tmp_path: Path,
) -> None:
    names = [f"Site {i}" for i in range(3)]
    write_specs(tmp_path, WEB, names)
    # The contract's timers at 5x: a deployment stays Pending for 60 s.
    with sandbox_serve(tmp_path, "--wd-time-scale", "5") as url:
        child = apply(tmp_path, url)
        try:
            child.wait_for(child.out, "its deployment to become Active")
            child.process.send_signal(signal.SIGINT)
            sent = time.monotonic()
            line = child.wait_for(child.err, "stopping: ")
            answered = time.monotonic() - sent
            code = child.finish()
            ended = time.monotonic() - sent
        finally:
            child.kill()
        assert line.startswith(
            "stopping: letting 3 running action(s) finish (waits are cut short, nothing new "
            "starts); Ctrl-C again to stop now"
        )
        assert answered < ended
        assert ended < 30, f"the run took {ended:.1f}s to end after Ctrl-C"  # Pending: 120 s
        assert code == 130, "".join(child.err)
        out = "".join(child.out)
        assert "Apply interrupted: " in out
        assert "Traceback" not in "".join(child.err)
        records = [json.loads(x) for x in (tmp_path / "audit.jsonl").read_text().splitlines()]
        assert records[-1]["kind"] == "run.end"
        assert records[-1]["record"]["status"] == "interrupted"
        verify_file(tmp_path / "audit.jsonl")

        # The next apply settles what the stopped one left and makes every site.
        again = apply(tmp_path, url)
        try:
            assert again.finish(timeout=600) == 0, "".join(again.err)
        finally:
            again.kill()
        second = "".join(again.out)
        assert "Apply succeeded" in second or "Nothing to apply" in second, second


def test_sigterm_while_waiting_on_the_rate_limit_ends_the_run_within_seconds(
    tmp_path: Path,
) -> None:
    names = [f"Paced {i:02d}" for i in range(30)]
    write_specs(tmp_path, CHANNEL, names)
    # 12 requests a minute: after the first few, every request waits for the window.
    with sandbox_serve(tmp_path, "--rate-limit", "12") as url:
        child = apply(tmp_path, url, "--parallelism", "4")
        try:
            child.wait_for(child.out, "waiting for ")
            child.wait_for(child.out, "the API's rate limit")
            child.process.send_signal(signal.SIGTERM)
            sent = time.monotonic()
            line = child.wait_for(child.err, "stopping")
            code = child.finish()
            ended = time.monotonic() - sent
        finally:
            child.kill()
    assert "SIGTERM again (or Ctrl-C) to stop now" in line
    assert ended < 20, f"the run took {ended:.1f}s to end after SIGTERM"
    assert code == 143, "".join(child.err)
    report = json.loads((tmp_path / "artifacts" / "apply.json").read_text())
    assert report["signal"] == "SIGTERM"
    succeeded = [a["name"] for a in report["actions"] if a["status"] == "succeeded"]
    out = "".join(child.out)
    assert f"Apply interrupted: {len(succeeded)} succeeded, " in out
    assert "Traceback" not in "".join(child.err)
