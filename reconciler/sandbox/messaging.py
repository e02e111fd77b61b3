"""Messaging settings, the org's default setting and the threading timeline.

- ``/api/v2/conversations/messaging/settings``: page-number listing (lagging like the other
  listings), POST to create (``name`` required, 1 to 100 characters; ``content`` and
  ``event`` as the MessagingSettingRequest model, every toggle ``Enabled`` or ``Disabled``);
  ``/settings/{messageSettingId}``: GET, PATCH (the blocks sent replace theirs; ``version`` is a
  string that counts writes), DELETE (the org default cannot be deleted: 409).
- ``/settings/default``: GET (404 while the org has none), PUT ``{settingId}``, DELETE (the org
  falls back to the global default).
- ``/api/v2/conversations/messaging/threadingtimeline``: GET and PUT of the
  ConversationThreadingWindow (``defaultTimeoutMinutes``, ``settings`` of
  ``{messengerType, timeoutInMinutes}``); the PUT replaces the whole timeline.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from reconciler.sandbox.lag import ListingLag
from reconciler.sandbox.routing import Call, Endpoint, KindRoute, RouteContext
from reconciler.sandbox.webdeployments.common import (
    SANDBOX_USER,
    by_name,
    not_found,
    read_body,
    read_copy,
    read_named_body,
)
from reconciler.sandbox.webdeployments.fields import Enum, Int, List, Obj, Str
from reconciler.sandbox.webdeployments.paging import number_page
from reconciler.sandbox.webdeployments.supported_content import (
    DEFAULTS_KIND,
    FRESH_DEFAULTS,
    defaults_of,
)
from reconciler.sandbox.wire import Detail, Reply, problem

if TYPE_CHECKING:
    from reconciler.sandbox.state import SandboxState

SETTINGS = "/api/v2/conversations/messaging/settings"
THREADING_TIMELINE = "/api/v2/conversations/messaging/threadingtimeline"
SETTING_KIND = "messagingSetting"
WHAT = "messaging setting"
_TOGGLE = Enum(("Enabled", "Disabled"))
_INBOUND_ONLY = Obj({"inbound": _TOGGLE})
SETTING = Obj(
    {
        "name": Str(1, 100),
        "content": Obj({"story": Obj({"mention": _INBOUND_ONLY, "reply": _INBOUND_ONLY})}),
        "event": Obj({"typing": Obj({"on": Obj({"inbound": _TOGGLE, "outbound": _TOGGLE})})}),
    },
    read_only=("id", "version", "dateCreated", "dateModified", "createdBy", "updatedBy", "selfUri"),
)
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
TIMELINE = Obj(
    {
        "defaultTimeoutMinutes": Int(0),
        "settings": List(
            Obj(
                {"messengerType": Enum(MESSENGER_TYPES), "timeoutInMinutes": Int(0)},
                required=("messengerType", "timeoutInMinutes"),
            ),
            high=len(MESSENGER_TYPES),
        ),
    },
    read_only=("id",),
)
TIMELINE_ID = "3c1d6b0e-5e2a-4c7b-9f00-0000000000f1"
DEFAULT_TIMEOUT_MINUTES = 4320


class MessagingSettingRoutes(KindRoute):
    kinds: ClassVar[tuple[str, ...]] = (SETTING_KIND, DEFAULTS_KIND)

    def __init__(self, state: SandboxState, ctx: RouteContext) -> None:
        super().__init__(state, ctx)
        self.lag = ListingLag(ctx.config.listing_lag_seconds)

    def endpoints(self) -> Sequence[Endpoint]:
        return [
            Endpoint(SETTINGS, {"GET": self.listing, "POST": self.create}),
            Endpoint(
                f"{SETTINGS}/default",
                {"GET": self.default, "PUT": self.put_default, "DELETE": self.delete_default},
            ),
            Endpoint(
                f"{SETTINGS}/{{id}}", {"GET": self.get, "PATCH": self.patch, "DELETE": self.delete}
            ),
            Endpoint(THREADING_TIMELINE, {"GET": self.timeline, "PUT": self.put_timeline}),
        ]

    @classmethod
    def seed(cls) -> Mapping[str, Iterable[Mapping[str, Any]]]:
        """A fresh org: no messaging setting; the seeded "Default" profile is its default."""
        return {SETTING_KIND: (), DEFAULTS_KIND: (dict(FRESH_DEFAULTS),)}

    @property
    def settings(self) -> dict[str, dict[str, Any]]:
        return self.state.objects(SETTING_KIND)

    def listing(self, call: Call) -> Reply:
        ordered = by_name(self.lag.view(call.now, self.settings).values())
        return number_page(ordered, call.request, SETTINGS, max_size=100)

    def get(self, call: Call) -> Reply:
        return read_copy(self.settings, call.params["id"], WHAT)

    def create(self, call: Call) -> Reply:
        body = read_named_body(call.request, SETTING, WHAT)
        if isinstance(body, Reply):
            return body
        setting_id = self.ctx.new_id()
        now = self.ctx.now_iso()
        setting = {
            "id": setting_id,
            "name": body["name"],
            "dateCreated": now,
            "dateModified": now,
            "version": "1",
            "createdBy": dict(SANDBOX_USER),
            "updatedBy": dict(SANDBOX_USER),
            **{k: body[k] for k in ("content", "event") if k in body},
            "selfUri": f"{SETTINGS}/{setting_id}",
        }
        self.settings[setting_id] = setting
        self.lag.book(call.now, setting_id, None)
        return Reply(status=200, payload=copy.deepcopy(setting))

    def patch(self, call: Call) -> Reply:
        setting = self.settings.get(call.params["id"])
        if setting is None:
            return not_found(WHAT, call.params["id"])
        body = read_body(call.request, SETTING, WHAT, strict=False)
        if isinstance(body, Reply):
            return body
        before = copy.deepcopy(setting)
        for key in ("name", "content", "event"):
            if key in body:
                setting[key] = body[key]
        setting["version"] = str(int(setting.get("version", "1")) + 1)
        setting["dateModified"] = self.ctx.now_iso()
        setting["updatedBy"] = dict(SANDBOX_USER)
        self.lag.book(call.now, setting["id"], before)
        return Reply(status=200, payload=copy.deepcopy(setting))

    def delete(self, call: Call) -> Reply:
        setting_id = call.params["id"]
        setting = self.settings.get(setting_id)
        if setting is None:
            return not_found(WHAT, setting_id)
        if defaults_of(self.state).get("settingId") == setting_id:
            detail = Detail(error_code="in.use", field_name="id", entity_id=setting_id)
            return problem(
                409,
                "general.conflict",
                "The organization's default messaging setting cannot be deleted.",
                [detail],
            )
        self.lag.book(call.now, setting_id, setting)
        del self.settings[setting_id]
        return Reply(status=204, payload=None)

    def default(self, call: Call) -> Reply:
        setting_id = defaults_of(self.state).get("settingId")
        setting = self.settings.get(str(setting_id)) if setting_id else None
        if setting is None:
            return problem(404, "not.found", "The organization has no default messaging setting.")
        return Reply(status=200, payload=copy.deepcopy(setting))

    def put_default(self, call: Call) -> Reply:
        body = read_body(
            call.request,
            Obj({"settingId": Str(1)}, required=("settingId",)),
            "default setting request",
            strict=False,
        )
        if isinstance(body, Reply):
            return body
        setting = self.settings.get(str(body["settingId"]))
        if setting is None:
            detail = Detail(
                error_code="not.found", field_name="settingId", entity_id=str(body["settingId"])
            )
            return problem(
                400, "bad.request", f"No {WHAT} with id {body['settingId']!r}.", [detail]
            )
        defaults_of(self.state)["settingId"] = setting["id"]
        return Reply(status=200, payload=copy.deepcopy(setting))

    def delete_default(self, call: Call) -> Reply:
        defaults_of(self.state).pop("settingId", None)
        return Reply(status=204, payload=None)

    def _timeline(self) -> dict[str, Any]:
        stored = defaults_of(self.state).get("threadingTimeline")
        timeline = {
            "id": TIMELINE_ID,
            "defaultTimeoutMinutes": DEFAULT_TIMEOUT_MINUTES,
            "settings": [],
        }
        if isinstance(stored, dict):
            timeline.update(copy.deepcopy(stored))
        return timeline

    def timeline(self, call: Call) -> Reply:
        return Reply(status=200, payload=self._timeline())

    def put_timeline(self, call: Call) -> Reply:
        body = read_body(call.request, TIMELINE, "conversation threading window", strict=False)
        if isinstance(body, Reply):
            return body
        types = [s.get("messengerType") for s in body.get("settings") or []]
        if len(types) != len(set(types)):
            detail = Detail(
                error_code="value.invalid", field_name="settings", reason="each messengerType once"
            )
            return problem(400, "bad.request", "Each messengerType may appear once.", [detail])
        defaults_of(self.state)["threadingTimeline"] = {
            "defaultTimeoutMinutes": body.get("defaultTimeoutMinutes", DEFAULT_TIMEOUT_MINUTES),
            "settings": list(body.get("settings") or []),
        }
        return Reply(status=200, payload=self._timeline())
