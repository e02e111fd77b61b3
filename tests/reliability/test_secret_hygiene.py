"""Secret hygiene: every command, on its happy path and its error paths, run with distinctive
fake secrets; then stdout, stderr, the logs (DEBUG, httpx and httpcore included), every file
the runs left (artifacts, audit log, outbox, sandbox state) and the committed cassettes are
scanned for them, in plain, base64 (Basic auth) and URL-encoded forms. Nothing may be found.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from reliability_helpers import HookReceiver, serve_hooks, write_specs
from support import pointed_at, sandbox_app

from reconciler.cli import run
from reconciler.sandbox import SandboxApp, SandboxRequest, SandboxResponse

pytestmark = pytest.mark.socket

CLIENT_ID = "cid-CANARY-ID-51bd"
CLIENT_SECRET = "sek-CANARY-CLIENT-7f3e9a"
WRONG_SECRET = "sek-CANARY-WRONG-0c44d1"
WEBHOOK_KEY = b"CANARY-WEBHOOK-KEY-0123456789abc"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(WEBHOOK_KEY).decode()
HOOK_USER = "hookuser-CANARY-u1"
HOOK_PASSWORD = "hookpass-CANARY-p2"
HOOK_TOKEN = "qtoken-CANARY-t3"
CASSETTES = Path(__file__).resolve().parents[1] / "contract" / "cassettes"


def forms(secret: str) -> set[str]:
    """The ways a secret can show up in text."""
    return {secret, quote(secret, safe=""), base64.b64encode(secret.encode()).decode()}


def canaries(tokens: set[str]) -> dict[str, str]:
    """Every needle and what it is."""
    needles: dict[str, str] = {}
    for label, secret in {
        "client secret": CLIENT_SECRET,
        "wrong client secret": WRONG_SECRET,
        "webhook secret": WEBHOOK_SECRET,
        "webhook key": base64.b64encode(WEBHOOK_KEY).decode(),
        "webhook URL user": HOOK_USER,
        "webhook URL password": HOOK_PASSWORD,
        "webhook URL token": HOOK_TOKEN,
        **{f"bearer token {i}": t for i, t in enumerate(sorted(tokens))},
    }.items():
        for form in forms(secret):
            needles[form] = label
    for secret in (CLIENT_SECRET, WRONG_SECRET):
        basic = base64.b64encode(f"{CLIENT_ID}:{secret}".encode()).decode()
        needles[basic] = "Basic credentials"
    return needles


def scan(text: str, needles: dict[str, str], where: str) -> list[str]:
    return [f"{label} in {where}" for needle, label in needles.items() if needle in text]


def hook_url(base: str) -> str:
    scheme, rest = base.split("://", 1)
    return f"{scheme}://{HOOK_USER}:{HOOK_PASSWORD}@{rest}?token={HOOK_TOKEN}"


class TokenSpy:
    """Wraps the sandbox so the test knows every bearer token it issued."""

    def __init__(self, app: SandboxApp) -> None:
        self.tokens: set[str] = set()
        self._handle = app.handle
        app.handle = self.handle  # type: ignore[method-assign]

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        response = self._handle(request)
        if request.path == "/oauth/token" and response.status == 200:
            self.tokens.add(json.loads(response.body)["access_token"])
        return response


@pytest.fixture
def workdir(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shared project folder with two specs, two attempts per request."""
    monkeypatch.setenv("RECONCILER_MAX_ATTEMPTS", "2")
    write_specs(workdir / "channels", {"Alpha": "q-1", "Beta": "q-1"})
    return workdir


def test_no_command_leaks_a_secret_on_any_path(
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "reconciler"):
        caplog.set_level(logging.DEBUG, logger=name)  # restored after the test
    app = sandbox_app(credentials=(CLIENT_ID, CLIENT_SECRET), rate_limit_per_minute=0)
    spy = TokenSpy(app)
    receiver = HookReceiver(WEBHOOK_SECRET, hold_types=frozenset())
    outputs: list[tuple[str, str]] = []
    codes: dict[str, int] = {}

    def command(label: str, args: list[str]) -> None:
        codes[label] = run(args)
        out = capsys.readouterr()
        outputs.append((label, out.out + out.err))

    with pointed_at(monkeypatch, app), serve_hooks(receiver) as hooks:
        monkeypatch.setenv("GENESYS_CLIENT_ID", CLIENT_ID)
        monkeypatch.setenv("GENESYS_CLIENT_SECRET", CLIENT_SECRET)
        monkeypatch.setenv("WEBHOOK_URL", hook_url(hooks))
        monkeypatch.setenv("WEBHOOK_SECRET", WEBHOOK_SECRET)

        command("validate", ["validate", "channels"])
        command("plan", ["plan"])
        command("apply", ["apply", "--yes"])
        write_specs(workdir / "channels", {"Alpha": "q-2", "Gamma": "q-1"})
        command("drift", ["drift"])
        command("apply --prune", ["apply", "--yes", "--prune", "--force"])
        command("audit verify", ["audit", "verify", "audit/127.0.0.1.jsonl"])

        # The receiver refuses (it expects another secret: 401, not retried): events go to
        # the outbox; then redeliver them.
        with serve_hooks(HookReceiver("whsec_" + base64.b64encode(b"x" * 32).decode())) as other:
            monkeypatch.setenv("WEBHOOK_URL", hook_url(other))
            write_specs(workdir / "channels", {"Alpha": "q-3", "Gamma": "q-1"})
            command("apply, receiver refuses", ["apply", "--yes"])
        assert "not delivered" in outputs[-1][1]
        bad_urls = (
            f"https://{HOOK_USER}:{HOOK_PASSWORD}@hooks.example.com:99999/x?token={HOOK_TOKEN}",
            f"http://{HOOK_USER}:{HOOK_PASSWORD}@hooks.example.com/x?token={HOOK_TOKEN}",
            f"ftp://{HOOK_USER}:{HOOK_PASSWORD}@hooks.example.com/?token={HOOK_TOKEN}",
        )
        for bad in bad_urls:
            monkeypatch.setenv("WEBHOOK_URL", bad)
            command(f"redeliver, bad webhook URL {bad[:5]}", ["webhooks", "redeliver"])
        monkeypatch.setenv("WEBHOOK_URL", hook_url(hooks))
        command("webhooks redeliver", ["webhooks", "redeliver"])

        # Error paths.
        monkeypatch.setenv("GENESYS_CLIENT_SECRET", WRONG_SECRET)
        command("plan, bad credentials", ["plan"])
        command("apply, bad credentials", ["apply", "--yes"])
        monkeypatch.setenv("GENESYS_CLIENT_SECRET", CLIENT_SECRET)
        for bad in bad_urls:
            monkeypatch.setenv("WEBHOOK_URL", bad)
            command(f"apply, bad webhook URL {bad[:5]}", ["apply", "--yes"])
        monkeypatch.setenv("WEBHOOK_URL", hook_url(hooks))
        monkeypatch.setenv("WEBHOOK_SECRET", "whsec_not-base64-" + HOOK_TOKEN)
        command("apply, bad webhook secret", ["apply", "--yes"])
        monkeypatch.setenv("WEBHOOK_SECRET", WEBHOOK_SECRET)

    # The API is down now (the server stopped).
    command("plan, API down", ["plan"])
    command("apply, API down", ["apply", "--yes"])
    command("sandbox reset", ["sandbox", "reset", "--state", "state.json"])

    assert codes["validate"] == 0
    assert codes["plan"] == 0
    assert codes["apply"] == 0, outputs
    assert codes["apply --prune"] == 0
    assert codes["audit verify"] == 0
    assert codes["webhooks redeliver"] == 0
    assert codes["plan, bad credentials"] == 1
    assert codes["plan, API down"] == 1
    bad_webhook = {label: code for label, code in codes.items() if "bad webhook" in label}
    assert set(bad_webhook.values()) == {1}, bad_webhook
    assert receiver.hooks, "no webhook was delivered: the URL's credentials were not exercised"
    assert len(spy.tokens) >= 1

    needles = canaries(spy.tokens)
    found: list[str] = []
    for label, text in outputs:
        found += scan(text, needles, f"output of {label}")
    for record in caplog.records:
        found += scan(record.getMessage(), needles, f"log line {record.name}")
    webhook_lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert any("***@127.0.0.1" in line for line in webhook_lines), "no redacted webhook log line"
    files = [p for p in workdir.rglob("*") if p.is_file()]
    assert any(p.suffix == ".jsonl" and "audit" in p.parts for p in files)
    assert any("outbox" in str(p) for p in files)
    for path in files:
        found += scan(path.read_bytes().decode("utf-8", "replace"), needles, str(path))
    assert found == []


@pytest.mark.skipif(
    sys.platform == "win32", reason="stops the child with SIGTERM/SIGINT: POSIX signals"
)
def test_sandbox_serve_never_shows_its_client_secret(tmp_path: Path) -> None:
    env = {**os.environ, "SANDBOX_SECRET_VAR": CLIENT_SECRET, "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reconciler",
            "sandbox",
            "serve",
            "--client-id",
            CLIENT_ID,
            "--client-secret-env",
            "SANDBOX_SECRET_VAR",
            "--state",
            str(tmp_path / "s.json"),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert "listening on" in line
        url = line.rsplit(" ", 1)[1].strip()
        env_plan = {
            k: v for k, v in os.environ.items() if not k.startswith(("GENESYS_", "WEBHOOK_"))
        }
        env_plan.update(
            GENESYS_CLIENT_ID=CLIENT_ID,
            GENESYS_CLIENT_SECRET=WRONG_SECRET,
            GENESYS_API_URL=url,
            GENESYS_LOGIN_URL=url,
        )
        write_specs(tmp_path / "channels", {"Alpha": "q-1"})
        refused = subprocess.run(
            [sys.executable, "-m", "reconciler", "plan", "channels"],
            cwd=tmp_path,
            env=env_plan,
            capture_output=True,
            text=True,
            timeout=60,
        )
        env_plan["GENESYS_CLIENT_SECRET"] = CLIENT_SECRET
        accepted = subprocess.run(
            [sys.executable, "-m", "reconciler", "apply", "--yes", "channels"],
            cwd=tmp_path,
            env=env_plan,
            capture_output=True,
            text=True,
            timeout=60,
        )
        child.send_signal(signal.SIGTERM)
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate(timeout=10)
    assert refused.returncode == 1
    assert "refused" in refused.stderr
    assert accepted.returncode == 0, accepted.stderr
    needles = canaries(set())
    found = scan(line + out + err, needles, "sandbox serve output")
    for label, result in (("plan", refused), ("apply", accepted)):
        found += scan(result.stdout + result.stderr, needles, f"{label} output")
    for path in tmp_path.rglob("*"):
        if path.is_file():
            found += scan(path.read_text("utf-8", "replace"), needles, str(path))
    assert found == []


def test_committed_cassettes_carry_no_credentials() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "contract_helpers_for_scan", CASSETTES.parent / "contract_helpers.py"
    )
    assert spec is not None
    assert spec.loader is not None
    helpers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(helpers)
    FAKE_CLIENT_ID, FAKE_SECRET = helpers.FAKE_CLIENT_ID, helpers.FAKE_SECRET
    cassettes = sorted(CASSETTES.glob("*.yaml"))
    assert cassettes, "no cassettes found"
    basic = base64.b64encode(f"{FAKE_CLIENT_ID}:{FAKE_SECRET}".encode()).decode()
    for path in cassettes:
        text = path.read_text(encoding="utf-8")
        lowered = text.lower()
        assert FAKE_SECRET not in text, path
        assert basic not in text, path
        assert "authorization" not in lowered, f"{path}: an Authorization header was recorded"
        assert "bearer " not in lowered.replace('"token_type": "bearer"', ""), path
        for token in _access_tokens(text):
            assert token == "filtered-access-token", f"{path}: a real token was recorded"


def _access_tokens(text: str) -> list[str]:
    import re

    return re.findall(r'"access_token": "([^"]*)"', text)
