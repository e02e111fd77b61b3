"""``reconciler plan`` and ``drift`` end to end, against the sandbox over a real socket."""

from __future__ import annotations

import contextlib
import io
import json
import re
import socket
import textwrap
from pathlib import Path

import pytest
from fakes import as_stored
from jsonschema import Draft202012Validator

from reconciler.artifacts import plan_schema, read_plan
from reconciler.cli import run
from reconciler.cli.commands.plan import use_color
from reconciler.planner import desired_body
from reconciler.sandbox import FaultPlan, SandboxApp, SandboxConfig, SandboxState, serve_in_thread

pytestmark = pytest.mark.socket

CREDENTIALS = ("test-client", "test-secret-value")

SPECS = textwrap.dedent(
    """\
    name: Support
    description: Help desk
    webMessagingWidgetConfiguration:
      widgetId: w-1
      theme: default
      customAttributes:
        lang: en
    securityPolicy:
      enabled: true
      allowedOrigins: ["https://www.example.com", "https://help.example.com"]
      requireConsent: true
    routingConfiguration:
      queueId: q-1
    ---
    name: Sales
    webMessagingWidgetConfiguration:
      widgetId: w-2
      theme: compact
    securityPolicy:
      enabled: false
      allowedOrigins: []
      requireConsent: false
    routingConfiguration:
      queueId: q-2
    """
)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "channels").mkdir()
    (tmp_path / "channels" / "main.yaml").write_text(SPECS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GENESYS_CLIENT_ID", CREDENTIALS[0])
    monkeypatch.setenv("GENESYS_CLIENT_SECRET", CREDENTIALS[1])
    monkeypatch.setenv("RECONCILER_MAX_ATTEMPTS", "1")
    return tmp_path


@contextlib.contextmanager
def serve(monkeypatch: pytest.MonkeyPatch, state: SandboxState | None = None, **config):
    """The sandbox on a free loopback port, with the GENESYS_* URLs pointing at it."""
    app = SandboxApp(SandboxConfig(credentials=CREDENTIALS, **config), state)
    with serve_in_thread(app) as server:
        monkeypatch.setenv("GENESYS_API_URL", server.url)
        monkeypatch.setenv("GENESYS_LOGIN_URL", server.url)
        yield app


def in_sync_state(owner: str = "reconciler") -> SandboxState:
    from reconciler.spec.validate import load_valid_specs

    specs = load_valid_specs(["channels"])
    return SandboxState(
        as_stored(f"00000000-0000-4000-8000-00000000000{i}", desired_body(s.body, owner))
        for i, s in enumerate(specs)
    )


def test_plan_prints_writes_valid_artifacts_and_exits_0(workdir, monkeypatch, capsys) -> None:
    with serve(monkeypatch) as app:
        code = run(["plan"])
    out = capsys.readouterr().out
    assert code == 0
    assert '+ create "Sales"  (channels/main.yaml:15)' in out
    assert (
        "Plan: 2 to create, 0 to update, 0 to delete, 0 to adopt, 0 conflicts, 0 unchanged." in out
    )
    assert "\x1b[" not in out  # not a terminal: no colour
    doc = json.loads((workdir / "artifacts" / "plan.json").read_text(encoding="utf-8"))
    assert list(Draft202012Validator(plan_schema()).iter_errors(doc)) == []
    assert doc["environment"] == "127.0.0.1"
    assert read_plan(workdir / "artifacts" / "plan.json").digest == doc["digest"]
    assert f"`{doc['digest']}`" in (workdir / "artifacts" / "plan.md").read_text(encoding="utf-8")
    # listing cost: one token request, one page
    assert app.stats.requests["POST /oauth/token"] == 1
    assert app.stats.requests["GET /api/v2/webmessaging/channels"] == 1


def test_plan_detailed_exitcode_is_2_with_changes_and_0_without(workdir, monkeypatch) -> None:
    with serve(monkeypatch):
        assert run(["plan", "--detailed-exitcode", "--out", "out1"]) == 2
    with serve(monkeypatch, in_sync_state()):
        assert run(["plan", "--detailed-exitcode", "--out", "out2"]) == 0
    summary = json.loads((workdir / "out2" / "plan.json").read_text(encoding="utf-8"))["summary"]
    assert summary == {"create": 0, "update": 0, "adopt": 0, "delete": 0, "conflict": 0, "noop": 2}


def test_plan_counts_a_conflict_as_a_change_and_adopt_takes_it(
    workdir, monkeypatch, capsys
) -> None:
    with serve(monkeypatch, in_sync_state(owner="someone-else")):
        assert run(["plan", "--detailed-exitcode", "--owner", "someone"]) == 2
        assert "2 conflicts" in capsys.readouterr().out
        monkeypatch.setenv("RECONCILER_OWNER", "someone-else")
        assert run(["plan", "--detailed-exitcode", "--adopt"]) == 0


def test_drift_exit_codes_and_classification(workdir, monkeypatch, capsys) -> None:
    state = in_sync_state()
    with serve(monkeypatch, state):
        assert run(["drift"]) == 0
        assert "No drift: 2 channels in sync." in capsys.readouterr().out
    edited = in_sync_state()
    support = next(ch for ch in edited.channels.values() if ch["name"] == "Support")
    support["description"] = "edited in the UI"
    with serve(monkeypatch, edited):
        assert run(["drift", "--prune"]) == 2
    captured = capsys.readouterr()
    # No audit log at all: nothing says who changed it, so the report does not guess.
    assert "[changed (no audit log was read" in captured.out
    assert "[differs from git" not in captured.out
    assert "warning: no audit log at audit/127.0.0.1.jsonl" in captured.err
    doc = json.loads((workdir / "artifacts" / "drift.json").read_text(encoding="utf-8"))
    assert doc["report"] == "drift"
    assert {a["name"]: a.get("drift") for a in doc["actions"]} == {
        "Sales": None,
        "Support": "unknown",
    }
    markdown = (workdir / "artifacts" / "drift.md").read_text(encoding="utf-8")
    assert markdown.startswith("## Drift report")


def writes(app: object) -> list[str]:
    """The requests that change the org (the token request is not one)."""
    requests = app.stats.requests  # type: ignore[attr-defined]
    return [r for r in requests if not r.startswith("GET ") and r != "POST /oauth/token"]


def test_invalid_specs_stop_before_any_change_to_the_org(workdir, monkeypatch, capsys) -> None:
    (workdir / "channels" / "bad.yaml").write_text(
        "name: Bad\nsecurityPolicy: 3\n", encoding="utf-8"
    )
    with serve(monkeypatch) as app:
        for command in (["plan", "--detailed-exitcode"], ["drift"]):
            assert run(command) == 1
            err = capsys.readouterr().err
            assert re.search(r"^channels/bad\.yaml:\d+:\d+: ", err, re.M)
            assert err.rstrip().splitlines()[-1].startswith("error: ")
    # The org may be read while the specs are checked (issue 14); it is never written.
    assert writes(app) == []
    assert not (workdir / "artifacts").exists()


def test_api_error_is_one_line_with_status_code_and_correlation_id(
    workdir, monkeypatch, capsys
) -> None:
    with serve(monkeypatch, faults=FaultPlan(error_5xx=1.0, retry_after_seconds=0)):
        assert run(["drift"]) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert re.search(r"503 .*correlation id \S+", lines[0])
    assert CREDENTIALS[1] not in captured.err + captured.out


def test_api_down_is_one_line(workdir, monkeypatch, capsys) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("GENESYS_API_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("GENESYS_LOGIN_URL", f"http://127.0.0.1:{port}")
    assert run(["plan", "--detailed-exitcode"]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")


def test_bad_owner_and_threshold_are_usage_errors(workdir, capsys) -> None:
    assert run(["plan", "--owner", ""]) == 64
    assert run(["plan", "--max-update-pct", "150"]) == 64
    assert "--max-update-pct" in capsys.readouterr().err


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stream", "env", "expected"),
    [
        (FakeTerminal(), {}, True),
        (FakeTerminal(), {"NO_COLOR": "1"}, False),
        (io.StringIO(), {}, False),
    ],
    ids=["terminal", "terminal with NO_COLOR", "not a terminal"],
)
def test_colour_only_on_a_terminal_without_no_color(stream, env, expected) -> None:
    assert use_color(stream, env) is expected
