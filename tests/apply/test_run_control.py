"""Signals end a run in order: the first stops new actions, a second also cancels the writes
in flight; SIGTERM exits 143 and SIGINT 130 (the SIGTERM end to end is in
tests/reliability/test_records.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ConfigError
from reconciler.run_control import Signals, probe_writable


def test_a_second_signal_also_cancels_the_writes_in_flight() -> None:
    signals = Signals()
    signals.handle("SIGINT")
    assert signals.stop.is_set()
    assert not signals.abort.is_set()
    assert signals.exit_code == 130
    signals.handle("SIGINT")
    assert signals.abort.is_set()
    assert signals.exit_code == 130


def test_sigterm_wins_the_exit_code() -> None:
    signals = Signals()
    signals.handle("SIGINT")
    signals.handle("SIGTERM")
    assert signals.received == "SIGTERM"
    assert signals.exit_code == 143


def test_probing_leaves_nothing_behind(tmp_path: Path) -> None:
    probe_writable(tmp_path / "new" / "audit.jsonl", "the audit log")
    probe_writable(tmp_path / "out", "to --out", folder=True)
    probe_writable(tmp_path / "audit.jsonl", "the audit log")
    assert list(tmp_path.iterdir()) == []
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match=r"cannot write the audit log .*nothing was applied"):
        probe_writable(blocker / "audit.jsonl", "the audit log")
