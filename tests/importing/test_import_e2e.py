"""Bootstrapping an org of 50 hand-made channels over the sandbox on 127.0.0.1: import, check
the files, plan shows conflicts, plan --adopt shows adoptions, apply, and the next plan is empty;
and import --adopt does it in one go through the audited apply."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.audit import verify_file
from reconciler.cli import run
from reconciler.sandbox import SandboxApp, SandboxConfig, serve_in_thread
from reconciler.spec.validate import validate_paths

pytestmark = pytest.mark.socket

CREDENTIALS = ("cid-import", "sek-import-PANGOLIN")
#: Names chosen to slug alike, slug to nothing, or look like references.
ODD_NAMES = ["Sales EU", "sales-eu", "SALES  EU!", "日本語", "Promo ${price}", "Café Crème"]


def hand_made(count: int = 50) -> list[dict[str, Any]]:
    bodies = []
    names = ODD_NAMES + [f"Team {i:02d} chat" for i in range(count - len(ODD_NAMES))]
    for index, name in enumerate(names):
        enabled = index % 3 != 0
        body: dict[str, Any] = {
            "name": name,
            "description": "" if index % 5 == 0 else f"Made by hand #{index}, costs $${{{index}}}",
            "webMessagingWidgetConfiguration": {
                "widgetId": f"widget-{index}",
                "theme": ("default", "compact", "custom")[index % 3],
            },
            "securityPolicy": {
                "enabled": enabled,
                "allowedOrigins": [f"https://z{index}.example.com", "https://a.example.com"]
                if enabled
                else [],
                "requireConsent": enabled,
            },
            "routingConfiguration": {"queueId": f"queue-{index % 7}"},
        }
        if index % 4 == 0:
            body["webMessagingWidgetConfiguration"]["customAttributes"] = {
                "team": str(index),
                "lang": "en",
            }
        bodies.append(body)
    return bodies


FOREIGN = {
    "name": "Owned elsewhere",
    "webMessagingWidgetConfiguration": {
        "widgetId": "w",
        "theme": "default",
        "customAttributes": {"x-managed-by": "terraform"},
    },
    "securityPolicy": {"enabled": False, "allowedOrigins": [], "requireConsent": False},
    "routingConfiguration": {"queueId": "q"},
}


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GENESYS_CLIENT_ID", CREDENTIALS[0])
    monkeypatch.setenv("GENESYS_CLIENT_SECRET", CREDENTIALS[1])
    monkeypatch.setenv("RECONCILER_RATE_PER_MINUTE", "60000")
    return tmp_path


@contextlib.contextmanager
def org(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxApp]:
    app = SandboxApp(SandboxConfig(credentials=CREDENTIALS, rate_limit_per_minute=60000, seed=5))
    app.seed_channels([*hand_made(), FOREIGN])
    with serve_in_thread(app) as server:
        monkeypatch.setenv("GENESYS_API_URL", server.url)
        monkeypatch.setenv("GENESYS_LOGIN_URL", server.url)
        yield app


def summary(path: str) -> dict[str, int]:
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    return {kind: n for kind, n in document["summary"].items() if n}


def test_import_plan_adopt_apply_then_every_plan_is_noop(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with org(monkeypatch) as app:
        assert run(["import"]) == 0
        out = capsys.readouterr().out
        assert "skipped 'Owned elsewhere': managed by another owner ('terraform')" in out
        assert "Imported 50 of 51 channel(s) from 127.0.0.1 into channels/; 1 skipped." in out

        files = sorted(p.name for p in Path("channels").iterdir())
        assert len(files) == 50
        assert {"sales-eu.yaml", "sales-eu-2.yaml", "sales-eu-3.yaml", "channel.yaml"} <= set(files)
        text = Path("channels/sales-eu.yaml").read_text(encoding="utf-8")
        ids = {str(c["name"]): cid for cid, c in app.state.channels.items()}
        assert text.startswith(
            "# yaml-language-server: $schema=../schemas/channel.schema.json\n"
            "# Imported by 'reconciler import' from environment 127.0.0.1\n"
            f"# channel id {ids['SALES  EU!']}, on "
        )
        result = validate_paths(["channels"])
        assert result.diagnostics == ()
        assert len(result.specs) == 50

        assert run(["plan", "--out", "out"]) == 0
        assert summary("out/plan.json") == {"conflict": 50}
        assert run(["plan", "--adopt", "--out", "out"]) == 0
        assert summary("out/plan.json") == {"adopt": 50}
        capsys.readouterr()

        assert run(["apply", "--yes", "--adopt", "--out", "out"]) == 0
        assert run(["plan", "--detailed-exitcode", "--out", "out"]) == 0
        assert summary("out/plan.json") == {"noop": 50}
        # the reference-looking name and values came back exactly
        stored = {str(c["name"]): c for c in app.state.channels.values()}
        assert stored["Promo ${price}"]["description"] == "Made by hand #4, costs $${4}"
        assert run(["drift", "--prune", "--out", "out"]) == 0
        capsys.readouterr()

        # Running import again writes nothing: every channel is already described.
        assert run(["import"]) == 0
        assert "Imported 0 of 51 channel(s)" in capsys.readouterr().out
        assert len(list(Path("channels").iterdir())) == 50


def test_import_adopt_goes_through_the_audited_apply(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with org(monkeypatch):
        assert run(["import", "--adopt"]) == 64
        assert "import --adopt needs --yes" in capsys.readouterr().err
        assert not Path("channels").exists(), "files were written before the refusal"

        assert run(["import", "--adopt", "--yes", "--audit-log", "audit/dev.jsonl"]) == 0
        out = capsys.readouterr().out
        assert "Apply succeeded: 50 succeeded, 0 failed" in out
        assert verify_file(Path("audit/dev.jsonl")).runs == 1  # raises if the chain is broken
        assert run(["plan", "--detailed-exitcode", "--out", "out"]) == 0
        assert summary("out/plan.json") == {"noop": 50}
        capsys.readouterr()


def test_overwrite_refreshes_files_of_the_same_channel(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with org(monkeypatch):
        assert run(["import", "--name", "team 0*", "--out-dir", "specs"]) == 0
        assert len(list(Path("specs").iterdir())) == 10
        path = Path("specs/team-03-chat.yaml")
        path.write_text(path.read_text(encoding="utf-8").replace("queue-", "edited-"))
        capsys.readouterr()
        assert run(["import", "--name", "Team 03 chat", "--out-dir", "specs"]) == 0
        out = capsys.readouterr().out
        assert "already described in specs/team-03-chat.yaml (--overwrite re-imports it)" in out
        assert "edited-" in path.read_text(encoding="utf-8")
        assert run(["import", "--name", "Team 03 chat", "--out-dir", "specs", "--overwrite"]) == 0
        assert "replaced specs/team-03-chat.yaml" in capsys.readouterr().out
        assert "edited-" not in path.read_text(encoding="utf-8")


def test_import_with_an_environment_names_it_and_uses_its_owner(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("environments").mkdir()
    Path("environments/dev.yaml").write_text("owner: terraform\nregion: eu-west-1\n")
    with org(monkeypatch):
        assert run(["import", "--env", "dev", "--name", "owned*", "--name", "team 01*"]) == 0
        out = capsys.readouterr().out
        # Our own channel (marker 'terraform' = this environment's owner) is imported too.
        assert "Imported 2 of 2 channel(s) from dev into channels/" in out  # --env names it
        text = Path("channels/owned-elsewhere.yaml").read_text(encoding="utf-8")
        assert text.split("\n")[1] == "# Imported by 'reconciler import' from environment dev"
        assert "x-managed-by" not in text
        assert run(["plan", "--env", "dev", "--out", "out"]) == 0
        assert summary("out/plan.json") == {"conflict": 1, "noop": 1}
        capsys.readouterr()
