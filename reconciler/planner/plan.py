"""The plan as a value (octoDNS ``Plan``): sorted immutable actions and one canonical JSON form.

``Plan.to_json()`` feeds plan.json, the renderers and the digest. The ``digest`` covers the
executable actions and conflicts only, in their canonical form, without times, file positions,
environment or drift labels: two plans of the same changes share a digest whatever the file
order, key order or time. Noop actions are listed in plan.json (reviewers like the count) but
stay out of the digest, so a plan's digest does not move when an unrelated channel is added in
sync. Write-only values are hidden in everything ``to_json`` returns.

Pure: no I/O, no clock (``created_at`` is passed in).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from reconciler import kinds
from reconciler.errors import PlanError
from reconciler.model import LiveResource
from reconciler.planner.actions import (
    CHANGES,
    Action,
    ActionKind,
    FieldChange,
    LiveFingerprint,
    PendingRef,
)
from reconciler.planner.impacts import assess
from reconciler.planner.normalise import sha256_digest
from reconciler.planner.redact import WritePaths, redact
from reconciler.planner.thresholds import Thresholds

FORMAT_VERSION = "2"
DEFAULT_OWNER = "reconciler"


class ReportKind(str, enum.Enum):
    """Whether a plan document was written by ``plan`` or by ``drift``."""

    PLAN = "plan"
    DRIFT = "drift"


class DriftKind(str, enum.Enum):
    """How a channel drifted from its spec (``drift``)."""

    EDITED = "edited"  # changed by someone else since this tool last wrote it (audit log)
    DIFFERS = "differs"  # as this tool left it, but its spec changed since: differs from git
    MISSING = "missing"  # a spec with no live channel: deleted out of band, or never created
    CONFLICT = "conflict"  # an unmanaged or foreign channel holds a spec's name
    EXTRA = "extra"  # with --prune: a managed channel that no spec describes
    #: changed, and no audit log was found to tell whether this tool or someone else changed
    #: it last: "edited out of band" and "differs from git" cannot be told apart, so neither is
    #: said (``drift`` run without the environment's audit log)
    UNKNOWN = "unknown"


DRIFT_OF: dict[ActionKind, DriftKind] = {
    ActionKind.UPDATE: DriftKind.DIFFERS,
    ActionKind.ADOPT: DriftKind.CONFLICT,
    ActionKind.CREATE: DriftKind.MISSING,
    ActionKind.CONFLICT: DriftKind.CONFLICT,
    ActionKind.DELETE: DriftKind.EXTRA,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanOptions:
    """The choices a plan was made with; recorded in plan.json."""

    owner: str = DEFAULT_OWNER
    prune: bool = False
    adopt: bool = False
    thresholds: Thresholds = field(default_factory=Thresholds)
    targets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """Everything one planning run decided. Build it with ``planner.build_plan``."""

    environment: str
    created_at: datetime
    options: PlanOptions
    actions: tuple[Action, ...]
    spec_digest: str
    live_digest: str
    managed_count: int
    unsafe_reasons: tuple[str, ...] = ()
    report: ReportKind = ReportKind.PLAN
    write_only: WritePaths = field(default=frozenset(), repr=False)
    #: The ``--env`` name it was made with (None without ``--env``): apply compares it, so a
    #: plan for another environment file is named as such, never as "specs changed".
    env_name: str | None = None
    #: Ids of objects whose live revision is not the one this tool last wrote (from the audit
    #: log): their drift is "edited out of band"; any other update is "differs from git".
    edited_out_of_band: frozenset[str] = frozenset()
    #: Ids of the updates of a drift run that had no audit log to read: their drift is
    #: "unknown" (neither label can be told), never a guess.
    unverified: frozenset[str] = frozenset()

    @property
    def owner(self) -> str:
        return self.options.owner

    @property
    def unsafe(self) -> bool:
        return bool(self.unsafe_reasons)

    @property
    def summary(self) -> dict[str, int]:
        counts = {kind.value: 0 for kind in ActionKind}
        for action in self.actions:
            counts[action.kind.value] += 1
        return counts

    @property
    def changes(self) -> tuple[Action, ...]:
        """The actions that are not noop."""
        return tuple(a for a in self.actions if a.kind in CHANGES)

    @property
    def impacted(self) -> tuple[Action, ...]:
        """The changes that affect live customers (each with its ``impacts``)."""
        return tuple(a for a in self.actions if a.impacts)

    @property
    def has_changes(self) -> bool:
        return any(a.kind in CHANGES for a in self.actions)

    @property
    def digest(self) -> str:
        return plan_digest(self.actions, self.write_only)

    @property
    def conflicts(self) -> tuple[Action, ...]:
        """The conflicts: specs this plan cannot apply until a person resolves them."""
        return tuple(a for a in self.actions if a.kind is ActionKind.CONFLICT)

    @property
    def unspecified_managed(self) -> int:
        """Live objects with this owner's marker that no spec describes and the plan leaves
        alone (without ``--prune``): ``--prune`` would delete them."""
        described = {
            (a.resource_kind, a.channel_id)
            for a in self.actions
            if a.channel_id and (a.kind is ActionKind.DELETE or a.live_owner == self.owner)
        }
        return max(0, self.managed_count - len(described))

    def drift_of(self, action: Action) -> DriftKind | None:
        if action.kind is ActionKind.UPDATE and action.channel_id in self.edited_out_of_band:
            return DriftKind.EDITED
        if action.kind is ActionKind.UPDATE and action.channel_id in self.unverified:
            return DriftKind.UNKNOWN
        return DRIFT_OF.get(action.kind)

    def to_json(self) -> dict[str, Any]:
        """The canonical document written to plan.json (and drift.json)."""
        actions = []
        for action in self.actions:
            doc = action_json(action, self.write_only)
            if action.source is not None:
                doc["source"] = action.source
            if action.notes:
                doc["notes"] = list(action.notes)
            if action.impacts:
                doc["impacts"] = [impact.to_json() for impact in action.impacts]
            drift = self.drift_of(action)
            if self.report is ReportKind.DRIFT and drift is not None:
                doc["drift"] = drift.value
            actions.append(doc)
        document: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "report": self.report.value,
            "environment": self.environment,
            "owner": self.owner,
            "created_at": format_time(self.created_at),
            "spec_digest": self.spec_digest,
            "live_digest": self.live_digest,
            "options": {
                "prune": self.options.prune,
                "adopt": self.options.adopt,
                "thresholds": self.options.thresholds.to_json(),
            },
            "targets": list(self.options.targets),
            "managed_count": self.managed_count,
            "actions": actions,
            "summary": self.summary,
            "unsafe": self.unsafe,
            "unsafe_reasons": list(self.unsafe_reasons),
            "digest": self.digest,
        }
        if self.env_name is not None:
            document["env"] = self.env_name
        return document


def format_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise PlanError("created_at must be a timezone-aware time")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def action_json(action: Action, write_only: WritePaths = frozenset()) -> dict[str, Any]:
    """The canonical, digest-relevant form of one action (no source, no drift label)."""
    doc: dict[str, Any] = {
        "action": action.kind.value,
        "kind": action.resource_kind,
        "name": action.name,
    }
    if action.channel_id is not None:
        doc["id"] = action.channel_id
    if action.body is not None:
        doc["body"] = redact(action.body, (), write_only)
        if action.redacted:
            doc["redacted"] = list(action.redacted)
    if action.live is not None:
        doc["live"] = action.live.to_json()
    if action.live_owner is not None:
        doc["live_owner"] = action.live_owner
    if action.kind in (ActionKind.UPDATE, ActionKind.ADOPT, ActionKind.CONFLICT):
        doc["changes"] = [change.to_json() for change in action.changes]
    if action.reason:
        doc["reason"] = action.reason
    if action.pending_refs:
        doc["pending_refs"] = [ref.to_json() for ref in action.pending_refs]
    if action.previous_name is not None:
        doc["previous_name"] = action.previous_name
    return doc


def plan_digest(actions: Iterable[Action], write_only: WritePaths = frozenset()) -> str:
    """``sha256:`` of the canonical JSON of the non-noop actions, in plan order."""
    return sha256_digest([action_json(a, write_only) for a in actions if a.kind in CHANGES])


def live_digest(
    live: Iterable[LiveResource], fingerprints: Iterable[LiveFingerprint] | None = None
) -> str:
    """``sha256:`` of every live object's kind, id and fingerprint, whatever the listing order.
    ``fingerprints``, when given, are those of ``live`` in the same order (computed once)."""
    live = list(live)
    prints = list(fingerprints) if fingerprints is not None else map(LiveFingerprint.of, live)
    entries = sorted(
        ({"kind": r.kind, "id": r.id, **fp.to_json()} for r, fp in zip(live, prints, strict=True)),
        key=lambda e: (str(e["kind"]), str(e["id"]), str(e["revision"]), str(e["content_sha256"])),
    )
    return sha256_digest(entries)


def action_from_json(doc: Mapping[str, Any], format_version: str = FORMAT_VERSION) -> Action:
    """One action back from plan.json (already validated against plan.schema.json).

    Format 1 (channels only) named the verb ``kind``, the id ``channel_id`` and the revision
    ``version``; it loads as channel actions.
    """
    v1 = format_version == "1"
    live = doc.get("live")
    name = str(doc["name"])
    resource_kind = kinds.DEFAULT_KIND if v1 else str(doc["kind"])
    if not kinds.known(resource_kind):
        raise PlanError(f"the plan acts on kind {resource_kind!r}, which this tool does not know")
    revision = None if live is None else str(live["version"] if v1 else live["revision"])
    return Action(
        kind=ActionKind(doc["kind"] if v1 else doc["action"]),
        name=name,
        key=kinds.get(resource_kind).identity(name),
        channel_id=doc.get("channel_id" if v1 else "id"),
        body=doc.get("body"),
        live=LiveFingerprint(revision=revision, content_sha256=live["content_sha256"])
        if live is not None and revision is not None
        else None,
        live_owner=doc.get("live_owner"),
        changes=tuple(FieldChange.from_json(c) for c in doc.get("changes", ())),
        reason=str(doc.get("reason", "")),
        source=doc.get("source"),
        redacted=tuple(doc.get("redacted", ())),
        notes=tuple(str(n) for n in doc.get("notes", ())),
        previous_name=doc.get("previous_name"),
        resource_kind=resource_kind,
        pending_refs=tuple(
            PendingRef(
                path=tuple(str(r["path"]).split(".")), kind=str(r["kind"]), name=str(r["name"])
            )
            for r in doc.get("pending_refs", ())
        ),
    )


def plan_from_json(doc: Mapping[str, Any]) -> Plan:
    """A plan back from plan.json (validated first); its digest is recomputed, then checked.

    A format-1 plan's digest was computed over its format-1 actions, so it is checked in that
    form; the plan loaded from it is a format-2 value.
    """
    options = doc["options"]
    version = str(doc.get("format_version", FORMAT_VERSION))
    # A drift report's labels came from the audit log its run read: kept as written, so that
    # ``show`` prints what the report says (they are outside the digest).
    labelled = {
        drift: frozenset(
            str(a.get("id" if version != "1" else "channel_id"))
            for a in doc["actions"]
            if a.get("drift") == drift.value
        )
        for drift in (DriftKind.EDITED, DriftKind.UNKNOWN)
    }
    plan = Plan(
        environment=str(doc["environment"]),
        created_at=datetime.strptime(doc["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=timezone.utc
        ),
        options=PlanOptions(
            owner=str(doc["owner"]),
            prune=bool(options["prune"]),
            adopt=bool(options["adopt"]),
            thresholds=Thresholds.from_json(options["thresholds"]),
            targets=tuple(doc.get("targets", ())),
        ),
        # Impacts are assessed again, never taken from the file: approval depends on them.
        actions=tuple(assess(action_from_json(a, version) for a in doc["actions"])),
        spec_digest=str(doc["spec_digest"]),
        live_digest=str(doc["live_digest"]),
        managed_count=int(doc["managed_count"]),
        unsafe_reasons=tuple(doc.get("unsafe_reasons", ())),
        report=ReportKind(doc.get("report", "plan")),
        env_name=str(doc["env"]) if doc.get("env") is not None else None,
        edited_out_of_band=labelled[DriftKind.EDITED],
        unverified=labelled[DriftKind.UNKNOWN],
    )
    digest = plan.digest if version != "1" else _v1_digest(doc["actions"])
    if digest != doc["digest"]:
        raise PlanError(
            f"plan digest mismatch: the file says {doc['digest']} but its actions hash to "
            f"{digest}; the plan was edited after it was written"
        )
    return plan


def _v1_digest(actions: Iterable[Mapping[str, Any]]) -> str:
    """A format-1 plan's digest: its own action documents, minus source and drift."""
    return sha256_digest(
        [
            {k: v for k, v in a.items() if k not in ("source", "drift", "notes", "impacts")}
            for a in actions
            if a["kind"] != ActionKind.NOOP.value
        ]
    )
