"""``kind: channel``: the tutorial's web messaging channel (docs/api-notes.md#channels).

Comparison rules:

- ``securityPolicy.allowedOrigins`` is the only order-free list of the contract: compared as a
  set, and sent sorted and without duplicates, so the stored channel is already canonical.
- An origin's scheme and host are case-insensitive (RFC 3986 §6.2.2.1, and browsers always
  send them in lower case), so origins are compared, and sent, in lower case. An origin has no
  path, so lowering the whole string touches nothing that is case-sensitive.
- ``customAttributes`` is a mapping, order-free by nature. The ownership marker
  (``x-managed-by``) never takes part in a comparison, and an attribute mapping left empty once
  the marker is gone is the same as no mapping at all. An absent ``description`` is the empty
  string (the channel schema says so); the body sent carries it explicitly.

Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from reconciler.kinds.base import ResourceKind
from reconciler.model import Diagnostic, SourceRef, Spec

#: customAttributes key the reconciler writes on every channel it manages (its ownership
#: marker). It counts against the API's 20 pairs, so a spec may carry at most 19.
MANAGED_BY_KEY = "x-managed-by"

# The API's field names (docs/api-notes.md#channels), each spelled once for the client side; the
# emulator under reconciler/sandbox/ spells its own, as the independent oracle.
NAME = "name"
DESCRIPTION = "description"
WIDGET = "webMessagingWidgetConfiguration"
SECURITY = "securityPolicy"
ROUTING = "routingConfiguration"
ATTRIBUTES = "customAttributes"
ID = "id"
VERSION = "version"
DATE_CREATED = "dateCreated"
DATE_MODIFIED = "dateModified"
SELF_URI = "selfUri"

#: Fields of the contract's create body, in the contract's order.
CHANNEL_FIELDS: tuple[str, ...] = (NAME, DESCRIPTION, WIDGET, SECURITY, ROUTING)

#: The create body's fields whose values are objects.
SECTIONS: tuple[str, ...] = (WIDGET, SECURITY, ROUTING)

#: Fields the server sets; never sent on create, never compared.
SERVER_FIELDS: tuple[str, ...] = (ID, VERSION, DATE_CREATED, DATE_MODIFIED, SELF_URI)

#: Optional string fields of a channel the server answers with.
TEXT_FIELDS: tuple[str, ...] = (DESCRIPTION, DATE_CREATED, DATE_MODIFIED, SELF_URI)
#: Where the marker lives, as a path of keys.
MARKER_PATH: tuple[str, ...] = (WIDGET, ATTRIBUTES, MANAGED_BY_KEY)

_ORIGIN = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/?#\s]*")


def canonical_origin(origin: Any) -> Any:
    """An origin in lower case; anything that is not an origin string is left alone."""
    if isinstance(origin, str) and _ORIGIN.fullmatch(origin):
        return origin.lower()
    return origin


class ChannelKind(ResourceKind):
    name: ClassVar[str] = "channel"
    label: ClassVar[str] = "channel"
    schema_resource: ClassVar[str] = "channel.schema.json"
    server_fields: ClassVar[tuple[str, ...]] = SERVER_FIELDS
    set_lists: ClassVar[tuple[tuple[str, ...], ...]] = ((SECURITY, "allowedOrigins"),)
    import_order: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "": CHANNEL_FIELDS,
        WIDGET: ("widgetId", "theme", ATTRIBUTES),
        SECURITY: ("enabled", "allowedOrigins", "requireConsent"),
        ROUTING: ("queueId",),
    }
    marker_path: ClassVar[tuple[str, ...]] = MARKER_PATH
    marker_field: ClassVar[str] = MANAGED_BY_KEY

    def canonical_set_item(self, item: Any) -> Any:
        return canonical_origin(item)

    def owner_of(self, body: Mapping[str, Any]) -> str | None:
        widget = body.get(WIDGET) or {}
        attributes = widget.get(ATTRIBUTES) if isinstance(widget, Mapping) else None
        value = attributes.get(MANAGED_BY_KEY) if isinstance(attributes, Mapping) else None
        return value if isinstance(value, str) else None

    def with_owner(self, body: dict[str, Any], owner: str) -> dict[str, Any]:
        widget = body.get(WIDGET)
        if not isinstance(widget, dict):
            widget = {}
            body[WIDGET] = widget
        attributes = widget.get(ATTRIBUTES)
        if not isinstance(attributes, dict):
            attributes = {}
        widget[ATTRIBUTES] = {**attributes, MANAGED_BY_KEY: owner}
        return body

    def without_owner(self, body: Mapping[str, Any]) -> dict[str, Any]:
        # Copy only the containers this changes; the rest is shared, never mutated.
        result = dict(body)
        widget = result.get(WIDGET)
        if isinstance(widget, dict) and isinstance(widget.get(ATTRIBUTES), dict):
            widget = result[WIDGET] = dict(widget)
            attributes = widget[ATTRIBUTES] = dict(widget[ATTRIBUTES])
            attributes.pop(MANAGED_BY_KEY, None)
            if not attributes:
                del widget[ATTRIBUTES]
        return result

    def normalise(self, body: Mapping[str, Any]) -> dict[str, Any]:
        result = super().normalise(body)
        result.setdefault(DESCRIPTION, "")
        return result

    def desired(self, spec_body: Mapping[str, Any], owner: str) -> dict[str, Any]:
        result = super().desired(spec_body, owner)
        result.setdefault(DESCRIPTION, "")
        return result

    def shown_body(self, desired: Mapping[str, Any]) -> dict[str, Any]:
        shown = self.without_owner(desired)
        if shown.get(DESCRIPTION) == "":
            del shown[DESCRIPTION]  # the default desired() adds; a spec may leave it out
        widget = shown.get(WIDGET)
        if isinstance(widget, dict) and widget.get(ATTRIBUTES) == {}:
            shown[WIDGET] = {k: v for k, v in widget.items() if k != ATTRIBUTES}
        return shown

    def check_specs(self, specs: Sequence[Spec]) -> list[Diagnostic]:
        return reserved_keys(specs)

    def import_document(self, body: Mapping[str, Any]) -> dict[str, Any]:
        document = self.normalise(body)
        if document.get(DESCRIPTION) == "":
            del document[DESCRIPTION]
        return document


def reserved_keys(specs: Sequence[Spec]) -> list[Diagnostic]:
    """Specs that set the reconciler's ownership marker themselves, in any letter case."""
    from reconciler.model import json_path

    found: list[Diagnostic] = []
    reserved = MANAGED_BY_KEY.casefold()
    for spec in specs:
        widget = spec.body.get(WIDGET)
        attributes = widget.get(ATTRIBUTES) if isinstance(widget, dict) else None
        if not isinstance(attributes, dict):
            continue
        for key in attributes:
            if isinstance(key, str) and key.casefold() == reserved:
                path = json_path([WIDGET, ATTRIBUTES, key])
                here: SourceRef = spec.positions.get(path, spec.source)
                spelled = "" if key == MANAGED_BY_KEY else f" (as {MANAGED_BY_KEY!r}, in any case)"
                message = (
                    f"the key {key!r} is reserved{spelled}: the reconciler sets it to mark "
                    "the channels it manages"
                )
                found.append(
                    Diagnostic(
                        file=here.file,
                        line=here.line,
                        col=here.col,
                        path=path,
                        message=message,
                        rule="reserved-key",
                    )
                )
    return found


CHANNEL = ChannelKind()
