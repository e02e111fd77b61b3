"""Hide every field the channel schema marks ``writeOnly``, wherever a plan shows values.

A write-only field (a future secret) is sent to the API but must never reach a terminal, a
pull-request comment or an artifact. Paths are dotted (``securityPolicy.secret``); ``*``
stands for any key of a mapping (``additionalProperties``). Lists are atomic in plans, so a
write-only list item hides the whole list.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.model import MANAGED_BY_KEY
from reconciler.planner.actions import ABSENT, REDACTED

WritePaths = frozenset[tuple[str, ...]]

#: The ownership marker is the reconciler's own value, never a secret: never hidden.
MARKER_PATH = ("webMessagingWidgetConfiguration", "customAttributes", MANAGED_BY_KEY)


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


def any_paths(paths: Iterable[str]) -> WritePaths:
    """Build write paths from dotted strings (tests, and callers without a schema)."""
    return frozenset(split_path(p) for p in paths)
