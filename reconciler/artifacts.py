"""Plan artifacts on disk: plan.json and plan.md (or drift.json and drift.md), read back.

Each file is written atomically (a temp file in the same folder, then ``os.replace``), so a
reader never sees half an artifact. A saved plan is read back only after it passes
``plan.schema.json`` and its own digest.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from reconciler.durable import replace_atomically
from reconciler.errors import ConfigError, PlanError
from reconciler.planner import Plan, ReportKind, plan_from_json
from reconciler.render.plan_markdown import escape_markdown, render_plan_markdown

DEFAULT_OUT_DIR = Path("artifacts")
PLAN_SCHEMA_RESOURCE = "plan.schema.json"


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
