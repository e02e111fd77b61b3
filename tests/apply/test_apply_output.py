"""What apply shows a person: the progress bar on a terminal, one line per action in CI."""

from __future__ import annotations

import pytest

from reconciler.cli.commands.apply import action_line, progress_bar
from reconciler.executor import ActionResult, ActionStatus
from reconciler.planner import ActionKind


@pytest.mark.parametrize(
    ("done", "total", "filled"),
    [(0, 10, 0), (3, 10, 9), (5, 10, 15), (10, 10, 30), (0, 0, 30)],
)
def test_progress_bar_fills_in_proportion(done: int, total: int, filled: int) -> None:
    bar = progress_bar(done, total, elapsed=1.25, rate_wait=0.5)
    inside = bar[1 : bar.index("]")]
    assert inside == "#" * filled + "-" * (30 - filled)
    assert f"{done}/{total}" in bar
    assert "1.2s, 0.5s waiting on the rate limit" in bar


def test_a_failed_action_line_names_the_error_and_correlation_ids() -> None:
    result = ActionResult(
        kind=ActionKind.CREATE,
        name="Support",
        status=ActionStatus.FAILED,
        attempts=3,
        latency_ms=812.4,
        correlation_ids=("c-1", "c-2"),
        error="a channel named 'Support' already exists",
    )
    line = action_line(result)
    assert line.startswith("FAILED  create Support (3 request(s), 812 ms)")
    assert "already exists" in line
    # The last correlation id only; apply.json keeps every one.
    assert line.endswith("[correlation id c-2; 1 more in apply.json]")


def test_live_names_never_reach_the_terminal_raw() -> None:
    from reconciler.cli.commands.apply import action_line
    from reconciler.executor import ActionResult, ActionStatus
    from reconciler.planner import ActionKind

    result = ActionResult(
        kind=ActionKind.DELETE,
        name="Evil\x1b[2J\u200bname",
        status=ActionStatus.SUCCEEDED,
        channel_id="c-1",
    )
    line = action_line(result)
    assert "\x1b" not in line
    assert "\u200b" not in line
    assert "Evil\\u001b[2J\\u200bname" in line


def test_the_progress_bar_shows_what_really_succeeded(capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 23, item 9: after an interruption, the actions never started do not fill the bar,
    and the bar says how many of the finished ones succeeded."""
    from reconciler.cli.commands.apply import TerminalHooks

    hooks = TerminalHooks(assume_yes=True, interactive=True, color=False, clock=lambda: 0.0)
    outcomes = [ActionStatus.SUCCEEDED, ActionStatus.FAILED, ActionStatus.SUCCEEDED]
    outcomes += [ActionStatus.SKIPPED] * 7
    for done, status in enumerate(outcomes, 1):
        result = ActionResult(kind=ActionKind.CREATE, name=f"C{done}", status=status)
        hooks.finished(result, done, len(outcomes), 0.0)
    bars = [part for part in capsys.readouterr().err.split("\r") if part.startswith("[")]
    last = bars[-1]
    assert " 3/10 (2 ok, 1 failed) " in last
    assert last.count("#") == 9  # 3 of 10 finished, not 10 of 10


def test_a_signal_gets_its_line_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    from reconciler.cli.commands.apply import TerminalHooks

    hooks = TerminalHooks(assume_yes=True, interactive=False, color=False)
    hooks.stopping("SIGINT", 8, now=False)
    hooks.stopping("SIGINT", 8, now=True)
    assert capsys.readouterr().err.splitlines() == [
        "stopping: letting 8 running action(s) finish (waits are cut short, nothing new "
        "starts); Ctrl-C again to stop now",
        "stopping now: cancelling 8 action(s) in flight; the next apply settles them",
    ]
