"""The kill soak of ``benchmarks/kill_soak.py`` at a small size: ``apply`` SIGKILLed at seeded
random moments under faults, rerun until converged; no duplicate, no committed write without
an audit line, no event never delivered. (The 300-action version is the benchmark script.)"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "kill_soak.py"

pytestmark = [
    pytest.mark.soak,
    pytest.mark.socket,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL needs POSIX signals"),
]


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kill_soak_benchmark", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_random_kills_under_faults_lose_no_record_and_no_event(tmp_path: Path) -> None:
    report = load().run_kill_soak(
        tmp_path, actions=30, kills=3, fault_rate=0.2, seed=3, latency_ms=40, kill_window=2.5
    )
    print(report.render())
    assert report.kills >= 1, "no kill landed: the scenario proves nothing"
    assert report.converged
    assert report.audit_intact
    assert report.duplicates == 0
    assert report.unaudited == 0, report.problems
    assert report.undelivered == 0, report.problems
    assert report.commits >= 30


def test_random_kills_of_web_deployment_writes_lose_no_record_and_no_event(
    tmp_path: Path,
) -> None:
    """Creates, updates that publish, renames and prunes of web deployments, each several
    writes: every write the emulator committed is named by an audit record."""
    report = load().run_wd_kill_soak(tmp_path, pairs=8, kills=3, fault_rate=0.15, seed=5)
    print(report.render())
    assert report.kills >= 1, "no kill landed: the scenario proves nothing"
    assert report.converged, report.problems
    assert report.audit_intact
    assert report.duplicates == 0, report.problems
    assert report.unaudited == 0, report.problems
    assert report.undelivered == 0, report.problems
    assert report.commits >= 20
