"""Ownership without a marker: the base of kinds whose objects have no free-text field.

A supported-content profile or a messaging setting has nowhere to hold an ownership marker.
Such a kind chooses the ``ledger`` strategy: what this owner created or adopted is recorded in
the environment's audit log (each successful create, update or adoption is an action record
naming the owner) and read back at plan time by ``reconciler.ledger``, which marks each live
object the ledger holds with ``OWNER`` before the planner sees it. Everything else of a spec's
name is unmanaged: a conflict until ``--adopt``. Without the ledger entry (a lost or foreign
audit log) nothing is updated or deleted: the strategy fails closed.

A ``singleton`` kind (one object per org that always exists) is marked as this owner's
whenever it is read: the spec that declares it owns it; it is never created or deleted.

``project`` is the comparison both kinds use: the live object seen only through the fields
the spec mentions (a field left out is unmanaged).

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from reconciler.kinds.base import ResourceKind

#: Where the ledger's (or the singleton's) owner is put on a live body; never sent, never
#: compared, never imported.
OWNER = "x-owner"


def project(wanted: Any, live: Any) -> Any:
    """``live`` seen through the keys of ``wanted``: nested mappings are projected key by key
    (a key ``wanted`` lacks is left out), anything else is taken as it is."""
    if isinstance(wanted, Mapping) and isinstance(live, Mapping):
        return {key: project(value, live.get(key)) for key, value in wanted.items() if key in live}
    return live


class LedgerKind(ResourceKind):
    """A kind whose ownership is kept in the audit-log ledger."""

    ownership: ClassVar[str] = "ledger"
    marker_field: ClassVar[str] = "audit-log ledger"

    def owner_of(self, body: Mapping[str, Any]) -> str | None:
        owner = body.get(OWNER)
        return owner if isinstance(owner, str) else None

    def with_owner(self, body: dict[str, Any], owner: str) -> dict[str, Any]:
        body[OWNER] = owner
        return body

    def without_owner(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in body.items() if k != OWNER}

    def comparable(
        self, desired: Mapping[str, Any], live: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Only what the spec mentions is compared: the live side projected onto it."""
        wanted = self.normalise(desired)
        current = project(wanted, self.normalise(live))
        return wanted, current if isinstance(current, dict) else {}

    def import_document(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.normalise(body)
