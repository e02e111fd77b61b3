"""``kind: messagingDefaults``: the org's messaging defaults, one document per environment.

Three settings of the org, read and written as one update-only object:

- ``supportedContent``: the default supported-content profile (``{name: X}`` or ``{id: ...}``;
  ``GET/PUT .../supportedcontent/default``), assigned to a messaging integration created
  without one;
- ``messagingSetting``: the default messaging setting (``GET/PUT .../settings/default``);
- ``threadingTimeline``: how long a conversation stays open to continue a thread, per
  messenger type (the ConversationThreadingWindow model: ``defaultTimeoutMinutes`` and
  ``settings: [{messengerType, timeoutInMinutes}]``, ``GET/PUT .../threadingtimeline``).
  ``settings`` is compared as a set keyed by ``messengerType``.

A block left out is unmanaged. The object always exists, so there is nothing to create or
delete: a plan only updates it (``singleton`` ownership: the spec that declares it owns it).
Its name is a label: every name is the one object's identity, so two documents of this kind
are "two specs share the name". References name profiles, so the defaults are written after
the profiles a run creates.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from reconciler.kinds.base import ChangeView, Impact, Reference, copy_json
from reconciler.kinds.ledger import OWNER, LedgerKind, project

KIND = "messagingDefaults"
SCHEMA_RESOURCE = "messagingdefaults.schema.json"
#: The one identity every spec name of this kind has, and the live object's name and id.
IDENTITY = "defaults"
LIVE_ID = "default"
MESSENGER_TYPES = (
    "sms",
    "facebook",
    "twitter",
    "whatsapp",
    "webmessaging",
    "instagram",
    "open",
    "apple",
    "linkedin",
)


class MessagingDefaultsKind(LedgerKind):
    name: ClassVar[str] = KIND
    label: ClassVar[str] = "messaging defaults"
    schema_resource: ClassVar[str] = SCHEMA_RESOURCE
    server_fields: ClassVar[tuple[str, ...]] = ("id", OWNER)
    ownership: ClassVar[str] = "singleton"
    marker_field: ClassVar[str] = "singleton"
    depends_on: ClassVar[tuple[str, ...]] = ("supportedContent", "messagingSetting")
    references: ClassVar[tuple[Reference, ...]] = (
        Reference(path=("supportedContent",), target="supportedContent"),
        Reference(path=("messagingSetting",), target="messagingSetting"),
    )
    import_order: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "": ("kind", "name", "supportedContent", "messagingSetting", "threadingTimeline"),
        "threadingTimeline": ("defaultTimeoutMinutes", "settings"),
    }
    import_folder: ClassVar[str] = "messaging"

    impact_codes: ClassVar[Mapping[str, str]] = {
        "default-profile-changed": (
            "messaging integrations created from now on without a profile get another "
            "supported-content profile (what customers may send)"
        ),
        "default-setting-changed": (
            "integrations without a messaging setting of their own behave by another one "
            "(typing indicators, stories)"
        ),
        "threading-timeline-changed": (
            "how long a returning customer's messages join their earlier conversation changes"
        ),
    }

    def impacts(self, change: ChangeView) -> tuple[Impact, ...]:
        found = []
        for key, code, what in (
            ("supportedContent", "default-profile-changed", "the default supported content"),
            ("messagingSetting", "default-setting-changed", "the default messaging setting"),
        ):
            if change.change_of(f"{key}.id") is not None or change.change_of(key) is not None:
                found.append(Impact(code=code, message=f"changes {what} of the org"))
        if change.change_of("threadingTimeline") is not None or any(
            path.startswith("threadingTimeline.") for path in change.changes
        ):
            found.append(
                Impact(
                    code="threading-timeline-changed",
                    message="changes the threading timeline: a returning customer's messages "
                    "join their earlier conversation for a different time",
                )
            )
        return tuple(found)

    def identity(self, name: str) -> str:
        return IDENTITY

    def normalise(self, body: Mapping[str, Any]) -> dict[str, Any]:
        result = super().normalise(body)
        for key in ("supportedContent", "messagingSetting"):
            ref = result.get(key)
            if isinstance(ref, dict) and "id" in ref:
                result[key] = {"id": ref["id"]}
        timeline = result.get("threadingTimeline")
        if isinstance(timeline, dict):
            timeline = {k: copy_json(v) for k, v in timeline.items() if k != "id"}
            settings = timeline.get("settings")
            if isinstance(settings, list) and all(isinstance(s, dict) for s in settings):
                timeline["settings"] = sorted(
                    settings, key=lambda s: str(s.get("messengerType", "")).lower()
                )
            result["threadingTimeline"] = timeline
        return result

    def comparable(
        self, desired: Mapping[str, Any], live: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The blocks the spec mentions; the name is a label, never a difference."""
        wanted = {k: v for k, v in self.normalise(desired).items() if k != "name"}
        seen = self.normalise(live)
        current: dict[str, Any] = {}
        for key, value in wanted.items():
            if key not in seen:
                continue
            current[key] = seen[key] if key != "threadingTimeline" else project(value, seen[key])
        return wanted, current

    def plan_problem(self, desired: Mapping[str, Any], live: Any) -> str:
        if live is None:
            return (
                "cannot be planned: the org's messaging defaults were not read, and they are "
                "never created (they always exist in an org)"
            )
        return ""

    def import_document(self, body: Mapping[str, Any]) -> dict[str, Any]:
        document = self.normalise(body)
        document["name"] = IDENTITY
        return document


MESSAGING_DEFAULTS = MessagingDefaultsKind()
