"""The pure planner: desired specs and live channels in, a ``Plan`` value out.

    build_plan(specs, live, options=..., environment=..., now=...) -> Plan
    Plan.to_json()       the canonical plan.json document (digest included)
    plan_from_json(doc)  a plan back from plan.json, its digest checked
    LiveFingerprint.of(channel), spec_digest(specs)   what apply recomputes to detect staleness

No I/O: no files, no clock, no HTTP.
"""

from __future__ import annotations

from reconciler.planner.actions import (
    ABSENT,
    CHANGES,
    EXECUTABLE,
    REDACTED,
    Action,
    ActionKind,
    FieldChange,
    LiveFingerprint,
)
from reconciler.planner.build import build_plan, spec_digest
from reconciler.planner.normalise import (
    canonical_json,
    canonical_origin,
    content_sha256,
    desired_body,
    normalise_body,
)
from reconciler.planner.plan import (
    DEFAULT_OWNER,
    FORMAT_VERSION,
    DriftKind,
    Plan,
    PlanOptions,
    ReportKind,
    live_digest,
    plan_digest,
    plan_from_json,
)
from reconciler.planner.redact import any_paths, write_only_paths
from reconciler.planner.targets import matches, partial_note, targeted, unmatched_targets
from reconciler.planner.thresholds import Thresholds

__all__ = [
    "ABSENT",
    "CHANGES",
    "DEFAULT_OWNER",
    "EXECUTABLE",
    "FORMAT_VERSION",
    "REDACTED",
    "Action",
    "ActionKind",
    "DriftKind",
    "FieldChange",
    "LiveFingerprint",
    "Plan",
    "PlanOptions",
    "ReportKind",
    "Thresholds",
    "any_paths",
    "build_plan",
    "canonical_json",
    "canonical_origin",
    "content_sha256",
    "desired_body",
    "live_digest",
    "matches",
    "normalise_body",
    "partial_note",
    "plan_digest",
    "plan_from_json",
    "spec_digest",
    "targeted",
    "unmatched_targets",
    "write_only_paths",
]
