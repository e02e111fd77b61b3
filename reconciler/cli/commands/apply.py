"""``reconciler apply``: execute a reviewed plan, or plan afresh and execute.

Exit status: 0 every spec applied; 1 a refused plan, a declined confirmation, any failed
action or any conflict left unapplied (with ``--yes`` too); 130 interrupted (Ctrl-C stops
starting actions, lets running ones finish, closes the audit log); 143 terminated (SIGTERM,
as a cancelled CI job: the same orderly end). A second signal also cancels the writes in
flight; the next apply settles them.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import click
from click.core import ParameterSource

from reconciler import kinds
from reconciler.applying import ApplyRequest, ApplyResult, run_apply
from reconciler.cli.app import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    NORMAL,
    QUIET,
    VERBOSE,
    cli,
    verbosity,
    verbosity_options,
)
from reconciler.cli.commands.plan import use_color, warn_unmatched
from reconciler.cli.inputs import PlanningInputs, planning_inputs, spec_errors_reported
from reconciler.errors import UsageError
from reconciler.executor import ActionResult, ActionStatus
from reconciler.kinds.base import printable
from reconciler.planner import Action, Plan, partial_note
from reconciler.render.plan_text import render_plan_text
from reconciler.webhooks import DeliveryState

SYMBOL = {
    ActionStatus.SUCCEEDED: "ok",
    ActionStatus.FAILED: "FAILED",
    ActionStatus.SKIPPED: "skipped",
}


class TerminalHooks:
    """Confirmation and progress for a person at a terminal, or plain lines for CI."""

    def __init__(
        self,
        *,
        assume_yes: bool,
        interactive: bool,
        color: bool,
        level: int = NORMAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.assume_yes = assume_yes
        self.interactive = interactive
        self.color = color
        self.level = level  # QUIET: no progress at all; VERBOSE: every action, also on a tty
        self.clock = clock
        self._started = clock()

    def elapsed(self) -> float:
        """Seconds since the actions started: the whole run, webhook deliveries and retries,
        the audit log and apply.json included (apply.json's duration_ms stops before the
        reconcile.completed event, which reports it)."""
        return self.clock() - self._started

    def confirm(self, plan: Plan) -> bool:
        if self.assume_yes or not any(a.executable for a in plan.actions):
            return True
        click.echo(render_plan_text(plan, color=self.color), nl=False, color=self.color)
        if plan.options.targets:
            click.echo(partial_note(plan.options.targets))
        return click.confirm("Apply these changes?", default=False, err=True)

    def started(self, plan: Plan, total: int) -> None:
        self._started = self.clock()
        warn_unmatched(plan)
        if self.level == QUIET:
            return
        click.echo(f"Applying {total} action(s) to {plan.environment} (plan {plan.digest}).")
        if plan.options.targets:
            click.echo(partial_note(plan.options.targets))

    def finished(self, result: ActionResult, done: int, total: int, rate_wait: float) -> None:
        if self.level == QUIET:
            return  # failures are listed at the end
        if self.interactive and self.level != VERBOSE:
            if result.status is ActionStatus.FAILED:
                click.echo(f"\r\033[K{action_line(result)}", err=True)
            elapsed = self.elapsed()
            click.echo(
                f"\r{progress_bar(done, total, elapsed, rate_wait)}", nl=done == total, err=True
            )
            return
        if result.status is not ActionStatus.SKIPPED:  # never started: one line at the end
            click.echo(action_line(result))


def progress_bar(done: int, total: int, elapsed: float, rate_wait: float, width: int = 30) -> str:
    """``[#########---------]  3/10  1.2s, 0.4s waiting on the rate limit``"""
    filled = width if total == 0 else round(width * done / total)
    bar = "#" * filled + "-" * (width - filled)
    return (
        f"[{bar}] {done:>{len(str(total))}}/{total}  {elapsed:.1f}s, "
        f"{rate_wait:.1f}s waiting on the rate limit"
    )


def action_line(result: ActionResult) -> str:
    kind = (
        ""
        if result.resource_kind == kinds.DEFAULT_KIND
        else f"{kinds.get(result.resource_kind).label} "
    )
    text = f"{SYMBOL[result.status]:7} {result.kind.value:6} {kind}{printable(result.name)}"
    details = []
    if result.channel_id:
        details.append(f"id {result.channel_id}")
    details.append(f"{result.attempts} request(s), {result.latency_ms:.0f} ms")
    if result.note:
        details.append(result.note)
    text += f" ({'; '.join(details)})"
    if result.error:
        text += f": {result.error}"
        if result.correlation_ids:
            text += f" [correlation ids: {', '.join(result.correlation_ids)}]"
    return text


def not_started_line(count: int) -> str:
    """The one line an interrupted run prints for every action it never started."""
    return (
        f"Interrupted: {count} action(s) not started (the running ones finished); "
        "plan again to apply the rest."
    )


def apply_summary(result: ApplyResult, *, seconds: float | None = None) -> str:
    """The closing line; ``seconds`` is the whole run as the terminal saw it (by default
    apply.json's duration, which ends before the last webhook event is sent)."""
    skipped = sum(1 for r in result.results if r.status is ActionStatus.SKIPPED)
    undelivered = sum(1 for o in result.webhooks if o.state is DeliveryState.PENDING)
    duration = result.duration_ms / 1000 if seconds is None else seconds
    conflicts = len(result.conflicts)
    unapplied = f", {conflicts} not applied (conflict)" if conflicts else ""
    text = (
        f"Apply {result.status}: {result.succeeded} succeeded, {result.failed} failed{unapplied}, "
        f"{skipped} skipped in {duration:.1f}s "
        f"({result.rate_wait_seconds:.1f}s waiting on the rate limit)."
    )
    if undelivered:
        text += (
            f" {undelivered} webhook event(s) not delivered: kept in the outbox; "
            "run 'reconciler webhooks redeliver'."
        )
    lost = sum(1 for o in result.webhooks if o.state is DeliveryState.UNRECORDED)
    if lost:
        text += f" {lost} webhook event(s) could NOT be kept: the outbox cannot be written."
    return text


@cli.command()
@planning_inputs(adopt_help="Take over unmanaged channels holding a spec's name.")
@click.option(
    "--plan",
    "plan_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Apply this saved plan.json, refused if any channel or spec changed since.",
)
@click.option(
    "--expect-digest",
    metavar="sha256:HEX",
    help="Refuse unless the plan's digest is this one (the digest reviewed in the pull request).",
)
@click.option("--force", is_flag=True, help="Apply a plan that the safety thresholds call unsafe.")
@click.option(
    "--yes", "-y", is_flag=True, help="Do not ask for confirmation (needed off a terminal)."
)
@click.option(
    "--parallelism",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="Actions run at once (all share the API's rate limit).",
)
@click.option(
    "--audit-log",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Audit log to append to [default: audit/<environment>.jsonl].",
)
@click.option(
    "--outbox",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Webhook outbox [default: .reconciler/outbox/<environment>.jsonl].",
)
@click.option(
    "--allow-impact",
    "allow_impacts",
    multiple=True,
    metavar="CODE",
    help="Approve the changes with this customer-impact code that a policy of the --env file "
    "holds back (repeatable); recorded in the audit log with the actor.",
)
@verbosity_options
def apply(
    inputs: PlanningInputs,
    plan_path: Path | None,
    expect_digest: str | None,
    force: bool,
    yes: bool,
    parallelism: int,
    audit_log: Path | None,
    outbox: Path | None,
    allow_impacts: tuple[str, ...],
    quiet: bool,
    verbose: bool,
) -> int:
    """Make the org match the specs in PATH... (default: channels/).

    Without --plan it plans afresh (same options as plan) and, after confirmation, executes.
    With --plan it executes a saved plan.json after checking that no channel and no spec
    changed since it was made. Creates never duplicate a channel, whatever fails. Every action
    is recorded in the audit log; events go to WEBHOOK_URL when set. Writes apply.json to --out.
    """
    level = verbosity(quiet, verbose)
    if plan_path is not None and inputs.shapes_plan:
        raise UsageError(
            "--prune, --adopt and --target are planning options: the saved --plan has its own"
        )
    ignored = planning_flags_given(click.get_current_context())
    if plan_path is not None and ignored:
        raise UsageError(
            f"{', '.join(ignored)}: planning options a saved --plan would ignore (it has its "
            "own owner and thresholds); drop them, or plan again with them"
        )
    if plan_path is not None and not plan_path.is_file():
        raise UsageError(f"--plan {plan_path}: no such file")
    if expect_digest is not None and not expect_digest.startswith("sha256:"):
        raise UsageError("--expect-digest takes a digest of the form sha256:<hex>")
    known = kinds.impact_codes()
    for code in allow_impacts:
        if code not in known:
            raise UsageError(
                f"--allow-impact {code[:60]!r}: unknown impact code; the kinds declare: "
                + ", ".join(sorted(known))
            )
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    if not yes and not interactive:
        raise UsageError("apply needs --yes when not run on a terminal")
    request = ApplyRequest(
        paths=inputs.paths,
        options=inputs.options,
        plan_path=plan_path,
        expect_digest=expect_digest,
        force=force,
        parallelism=parallelism,
        out_dir=inputs.out_dir,
        audit_log=audit_log,
        outbox=outbox,
        argv=tuple(sys.argv[1:]),
        context=inputs.context,
        allowed_impacts=tuple(dict.fromkeys(allow_impacts)),
        notices=inputs.environment.notices if inputs.environment is not None else {},
        notices_file=inputs.environment.file if inputs.environment is not None else "",
    )
    settings = inputs.settings()
    hooks = TerminalHooks(
        assume_yes=yes,
        interactive=interactive,
        color=use_color(sys.stdout, os.environ),
        level=level,
    )
    with spec_errors_reported():
        result = run_apply(request, settings, hooks, env=os.environ)
    if result.declined:
        click.echo("Apply cancelled: nothing was changed.", err=True)
        return EXIT_FAILURE
    return report_apply(result, interactive=interactive, level=level, seconds=hooks.elapsed())


PLANNING_ONLY = {
    "owner": "--owner",
    "max_update_pct": "--max-update-pct",
    "max_delete_pct": "--max-delete-pct",
    "safety_min_existing": "--safety-min-existing",
}


def planning_flags_given(ctx: click.Context) -> list[str]:
    """The planning-only flags given on the command line (not defaults, not variables)."""
    return [
        flag
        for name, flag in PLANNING_ONLY.items()
        if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE
    ]


def report_apply(
    result: ApplyResult, *, interactive: bool, level: int = NORMAL, seconds: float | None = None
) -> int:
    """The end of an executed run: failed actions (unless the progress bar showed them), the
    conflicts it left unapplied, one line for the actions an interruption kept from starting,
    the summary, where the audit and report went (not with --quiet); returns the exit code."""
    if not interactive or level == QUIET:
        for failed in (r for r in result.results if r.status is ActionStatus.FAILED):
            click.echo(action_line(failed), err=True)
    for conflict in result.conflicts:
        click.echo(conflict_line(conflict), err=True)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if result.recovered:
        committed = sum(1 for r in result.recovered if r.get("status") == "succeeded")
        click.echo(
            f"Recovered {len(result.recovered)} write(s) an earlier run left unrecorded "
            f"({committed} had been made); audited and announced now."
        )
    if result.halted:
        click.echo(f"error: {result.halted}", err=True)
    not_started = sum(1 for r in result.results if r.status is ActionStatus.SKIPPED)
    if not_started:
        click.echo(not_started_line(not_started), err=True)
    click.echo(apply_summary(result, seconds=seconds))
    if level != QUIET:
        audit, report = (
            "-" if path is None else path.as_posix()
            for path in (result.audit_path, result.report_path)
        )
        click.echo(f"Audit log: {audit} (head {result.audit_head}); report: {report}.")
    if result.interrupted:
        return EXIT_TERMINATED if result.signal == "SIGTERM" else EXIT_INTERRUPTED
    return EXIT_FAILURE if result.status == "failed" else EXIT_OK


def conflict_line(action: Action) -> str:
    """``not applied conflict "Shared" (id 5d0): managed by another owner ...``"""
    kind = (
        ""
        if action.resource_kind == kinds.DEFAULT_KIND
        else f"{kinds.get(action.resource_kind).label} "
    )
    where = f" (id {action.channel_id})" if action.channel_id else ""
    return f"not applied: conflict {kind}{printable(action.name)}{where}: {action.reason}"
