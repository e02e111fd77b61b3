"""The registry of resource kinds: ``kind:`` in a spec document names one of these.

    get(name) -> ResourceKind         the declaration of one kind (KeyError if unknown)
    names() -> tuple[str, ...]         every registered kind, in registration order
    register(kind)                     add a kind (a new kind's module calls it; tests may too)
    ordered(names) -> list[str]        kinds in dependency order (a kind after those it needs)

``channel`` is the default kind of a document without ``kind:``.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.kinds.base import (
    ChangeView,
    Impact,
    Reference,
    ResourceKind,
    canonical_json,
    copy_json,
    identity_key,
)
from reconciler.kinds.channel import CHANNEL
from reconciler.kinds.webdeployment import WEB_DEPLOYMENT

DEFAULT_KIND = CHANNEL.name

_REGISTRY: dict[str, ResourceKind] = {}


def register(kind: ResourceKind) -> ResourceKind:
    """Add ``kind`` (replacing one of the same name: tests register toy kinds)."""
    _REGISTRY[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    """Remove a kind (tests that registered a toy kind clean up with this)."""
    if name != DEFAULT_KIND:
        _REGISTRY.pop(name, None)


def get(name: str) -> ResourceKind:
    return _REGISTRY[name]


def known(name: str) -> bool:
    return name in _REGISTRY


def names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def impact_codes() -> dict[str, tuple[str, str]]:
    """Every impact code the registered kinds declare: ``{code: (kind name, why it matters)}``
    (a kind added later brings its codes with it)."""
    codes: dict[str, tuple[str, str]] = {}
    for kind in _REGISTRY.values():
        for code, why in kind.impact_codes.items():
            codes.setdefault(code, (kind.name, why))
    return codes


def ordered(kinds: Iterable[str]) -> list[str]:
    """``kinds`` sorted so that each comes after the kinds it depends on (then by name)."""
    wanted = sorted(set(kinds))
    done: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            raise ValueError(f"kinds depend on each other in a cycle through {name!r}")
        visiting.add(name)
        kind = _REGISTRY.get(name)
        for needed in kind.depends_on if kind is not None else ():
            if needed in wanted:
                visit(needed)
        visiting.discard(name)
        done.append(name)

    for name in wanted:
        visit(name)
    return done


register(CHANNEL)
register(WEB_DEPLOYMENT)

__all__ = [
    "DEFAULT_KIND",
    "ChangeView",
    "Impact",
    "Reference",
    "ResourceKind",
    "canonical_json",
    "copy_json",
    "get",
    "identity_key",
    "impact_codes",
    "known",
    "names",
    "ordered",
    "register",
    "unregister",
]
