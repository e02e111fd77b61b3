"""The shared test helpers do what tests/support.py says: in-process commands, the embedded
sandbox and served sandbox apps wait on the test's virtual clock; ``real_clock`` opts out."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
import support
from fakes import FakeClock

from reconciler.cli import run
from reconciler.genesys import factory

ROOT = Path(__file__).resolve().parents[1]


def test_the_embedded_sandbox_s_waits_are_on_the_virtual_clock(
    workdir: Path, virtual_clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(ROOT / "channels" / "web", workdir / "channels" / "web")
    # (sales-eu.yaml names the supported content profile the Quick start's channels/ declares)
    shutil.copytree(ROOT / "channels" / "messaging", workdir / "channels" / "messaging")
    started = virtual_clock()
    assert run(["--sandbox", "apply", "--yes"]) == 0, capsys.readouterr().err
    # The web deployments went Pending, then Active at a twentieth of the contract's 12 s:
    # the client waited for that on the virtual clock.
    assert virtual_clock.slept, "the apply never waited"
    assert virtual_clock() - started >= 12.0 * factory.SANDBOX_TIME_SCALE
    assert run(["--sandbox", "plan", "--detailed-exitcode"]) == 0


def test_a_served_sandbox_and_its_listing_lag_are_on_the_virtual_clock(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, virtual_clock: FakeClock
) -> None:
    (workdir / "channels" / "a.yaml").write_text(
        "name: A\nwebMessagingWidgetConfiguration: {widgetId: w, theme: default}\n"
        "securityPolicy: {enabled: false, allowedOrigins: [], requireConsent: false}\n"
        "routingConfiguration: {queueId: q}\n",
        encoding="utf-8",
    )
    with support.serve_sandbox(monkeypatch, listing_lag_seconds=30.0) as app:
        assert app.config.credentials == support.CREDENTIALS
        assert run(["apply", "--yes"]) == 0
        # The listing still shows the org as it was 30 s ago: the create is not listed yet.
        assert run(["plan", "--detailed-exitcode"]) == 2
        support.pass_time(30.5)
        assert run(["plan", "--detailed-exitcode"]) == 0


@pytest.mark.real_clock
def test_real_clock_leaves_commands_on_real_time(virtual_clock: FakeClock | None) -> None:
    assert virtual_clock is None
    assert factory.default_timing is None
    assert support.current_clock() is time.monotonic
