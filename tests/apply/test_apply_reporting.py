"""What an apply reports at its end: the duration of the whole run, and one line for the
actions an interruption kept from starting (not one line each)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from reconciler.applying import ApplyResult
from reconciler.cli.commands.apply import TerminalHooks, report_apply
from reconciler.executor import ActionResult, ActionStatus
from reconciler.planner import ActionKind, Plan, PlanOptions

PLAN = Plan(
    environment="sandbox",
    created_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
    options=PlanOptions(owner="reconciler"),
    actions=(),
    spec_digest="sha256:0",
    live_digest="sha256:0",
    managed_count=0,
)


def result(name: str, status: ActionStatus) -> ActionResult:
    return ActionResult(kind=ActionKind.CREATE, name=name, status=status, attempts=1)


def interrupted_run(done: int, not_started: int) -> ApplyResult:
    results = [result(f"Done {i}", ActionStatus.SUCCEEDED) for i in range(done)]
    results += [result(f"Later {i}", ActionStatus.SKIPPED) for i in range(not_started)]
    return ApplyResult(
        plan=PLAN, run_id="r", results=tuple(results), interrupted=True, duration_ms=1500
    )


def test_an_interrupted_run_reports_its_not_started_actions_in_one_line(capsys) -> None:
    run = interrupted_run(done=3, not_started=997)
    hooks = TerminalHooks(assume_yes=True, interactive=False, color=False)
    for number, item in enumerate(run.results, 1):
        hooks.finished(item, number, len(run.results), 0.0)
    assert report_apply(run, interactive=False) == 130
    captured = capsys.readouterr()
    assert captured.out.count("ok      create Done") == 3
    assert "Later" not in captured.out + captured.err  # no line per action not started
    assert captured.err == (
        "Interrupted: 997 action(s) not started (the running ones finished); "
        "plan again to apply the rest.\n"
    )
    assert "Apply interrupted: 3 succeeded, 0 failed, 997 skipped in 1.5s" in captured.out


@pytest.mark.parametrize("interactive", [False, True])
def test_the_summary_duration_is_the_whole_run_as_the_terminal_saw_it(
    capsys, interactive: bool
) -> None:
    """apply.json's duration ends before the reconcile.completed webhook is sent (the event
    carries it); the summary line counts until the end, that delivery and its retries too."""
    now = [100.0]
    hooks = TerminalHooks(
        assume_yes=True, interactive=interactive, color=False, clock=lambda: now[0]
    )
    hooks.started(PLAN, 0)
    now[0] += 42.25  # executing, then a slow webhook endpoint retried several times
    run = ApplyResult(plan=PLAN, run_id="r", duration_ms=2000)
    assert report_apply(run, interactive=interactive, seconds=hooks.elapsed()) == 0
    assert "Apply succeeded: 0 succeeded, 0 failed, 0 skipped in 42.2s" in capsys.readouterr().out
