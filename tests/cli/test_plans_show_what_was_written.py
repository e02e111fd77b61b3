"""Plans show what the user wrote (issue 23, item 7): a create's body in plan.md holds neither
the ownership marker nor values the tool adds; artifacts get ordinary file modes."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
from issue23_helpers import CHANNEL, WEB, served, write

from reconciler.cli import run

pytestmark = pytest.mark.socket


@pytest.fixture
def workdir(workdir: Path) -> Path:
    """The shared project folder with a web deployment and a channel."""
    write(workdir, "channels/web.yaml", WEB.format(name="Sales EU"))
    write(workdir, "channels/kiosk.yaml", CHANNEL.format(name="Kiosk"))
    return workdir


def test_create_bodies_in_plan_md_show_what_the_spec_says(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with served(monkeypatch):
        assert run(["plan", "--out", "artifacts"]) == 0
    markdown = (workdir / "artifacts" / "plan.md").read_text(encoding="utf-8")
    assert "+ create web deployment <code>Sales EU</code>" in markdown
    assert "x-owner" not in markdown  # the web deployment's ownership marker
    assert "x-managed-by" not in markdown  # the channel's
    assert "allowAllDomains" not in markdown  # added beside allowedDomains; a spec may not
    assert 'description: ""' not in markdown  # the default the tool adds
    assert '"allowedDomains": ["www.example.com"]' in markdown
    assert '+ webMessagingWidgetConfiguration: {"theme": "default", "widgetId": "w-1"}' in markdown


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_artifacts_schemas_and_imported_specs_get_ordinary_modes(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    previous = os.umask(0o022)
    try:
        with served(monkeypatch):
            assert run(["plan", "--out", "artifacts"]) == 0
            assert run(["apply", "--yes", "--out", "artifacts"]) == 0
            assert run(["import", "--out-dir", "imported"]) == 0
        assert run(["schema", "webDeployment", "--out", "schemas/wd.schema.json"]) == 0
    finally:
        os.umask(previous)
    written = [
        workdir / "artifacts" / "plan.json",
        workdir / "artifacts" / "plan.md",
        workdir / "artifacts" / "apply.json",
        workdir / "schemas" / "wd.schema.json",
        *sorted((workdir / "imported").rglob("*.yaml")),
    ]
    assert len(written) > 4
    modes = {
        p.relative_to(workdir).as_posix(): oct(stat.S_IMODE(p.stat().st_mode)) for p in written
    }
    assert set(modes.values()) == {"0o644"}, modes
