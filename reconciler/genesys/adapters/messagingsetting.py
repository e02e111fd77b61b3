"""The adapter of ``kind: messagingSetting``: ``/api/v2/conversations/messaging/settings``
(list, create, get and PATCH and DELETE at ``/settings/{messageSettingId}``; permissions
``messaging:setting:view``, ``:add``, ``:edit``, ``:delete``). The ``content`` and ``event``
blocks are the API's own, sent as they are.
"""

from __future__ import annotations

from typing import ClassVar

from reconciler.genesys.adapters.profiles import ProfileAdapter
from reconciler.kinds.base import ResourceKind
from reconciler.kinds.messagingsetting import MESSAGING_SETTING

MESSAGING_SETTINGS_PATH = "/api/v2/conversations/messaging/settings"


class MessagingSettingAdapter(ProfileAdapter):
    path: ClassVar[str] = MESSAGING_SETTINGS_PATH
    declaration: ClassVar[ResourceKind] = MESSAGING_SETTING
