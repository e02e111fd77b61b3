"""docs/guardrails.md cannot drift: its impact-code table is the kinds' declared codes, its
environment examples load, and the breach it shows is the one validate prints for this
repository's specs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from reconciler import kinds
from reconciler.cli import run

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "guardrails.md").read_text(encoding="utf-8")
YAML = re.compile(r"^```yaml\n(# environments/prod\.yaml\n.*?)^```", re.M | re.S)
TEXT = re.compile(r"^```text\n(channels/.*?)\n^```", re.M | re.S)


def test_the_table_lists_every_declared_impact_code() -> None:
    table = set(re.findall(r"^\| `([a-z-]+)` \|", DOC, re.M))
    assert table == set(kinds.impact_codes())


def test_the_environment_examples_load_and_the_shown_breach_is_what_validate_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocks = YAML.findall(DOC)
    assert len(blocks) == 2
    shutil.copytree(ROOT / "channels", tmp_path / "channels")
    (tmp_path / "environments").mkdir()
    monkeypatch.chdir(tmp_path)
    policies, notices = blocks
    Path("environments/prod.yaml").write_text(policies + notices.split("\n", 1)[1], "utf-8")
    code = run(["validate", "--env", "prod"])
    out = capsys.readouterr().out
    assert code == 1
    (shown,) = TEXT.findall(DOC)
    assert shown in out.splitlines()
    # the example's other rules find this repository's other specs as the page says
    assert "domain 'shop.example.de' is not under example.com, example.eu" in out
    assert "must set configuration.messenger.sessionPersistenceType" in out
