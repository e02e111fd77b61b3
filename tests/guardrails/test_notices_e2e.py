"""Notices end to end: a drift run and a failed apply each deliver one Slack-format and one
Teams-format message to a local receiver that checks each payload against the service's
documented format and fails the first delivery; the message survives it (a retry within the
run, or the outbox and 'webhooks redeliver'), and the webhook URLs never show."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from guardrail_e2e import spec_text, write
from notice_receiver import NoticeReceiver, notice_receiver

from reconciler.cli import run
from reconciler.sandbox import SandboxApp
from reconciler.sandbox.webdeployments.seeding import seed_pair

pytestmark = pytest.mark.socket

ENV = """\
region: sandbox
notices:
  slack: {urlEnv: TEAM_SLACK_URL}
  teams: {urlEnv: TEAM_TEAMS_URL}
"""
RUN_URL = "https://github.example/acme/gitops/actions/runs/4242"


def point_at(monkeypatch: pytest.MonkeyPatch, receiver: NoticeReceiver) -> None:
    monkeypatch.setenv("TEAM_SLACK_URL", receiver.url("slack"))
    monkeypatch.setenv("TEAM_TEAMS_URL", receiver.url("teams"))
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.example")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/gitops")
    monkeypatch.setenv("GITHUB_RUN_ID", "4242")


def slack_text(payload: dict[str, object]) -> str:
    return json.dumps(payload["blocks"], ensure_ascii=False)


def teams_card(payload: dict[str, object]) -> dict[str, object]:
    (attachment,) = payload["attachments"]  # type: ignore[misc]
    return attachment["content"]  # type: ignore[no-any-return]


def no_secret_anywhere(receiver: NoticeReceiver, *texts: str) -> None:
    for text in texts:
        assert receiver.token not in text
    for message in receiver.messages:
        assert receiver.token not in json.dumps(message.payload)
    for path in Path(".").rglob("*"):
        if path.is_file() and ".lock" not in path.name:
            assert receiver.token not in path.read_text("utf-8", "replace"), path


def test_a_drift_run_tells_slack_and_teams_once_each_after_a_first_failure(
    workdir: Path,
    org: SandboxApp,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write(workdir, "environments/prod.yaml", "region: sandbox\n")
    write(workdir, "channels/sales.yaml", spec_text("Sales EU"))
    assert run(["apply", "--env", "prod", "--yes"]) == 0
    write(workdir, "environments/prod.yaml", ENV)
    write(workdir, "channels/sales.yaml", spec_text("Sales EU", domains="[shop.example.org]"))
    capsys.readouterr()
    with notice_receiver(first_status=503) as receiver:
        point_at(monkeypatch, receiver)
        code = run(["drift", "--env", "prod"])
        out = capsys.readouterr()
    assert code == 2, out.err
    assert receiver.problems() == []
    assert [m.answered for m in receiver.messages if m.service == "slack"] == [503, 200]
    assert [m.answered for m in receiver.messages if m.service == "teams"] == [503, 200]
    (slack,) = receiver.accepted("slack")
    (teams,) = receiver.accepted("teams")
    assert slack["text"].startswith("Drift in ")
    assert "1 channel drifted" in slack["text"]
    assert "'Sales EU'" in slack_text(slack)
    assert f"<{RUN_URL}|View the run>" in slack_text(slack)
    card = teams_card(teams)
    assert card["body"][0]["text"] == slack["text"]  # type: ignore[index]
    assert "'Sales EU'" in card["body"][1]["text"]  # type: ignore[index]
    assert card["actions"] == [  # type: ignore[comparison-overlap]
        {"type": "Action.OpenUrl", "title": "View the run", "url": RUN_URL}
    ]
    assert not list(Path(".reconciler/outbox").glob("*.jsonl"))  # nothing left pending
    no_secret_anywhere(receiver, out.out, out.err)


def test_a_failed_apply_tells_slack_and_teams_through_the_outbox(
    workdir: Path,
    org: SandboxApp,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write(workdir, "environments/prod.yaml", ENV)
    write(workdir, "channels/sales.yaml", spec_text("Sales EU"))
    seed_pair(org, "Sales EU")  # not managed by the reconciler: a conflict, the run fails
    with notice_receiver(first_status=400) as receiver:
        point_at(monkeypatch, receiver)
        code = run(["apply", "--env", "prod", "--yes", "--outbox", "outbox.jsonl"])
        out = capsys.readouterr()
        assert code == 1
        # the first delivery of each was refused: both wait in the outbox
        assert receiver.accepted("slack") == []
        pending = [json.loads(line) for line in Path("outbox.jsonl").read_text().splitlines()]
        assert sorted(e["notice"]["service"] for e in pending if "notice" in e) == [
            "slack",
            "teams",
        ]
        assert "not delivered" in out.out
        code = run(["webhooks", "redeliver", "--outbox", "outbox.jsonl"])
        redelivered = capsys.readouterr()
        assert code == 0, redelivered.out + redelivered.err
        assert "redelivered 2 of 2" in redelivered.out
        assert run(["webhooks", "redeliver", "--outbox", "outbox.jsonl"]) == 0
        assert "nothing pending" in capsys.readouterr().out
    assert receiver.problems() == []
    (slack,) = receiver.accepted("slack")
    (teams,) = receiver.accepted("teams")
    assert slack["text"].startswith("Apply failed in ")
    assert "conflict web deployment 'Sales EU'" in slack_text(slack)
    assert RUN_URL in slack_text(slack)
    card = teams_card(teams)
    assert card["body"][0]["text"] == slack["text"]  # type: ignore[index]
    assert "conflict web deployment 'Sales EU'" in card["body"][1]["text"]  # type: ignore[index]
    audit = Path("audit/prod.jsonl").read_text()
    assert "notice.apply.failed" in audit  # each notice's outcome is audited
    no_secret_anywhere(receiver, out.out, out.err, redelivered.out, redelivered.err)


def test_an_unset_url_variable_fails_before_any_write(
    workdir: Path, org: SandboxApp, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workdir, "environments/prod.yaml", ENV)
    write(workdir, "channels/sales.yaml", spec_text("Sales EU"))
    code = run(["apply", "--env", "prod", "--yes"])
    err = capsys.readouterr().err
    assert code == 1
    assert "TEAM_SLACK_URL, which is not set" in err
    assert "Traceback" not in err
    assert list(org.state.objects("webDeployment").values()) == []


def test_applied_changes_with_customer_impact_are_told_with_their_notes(
    workdir: Path,
    org: SandboxApp,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write(workdir, "environments/prod.yaml", ENV)
    both = "[shop.example.com, www.example.com]"
    write(workdir, "channels/sales.yaml", spec_text("Sales EU", domains=both))
    with notice_receiver(first_status=200) as receiver:
        point_at(monkeypatch, receiver)
        assert run(["apply", "--env", "prod", "--yes"]) == 0
        assert receiver.messages == []  # a routine create: nothing to tell
        write(workdir, "channels/sales.yaml", spec_text("Sales EU"))
        code = run(["apply", "--env", "prod", "--yes"])
        out = capsys.readouterr()
    assert code == 0, out.err
    (slack,) = receiver.accepted("slack")
    (teams,) = receiver.accepted("teams")
    assert slack["text"].endswith("1 applied change affected live customers")
    assert "[domains-removed]" in slack_text(slack)
    assert "www.example.com" in slack_text(slack)
    assert "[domains-removed]" in teams_card(teams)["body"][1]["text"]  # type: ignore[index]
