"""The adapter of ``kind: supportedContent``: ``/api/v2/conversations/messaging/supportedcontent``
(list, create, get, PATCH, delete; permissions ``messaging:supportedContent:view``, ``:add``,
``:edit``, ``:delete``). The API spells each media type ``{"type": ...}``; specs and the live
bodies the planner sees hold the plain strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from reconciler.genesys.adapters.profiles import ProfileAdapter
from reconciler.kinds.base import ResourceKind
from reconciler.kinds.ledger import OWNER
from reconciler.kinds.supportedcontent import DIRECTIONS, SUPPORTED_CONTENT

SUPPORTED_CONTENT_PATH = "/api/v2/conversations/messaging/supportedcontent"


class SupportedContentAdapter(ProfileAdapter):
    path: ClassVar[str] = SUPPORTED_CONTENT_PATH
    declaration: ClassVar[ResourceKind] = SUPPORTED_CONTENT

    def live_body(self, payload: dict[str, Any]) -> dict[str, Any]:
        body = super().live_body(payload)
        allow = (payload.get("mediaTypes") or {}).get("allow")
        if isinstance(allow, dict):
            body["mediaTypes"] = {
                "allow": {
                    direction: [
                        str(entry.get("type")) if isinstance(entry, dict) else str(entry)
                        for entry in allow.get(direction) or []
                    ]
                    for direction in DIRECTIONS
                    if direction in allow
                }
            }
        return body

    def wire_body(self, body: Mapping[str, Any]) -> dict[str, Any]:
        sent: dict[str, Any] = {k: v for k, v in body.items() if k not in (OWNER, "mediaTypes")}
        allow = (body.get("mediaTypes") or {}).get("allow")
        if isinstance(allow, dict):
            sent["mediaTypes"] = {
                "allow": {
                    direction: [{"type": value} for value in values]
                    for direction, values in allow.items()
                    if isinstance(values, list)
                }
            }
        return sent
