"""Apply and plan say what they did, in CI logs too (issue 23, item 5): the plan an
``apply --yes`` applies, a line per action, lines about long waits, the leftover objects by
name, a stale plan in words, a summary that says what happened, an apply with nothing to do,
``-v``/``-q``, and the rename hint without ``--prune``."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import httpx
import pytest
from issue23_helpers import CHANNEL, WEB, served, write

from reconciler.cli import run
from reconciler.cli.app import QUIET
from reconciler.cli.commands import apply as apply_command
from reconciler.cli.commands.apply import TerminalHooks
from reconciler.events import WebhookSecret
from reconciler.sandbox.webdeployments.knobs import WebDeploymentKnobs
from reconciler.waits import WaitBoard, watching
from reconciler.webhooks.delivery import RetryPolicy, deliver

pytestmark = pytest.mark.socket


def plan_text(out: str) -> str:
    """The report of ``plan`` up to its digest line (the artifacts line follows)."""
    end = out.index("Digest: ")
    return out[: out.index("\n", end) + 1]


def audit_lines() -> list[dict[str, object]]:
    [log] = [p for p in Path(".").rglob("*.jsonl") if "audit" in p.parts]
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def test_apply_yes_off_a_terminal_prints_the_plan_then_a_line_per_action(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workdir, "channels/kiosk.yaml", CHANNEL.format(name="Kiosk"))
    write(workdir, "channels/web.yaml", WEB.format(name="Sales EU"))
    with served(monkeypatch):
        assert run(["plan"]) == 0
        planned = plan_text(capsys.readouterr().out)
        assert run(["apply", "--yes"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(planned)  # the same text as plan, digest included
    rest = out[len(planned) :].splitlines()
    assert rest[0].startswith("Applying 2 action(s) to ")
    assert rest[1].startswith("ok      create Kiosk (id ")
    assert rest[2].startswith("ok      create web deployment Sales EU (id ")
    assert rest[3].startswith("Apply succeeded: 2 succeeded, 0 failed, 0 skipped in ")


# The progress lines tick in real time while the wait goes on: the wait must take real time too.
@pytest.mark.real_clock
def test_a_long_activation_prints_what_it_waits_for_off_a_terminal(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workdir, "channels/web.yaml", WEB.format(name="Sales EU"))
    monkeypatch.setattr(apply_command, "PROGRESS_INTERVAL", 0.1)
    slow = WebDeploymentKnobs.instant(deployment_activate_s=2.0)
    with served(monkeypatch, knobs=slow):
        assert run(["apply", "--yes"]) == 0
    out = capsys.readouterr().out
    waits = [line for line in out.splitlines() if line.startswith("waiting for ")]
    assert waits, out
    assert waits[0].startswith(
        "waiting for web deployment 'Sales EU': its deployment to become Active ("
    )
    assert out.index(waits[0]) < out.index("ok      create web deployment Sales EU")


def test_wait_lines_go_to_logs_only_at_most_once_an_interval() -> None:
    assert TerminalHooks(assume_yes=True, interactive=False, color=False).progress_interval == 10
    on_tty = TerminalHooks(assume_yes=True, interactive=True, color=False)
    quiet = TerminalHooks(assume_yes=True, interactive=False, color=False, level=QUIET)
    assert on_tty.progress_interval is None
    assert quiet.progress_interval is None


def test_the_rate_limit_and_webhook_retries_are_waits_a_line_names() -> None:
    now = [0.0]
    board = WaitBoard(clock=lambda: now[0])
    with (
        board.entry("", "the API's rate limit"),
        board.entry("", "the API's rate limit"),
        board.entry("channel 'Kiosk'", "a backoff before retrying"),
    ):
        now[0] = 12.0
        lines = [w.describe() for w in board.current(at_least=5)]
    assert lines == [
        "the API's rate limit (2 requests) (12s)",
        "channel 'Kiosk': a backoff before retrying (12s)",
    ]

    seen: list[str] = []

    async def sleep(seconds: float) -> None:
        now[0] += seconds
        seen.extend(w.describe() for w in board.current())

    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503)

    async def main() -> None:
        from datetime import datetime, timezone

        from reconciler.events import EventType, channel_event

        event = channel_event(
            EventType.CHANNEL_PROVISIONED,
            run_id="r",
            environment="sandbox",
            channel_id="c-1",
            channel_name="Kiosk",
            source="",
            now=datetime(2026, 1, 1, tzinfo=timezone.utc),
        )
        async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as client:
            with watching(board):
                await deliver(
                    client,
                    url="http://127.0.0.1:9/hook",
                    secret=WebhookSecret.parse("whsec_" + "A" * 32),
                    event=event,
                    policy=RetryPolicy(max_attempts=3),
                    clock=lambda: now[0],
                    sleep=sleep,
                    rng=random.Random(1),
                )

    asyncio.run(main())
    assert seen
    assert seen[0].startswith("a retry of webhook event channel.provisioned (HTTP 503)")


def test_the_leftover_note_names_the_objects_and_a_rename_gets_its_hint(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workdir, "channels/kiosk.yaml", CHANNEL.format(name="Kiosk"))
    write(workdir, "channels/desk.yaml", CHANNEL.format(name="Desk"))  # channels stay in play
    write(workdir, "channels/web.yaml", WEB.format(name="Old site"))
    with served(monkeypatch):
        assert run(["apply", "--yes"]) == 0
        (workdir / "channels" / "kiosk.yaml").unlink()
        write(workdir, "channels/web.yaml", WEB.format(name="New site"))
        capsys.readouterr()
        assert run(["plan"]) == 0
        out = capsys.readouterr().out
        markdown = Path("artifacts/plan.md").read_text(encoding="utf-8")
    leftover = (
        '2 managed objects have no spec: channel "Kiosk", web deployment "Old site"; '
        "--prune would delete them."
    )
    assert leftover in out
    assert leftover in markdown
    # No --prune, so no delete in the plan: the rename hint still comes.
    assert (
        'Note: web deployment "New site": no spec describes the managed web deployment '
        "'Old site' (--prune would delete it); if this spec renames one of them, add "
        "'renamedFrom: [<old name>]' to it"
    ) in out


def test_a_stale_plan_names_the_object_and_the_field_in_words(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workdir, "channels/kiosk.yaml", CHANNEL.format(name="Kiosk"))
    with served(monkeypatch) as app:
        assert run(["apply", "--yes"]) == 0
        write(
            workdir,
            "channels/kiosk.yaml",
            CHANNEL.format(name="Kiosk").replace("queueId: q-1", "queueId: q-2"),
        )
        assert run(["plan", "--out", "artifacts"]) == 0
        [stored] = app.state.channels.values()
        stored["securityPolicy"] = {**stored["securityPolicy"], "requireConsent": True}
        stored["version"] = int(stored["version"]) + 1
        capsys.readouterr()
        assert run(["apply", "--yes", "--plan", "artifacts/plan.json"]) == 1
    err = capsys.readouterr().err
    assert "the plan is stale, refusing it whole (1 object(s) changed since it was made): " in err
    assert "channel 'Kiosk' (id " in err
    assert "was edited since the plan: securityPolicy.requireConsent" in err
    assert "version" not in err


def test_an_apply_with_nothing_to_do_says_so_and_adds_no_audit_run(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workdir, "channels/kiosk.yaml", CHANNEL.format(name="Kiosk"))
    with served(monkeypatch):
        assert run(["apply", "--yes"]) == 0
        before = audit_lines()
        capsys.readouterr()
        assert run(["apply", "--yes"]) == 0
    out = capsys.readouterr().out
    assert (
        "Nothing to apply: every spec matches its live object (1 unchanged); no audit run " in out
    )
    assert "Applying" not in out
    assert audit_lines() == before
    report = json.loads(Path("artifacts/apply.json").read_text(encoding="utf-8"))
    assert report["nothing_to_do"] is True
    assert report["audit_log"] is None


def test_verbose_lists_the_unchanged_before_the_summary_and_quiet_keeps_the_partial_line(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workdir, "channels/kiosk.yaml", CHANNEL.format(name="Kiosk"))
    write(workdir, "channels/desk.yaml", CHANNEL.format(name="Desk"))
    with served(monkeypatch):
        assert run(["apply", "--yes", "--target", "Kiosk"]) == 0
        capsys.readouterr()
        for command in (["plan", "-v"], ["apply", "--yes", "-v"]):
            assert run(command) == 0
            out = capsys.readouterr().out
            assert out.index('= noop "Kiosk"') < out.index("Plan: 1 to create")
        write(workdir, "channels/more.yaml", CHANNEL.format(name="Kiosk 2"))
        for command in (
            ["plan", "-q", "--target", "Kiosk*"],
            ["apply", "-y", "-q", "--target", "Kiosk*"],
        ):
            assert run(command) == 0
            out = capsys.readouterr().out
            assert "Partial plan: limited to channels matching --target 'Kiosk*'" in out, command


def test_the_summary_says_what_happened_when_a_conflict_is_left(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workdir, "channels/shared.yaml", CHANNEL.format(name="Shared"))
    with served(monkeypatch):
        assert run(["apply", "--yes", "--owner", "team-b"]) == 0
        write(workdir, "channels/mine.yaml", CHANNEL.format(name="Mine"))
        capsys.readouterr()
        assert run(["apply", "--yes"]) == 1
        out = capsys.readouterr().out
        assert "Apply incomplete: 1 conflict left (not applied); 1 succeeded, 0 failed" in out
        assert "Apply failed" not in out
        assert run(["apply", "--yes"]) == 1  # only the conflict is left: still a run to audit
        out = capsys.readouterr().out
        assert "Apply incomplete: 1 conflict left (not applied); 0 succeeded, 0 failed" in out


def test_a_target_that_matches_nothing_is_still_named_when_there_is_nothing_to_do(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workdir, "channels/kiosk.yaml", CHANNEL.format(name="Kiosk"))
    with served(monkeypatch):
        assert run(["apply", "--yes", "--target", "Kiosk"]) == 0
        capsys.readouterr()
        assert run(["apply", "--yes", "--target", "Kiosc"]) == 0
    captured = capsys.readouterr()
    assert "Nothing to apply" in captured.out
    assert "warning: --target 'Kiosc' matched no spec" in captured.err


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan"])
def test_a_bad_progress_interval_is_refused(value: str) -> None:
    from reconciler.errors import ConfigError

    with pytest.raises(ConfigError, match="RECONCILER_PROGRESS_INTERVAL must be a number"):
        apply_command.progress_interval({"RECONCILER_PROGRESS_INTERVAL": value})
    assert apply_command.progress_interval({"RECONCILER_PROGRESS_INTERVAL": "2.5"}) == 2.5
    assert apply_command.progress_interval({}) == 10.0
