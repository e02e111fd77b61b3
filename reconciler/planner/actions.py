"""The records a plan is made of: one immutable ``Action`` per object decision.

Each executable action carries everything apply needs without re-reading specs: its resource
kind, the desired body (ownership marker set), the object's id, and the fingerprint of the live
object it was computed against, so apply can refuse a plan whose objects changed since review.

Pure: no I/O.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from reconciler import kinds
from reconciler.kinds.base import Impact
from reconciler.model import LiveResource
from reconciler.planner.normalise import content_sha256


class ActionKind(str, enum.Enum):
    """What the plan does with one object."""

    CREATE = "create"
    UPDATE = "update"
    ADOPT = "adopt"
    DELETE = "delete"
    CONFLICT = "conflict"
    NOOP = "noop"


#: Tie-break when two actions share a channel key (only possible with duplicate live names).
KIND_ORDER: dict[ActionKind, int] = {kind: i for i, kind in enumerate(ActionKind)}

#: Kinds apply executes.
EXECUTABLE: frozenset[ActionKind] = frozenset(
    {ActionKind.CREATE, ActionKind.UPDATE, ActionKind.ADOPT, ActionKind.DELETE}
)

#: Kinds that count as changes for ``--detailed-exitcode`` and drift (conflicts included, as
#: Terraform counts anything a person must look at).
CHANGES: frozenset[ActionKind] = EXECUTABLE | {ActionKind.CONFLICT}


class _Absent:
    """Marks a field that is not there (distinct from a JSON null)."""

    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "(absent)"

    def __copy__(self) -> _Absent:
        return self

    def __deepcopy__(self, memo: Any) -> _Absent:
        return self


ABSENT: Any = _Absent()

#: What a redacted value shows instead of itself.
REDACTED = "(redacted)"


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldChange:
    """One changed field: dotted ``path``, value ``before`` and ``after`` (either may be ABSENT).

    Lists are atomic: a changed list is one change holding both whole lists.
    """

    path: str
    before: Any = ABSENT
    after: Any = ABSENT

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"path": self.path}
        if self.before is not ABSENT:
            doc["before"] = self.before
        if self.after is not ABSENT:
            doc["after"] = self.after
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> FieldChange:
        return cls(
            path=str(doc["path"]), before=doc.get("before", ABSENT), after=doc.get("after", ABSENT)
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveFingerprint:
    """What a live object looked like when planned: its revision and a hash of its content."""

    revision: str
    content_sha256: str

    @classmethod
    def of(cls, resource: LiveResource) -> LiveFingerprint:
        """The fingerprint apply recomputes from a fresh read to detect a stale plan."""
        return cls(
            revision=resource.revision,
            content_sha256=content_sha256(resource.body, resource.kind),
        )

    @property
    def version(self) -> int:
        """The revision as a number, for kinds whose revision is a version counter."""
        return int(self.revision)

    def to_json(self) -> dict[str, Any]:
        return {"revision": self.revision, "content_sha256": self.content_sha256}


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingRef:
    """A reference in an action's body to an object another action of the run creates."""

    path: tuple[str, ...]
    kind: str
    name: str

    def to_json(self) -> dict[str, Any]:
        return {"path": ".".join(self.path), "kind": self.kind, "name": self.name}


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    """One decision about one object of ``resource_kind``.

    ``body`` is the full create/update body to send (create, update, adopt); ``changes`` are
    for people and are already redacted; ``redacted`` lists the body paths that plan.json
    hides (write-only fields), which apply must then take from the specs. ``source`` is the
    spec's ``file:line`` and, like ``drift``, stays outside the digest.
    """

    kind: ActionKind
    name: str
    key: str
    channel_id: str | None = None
    body: dict[str, Any] | None = None
    live: LiveFingerprint | None = None
    live_owner: str | None = None
    changes: tuple[FieldChange, ...] = ()
    reason: str = ""
    source: str | None = None
    redacted: tuple[str, ...] = field(default=())
    resource_kind: str = kinds.DEFAULT_KIND
    #: References to objects this run creates first: (dotted body path, kind, name); apply
    #: fills each with the id that object's action returned.
    pending_refs: tuple[PendingRef, ...] = ()
    #: Warnings for the person reading the plan (an unpublished draft apply would overwrite);
    #: shown with the action, kept out of the digest.
    notes: tuple[str, ...] = ()
    #: For an update that renames the object (``renamedFrom``): the name it has now.
    previous_name: str | None = None
    #: What the change does to live customers (``ResourceKind.impacts``): derived from the
    #: action and the plan, so kept out of the digest and computed again when a plan is read.
    impacts: tuple[Impact, ...] = ()

    def sort_key(self) -> tuple[str, str, int, str]:
        return (self.resource_kind, self.key, KIND_ORDER[self.kind], self.channel_id or "")

    @property
    def object_id(self) -> str | None:
        """The id of the object acted on (``channel_id`` keeps its historic name)."""
        return self.channel_id

    @property
    def executable(self) -> bool:
        return self.kind in EXECUTABLE
