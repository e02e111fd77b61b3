"""What this tool last wrote: the revision of each object after its last successful write.

``drift`` compares it with the live revision: the same revision means the object is as this
tool left it (the spec moved: "differs from git"); another one means someone changed it
since ("edited out of band"). Reading is tolerant, as for intents: unreadable lines are
skipped (``audit verify`` judges the file).
"""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.audit.chain import AuditKind
from reconciler.errors import AuditError

_OUTCOMES = (AuditKind.ACTION.value, AuditKind.RECOVERED.value)


def last_written(path: Path) -> dict[tuple[str, str], str]:
    """``(kind, object id) -> revision`` after the last successful create, update or adopt
    recorded in ``path`` (none when the file does not exist)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise AuditError(f"cannot read audit log {path}: {exc.strerror or exc}") from exc
    written: dict[tuple[str, str], str] = {}
    for raw in data.split(b"\n"):
        if b'"succeeded"' not in raw:
            continue
        try:
            line = json.loads(raw)
        except (UnicodeDecodeError, ValueError, RecursionError):
            continue
        if not isinstance(line, dict) or line.get("kind") not in _OUTCOMES:
            continue
        record = line.get("record")
        if not isinstance(record, dict) or record.get("status") != "succeeded":
            continue
        kind, object_id = record.get("resource_kind", "channel"), record.get("channel_id")
        if record.get("kind") == "delete" or not object_id or record.get("version") is None:
            continue
        written[(str(kind), str(object_id))] = str(record["version"])
    return written


def kinds_written(path: Path) -> frozenset[str]:
    """The kinds of the objects ``path`` records a successful write of. The environment has
    managed objects of these kinds, so a plan lists them even when no spec and no ``kinds:``
    entry names one: ``--prune`` still sees the objects of a kind whose last spec was deleted.
    """
    return frozenset(kind for kind, _object_id in last_written(path))
