"""``kind: webDeployment`` end to end: the CLI (``reconciler.cli.run``) against the Web
Deployments emulator over a real socket on 127.0.0.1, its timers a hundredth of the contract's
(or instant where a test is not about waiting). Issue 12's "Done when", one behaviour a test."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from wd_e2e_helpers import (
    CONFIGURATIONS,
    DEPLOYMENTS,
    FAST,
    IMAGES_ONLY,
    SALES_FLOW,
    SUPPORT_FLOW,
    configuration_named,
    configurations,
    deployment_named,
    deployments,
    served_version,
    spec_text,
    wd_sandbox,
    write_count,
    write_spec,
)

from reconciler.cli import run
from reconciler.sandbox import FaultPlan, SandboxApp
from reconciler.sandbox.webdeployments.supported_content import DEFAULT_PROFILE_ID

pytestmark = pytest.mark.socket

DOZEN = [f"Store {i:02d}" for i in range(12)]
LAG = 0.3


def write_dozen(root: Path) -> None:
    for i, name in enumerate(DOZEN):
        flow = "Sales Inbound Message" if i % 2 == 0 else "Support Inbound Message"
        profile = IMAGES_ONLY if i % 3 == 0 else None
        write_spec(root, f"store-{i:02d}.yaml", spec_text(name, flow=flow, profile=profile))


def profile_id(app: SandboxApp, name: str) -> str:
    (profile,) = [
        p for p in app.state.objects("supportedContent").values() if p["name"] == name
    ]
    return str(profile["id"])


def test_a_dozen_specs_under_faults_and_lag_each_create_one_pair_serving_version_1(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_dozen(workdir)
    faults = FaultPlan(seed=12, error_5xx=0.05, drop_after_commit=0.05, retry_after_seconds=0)
    with wd_sandbox(monkeypatch, faults=faults, listing_lag_seconds=LAG) as app:
        code = run(["apply", "--yes", "--parallelism", "4"])
        out = capsys.readouterr()
        assert app.stats.faults, "no fault fired"
        # A create whose answer was lost may fail its action (never repeated blindly); the
        # next runs converge once the listing caught up (updates of a configuration alone:
        # allowed past the safety threshold, a dozen is a small org).
        for _ in range(3):
            if code == 0:
                break
            time.sleep(LAG + 0.1)
            code = run(["apply", "--yes", "--max-update-pct", "100"])
            out = capsys.readouterr()
        assert code == 0, out.out + out.err

        # Every pair exactly once, serving version "1".
        assert sorted(r["draft"]["name"] for r in configurations(app)) == DOZEN
        assert sorted(d["name"] for d in deployments(app)) == DOZEN
        images = profile_id(app, IMAGES_ONLY)
        for i, name in enumerate(DOZEN):
            deployment = deployment_named(app, name)
            record = configuration_named(app, name)
            assert deployment["configuration"] == {
                **deployment["configuration"],
                "id": record["id"],
                "version": "1",
            }
            assert [v["version"] for v in record["versions"]] == ["1"]
            # References resolved by exact name: never "Support Inbound Message (old)", which
            # the flows name filter (a substring match) also returns.
            assert deployment["flow"]["id"] == (SALES_FLOW if i % 2 == 0 else SUPPORT_FLOW)
            expected_profile = images if i % 3 == 0 else DEFAULT_PROFILE_ID
            assert deployment["supportedContent"]["id"] == expected_profile
            assert served_version(app, name)["messenger"]["styles"]["primaryColor"] == "#0D6EFD"


def test_a_plan_right_after_apply_has_no_changes_and_a_second_apply_writes_nothing(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_dozen(workdir)
    with wd_sandbox(monkeypatch) as app:
        assert run(["apply", "--yes", "--parallelism", "4"]) == 0
        capsys.readouterr()
        # Whatever defaults the server filled in (futureFeature, sessionDurationSeconds...).
        assert run(["plan", "--detailed-exitcode"]) == 0, capsys.readouterr().out
        writes = write_count(app)
        assert run(["apply", "--yes"]) == 0
        assert "Applying 0 action(s)" in capsys.readouterr().out
        assert write_count(app) == writes
        assert all(len(r["versions"]) == 1 for r in configurations(app))


def test_a_failed_deployment_create_converges_on_the_next_apply_without_a_new_version(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_spec(workdir, "sales.yaml", spec_text("Sales EU"))
    # C2 and C7 go through, D2 meets a 503 (not applied; the client cannot know that).
    faults = FaultPlan(script=("ok", "ok", "503"), only_methods={"POST"}, retry_after_seconds=0)
    with wd_sandbox(monkeypatch, faults=faults) as app:
        assert run(["apply", "--yes"]) == 1
        out = capsys.readouterr().out
        assert "its configuration" in out and "was created, then" in out
        assert "already exists" not in out  # its own configuration is not someone else's
        assert deployments(app) == []
        assert run(["plan"]) == 0
        out = capsys.readouterr().out
        assert "the configuration has no deployment; apply creates one" in out
        assert "draft differs" not in out
        assert run(["apply", "--yes"]) == 0
        assert deployment_named(app, "Sales EU")["configuration"]["version"] == "1"
        assert [v["version"] for v in configuration_named(app, "Sales EU")["versions"]] == ["1"]
