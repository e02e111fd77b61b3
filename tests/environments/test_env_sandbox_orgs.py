"""Environments on the sandbox are separate orgs (issue 23, item 4): ``--sandbox --env dev`` and
``--env prod`` each keep their own org (state file) and carry their own name in every header,
artifact and file; against ``sandbox serve`` on 127.0.0.1 the header names the ``--env``, and no
client id or secret is needed, while a real org still requires both."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from env_samples import channel, write_env

from reconciler.cli import run
from reconciler.genesys.settings import resolve_settings
from reconciler.sandbox import SandboxApp, SandboxConfig, serve_in_thread

VARIABLES = "variables:\n  queue: {queue}\n"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A team's layout: one spec with ${var.queue}, dev and prod environments."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "channels").mkdir()
    (tmp_path / "channels" / "support.yaml").write_text(
        channel("Support", queue="${var.queue}"), encoding="utf-8"
    )
    write_env(tmp_path, "dev", VARIABLES.format(queue="dev-queue"))
    write_env(tmp_path, "prod", VARIABLES.format(queue="prod-queue"))
    return tmp_path


def document(path: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(Path(path).read_text(encoding="utf-8"))
    return loaded


def test_dev_and_prod_are_two_sandbox_orgs_each_named_in_headers_artifacts_and_files(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["--sandbox", "apply", "--env", "dev", "--yes"]) == 0
    applied = capsys.readouterr().out
    assert "to dev (plan sha256:" in applied  # "Applying 1 action(s) to dev ..."
    assert document("artifacts/dev/apply.json")["environment"] == "dev"

    # prod has its own org: the promotion walkthrough's prod plan creates, it does not want
    # to change dev's values.
    assert run(["--sandbox", "plan", "--env", "prod"]) == 0
    out = capsys.readouterr().out
    assert 'Plan for environment "prod", owner "reconciler"' in out
    assert '+ create "Support"' in out
    assert "Plan: 1 to create, 0 to update" in out
    plan = document("artifacts/prod/plan.json")
    assert plan["environment"] == "prod"
    assert plan["env"] == "prod"
    assert "## Reconciler plan: prod" in Path("artifacts/prod/plan.md").read_text()

    # dev is still as its apply left it: nothing to do there.
    assert run(["--sandbox", "plan", "--env", "dev", "--detailed-exitcode"]) == 0
    assert 'Plan for environment "dev"' in capsys.readouterr().out

    # Each org its own state file and audit log, all under .reconciler/ (git status stays
    # clean: no audit/ folder at the top).
    assert (repo / ".reconciler" / "sandbox-dev.json").is_file()
    assert not (repo / ".reconciler" / "sandbox.json").exists()
    assert (repo / ".reconciler" / "audit" / "dev.jsonl").is_file()
    assert not (repo / "audit").exists()

    # Without --env, the sandbox's own org: neither dev's nor prod's.
    (repo / "channels" / "support.yaml").write_text(channel("Support"), encoding="utf-8")
    assert run(["--sandbox", "plan"]) == 0
    assert 'Plan for environment "sandbox"' in capsys.readouterr().out
    assert document("artifacts/plan.json")["summary"]["create"] == 1  # type: ignore[index]


def test_a_saved_dev_plan_is_refused_for_prod_by_name(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["--sandbox", "plan", "--env", "dev"]) == 0
    capsys.readouterr()
    saved = "artifacts/dev/plan.json"
    assert run(["--sandbox", "apply", "--env", "prod", "--plan", saved, "--yes"]) == 1
    assert "made for another environment (--env dev)" in capsys.readouterr().err


def test_sandbox_reset_env_empties_only_that_environment_s_org(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["--sandbox", "apply", "--env", "dev", "--yes"]) == 0
    assert run(["--sandbox", "apply", "--env", "prod", "--yes"]) == 0
    capsys.readouterr()
    assert run(["sandbox", "reset", "--env", "prod"]) == 0
    assert ".reconciler/sandbox-prod.json now holds an empty org (1 channels removed)" in (
        capsys.readouterr().out
    )
    assert run(["--sandbox", "plan", "--env", "prod", "--detailed-exitcode"]) == 2
    assert run(["--sandbox", "plan", "--env", "dev", "--detailed-exitcode"]) == 0
    capsys.readouterr()
    assert run(["sandbox", "reset", "--env", "../x"]) == 64
    assert "--env '../x'" in capsys.readouterr().err
    assert run(["sandbox", "reset", "--env", "dev", "--state", "x.json"]) == 64


@contextlib.contextmanager
def served(
    monkeypatch: pytest.MonkeyPatch, credentials: tuple[str, str] | None = None
) -> Iterator[str]:
    """`sandbox serve` in a thread on 127.0.0.1; the connection variables point at it."""
    app = SandboxApp(SandboxConfig(credentials=credentials, rate_limit_per_minute=6000, seed=1))
    with serve_in_thread(app) as server:
        monkeypatch.setenv("GENESYS_API_URL", server.url)
        monkeypatch.setenv("GENESYS_LOGIN_URL", server.url)
        yield server.url


def test_sandbox_serve_needs_no_credentials_and_the_header_names_the_env(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with served(monkeypatch):
        assert run(["plan", "--env", "dev"]) == 0  # no GENESYS_CLIENT_ID / _SECRET at all
        out = capsys.readouterr().out
        assert 'Plan for environment "dev", owner "reconciler"' in out
        assert "127.0.0.1" not in out
        assert document("artifacts/dev/plan.json")["environment"] == "dev"
        assert run(["apply", "--env", "dev", "--yes"]) == 0
        assert "to dev (plan sha256:" in capsys.readouterr().out
        assert (repo / "audit" / "dev.jsonl").is_file()  # a served org keeps a team's log
        # Without --env the host is all there is to name it by.
        (repo / "channels" / "support.yaml").write_text(channel("Support"), encoding="utf-8")
        assert run(["plan"]) == 0
        assert 'Plan for environment "127.0.0.1"' in capsys.readouterr().out


def test_a_served_sandbox_that_wants_credentials_still_gets_them_checked(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with served(monkeypatch, credentials=("team-id", "team-secret-OCELOT")):
        assert run(["plan", "--env", "dev"]) == 1  # the implied pair is refused: 401
        err = capsys.readouterr().err
        assert "refused the client credentials (check GENESYS_CLIENT_ID" in err
        assert "OCELOT" not in err
        monkeypatch.setenv("GENESYS_CLIENT_ID", "team-id")
        monkeypatch.setenv("GENESYS_CLIENT_SECRET", "team-secret-OCELOT")
        assert run(["plan", "--env", "dev"]) == 0


@pytest.mark.parametrize(
    "connection",
    [
        {"GENESYS_ENVIRONMENT": "eu-west-1"},
        {
            "GENESYS_API_URL": "https://api.mypurecloud.ie",
            "GENESYS_LOGIN_URL": "https://login.mypurecloud.ie",
        },
        # One URL on loopback is not a sandbox: the login host is a real one.
        {
            "GENESYS_API_URL": "http://127.0.0.1:9",
            "GENESYS_LOGIN_URL": "https://login.mypurecloud.ie",
        },
        # A region named: the loopback URLs are a tunnel to that org, not a sandbox.
        {
            "GENESYS_ENVIRONMENT": "eu-west-1",
            "GENESYS_API_URL": "http://127.0.0.1:9",
            "GENESYS_LOGIN_URL": "http://127.0.0.1:9",
        },
    ],
    ids=["region", "https-urls", "half-loopback", "region-and-loopback"],
)
def test_a_real_org_still_requires_a_client_id_and_secret(
    repo: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    connection: dict[str, str],
) -> None:
    for name, value in connection.items():
        monkeypatch.setenv(name, value)
    assert run(["plan", "--env", "prod"]) == 1
    err = capsys.readouterr().err
    assert "missing GENESYS_CLIENT_ID, GENESYS_CLIENT_SECRET" in err
    with pytest.raises(Exception, match="missing GENESYS_CLIENT_ID"):
        resolve_settings(connection, env_name="prod")
