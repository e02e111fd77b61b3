"""Intents without an outcome: the writes a killed run may or may not have made.

Before apply sends a write it appends an ``intent`` line (fsynced) naming the object, the
action and the live revision it starts from; the action's ``action`` line carries the same
``intentId``. An intent with no ``action`` line (or one marked ``unsettled``: the run was
stopped while the write was in flight) and no ``action.recovered`` line is open: the next
apply settles it against the live org (``reconciler.recovery``).

An action that makes several writes (a web deployment's create: the configuration, its
publish, the deployment) appends an ``intent.step`` line before each later write, with the
same ``intentId``; an open intent carries its steps (``steps``, in order), so recovery settles
each write, not only the first.

Reading is tolerant: a line that is not JSON (a partial last line, a hostile one) is skipped
here; ``audit verify`` is the place that judges the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconciler.audit.chain import AuditKind
from reconciler.errors import AuditError


def open_intents(path: Path) -> list[dict[str, Any]]:
    """The intent records of ``path`` that have no settled outcome, oldest first."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise AuditError(f"cannot read audit log {path}: {exc.strerror or exc}") from exc
    intents: dict[str, dict[str, Any]] = {}
    for raw in data.split(b"\n"):
        if b'"intentId"' not in raw:
            continue
        try:
            line = json.loads(raw)
        except (UnicodeDecodeError, ValueError, RecursionError):
            continue
        if not isinstance(line, dict) or not isinstance(line.get("record"), dict):
            continue
        record: dict[str, Any] = line["record"]
        intent_id = record.get("intentId")
        if not isinstance(intent_id, str):
            continue
        kind = line.get("kind")
        if kind == AuditKind.INTENT.value:
            intents[intent_id] = {**record, "runId": line.get("runId"), "steps": []}
        elif kind == AuditKind.STEP.value:
            if intent_id in intents:
                intents[intent_id]["steps"].append(record)
        elif kind == AuditKind.RECOVERED.value or (
            kind == AuditKind.ACTION.value and not record.get("unsettled")
        ):
            intents.pop(intent_id, None)
    return list(intents.values())
