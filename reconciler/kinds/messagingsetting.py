"""``kind: messagingSetting``: a messaging setting profile, the behaviour of a messaging
conversation (``/api/v2/conversations/messaging/settings``).

The spec holds ``name`` and the API's own ``content`` and ``event`` blocks (the
MessagingSettingRequest model): ``content.story.mention.inbound`` and
``content.story.reply.inbound`` (whether story mentions and replies reach agents), and
``event.typing.on.inbound`` / ``.outbound`` (typing indicators), each ``Enabled`` or
``Disabled``. A field left out is unmanaged: only what the spec mentions is compared and sent
(updates are a PATCH).

Like a supported-content profile it has no free-text field: ownership is the audit-log
ledger (``reconciler.kinds.ledger``).

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from reconciler.kinds.ledger import OWNER, LedgerKind

KIND = "messagingSetting"
SCHEMA_RESOURCE = "messagingsetting.schema.json"
#: Fields the server sets (MessagingSetting model).
SERVER_FIELDS = (
    "id",
    "version",
    "dateCreated",
    "dateModified",
    "createdBy",
    "updatedBy",
    "selfUri",
    OWNER,
)


class MessagingSettingKind(LedgerKind):
    name: ClassVar[str] = KIND
    label: ClassVar[str] = "messaging setting"
    schema_resource: ClassVar[str] = SCHEMA_RESOURCE
    server_fields: ClassVar[tuple[str, ...]] = SERVER_FIELDS
    import_order: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "": ("kind", "name", "content", "event"),
        "content": ("story",),
        "content.story": ("mention", "reply"),
        "event": ("typing",),
        "event.typing.on": ("inbound", "outbound"),
    }
    import_folder: ClassVar[str] = "messaging-settings"


MESSAGING_SETTING = MessagingSettingKind()
