"""``--target``: limit a run to the channels whose names match some globs.

A target is an ``fnmatch`` glob (``*``, ``?``, ``[...]``) compared with the channel name, both
casefolded, as the API compares names. A targeted run considers only the specs and the live
channels that match, so ``--prune`` deletes only among the targeted live channels. The plan
records its targets; a saved partial plan keeps them when applied.

Pure: no I/O.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from typing import TypeVar

from reconciler.kinds.base import identity_key
from reconciler.model import LiveResource, Spec

T = TypeVar("T", Spec, LiveResource)


def matches(name: str, targets: Sequence[str]) -> bool:
    """Whether ``name`` is targeted; every name is when there are no targets."""
    if not targets:
        return True
    folded = identity_key(name)
    return any(fnmatch.fnmatchcase(folded, identity_key(target)) for target in targets)


def targeted(items: Iterable[T], targets: Sequence[str]) -> list[T]:
    """The specs or live channels whose names match the targets (all without targets)."""
    return [item for item in items if matches(item.name, targets)]


def unmatched_targets(targets: Sequence[str], names: Iterable[str]) -> list[str]:
    """The targets that match none of ``names`` (for a warning: likely a typo)."""
    folded = [identity_key(name) for name in names]
    return [
        target
        for target in targets
        if not any(fnmatch.fnmatchcase(name, identity_key(target)) for name in folded)
    ]


def partial_note(targets: Sequence[str]) -> str:
    """One sentence saying a plan is partial and naming its targets ('' for a full plan)."""
    if not targets:
        return ""
    listed = ", ".join(repr(target) for target in targets)
    return (
        f"Partial plan: limited to channels matching --target {listed}; other channels were "
        "not considered."
    )
