"""Records that flow through the reconciler: specs, live objects, diagnostics.

Pure: no I/O, no clock, no third-party I/O libraries. JSON-like payloads (``body``) are plain
dicts and lists that nobody mutates after construction; functions that need a changed copy make
one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.kinds.base import ResourceKind


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceRef:
    """A place in a spec file; line and column are 1-based."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Diagnostic:
    """One problem found in the specs.

    ``path`` is the JSON path inside the channel document, dotted with ``[i]`` for list items
    (``securityPolicy.allowedOrigins[2]``), or ``$`` for the document as a whole.
    ``rule`` is a short stable identifier of the check that failed (``schema.maxLength``,
    ``yaml.duplicate-key``, ``unique-name``...), for machines and tests.
    """

    file: str
    line: int
    col: int
    path: str
    message: str
    rule: str

    def __str__(self) -> str:
        # "$" is the whole document: file, line and column already say where.
        where = "" if self.path == "$" else f"{self.path}: "
        return f"{self.file}:{self.line}:{self.col}: {where}{self.message}"

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.file, self.line, self.col, self.path, self.message)


@dataclass(frozen=True, slots=True, kw_only=True)
class Spec:
    """One desired object of one kind, as loaded from a YAML document.

    ``kind`` names its declaration in ``reconciler.kinds`` (``channel`` when the document has
    no ``kind:``). ``body`` is the document as checked (the tool's own keys such as ``kind``
    and ``x-environments`` are stripped once the schema has judged them). ``source`` is where
    the document starts; ``positions`` maps JSON paths inside it to their places, so later
    stages (plan, apply) can point a person at the line that asked for a change.
    """

    name: str
    body: dict[str, Any]
    source: SourceRef
    kind: str = "channel"
    #: Former names (``renamedFrom``): a live object under one of them is this spec's, renamed.
    renamed_from: tuple[str, ...] = ()
    positions: dict[str, SourceRef] = field(default_factory=dict, compare=False, repr=False)

    @property
    def key(self) -> str:
        """The identity of the object: its name, compared case-insensitively as the API does."""
        return _kind(self.kind).identity(self.name)


#: The channel kind's spec is a plain ``Spec`` (the default kind).
ChannelSpec = Spec


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveResource:
    """One object as the API returned it.

    ``body`` holds the kind's writable fields as stored (ownership marker included); what the
    server sets is kept apart. ``revision`` is an opaque string that changes whenever the
    object does (a channel's version; for other kinds whatever their adapter reads), so a
    plan can tell whether an object moved since it was read.
    """

    kind: str
    id: str
    revision: str
    body: dict[str, Any]
    date_created: str = ""
    date_modified: str = ""
    #: The id of the object's first write, stable from the moment it exists (a web
    #: deployment's configuration id, while ``id`` becomes the deployment's once there is one);
    #: "" when it is ``id``. Twins are ordered by it, so every run's view agrees.
    origin_id: str = ""

    @property
    def name(self) -> str:
        return str(self.body.get("name", ""))

    @property
    def key(self) -> str:
        return _kind(self.kind).identity(self.name)

    @property
    def managed_by(self) -> str | None:
        """The owner id in the ownership marker, or None for an unmanaged object."""
        return _kind(self.kind).owner_of(self.body)

    @property
    def version(self) -> int:
        """The revision as a number, for kinds whose revision is a version counter."""
        return int(self.revision)


class LiveChannel(LiveResource):
    """A live ``channel``: built from its numeric version, as the channels API reports it."""

    __slots__ = ()

    def __init__(
        self,
        *,
        id: str,
        version: int,
        body: dict[str, Any],
        date_created: str = "",
        date_modified: str = "",
    ) -> None:
        super().__init__(
            kind="channel",
            id=id,
            revision=str(version),
            body=body,
            date_created=date_created,
            date_modified=date_modified,
        )


def creation_order(resource: LiveResource) -> tuple[int, str, str]:
    """The order that picks the survivor among twins (objects of one name and owner that two
    runs created at the same moment): the earliest ``date_created``, then the lowest id (of
    the first write: ``origin_id``). Every
    run computes it the same way from what it lists, so they agree on the one to keep. An
    unreadable date sorts after every readable one."""
    stamp = _instant(resource.date_created)
    origin = resource.origin_id or resource.id
    return (0, stamp, origin) if stamp else (1, "", origin)


def _instant(value: str) -> str:
    """An ISO 8601 time as a sortable UTC string (microseconds), or '' when unreadable."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")


def channel_key(name: str) -> str:
    """The identity of a channel name (``reconciler.kinds.identity_key``: NFKC and casefold)."""
    return _kind("channel").identity(name)


def json_path(parts: Iterable[str | int]) -> str:
    """The JSON path of a node: ``$`` for the document, then ``a.b[2]``.

    Keys that are not plain identifiers are quoted (``customAttributes["a.b"]``) so that a
    path always names exactly one node.
    """
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _SIMPLE_KEY.fullmatch(part):
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part, ensure_ascii=False)}]"
    return text or "$"


_SIMPLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def _kind(name: str) -> ResourceKind:
    # The registry imports this module: resolved at the first call, then kept (a plan asks
    # for it several times per object).
    global _KINDS
    if _KINDS is None:
        from reconciler import kinds

        _KINDS = kinds
    found: ResourceKind = _KINDS.get(name)
    return found


_KINDS: Any = None
