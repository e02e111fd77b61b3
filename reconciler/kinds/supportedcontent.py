"""``kind: supportedContent``: a supported-content profile, what customers may send and
receive in a messaging conversation (``/api/v2/conversations/messaging/supportedcontent``).

The spec holds ``name`` and ``mediaTypes.allow.inbound`` / ``.outbound``: lists of media types
(RFC 2046, wild cards such as ``image/*`` and ``*/*`` allowed), compared as sets and without
regard to letter case. The API spells each entry ``{"type": ...}``; the adapter converts, so the
live body the planner sees has plain strings too. A list left out is unmanaged.

A profile has no free-text field for an ownership marker: ownership is the audit-log ledger
(``reconciler.kinds.ledger``). Profile names are unique on the server (compared
case-insensitively by this tool), so a second profile of one name is a conflict, not a guess.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from reconciler.kinds.base import ChangeView, Impact
from reconciler.kinds.ledger import OWNER, LedgerKind

KIND = "supportedContent"
SCHEMA_RESOURCE = "supportedcontent.schema.json"
#: Fields the server sets (SupportedContent model): never sent, never compared.
SERVER_FIELDS = (
    "id",
    "version",
    "dateCreated",
    "dateModified",
    "createdBy",
    "modifiedBy",
    "selfUri",
    OWNER,
)
DIRECTIONS = ("inbound", "outbound")


class SupportedContentKind(LedgerKind):
    name: ClassVar[str] = KIND
    label: ClassVar[str] = "supported content profile"
    schema_resource: ClassVar[str] = SCHEMA_RESOURCE
    server_fields: ClassVar[tuple[str, ...]] = SERVER_FIELDS
    set_lists: ClassVar[tuple[tuple[str, ...], ...]] = tuple(
        ("mediaTypes", "allow", direction) for direction in DIRECTIONS
    )
    import_order: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "": ("kind", "name", "mediaTypes"),
        "mediaTypes": ("allow",),
        "mediaTypes.allow": DIRECTIONS,
    }
    import_folder: ClassVar[str] = "supported-content"

    def canonical_set_item(self, item: Any) -> Any:
        """Media types ignore letter case (RFC 2046): compared in lower case."""
        return item.lower() if isinstance(item, str) else item

    impact_codes: ClassVar[Mapping[str, str]] = {
        "media-types-removed": (
            "customers of the deployments (or the org default) that use the profile can no "
            "longer send, or receive, a media type they could"
        ),
    }

    def impacts(self, change: ChangeView) -> tuple[Impact, ...]:
        """Media types leaving a profile that deployments or the defaults use."""
        if change.verb not in ("update", "adopt") or not change.used_by:
            return ()
        removed = []
        for direction in DIRECTIONS:
            moved = change.change_of(f"mediaTypes.allow.{direction}")
            if moved is None or not isinstance(moved[0], list):
                continue
            after = moved[1] if isinstance(moved[1], list) else []
            gone = sorted(set(moved[0]) - set(after))
            if gone:
                removed.append(f"{direction} {', '.join(gone)}")
        if not removed:
            return ()
        users = ", ".join(change.used_by)
        return (
            Impact(
                code="media-types-removed",
                message=f"removes {'; '.join(removed)} from a profile in use by {users}: "
                "customers there can no longer send or receive those",
            ),
        )

    def event_details(self, resource: Any) -> dict[str, Any]:
        allow = (resource.body.get("mediaTypes") or {}).get("allow") or {}
        return {direction: list(allow.get(direction) or []) for direction in DIRECTIONS}


def media_types(body: Mapping[str, Any], direction: str) -> list[str]:
    """The media types a (spec or live) body allows in ``direction``, as written."""
    allow = (body.get("mediaTypes") or {}).get("allow") or {}
    values = allow.get(direction) if isinstance(allow, Mapping) else None
    return [v for v in values if isinstance(v, str)] if isinstance(values, list) else []


SUPPORTED_CONTENT = SupportedContentKind()
