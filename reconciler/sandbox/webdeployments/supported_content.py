"""Supported content profiles: a page-number listing with no name filter (it lags like the
other listings), create (POST), one profile by id, update (PATCH: the fields sent replace
theirs), delete, and the org default (GET, and PUT with ``{id}``).

Validation as the API has it: ``name`` is required on create (1 to 100 characters), the
lists are ``mediaTypes.allow.inbound`` / ``.outbound`` of ``{"type": <media type>}``; a create
beyond the org's cap (``MessagingKnobs.max_supported_content``) is a 400; deleting the org's
default profile is a 409. A profile a deployment uses may be deleted: the deployment keeps
naming its id (its GET shows the bare reference, unexpanded), and a deployment write that
names the id again is a 400 (no such profile).

A fresh org holds ``SEED_PROFILES``: the default profile (every media type) and "Images only";
a deployment created without ``supportedContent`` gets the org's default.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from reconciler.sandbox.lag import ListingLag
from reconciler.sandbox.routing import Call, Endpoint, KindRoute, RouteContext
from reconciler.sandbox.webdeployments.common import (
    SANDBOX_USER,
    SUPPORTED_CONTENT,
    SUPPORTED_CONTENT_KIND,
    by_name,
    not_found,
    read_body,
    read_copy,
    read_named_body,
)
from reconciler.sandbox.webdeployments.fields import List, Obj, Str
from reconciler.sandbox.webdeployments.paging import number_page
from reconciler.sandbox.wire import Detail, Reply, problem

if TYPE_CHECKING:
    from reconciler.sandbox.state import SandboxState

DEFAULT_PROFILE_ID = "3c1d6b0e-5e2a-4c7b-9f00-0000000000d1"
#: The slice holding the org's defaults (``{"id": "default", "supportedContentId": ...}``).
DEFAULTS_KIND = "messagingDefaults"
DEFAULTS_ID = "default"
_SEEDED_AT = "2026-01-01T00:00:00.000Z"
MEDIA_TYPE = re.compile(
    r"^(\*/\*|[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/(\*|[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}))$"
)
_TYPES = List(
    Obj(
        {"type": Str(1, 255, pattern=MEDIA_TYPE, what="a media type such as image/png")},
        required=("type",),
    ),
    high=100,
)
PROFILE = Obj(
    {
        "name": Str(1, 100),
        "mediaTypes": Obj(
            {"allow": Obj({"inbound": _TYPES, "outbound": _TYPES})}, required=("allow",)
        ),
    },
    read_only=(
        "id",
        "version",
        "dateCreated",
        "dateModified",
        "createdBy",
        "modifiedBy",
        "selfUri",
    ),
)
WHAT = "supported content profile"


def profile_object(profile_id: str, name: str, media_types: Sequence[str]) -> dict[str, Any]:
    """A supported-content profile as the API answers it, allowing ``media_types`` both ways."""
    allowed = [{"type": media} for media in media_types]
    return {
        "id": profile_id,
        "name": name,
        "dateCreated": _SEEDED_AT,
        "dateModified": _SEEDED_AT,
        "version": 1,
        "mediaTypes": {"allow": {"inbound": allowed, "outbound": list(allowed)}},
        "selfUri": f"{SUPPORTED_CONTENT}/{profile_id}",
    }


SEED_PROFILES = (
    profile_object(DEFAULT_PROFILE_ID, "Default", ["*/*"]),
    profile_object("3c1d6b0e-5e2a-4c7b-9f00-0000000000d2", "Images only", ["image/*"]),
)


#: The defaults record of a fresh org.
FRESH_DEFAULTS = {"id": DEFAULTS_ID, "supportedContentId": DEFAULT_PROFILE_ID}


def defaults_of(state: SandboxState) -> dict[str, Any]:
    """The org's defaults record (created on first use): which profile and setting are the
    defaults, and the threading timeline."""
    slice_ = state.objects(DEFAULTS_KIND)
    record = slice_.get(DEFAULTS_ID)
    if record is None:
        record = slice_[DEFAULTS_ID] = dict(FRESH_DEFAULTS)
    return record


def default_profile_id(state: SandboxState) -> str | None:
    """The id of the org's default supported-content profile, if it still exists."""
    profile_id = defaults_of(state).get("supportedContentId")
    return profile_id if profile_id in state.objects(SUPPORTED_CONTENT_KIND) else None


class SupportedContentRoutes(KindRoute):
    kinds: ClassVar[tuple[str, ...]] = (SUPPORTED_CONTENT_KIND,)

    def __init__(self, state: SandboxState, ctx: RouteContext) -> None:
        super().__init__(state, ctx)
        self.lag = ListingLag(ctx.config.listing_lag_seconds)
        self.knobs = ctx.config.messaging

    def endpoints(self) -> Sequence[Endpoint]:
        return [
            Endpoint(SUPPORTED_CONTENT, {"GET": self.listing, "POST": self.create}),
            Endpoint(
                f"{SUPPORTED_CONTENT}/default", {"GET": self.default, "PUT": self.put_default}
            ),
            Endpoint(
                f"{SUPPORTED_CONTENT}/{{id}}",
                {"GET": self.get, "PATCH": self.patch, "DELETE": self.delete},
            ),
        ]

    @classmethod
    def seed(cls) -> Mapping[str, Iterable[Mapping[str, Any]]]:
        return {SUPPORTED_CONTENT_KIND: SEED_PROFILES}

    @property
    def profiles(self) -> dict[str, dict[str, Any]]:
        return self.state.objects(SUPPORTED_CONTENT_KIND)

    def listing(self, call: Call) -> Reply:
        ordered = by_name(self.lag.view(call.now, self.profiles).values())
        return number_page(ordered, call.request, SUPPORTED_CONTENT, max_size=100)

    def get(self, call: Call) -> Reply:
        return read_copy(self.profiles, call.params["id"], WHAT)

    def create(self, call: Call) -> Reply:
        body = read_named_body(call.request, PROFILE, WHAT)
        if isinstance(body, Reply):
            return body
        if len(self.profiles) >= self.knobs.max_supported_content:
            cap = self.knobs.max_supported_content
            detail = Detail(error_code="limit.exceeded", field_name="body", reason=f"at most {cap}")
            return problem(
                400,
                "bad.request",
                f"The organization has reached its limit of {cap} supported content profiles.",
                [detail],
            )
        profile_id = self.ctx.new_id()
        now = self.ctx.now_iso()
        allow = (body.get("mediaTypes") or {}).get("allow") or {}
        profile = {
            "id": profile_id,
            "name": body["name"],
            "dateCreated": now,
            "dateModified": now,
            "createdBy": dict(SANDBOX_USER),
            "modifiedBy": dict(SANDBOX_USER),
            "version": 1,
            "mediaTypes": {"allow": {d: list(allow.get(d) or []) for d in ("inbound", "outbound")}},
            "selfUri": f"{SUPPORTED_CONTENT}/{profile_id}",
        }
        self.profiles[profile_id] = profile
        self.lag.book(call.now, profile_id, None)
        return Reply(status=200, payload=copy.deepcopy(profile))

    def patch(self, call: Call) -> Reply:
        profile = self.profiles.get(call.params["id"])
        if profile is None:
            return not_found(WHAT, call.params["id"])
        body = read_body(call.request, PROFILE, WHAT, strict=False)
        if isinstance(body, Reply):
            return body
        before = copy.deepcopy(profile)
        if "name" in body:
            profile["name"] = body["name"]
        allow = (body.get("mediaTypes") or {}).get("allow")
        if isinstance(allow, dict):
            current = profile.setdefault("mediaTypes", {}).setdefault("allow", {})
            for direction in ("inbound", "outbound"):
                if direction in allow:
                    current[direction] = list(allow[direction])
        profile["version"] = int(profile.get("version", 1)) + 1
        profile["dateModified"] = self.ctx.now_iso()
        profile["modifiedBy"] = dict(SANDBOX_USER)
        self.lag.book(call.now, profile["id"], before)
        return Reply(status=200, payload=copy.deepcopy(profile))

    def delete(self, call: Call) -> Reply:
        profile_id = call.params["id"]
        profile = self.profiles.get(profile_id)
        if profile is None:
            return not_found(WHAT, profile_id)
        if defaults_of(self.state).get("supportedContentId") == profile_id:
            detail = Detail(error_code="in.use", field_name="id", entity_id=profile_id)
            return problem(
                409,
                "general.conflict",
                "The organization's default supported content profile cannot be deleted.",
                [detail],
            )
        self.lag.book(call.now, profile_id, profile)
        del self.profiles[profile_id]
        return Reply(status=204, payload=None)

    def default(self, call: Call) -> Reply:
        profile_id = default_profile_id(self.state)
        if profile_id is None:
            return not_found(WHAT, str(defaults_of(self.state).get("supportedContentId")))
        return Reply(status=200, payload=copy.deepcopy(self.profiles[profile_id]))

    def put_default(self, call: Call) -> Reply:
        ref = Obj({"id": Str(1)}, required=("id",), read_only=("name", "selfUri", "mediaTypes"))
        body = read_body(call.request, ref, "supported content reference", strict=False)
        if isinstance(body, Reply):
            return body
        profile = self.profiles.get(str(body["id"]))
        if profile is None:
            detail = Detail(error_code="not.found", field_name="id", entity_id=str(body["id"]))
            return problem(400, "bad.request", f"No {WHAT} with id {body['id']!r}.", [detail])
        defaults_of(self.state)["supportedContentId"] = profile["id"]
        return Reply(status=200, payload=copy.deepcopy(profile))
