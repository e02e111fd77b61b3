"""The soak scenario of ``benchmarks/soak.py`` at a small size: creates, updates and deletes
under 20% injected faults against the sandbox over a real socket, then every invariant."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SOAK_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "soak.py"


def load_soak() -> ModuleType:
    spec = importlib.util.spec_from_file_location("soak_benchmark", SOAK_PATH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["soak_benchmark"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.soak
@pytest.mark.socket
def test_small_soak_converges_and_every_invariant_holds(tmp_path: Path) -> None:
    soak = load_soak()
    # Faults at twice the benchmark's rate, so a small run still sees every kind fire.
    config = soak.SoakConfig(
        channels=60,
        fault_rate=0.4,
        seed=5,
        timeout_seconds=0.5,
        slow_seconds=0.8,
        retry_after_seconds=0,
        webhook_transient_failures=10,
        webhook_outage_channels=3,
    )

    report = soak.run_soak(config, tmp_path)

    print(soak.render([report], "pytest tests/reliability/test_soak.py"))
    assert report.ok, report.problems
    assert report.planned == {"create": 24, "update": 11, "delete": 6}
    fired = set(report.faults)
    assert {"drop", "429"} <= fired, f"faults that fired: {report.faults}"
    assert fired & {"502", "503", "504"}, f"no 5xx fired: {report.faults}"
    assert report.webhooks["refused_503"] == 10
    assert report.webhooks["refused_410"] >= 3, "the webhook outage was not exercised"
    assert 1 <= len(report.runs) <= config.max_runs
