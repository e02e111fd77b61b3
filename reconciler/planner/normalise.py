"""Canonical forms of bodies, so that only real differences become changes.

What counts as "the same object" is each kind's to say (``reconciler.kinds``: server fields,
set-valued lists, the ownership marker); this module is the planner's entry to it, plus the
one serialisation every digest uses.

Pure: no I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from reconciler import kinds
from reconciler.kinds import canonical_json, copy_json
from reconciler.kinds.channel import canonical_origin

__all__ = [
    "canonical_json",
    "canonical_origin",
    "content_sha256",
    "copy_json",
    "desired_body",
    "normalise_body",
    "sha256_digest",
]


def sha256_digest(value: Any) -> str:
    """``sha256:<hex>`` of the canonical JSON of ``value``."""
    return "sha256:" + hashlib.sha256(canonical_json(value)).hexdigest()


def normalise_body(body: Mapping[str, Any], kind: str = kinds.DEFAULT_KIND) -> dict[str, Any]:
    """The comparable form of a body of ``kind``: no server fields, no marker, canonical sets.

    Used on both sides of every comparison (live objects and desired bodies), so an object
    equals its spec exactly when their normalised bodies are equal.
    """
    return kinds.get(kind).normalise(body)


def desired_body(
    spec_body: Mapping[str, Any], owner: str, kind: str = kinds.DEFAULT_KIND
) -> dict[str, Any]:
    """The body to send for a spec: canonical sets and this owner's marker set.

    Apply sends it as it is (create, update, adopt), so the plan carries it in full.
    """
    return kinds.get(kind).desired(spec_body, owner)


def content_sha256(body: Mapping[str, Any], kind: str = kinds.DEFAULT_KIND) -> str:
    """Hex sha256 of a live body exactly as stored (marker included, server fields not)."""
    return kinds.get(kind).content_sha256(body)
