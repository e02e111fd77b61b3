"""The notices as values and payloads: Slack's text and blocks, Teams' Adaptive Card, the run
link only under GitHub Actions, bounded texts, escaped names, and the outbox lines a notice
leaves (compaction keeps pending notices beside pending events)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from notice_receiver import SLACK, TEAMS

from reconciler.notices import ApplyOutcome, Notice, apply_notice, run_url
from reconciler.webhooks.outbox import Outbox, PendingNotice

GITHUB = {
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/gitops",
    "GITHUB_RUN_ID": "17",
}


def test_the_run_link_needs_all_three_variables() -> None:
    assert run_url(GITHUB) == "https://github.com/acme/gitops/actions/runs/17"
    for missing in GITHUB:
        assert run_url({k: v for k, v in GITHUB.items() if k != missing}) == ""
    assert run_url({**GITHUB, "GITHUB_RUN_ID": "17; rm"}) == ""


def test_names_cannot_ping_or_forge_links_and_long_lists_are_cut() -> None:
    notice = Notice(
        topic="drift.detected",
        run_id="r1",
        environment="prod",
        summary="Drift in prod: <!channel> & friends",
        items=tuple(f"web deployment 'Shop {i}' <http://evil|click>" for i in range(40)),
    )
    slack = notice.payload("slack")
    jsonschema.validate(slack, SLACK)
    text = json.dumps(slack)
    assert "<!channel>" not in text
    assert slack["text"] == "Drift in prod: &lt;!channel&gt; &amp; friends"
    assert "<http://evil|click>" not in text
    assert "and 20 more" in text
    assert "View the run" not in text  # no link outside CI
    teams = notice.payload("teams")
    jsonschema.validate(teams, TEAMS)
    assert "actions" not in teams["attachments"][0]["content"]


def test_an_apply_notice_says_failed_first_then_impacts_else_nothing() -> None:
    base = {"run_id": "r", "environment": "prod", "succeeded": 2, "failed": 0, "not_started": 0}
    impacts = ("update web deployment 'A': [messaging-off] status goes to Inactive",)
    quiet = apply_notice(ApplyOutcome(status="succeeded", **base))  # type: ignore[arg-type]
    assert quiet is None
    told = apply_notice(
        ApplyOutcome(status="succeeded", impacts=impacts, **base),  # type: ignore[arg-type]
        link="https://ci/run",
    )
    assert told is not None
    assert told.topic == "apply.impacts"
    assert told.summary == "Apply in prod: 1 applied change affected live customers"
    failed = apply_notice(
        ApplyOutcome(status="interrupted", problems=("x failed",), impacts=impacts, **base)  # type: ignore[arg-type]
    )
    assert failed is not None
    assert failed.topic == "apply.failed"
    assert "did not finish" in failed.summary
    assert failed.items == ("x failed", *impacts)
    assert failed.notice_id("slack") != failed.notice_id("teams")
    assert failed.notice_id("slack") == failed.notice_id("slack")


def test_the_outbox_keeps_pending_notices_through_compaction(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.jsonl")
    one = PendingNotice(
        notice_id="ntc_1", service="slack", url_env="S", topic="apply.failed", payload={"text": "a"}
    )
    two = PendingNotice(
        notice_id="ntc_2", service="teams", url_env="T", topic="apply.failed", payload={"x": 1}
    )
    for item in (one, two):
        outbox.record_notice_pending(item, attempts=1, status=503, error="HTTP 503", now=1.0)
    outbox.record_notice_delivered("ntc_1")
    assert outbox.compact() == 1
    (left,) = outbox.pending_notices()
    assert (left.notice_id, left.url_env, left.attempts, left.payload) == (
        "ntc_2",
        "T",
        1,
        {"x": 1},
    )
    assert outbox.pending() == []  # events are untouched by notices
    assert "http" not in (tmp_path / "o.jsonl").read_text()  # no URL is ever stored
