"""How fast a first Ctrl-C (SIGINT) is answered and ends an apply, while it waits.

Two scenarios, each on a fresh `reconciler sandbox serve` on 127.0.0.1 in its own process,
with `reconciler apply --yes` in another:

- activation: 3 web deployments, the contract's timers at 5x (a draft is Pending for 10 s, a
  deployment for 60 s); the signal is sent 14 s after the apply says "Applying", while it
  waits for the deployments to become Active;
- rate-limit: 30 channels at 12 requests a minute, --parallelism 4; the signal is sent 3 s
  after "Applying", while requests wait for the rate limit.

Printed per scenario: seconds from the signal to the first "stopping" line on stderr, and to
the end of the process, with its exit code. `--source DIR` runs another checkout's package
(e.g. an older commit unpacked with `git archive`), to compare.

    python benchmarks/ctrl_c.py [--source DIR] [--timeout 240]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

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


class Lines:
    """A process whose output lines are collected with the time they arrived."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.out: list[tuple[float, str]] = []
        self.err: list[tuple[float, str]] = []
        self.readers = [
            threading.Thread(target=self._read, args=(self.process.stdout, self.out), daemon=True),
            threading.Thread(target=self._read, args=(self.process.stderr, self.err), daemon=True),
        ]
        for reader in self.readers:
            reader.start()

    @staticmethod
    def _read(stream: object, into: list[tuple[float, str]]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            into.append((time.monotonic(), line))

    def first(self, lines: list[tuple[float, str]], text: str, timeout: float) -> float | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for when, line in list(lines):
                if text in line:
                    return when
            if self.process.poll() is not None and not any(r.is_alive() for r in self.readers):
                return None
            time.sleep(0.02)
        return None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)
        for reader in self.readers:
            reader.join(timeout=10)


def environment(source: str | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GENESYS_", "RECONCILER_", "WEBHOOK_"))
    }
    env["PYTHONUNBUFFERED"] = "1"
    if source:
        env["PYTHONPATH"] = source
    return env


def scenario(
    name: str,
    template: str,
    count: int,
    serve: list[str],
    apply: list[str],
    delay: float,
    source: str | None,
    timeout: float,
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "channels").mkdir()
        text = "---\n".join(template.format(name=f"{name} {i:02d}") for i in range(count))
        (root / "channels" / "all.yaml").write_text(text, encoding="utf-8")
        env = environment(source)
        server = Lines([sys.executable, "-m", "reconciler", "sandbox", "serve", *serve], root, env)
        try:
            if server.first(server.out, "sandbox listening on ", 30) is None:
                raise SystemExit("the sandbox did not start")
            url = next(line for _, line in server.out if "listening on" in line).split()[-1]
            env = {
                **env,
                "GENESYS_API_URL": url,
                "GENESYS_LOGIN_URL": url,
                "GENESYS_CLIENT_ID": "cid-bench",
                "GENESYS_CLIENT_SECRET": "sek-bench",
                "RECONCILER_PROGRESS_INTERVAL": "0.2",
            }
            argv = [sys.executable, "-m", "reconciler", "apply", "--yes", *apply, "channels"]
            child = Lines(argv, root, env)
            try:
                started = child.first(child.out, "Applying ", timeout)
                if started is None:
                    raise SystemExit(f"{name}: the apply never started: {child.err}")
                time.sleep(max(0.0, started + delay - time.monotonic()))
                if child.process.poll() is not None:
                    raise SystemExit(f"{name}: the apply ended before the signal")
                child.process.send_signal(signal.SIGINT)
                sent = time.monotonic()
                answered = child.first(child.err, "stopping", timeout)
                code = child.process.wait(timeout=timeout)
                ended = time.monotonic() - sent
            finally:
                child.stop()
        finally:
            server.process.send_signal(signal.SIGTERM)
            server.stop()
    first = "no line" if answered is None else f"{answered - sent:.2f} s"
    print(f"{name:11} first line after {first}; ended after {ended:.2f} s (exit {code})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", help="run the reconciler package found in this folder")
    parser.add_argument("--timeout", type=float, default=240.0)
    args = parser.parse_args()
    scenario(
        "activation",
        WEB,
        3,
        ["--seed", "9", "--wd-time-scale", "5"],
        [],
        14.0,
        args.source,
        args.timeout,
    )
    scenario(
        "rate-limit",
        CHANNEL,
        30,
        ["--seed", "9", "--rate-limit", "12"],
        ["--parallelism", "4"],
        3.0,
        args.source,
        args.timeout,
    )


if __name__ == "__main__":
    main()
