"""Policies end to end, through the CLI against the emulator on 127.0.0.1: a prod policy that
forbids allowAllDomains fails the plan at the spec's line and is enforced at apply for a plan
saved before the policy existed; an impact a policy holds for approval is refused without
--allow-impact, and applied and recorded (actor included) with it."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import jsonschema
import pytest
from guardrail_e2e import OPEN_SPEC, deployments, spec_text, write
from webhook_receiver import SECRET, Receiver, serve

from reconciler.cli import run
from reconciler.sandbox import SandboxApp
from reconciler.spec.schema import kind_schema

pytestmark = pytest.mark.socket

FORBID = """\
region: sandbox
policies:
  - name: no-open-deployments
    kind: webDeployment
    forbid: {field: deployment.allowAllDomains, value: true}
    message: production deployments list their websites
"""
APPROVE = """\
region: sandbox
policies:
  - name: deletes-need-approval
    approve: {impacts: [deployment-deleted]}
"""


def test_a_forbidden_value_fails_the_plan_naming_the_line(
    workdir: Path, org: SandboxApp, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workdir, "environments/prod.yaml", FORBID)
    write(workdir, "channels/open.yaml", OPEN_SPEC)
    code = run(["plan", "--env", "prod"])
    out = capsys.readouterr()
    assert code == 1
    assert (
        "channels/open.yaml:4:3: deployment.allowAllDomains: must not be true in this "
        "environment: policy 'no-open-deployments' of environments/prod.yaml" in out.err
    )
    assert "'no-open-deployments' of environments/prod.yaml" in out.err
    assert "Traceback" not in out.err
    # validate --env shows the same line, as a GitHub annotation too
    code = run(["validate", "--env", "prod", "--format", "github"])
    annotations = capsys.readouterr().out
    assert code == 1
    assert "file=channels/open.yaml,line=4,col=3" in annotations
    assert "no-open-deployments" in annotations


def test_a_saved_plan_is_refused_at_apply_once_the_policy_forbids_it(
    workdir: Path, org: SandboxApp, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workdir, "environments/prod.yaml", "region: sandbox\n")
    write(workdir, "channels/open.yaml", OPEN_SPEC)
    assert run(["plan", "--env", "prod"]) == 0
    capsys.readouterr()
    write(workdir, "environments/prod.yaml", FORBID)  # the policy lands after the review
    code = run(["apply", "--env", "prod", "--yes", "--plan", "artifacts/prod/plan.json"])
    out = capsys.readouterr()
    assert code == 1
    assert "channels/open.yaml:4:3:" in out.err
    assert "no-open-deployments" in out.err
    assert deployments(org) == []  # nothing was written


def test_an_impact_needing_approval_is_refused_then_applied_and_recorded(
    workdir: Path,
    org: SandboxApp,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write(workdir, "environments/prod.yaml", APPROVE)
    write(workdir, "channels/a.yaml", spec_text("Alpha"))
    write(workdir, "channels/b.yaml", spec_text("Beta"))
    assert run(["apply", "--env", "prod", "--yes"]) == 0
    assert deployments(org) == ["Alpha", "Beta"]
    (workdir / "channels" / "b.yaml").unlink()
    capsys.readouterr()

    code = run(["plan", "--env", "prod", "--prune"])
    out = capsys.readouterr()
    assert code == 0
    assert "!! customer impact [deployment-deleted]" in out.out
    assert "Approval needed: 1 change(s) with impact deployment-deleted ('Beta')" in out.out
    assert "--allow-impact deployment-deleted" in out.out

    safety = ["--max-delete-pct", "100"]
    code = run(["apply", "--env", "prod", "--prune", "--yes", *safety])
    out = capsys.readouterr()
    assert code == 1
    assert "refusing the plan: 1 change(s) need approval by policy 'deletes-need-approval'" in (
        out.err
    )
    assert "Approve them with --allow-impact deployment-deleted" in out.err
    assert deployments(org) == ["Alpha", "Beta"]

    assert run(["apply", "--allow-impact", "no-such", "--yes"]) == 64
    capsys.readouterr()

    with contextlib.contextmanager(serve)(Receiver(SECRET)) as receiver:
        monkeypatch.setenv("WEBHOOK_URL", receiver.url)
        monkeypatch.setenv("WEBHOOK_SECRET", SECRET)
        approve = ["--allow-impact", "deployment-deleted"]
        code = run(["apply", "--env", "prod", "--prune", "--yes", *safety, *approve])
        out = capsys.readouterr()
        assert code == 0, out.out + out.err
        events = [json.loads(d.body) for d in receiver.accepted()]
    assert deployments(org) == ["Alpha"]
    (deleted,) = [e for e in events if e["type"] == "channel.deleted"]
    assert deleted["data"]["impacts"][0]["code"] == "deployment-deleted"
    jsonschema.validate(deleted, kind_schema("event.schema.json"))

    lines = [json.loads(line) for line in Path("audit/prod.jsonl").read_text().splitlines()]
    starts = [line["record"] for line in lines if line["kind"] == "run.start"]
    record = starts[-1]
    assert record["actor"] == "octo-reviewer"
    assert record["allowedImpacts"] == ["deployment-deleted"]
    (approval,) = record["impactApprovals"]
    assert approval["code"] == "deployment-deleted"
    assert approval["name"] == "Beta"
    assert "deletes-need-approval" in approval["policy"]
    assert "impactApprovals" not in starts[0]  # the first apply approved nothing
