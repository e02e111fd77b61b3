"""Plan artifacts on disk: plan.json and plan.md (or drift.json and drift.md), read back.

Each file is written atomically (a temp file in the same folder, then ``os.replace``), so a
reader never sees half an artifact. A saved plan is read back only after it passes
``plan.schema.json`` and its own digest.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from reconciler.durable import replace_atomically
from reconciler.errors import ConfigError, PlanError
from reconciler.planner import Plan, ReportKind, plan_from_json
from reconciler.render.plan_markdown import escape_markdown, render_plan_markdown

DEFAULT_OUT_DIR = Path("artifacts")
PLAN_SCHEMA_RESOURCE = "plan.schema.json"
PLAN_KEY_VARIABLE = "RECONCILER_PLAN_KEY"
MIN_PLAN_KEY_BYTES = 16
MAX_PLAN_BYTES = 64 * 2**20


def file_safe(environment: str) -> str:
    """An environment label as a file name (``mypurecloud.ie`` stays; ``/`` and ``:`` go)."""
    return "".join(c if c.isalnum() or c in "-._" else "-" for c in environment) or "default"


def plan_json_text(plan: Plan, plan_key: str | None = None) -> str:
    """plan.json's exact text: sorted keys, two-space indent, UTF-8, final newline; with a
    ``plan_key`` (RECONCILER_PLAN_KEY) it carries its HMAC in ``signature``."""
    document = plan.to_json()
    if plan_key:
        document["signature"] = plan_signature(document, plan_key)
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def plan_key_from(env: Mapping[str, str]) -> str | None:
    """RECONCILER_PLAN_KEY, checked (never echoed); None when unset or empty."""
    key = env.get(PLAN_KEY_VARIABLE, "")
    if not key:
        return None
    if len(key.encode()) < MIN_PLAN_KEY_BYTES:
        raise ConfigError(
            f"{PLAN_KEY_VARIABLE} must be at least {MIN_PLAN_KEY_BYTES} bytes long "
            "(a random secret shared by the plan and apply jobs)"
        )
    return key


def plan_signature(document: Mapping[str, Any], plan_key: str) -> str:
    """``hmac-sha256:<hex>`` over the canonical JSON of the document without ``signature``."""
    unsigned = {k: v for k, v in document.items() if k != "signature"}
    text = json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hmac.new(plan_key.encode(), text.encode(), hashlib.sha256).hexdigest()
    return f"hmac-sha256:{digest}"


def write_artifacts(plan: Plan, out_dir: Path, *, plan_key: str | None = None) -> tuple[Path, Path]:
    """Write ``<stem>.json`` and ``<stem>.md`` (stem ``plan`` or ``drift``) atomically."""
    stem = "drift" if plan.report is ReportKind.DRIFT else "plan"
    json_path, markdown_path = out_dir / f"{stem}.json", out_dir / f"{stem}.md"
    write_atomic(json_path, plan_json_text(plan, plan_key if stem == "plan" else None))
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
    """Write a file so that readers see the old content or the new, never a mix, with the
    ordinary mode under the umask (0644 as usual): plans, reports, schemas and imported specs
    hold no secret (write-only values are redacted) and are meant to be shared."""
    try:
        replace_atomically(path, text.encode("utf-8"), private=False)
    except OSError as exc:
        raise ConfigError(f"cannot write {path} (check --out): {exc.strerror or exc}") from exc


def plan_schema() -> dict[str, Any]:
    text = resources.files("reconciler.schemas").joinpath(PLAN_SCHEMA_RESOURCE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def read_plan(path: Path, *, plan_key: str | None = None, drift_reports: bool = False) -> Plan:
    """A saved plan.json of this tool, checked against plan.schema.json, its own digest and,
    when ``plan_key`` is set, its signature (for apply). Anything else is one PlanError line:
    a drift report (unless ``drift_reports``: ``show`` prints those too), another tool's JSON,
    hostile nesting, an unsigned or edited plan."""
    try:
        return _read_plan(path, plan_key, drift_reports)
    except RecursionError:
        raise PlanError(f"plan {path} is nested too deeply to be a plan of this tool") from None


def _read_plan(path: Path, plan_key: str | None, drift_reports: bool) -> Plan:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PlanError(f"cannot read plan {path}: {exc.strerror or exc}") from exc
    if len(data) > MAX_PLAN_BYTES:
        raise PlanError(f"plan {path} is larger than {MAX_PLAN_BYTES // 2**20} MiB")
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise PlanError(f"plan {path} is not JSON: {exc}") from exc
    if not isinstance(document, dict) or "digest" not in document or "actions" not in document:
        raise PlanError(f"{path} is not a plan of this tool (write one with 'reconciler plan')")
    if document.get("report") == ReportKind.DRIFT.value and not drift_reports:
        raise PlanError(
            f"{path} is a drift report, not a plan: apply only a plan.json written by "
            "'reconciler plan'"
        )
    from jsonschema import Draft202012Validator  # only apply --plan needs it: a slow import

    validator = Draft202012Validator(plan_schema())
    error = next(iter(sorted(validator.iter_errors(document), key=lambda e: e.json_path)), None)
    if error is not None:
        raise PlanError(f"plan {path} is not a valid plan at {error.json_path}: {error.message}")
    if plan_key is not None:
        signature = document.get("signature")
        if signature is None:
            raise PlanError(
                f"plan {path} is not signed, and {PLAN_KEY_VARIABLE} is set: apply only a plan "
                "written by 'reconciler plan' with the same key"
            )
        if not hmac.compare_digest(str(signature), plan_signature(document, plan_key)):
            raise PlanError(
                f"plan {path}: its signature does not match: the plan was edited after it was "
                f"signed, or signed with another {PLAN_KEY_VARIABLE}"
            )
    return plan_from_json(document)
