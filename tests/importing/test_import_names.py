"""Import writes what a person would (issue 23, item 8): references by name when unique,
file names that say the kind and the name, skip lines that say the kind, and a next-step hint
that repeats the flags given."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import run
from reconciler.importing import by_name
from reconciler.kinds import webdeployment

SPECS = """\
kind: webDeployment
name: Sales EU
deployment:
  allowAllDomains: true
  flow: {name: Sales Inbound Message}
  supportedContent: {name: Images only}
---
name: Sales EU
webMessagingWidgetConfiguration: {widgetId: w-1, theme: default}
securityPolicy: {enabled: false, allowedOrigins: [], requireConsent: false}
routingConfiguration: {queueId: q-1}
"""


@pytest.fixture
def org(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A sandbox org holding a channel and a web deployment of one name, made by team-a."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "dev.yaml").write_text("region: sandbox\n", encoding="utf-8")
    (tmp_path / "made").mkdir()
    (tmp_path / "made" / "all.yaml").write_text(SPECS, encoding="utf-8")
    argv = ["--sandbox", "apply", "--env", "dev", "--yes", "-q", "--owner", "team-a", "made"]
    assert run(argv) == 0
    return tmp_path


def test_import_names_files_by_kind_and_writes_references_by_name(
    org: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    argv = ["--sandbox", "import", "--env", "dev", "--owner", "team-a", "--out-dir", "imported"]
    # (the org's seeded profiles and messaging defaults are tests/messaging's)
    assert run([*argv, "--name", "Sales EU"]) == 0
    out = capsys.readouterr().out
    assert sorted(p.relative_to(org).as_posix() for p in org.glob("imported/**/*.yaml")) == [
        "imported/sales-eu.yaml",
        "imported/web/sales-eu.yaml",
    ]
    assert "wrote imported/web/sales-eu.yaml  (web deployment 'Sales EU', id " in out
    assert "wrote imported/sales-eu.yaml  (channel 'Sales EU', id " in out
    web = (org / "imported" / "web" / "sales-eu.yaml").read_text(encoding="utf-8")
    assert "  flow:\n    name: Sales Inbound Message\n" in web
    assert "  supportedContent:\n    name: Images only\n" in web
    assert "id:" not in web.split("deployment:")[1]
    assert (
        "Next: 'reconciler plan --adopt --sandbox --env dev --owner team-a imported' shows them"
    ) in out
    # The hint is a command that works: the imported files plan as nothing to change.
    assert run(["--sandbox", "plan", "--env", "dev", "--owner", "team-a", "imported"]) == 0
    assert "Plan: 0 to create, 0 to update, 0 to delete, 0 to adopt, 0 conflicts, 2 unchanged." in (
        capsys.readouterr().out
    )


def test_skip_lines_say_the_kind(org: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    argv = ["--sandbox", "import", "--env", "dev", "--owner", "team-b", "--out-dir", "imported"]
    assert run([*argv, "--name", "Sales EU"]) == 0
    out = capsys.readouterr().out
    assert "skipped channel 'Sales EU': managed by another owner ('team-a')" in out
    assert "skipped web deployment 'Sales EU': managed by another owner ('team-a')" in out
    assert "Imported 0 of 2 object(s)" in out


def test_a_reference_stays_by_id_when_its_name_is_not_unique() -> None:
    kind = webdeployment.WEB_DEPLOYMENT
    body = {"name": "X", "deployment": {"flow": {"id": "f-1"}, "supportedContent": {"id": "p-1"}}}
    names = {
        "flow": [("f-1", "Sales"), ("f-2", "Sales")],  # two flows share the name
        "supportedContent": [("p-1", "Default")],
    }
    written = by_name(kind, body, names)
    assert written["deployment"] == {"flow": {"id": "f-1"}, "supportedContent": {"name": "Default"}}
