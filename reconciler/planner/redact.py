"""Hide every field a kind's schema marks ``writeOnly``, wherever a plan shows values.

A write-only field (a secret) is sent to the API but must never reach a terminal, a
pull-request comment or an artifact. Paths are dotted (``securityPolicy.secret``); ``*``
stands for any key of a mapping (``additionalProperties``). Lists are atomic in plans, so a
write-only list item hides the whole list.

plan.json therefore carries ``(redacted)`` at each such path and lists the paths in the
action's ``redacted``; ``apply --plan`` puts the values back from the specs (``restore``),
which the saved plan's spec digest proves are the reviewed ones, so ``(redacted)`` is never
sent.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.errors import PlanError
from reconciler.kinds import copy_json
from reconciler.kinds.channel import MARKER_PATH  # the marker is our own value: never hidden
from reconciler.planner.actions import ABSENT, REDACTED

WritePaths = frozenset[tuple[str, ...]]


def write_only_paths(schema: Mapping[str, Any]) -> WritePaths:
    """The paths a JSON Schema marks ``writeOnly``, following local ``$ref``s and combinators."""
    found: set[tuple[str, ...]] = set()
    defs: dict[str, Any] = {}
    for key in ("$defs", "definitions"):
        section = schema.get(key)
        if isinstance(section, Mapping):
            defs.update({f"#/{key}/{name}": sub for name, sub in section.items()})
    _walk(schema, (), defs, found, frozenset())
    return frozenset(found)


def _walk(
    node: Any,
    path: tuple[str, ...],
    defs: Mapping[str, Any],
    found: set[tuple[str, ...]],
    seen: frozenset[str],
) -> None:
    if not isinstance(node, Mapping):
        return
    if node.get("writeOnly") is True:
        found.add(path)
        return
    ref = node.get("$ref")
    if isinstance(ref, str) and ref in defs and ref not in seen:
        _walk(defs[ref], path, defs, found, seen | {ref})
    for combinator in ("allOf", "anyOf", "oneOf"):
        for sub in node.get(combinator) or ():
            _walk(sub, path, defs, found, seen)
    properties = node.get("properties")
    if isinstance(properties, Mapping):
        for name, sub in properties.items():
            _walk(sub, (*path, str(name)), defs, found, seen)
    extra = node.get("additionalProperties")
    if isinstance(extra, Mapping):
        _walk(extra, (*path, "*"), defs, found, seen)
    items = node.get("items")
    if isinstance(items, Mapping):
        inner: set[tuple[str, ...]] = set()
        _walk(items, (), defs, inner, seen)
        if inner:
            found.add(path)


def split_path(path: str) -> tuple[str, ...]:
    return tuple(path.split(".")) if path else ()


def _matches(pattern: tuple[str, ...], path: tuple[str, ...]) -> bool:
    return len(pattern) <= len(path) and all(
        p in ("*", s) for p, s in zip(pattern, path, strict=False)
    )


def is_write_only(path: tuple[str, ...], paths: WritePaths) -> bool:
    return path != MARKER_PATH and any(_matches(pattern, path) for pattern in paths)


def redact(value: Any, path: tuple[str, ...], paths: WritePaths) -> Any:
    """``value`` (found at ``path``) with every write-only part replaced by ``(redacted)``."""
    if not paths or value is ABSENT:
        return value
    if is_write_only(path, paths):
        return REDACTED
    if isinstance(value, Mapping):
        return {k: redact(v, (*path, str(k)), paths) for k, v in value.items()}
    return value


def redacted_paths(body: Mapping[str, Any], paths: WritePaths) -> tuple[str, ...]:
    """The dotted paths present in ``body`` that are write-only, sorted."""
    if not paths:  # nothing is write-only (the shipped schemas): no walk
        return ()
    out: list[str] = []
    _collect(body, (), paths, out)
    return tuple(sorted(out))


def _collect(value: Any, path: tuple[str, ...], paths: WritePaths, out: list[str]) -> None:
    if path and is_write_only(path, paths):
        out.append(".".join(path))
        return
    if isinstance(value, Mapping):
        for k, v in value.items():
            _collect(v, (*path, str(k)), paths, out)


def restore(
    body: Mapping[str, Any], redacted: Iterable[str], source: Mapping[str, Any]
) -> dict[str, Any]:
    """A copy of ``body`` with the value at each dotted ``redacted`` path taken from ``source``
    (the desired body the spec gives); a path ``source`` lacks is a PlanError, never a
    ``(redacted)`` sent to the API."""
    result: dict[str, Any] = copy_json(dict(body))
    for dotted in redacted:
        path = split_path(dotted)
        if not path:
            raise PlanError("the plan lists an empty write-only path")
        value: Any = source
        for key in path:
            if not isinstance(value, Mapping) or key not in value:
                raise PlanError(
                    f"the specs hold no value for the write-only field {dotted!r} the plan "
                    "hides; run plan again"
                )
            value = value[key]
        parent: Any = result
        for key in path[:-1]:
            if not isinstance(parent.get(key), dict):
                raise PlanError(f"the plan's body has no place for the write-only field {dotted!r}")
            parent = parent[key]
        parent[path[-1]] = copy_json(value)
    return result


def any_paths(paths: Iterable[str]) -> WritePaths:
    """Build write paths from dotted strings (tests, and callers without a schema)."""
    return frozenset(split_path(p) for p in paths)
