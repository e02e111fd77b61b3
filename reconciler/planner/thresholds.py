"""Safety thresholds (octoDNS ``Plan.raise_if_unsafe``): a plan that touches too much is unsafe.

Once ``min_existing`` or more channels carry this owner's marker, a plan whose updates, or whose
deletes, touch more than the given share of them is unsafe. ``plan`` only warns; ``apply``
refuses an unsafe plan unless forced (octodns-sync issue #98: warn in review, enforce at apply).
Adopts touch channels that are not yet managed, so they do not count.

Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_MIN_EXISTING = 10
DEFAULT_MAX_UPDATE_PCT = 30.0
DEFAULT_MAX_DELETE_PCT = 30.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Thresholds:
    """When a plan becomes unsafe; octoDNS's figures by default."""

    min_existing: int = DEFAULT_MIN_EXISTING
    max_update_pct: float = DEFAULT_MAX_UPDATE_PCT
    max_delete_pct: float = DEFAULT_MAX_DELETE_PCT

    def to_json(self) -> dict[str, Any]:
        return {
            "min_existing": self.min_existing,
            "max_update_pct": float(self.max_update_pct),
            "max_delete_pct": float(self.max_delete_pct),
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Thresholds:
        return cls(
            min_existing=int(doc["min_existing"]),
            max_update_pct=float(doc["max_update_pct"]),
            max_delete_pct=float(doc["max_delete_pct"]),
        )


def _pct(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") + "%"


def unsafe_reasons(
    thresholds: Thresholds, *, managed: int, updates: int, deletes: int
) -> tuple[str, ...]:
    """Why the plan is unsafe; empty when it is safe."""
    if managed <= 0 or managed < thresholds.min_existing:
        return ()
    reasons = []
    for count, limit, what in (
        (updates, thresholds.max_update_pct, "update"),
        (deletes, thresholds.max_delete_pct, "delete"),
    ):
        share = 100.0 * count / managed
        if share > limit:
            plural = "s" if count != 1 else ""
            reasons.append(
                f"{count} {what}{plural} touch {_pct(share)} of the {managed} managed channels "
                f"(limit {_pct(limit)})"
            )
    return tuple(reasons)
