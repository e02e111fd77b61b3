"""Planning at the I/O edge: load specs, read the live channels, plan, write the artifacts.

The order is the contract with the user: specs are loaded and validated first, so invalid
specs stop the run before any API call; then one listing of the org; then the pure planner;
then plan.json and plan.md (or drift.json and drift.md), each written atomically (a temp file
in the same folder, then ``os.replace``), so a reader never sees half an artifact.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.backend import ChannelsBackend
from reconciler.durable import replace_atomically
from reconciler.errors import ConfigError, PlanError
from reconciler.events import Event, drift_detected
from reconciler.interpolate import SpecContext
from reconciler.model import ChannelSpec
from reconciler.planner import Plan, PlanOptions, ReportKind, build_plan, plan_from_json
from reconciler.planner.redact import WritePaths, write_only_paths
from reconciler.render.plan_markdown import escape_markdown, render_plan_markdown
from reconciler.webhooks import DeliveryOutcome, NullSink, default_outbox_path, from_env

if TYPE_CHECKING:
    import httpx

    from reconciler.cli.app import GlobalOptions

DEFAULT_OUT_DIR = Path("artifacts")
PLAN_SCHEMA_RESOURCE = "plan.schema.json"


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanRequest:
    """What ``plan`` or ``drift`` was asked to do."""

    paths: tuple[Path, ...]
    options: PlanOptions
    out_dir: Path = DEFAULT_OUT_DIR
    report: ReportKind = ReportKind.PLAN
    context: SpecContext | None = None  # --env: variables and spec selection


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanResult:
    """The plan and where its artifacts were written."""

    plan: Plan
    json_path: Path
    markdown_path: Path
    webhook: DeliveryOutcome | None = None  # drift.detected, when drift found changes


def channel_write_only() -> WritePaths:
    """The write-only paths of the shipped channel schema (none today)."""
    from reconciler.spec.schema import channel_schema

    return write_only_paths(channel_schema())


async def plan_against(
    specs: Sequence[ChannelSpec],
    backend: ChannelsBackend,
    *,
    options: PlanOptions,
    now: datetime,
    report: ReportKind = ReportKind.PLAN,
    write_only: WritePaths | None = None,
) -> Plan:
    """One listing of the org, then the pure planner. Apply reuses this to plan afresh."""
    live = await backend.list_channels()
    return build_plan(
        specs,
        live,
        options=options,
        environment=backend.environment,
        now=now,
        write_only=channel_write_only() if write_only is None else write_only,
        report=report,
    )


def run_plan(
    request: PlanRequest,
    global_options: GlobalOptions,
    *,
    env: Mapping[str, str] | None = None,
    now: datetime | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> PlanResult:
    """Validate specs (SpecError before any API call), plan against the org, write artifacts."""
    from reconciler.genesys.factory import open_backend, settings_from_cli
    from reconciler.spec.validate import load_valid_specs

    environ = os.environ if env is None else env
    specs = load_valid_specs(list(request.paths), request.context)
    settings = settings_from_cli(global_options, environ)
    moment = datetime.now(timezone.utc) if now is None else now
    # drift sends drift.detected; a bad WEBHOOK_URL or secret fails before any API call.
    sink = (
        from_env(environ, default_outbox_path(file_safe(settings.environment)))
        if request.report is ReportKind.DRIFT
        else NullSink()
    )

    async def fetch() -> tuple[Plan, DeliveryOutcome | None]:
        try:
            async with open_backend(settings, transport=transport, read_only=True) as backend:
                plan = await plan_against(
                    specs, backend, options=request.options, now=moment, report=request.report
                )
            outcome = None
            if request.report is ReportKind.DRIFT and plan.has_changes:
                outcome = await sink.emit(drift_event(plan, now=moment))
            return plan, outcome
        finally:
            await sink.aclose()

    plan, outcome = asyncio.run(fetch())
    json_path, markdown_path = write_artifacts(plan, request.out_dir)
    return PlanResult(plan=plan, json_path=json_path, markdown_path=markdown_path, webhook=outcome)


def drift_event(plan: Plan, *, now: datetime) -> Event:
    """``drift.detected`` for a drift report: every drifted channel with its drift kind."""
    channels: list[Mapping[str, str]] = []
    for action in plan.changes:
        item = {"name": action.name, "action": action.kind.value}
        drift = plan.drift_of(action)
        if drift is not None:
            item["drift"] = drift.value
        if action.channel_id:
            item["channelId"] = action.channel_id
        channels.append(item)
    counts = {kind: n for kind, n in plan.summary.items() if kind != "noop"}
    return drift_detected(
        run_id=uuid.uuid4().hex,
        environment=plan.environment,
        plan_digest=plan.digest,
        counts=counts,
        channels=channels,
        now=now,
    )


def file_safe(environment: str) -> str:
    """An environment label as a file name (``mypurecloud.ie`` stays; ``/`` and ``:`` go)."""
    return "".join(c if c.isalnum() or c in "-._" else "-" for c in environment) or "default"


def plan_json_text(plan: Plan) -> str:
    """plan.json's exact text: sorted keys, two-space indent, UTF-8, final newline."""
    return json.dumps(plan.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_artifacts(plan: Plan, out_dir: Path) -> tuple[Path, Path]:
    """Write ``<stem>.json`` and ``<stem>.md`` (stem ``plan`` or ``drift``) atomically."""
    stem = "drift" if plan.report is ReportKind.DRIFT else "plan"
    json_path, markdown_path = out_dir / f"{stem}.json", out_dir / f"{stem}.md"
    write_atomic(json_path, plan_json_text(plan))
    write_atomic(markdown_path, plan_markdown(plan, full_plan=json_path.as_posix()))
    return json_path, markdown_path


def plan_markdown(plan: Plan, *, full_plan: str) -> str:
    """plan.md: the rendered comment, with a note under its head when the plan is partial."""
    text = render_plan_markdown(plan, full_plan=full_plan)
    if not plan.options.targets:
        return text
    listed = ", ".join(f"'{escape_markdown(target)}'" for target in plan.options.targets)
    note = [
        "> [!NOTE]",
        f"> **Partial plan**: limited to channels matching --target {listed}; other channels "
        "were not considered.",
        "",
    ]
    lines = text.split("\n")
    return "\n".join([*lines[:4], *note, *lines[4:]])


def write_atomic(path: Path, text: str) -> None:
    """Write a file so that readers see the old content or the new, never a mix."""
    try:
        replace_atomically(path, text.encode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot write {path} (check --out): {exc.strerror or exc}") from exc


def plan_schema() -> dict[str, Any]:
    text = resources.files("reconciler.schemas").joinpath(PLAN_SCHEMA_RESOURCE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def read_plan(path: Path) -> Plan:
    """A saved plan.json, checked against plan.schema.json and its own digest (for apply)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PlanError(f"cannot read plan {path}: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise PlanError(f"plan {path} is not JSON: {exc}") from exc
    from jsonschema import Draft202012Validator  # only apply --plan needs it: a slow import

    validator = Draft202012Validator(plan_schema())
    error = next(iter(sorted(validator.iter_errors(document), key=lambda e: e.json_path)), None)
    if error is not None:
        raise PlanError(f"plan {path} is not a valid plan at {error.json_path}: {error.message}")
    return plan_from_json(document)
