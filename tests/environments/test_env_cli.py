"""--env on validate, plan, drift and apply: variables, selection, owner and region, end to end
over the sandbox served on 127.0.0.1 (one sandbox per org)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from env_samples import DEV, PROD, channel, write_env

from reconciler.cli import run
from reconciler.sandbox import SandboxApp, SandboxConfig, serve_in_thread

CREDENTIALS = ("cid-env", "sek-env-OCELOT")
SPECS = (
    channel("Support", queue="${var.queue}")
    + "---\n"
    + channel("Dev only", queue="dev-q", extra="x-environments: [dev]\n")
    + "---\n"
    + channel("Both", queue="fixed-q", extra="x-environments: [dev, prod]\n")
)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GENESYS_CLIENT_ID", CREDENTIALS[0])
    monkeypatch.setenv("GENESYS_CLIENT_SECRET", CREDENTIALS[1])
    monkeypatch.setenv("RECONCILER_RATE_PER_MINUTE", "6000")
    (tmp_path / "channels").mkdir()
    (tmp_path / "channels" / "main.yaml").write_text(SPECS, encoding="utf-8")
    write_env(tmp_path, "dev", DEV)
    write_env(tmp_path, "prod", PROD)
    return tmp_path


@contextlib.contextmanager
def org(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxApp]:
    app = SandboxApp(SandboxConfig(credentials=CREDENTIALS, rate_limit_per_minute=6000, seed=1))
    with serve_in_thread(app) as server:
        monkeypatch.setenv("GENESYS_API_URL", server.url)
        monkeypatch.setenv("GENESYS_LOGIN_URL", server.url)
        yield app


def plan_json(path: str) -> dict[str, object]:
    document: dict[str, object] = json.loads(Path(path).read_text(encoding="utf-8"))
    return document


def creates(document: dict[str, object]) -> dict[str, str]:
    actions = document["actions"]
    assert isinstance(actions, list)
    return {a["name"]: a["body"]["routingConfiguration"]["queueId"] for a in actions}


def test_the_same_specs_plan_to_each_environments_own_values(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with org(monkeypatch):
        assert run(["plan", "--env", "dev", "--out", "out/dev"]) == 0
    with org(monkeypatch):
        monkeypatch.setenv("RECONCILER_ENV", "prod")  # the workflows' way
        assert run(["plan", "--out", "out/prod"]) == 0
    capsys.readouterr()
    dev, prod = plan_json("out/dev/plan.json"), plan_json("out/prod/plan.json")
    assert creates(dev) == {"Both": "fixed-q", "Dev only": "dev-q", "Support": "dev-queue-1"}
    assert creates(prod) == {"Both": "fixed-q", "Support": "prod-queue-9"}
    assert (dev["owner"], prod["owner"]) == ("team-dev", "team-prod")
    assert dev["spec_digest"] != prod["spec_digest"]
    for document in (dev, prod):  # the reserved key is never sent
        for action in document["actions"]:  # type: ignore[attr-defined]
            assert "x-environments" not in action["body"]


def test_apply_then_plan_is_empty_per_environment_and_owner_flag_wins(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with org(monkeypatch) as app:
        assert run(["apply", "--yes", "--env", "prod", "--out", "out"]) == 0
        stored = {c["name"]: c for c in app.state.channels.values()}
        assert sorted(stored) == ["Both", "Support"]
        marker = stored["Support"]["webMessagingWidgetConfiguration"]["customAttributes"]
        assert marker == {"x-managed-by": "team-prod"}
        assert run(["plan", "--env", "prod", "--detailed-exitcode", "--out", "out"]) == 0
        # --owner beats the file: the channels now belong to someone else -> conflicts
        assert run(["plan", "--env", "prod", "--owner", "other", "--out", "out"]) == 0
        assert plan_json("out/plan.json")["summary"]["conflict"] == 2  # type: ignore[index]
    capsys.readouterr()


def test_a_missing_variable_is_one_clear_error_before_any_change_to_the_org(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_env(workdir, "prod", "region: eu-west-1\nvariables:\n  other: x\n")
    with org(monkeypatch) as app:
        assert run(["plan", "--env", "prod"]) == 1
        changes = [r for r in app.stats.requests if not r.startswith(("GET ", "POST /oauth"))]
        assert changes == [], "the org was changed despite invalid specs"
    err = capsys.readouterr().err.splitlines()
    diagnostic = (
        "channels/main.yaml:12:3: routingConfiguration.queueId: undefined variable "
        "'var.queue': not in the variables of environment 'prod'"
    )
    assert err[0] == diagnostic
    assert len(err) == 2
    assert err[1].startswith("error: 1 problem in the channel specs")


def test_validate_with_and_without_env(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["validate", "--env", "dev"]) == 0
    assert capsys.readouterr().out == "no problems (1 file, 3 channels checked)\n"
    assert run(["validate"]) == 1
    out = capsys.readouterr().out
    assert "channels/main.yaml:12:3: routingConfiguration.queueId: undefined variable " in out
    assert "pass --env NAME (or set RECONCILER_ENV)" in out
    assert run(["validate", "--env", "dev", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["diagnostics"] == []


def test_resolved_values_are_what_the_schema_checks(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_env(workdir, "dev", "variables:\n  queue: ''\n")
    assert run(["validate", "--env", "dev"]) == 1
    out = capsys.readouterr().out
    assert "channels/main.yaml:12:3: routingConfiguration.queueId: must not be empty" in out


def test_specs_of_different_environments_may_share_a_name(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "channels" / "more.yaml").write_text(
        channel("Dev only", queue="prod-q", extra="x-environments: [prod]\n")
    )
    assert run(["validate", "--env", "dev"]) == 0
    assert run(["validate", "--env", "prod"]) == 0
    capsys.readouterr()


def test_a_malformed_environment_list_is_a_schema_error(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "channels" / "main.yaml").write_text(
        channel("A", extra="x-environments: dev\n")
        + "---\n"
        + channel("B", extra="x-environments: []\n")
    )
    assert run(["validate", "--env", "prod"]) == 1
    out = capsys.readouterr().out
    assert "channels/main.yaml:1:1: x-environments: must be a list, not the string 'dev'" in out
    assert "channels/main.yaml:15:1: x-environments: must not be empty" in out


def test_unknown_environment_and_invalid_environment_file(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RECONCILER_ENV", "staging")
    assert run(["plan"]) == 1
    err = capsys.readouterr().err
    assert err == (
        "error: unknown environment 'staging': no environments/staging.yaml "
        "(environments found: dev, prod).\n"
    )
    monkeypatch.delenv("RECONCILER_ENV")
    write_env(workdir, "dev", "region: sandbox\nowner: 5\n")
    assert run(["validate", "--env", "dev"]) == 1
    assert "environments/dev.yaml:2:1: owner: must be a string" in capsys.readouterr().out
    assert run(["drift", "--env", "dev"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("environments/dev.yaml:2:1: owner: must be a string")


def test_the_file_region_is_used_when_no_connection_variable_is_set(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # dev says region: sandbox, and nothing else says where: the embedded sandbox answers,
    # with dev's own org, named dev.
    assert run(["plan", "--env", "dev", "--out", "out"]) == 0
    assert plan_json("out/plan.json")["environment"] == "dev"
    assert 'Plan for environment "dev", owner "team-dev"' in capsys.readouterr().out
