"""Drift tells the truth (issue 13, item 12): "differs from git" when the object is as this
tool last wrote it and its spec moved; "edited out of band" only when the live revision changed
since this tool's last write, as its audit log records it. For every kind, on the sandbox."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from reconciler import kinds
from reconciler.cli import run
from reconciler.genesys.factory import open_backend
from reconciler.genesys.settings import resolve_settings

CHANNEL = """\
name: Alpha
description: {description}
webMessagingWidgetConfiguration: {{widgetId: w-1, theme: default}}
securityPolicy: {{enabled: false, allowedOrigins: [], requireConsent: false}}
routingConfiguration: {{queueId: q-1}}
"""

WEB = """\
kind: webDeployment
name: Alpha
description: {description}
deployment:
  allowAllDomains: true
  flow: {{name: Sales Inbound Message}}
"""


def _edit_out_of_band(kind: str) -> None:
    """Someone changes the description in the admin UI (through the API, as the UI does)."""

    async def edit() -> None:
        async with open_backend(resolve_settings({}, sandbox=True)) as backend:
            adapter = backend.adapter(kind)
            live = await adapter.find("Alpha")
            assert live is not None
            body = kinds.copy_json(live.body)
            declaration = kinds.get(kind)
            current = declaration.comparable(body, live.body)[1]
            desired = dict(current)
            desired["description"] = "Edited in the UI"
            await adapter.update(
                live.id, declaration.with_owner(desired, "reconciler"), revision=live.revision
            )

    asyncio.run(edit())


@pytest.mark.parametrize(("template", "kind"), [(CHANNEL, "channel"), (WEB, "webDeployment")])
def test_drift_says_differs_from_git_unless_the_live_revision_moved_since_our_write(
    template: str,
    kind: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    spec = Path("channels/a.yaml")
    spec.parent.mkdir()
    spec.write_text(template.format(description="First"), encoding="utf-8")
    assert run(["--sandbox", "apply", "--yes"]) == 0

    spec.write_text(template.format(description="Second"), encoding="utf-8")  # git moved
    capsys.readouterr()
    assert run(["--sandbox", "drift"]) == 2
    out = capsys.readouterr().out
    assert "[differs from git" in out
    assert "edited out of band" not in out.split("Drift:")[0]
    drift = json.loads(Path("artifacts/drift.json").read_text())
    assert [a.get("drift") for a in drift["actions"]] == ["differs"]

    spec.write_text(template.format(description="First"), encoding="utf-8")
    _edit_out_of_band(kind)  # the org moved
    assert run(["--sandbox", "drift"]) == 2
    out = capsys.readouterr().out
    assert "[edited out of band" in out
    drift = json.loads(Path("artifacts/drift.json").read_text())
    assert [a.get("drift") for a in drift["actions"]] == ["edited"]

    # show prints what the report says: the label of this run, not a guess of its own.
    assert run(["show", "artifacts/drift.json"]) == 0
    shown = capsys.readouterr().out
    assert "[edited out of band" in shown
    assert "[differs from git" not in shown
    assert run(["show", "--format", "json", "artifacts/drift.json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert [a.get("drift") for a in again["actions"]] == ["edited"]
    assert run(["show", "--format", "markdown", "artifacts/drift.json"]) == 0
    assert "edited out of band" in capsys.readouterr().out


def test_drift_without_its_audit_log_says_so_and_does_not_guess(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    spec = Path("channels/a.yaml")
    spec.parent.mkdir()
    spec.write_text(CHANNEL.format(description="First"), encoding="utf-8")
    assert run(["--sandbox", "apply", "--yes"]) == 0
    _edit_out_of_band("channel")
    for log in Path(".reconciler/audit").glob("*.jsonl"):
        log.unlink()  # a checkout that never fetched the audit branch
    capsys.readouterr()

    assert run(["--sandbox", "drift"]) == 2
    captured = capsys.readouterr()
    assert "[changed (no audit log was read" in captured.out
    assert "[differs from git" not in captured.out
    assert "warning: no audit log at .reconciler/audit/sandbox.jsonl" in captured.err
    assert "1 changed" in captured.out  # the summary counts them apart
    drift = json.loads(Path("artifacts/drift.json").read_text())
    assert [a.get("drift") for a in drift["actions"]] == ["unknown"]

    assert run(["show", "artifacts/drift.json"]) == 0
    assert "[changed (no audit log was read" in capsys.readouterr().out
    assert run(["show", "--format", "json", "artifacts/drift.json"]) == 0
    assert [a.get("drift") for a in json.loads(capsys.readouterr().out)["actions"]] == ["unknown"]
