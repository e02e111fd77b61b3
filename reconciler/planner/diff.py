"""Field-level changes between two normalised bodies, computed with deepdiff.

deepdiff reports list items by index; plans treat lists as atomic (the only list, the allowed
origins, is a set kept sorted), so any change inside a list becomes one change of the whole
list. deepdiff also keeps ``True`` and ``1`` apart, as JSON does.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.planner.actions import ABSENT, FieldChange
from reconciler.planner.redact import WritePaths, redact


def _lookup(body: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = body
    for part in path:
        if not isinstance(value, Mapping) or part not in value:
            return ABSENT
        value = value[part]
    return value


def field_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], write_only: WritePaths = frozenset()
) -> tuple[FieldChange, ...]:
    """Every changed field from ``before`` to ``after``, sorted by path, write-only hidden."""
    from deepdiff import DeepDiff  # a slow import, needed only when some body differs

    diff = DeepDiff(dict(before), dict(after), view="tree", threshold_to_diff_deeper=0)
    paths: set[tuple[str, ...]] = set()
    for levels in diff.values():
        for level in levels:
            raw = level.path(output_format="list")
            parts: list[str] = []
            for part in raw:
                if not isinstance(part, str):
                    break  # into a list: the list as a whole changed
                parts.append(part)
            paths.add(tuple(parts))
    changes = []
    for path in sorted(paths):
        old, new = _lookup(before, path), _lookup(after, path)
        changes.append(
            FieldChange(
                path=".".join(path),
                before=redact(old, path, write_only),
                after=redact(new, path, write_only),
            )
        )
    return tuple(changes)
