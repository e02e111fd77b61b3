"""Field-level changes between two normalised bodies.

Plans treat lists as atomic (the only list, the allowed origins, is a set kept sorted), so any
change inside a list is one change of the whole list; a key added, removed or changed inside a
dict is a change of that key's path. Values are compared as JSON compares them: ``True`` and
``1``, ``1`` and ``1.0`` differ (so do a dict and a dict of another type, as a type change).
This is what deepdiff's tree view reported here before, without its import (a tenth of a second
on every plan with a change); ``tests/planner/test_diff.py`` holds the two to each other.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.planner.actions import ABSENT, FieldChange
from reconciler.planner.redact import WritePaths, redact


def same_json(a: Any, b: Any, *, float_text: bool = True) -> bool:
    """Whether two JSON values are the same value of the same types throughout: what equal
    canonical JSON bytes mean, without serialising either. With ``float_text=False`` floats
    compare by value (0.0 and -0.0 are one), as deepdiff compared them."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(
            same_json(v, b[k], float_text=float_text) for k, v in a.items()
        )
    if isinstance(a, list):
        return len(a) == len(b) and all(
            same_json(x, y, float_text=float_text) for x, y in zip(a, b, strict=True)
        )
    if float_text and isinstance(a, float):
        return repr(a) == repr(b)  # as JSON writes them: 0.0 and -0.0 differ
    return bool(a == b)


def _lookup(body: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = body
    for part in path:
        if not isinstance(value, Mapping) or part not in value:
            return ABSENT
        value = value[part]
    return value


def _changed_paths(
    before: Mapping[str, Any], after: Mapping[str, Any], prefix: tuple[str, ...], out: set[Any]
) -> None:
    for key in before.keys() | after.keys():
        if not isinstance(key, str):
            out.add(prefix)  # not a JSON key: the dict as a whole changed
            continue
        path = (*prefix, key)
        if key not in before or key not in after:
            out.add(path)
            continue
        old, new = before[key], after[key]
        if isinstance(old, dict) and type(old) is type(new):
            _changed_paths(old, new, path, out)
        elif not same_json(old, new, float_text=False):
            out.add(path)


def field_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], write_only: WritePaths = frozenset()
) -> tuple[FieldChange, ...]:
    """Every changed field from ``before`` to ``after``, sorted by path, write-only hidden."""
    paths: set[tuple[str, ...]] = set()
    _changed_paths(dict(before), dict(after), (), paths)
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
