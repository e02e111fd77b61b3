"""Architect flows, read-only (listing and read): page-number listing with the filters a client
uses to resolve a flow by name.

``type`` is given in lower case in the query (repeated, as the SDKs send it, or
comma-separated) and answered in UPPER case; ``name`` is a case-insensitive **substring** match (the
real match is unverified, so a client must filter exactly itself); ``id`` ignores the other
filters; deleted flows are left out unless ``deleted=true``. A fresh org holds
``SEED_FLOWS``; add others to the ``flow`` slice of the state (``flow_object`` builds one).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from reconciler.sandbox.routing import Call, Endpoint, KindRoute
from reconciler.sandbox.webdeployments.common import FLOW_KIND, FLOWS, not_found
from reconciler.sandbox.webdeployments.knobs import WebDeploymentKnobs
from reconciler.sandbox.webdeployments.paging import bad_parameter, number_page
from reconciler.sandbox.wire import Reply

FLOW_TYPES = (
    "bot",
    "commonmodule",
    "digitalbot",
    "inboundcall",
    "inboundchat",
    "inboundemail",
    "inboundshortmessage",
    "inqueuecall",
    "inqueueemail",
    "inqueueshortmessage",
    "outboundcall",
    "securecall",
    "speech",
    "surveyinvite",
    "voice",
    "voicemail",
    "voicesurvey",
    "workflow",
    "workitem",
)
_NAMESPACE = uuid.UUID("6f1c5a52-3d0e-4f43-9a38-5b0c6f0f6c11")
_FILTERS = ("type", "name", "description", "nameOrDescription", "id", "deleted")


def flow_object(
    name: str,
    flow_type: str = "inboundshortmessage",
    *,
    flow_id: str | None = None,
    description: str = "",
    published: bool = True,
    deleted: bool = False,
) -> dict[str, Any]:
    """A flow as its read answers it; the id is derived from name and type unless given."""
    key = flow_id or str(uuid.uuid5(_NAMESPACE, f"{flow_type.lower()}:{name}"))
    flow: dict[str, Any] = {
        "id": key,
        "name": name,
        "description": description,
        "type": flow_type.upper(),
        "active": published,
        "system": False,
        "deleted": deleted,
        "division": {"id": "00000000-0000-4000-8000-000000000001", "name": "Home"},
        "selfUri": f"{FLOWS}/{key}",
    }
    if published:
        flow["publishedVersion"] = {
            "id": "1.0",
            "name": "1.0",
            "selfUri": f"{FLOWS}/{key}/versions/1.0",
        }
    return flow


SEED_FLOWS = (
    flow_object("Sales Inbound Message", description="Routes sales web messages"),
    flow_object("Support Inbound Message", description="Routes support web messages"),
    flow_object("Support Inbound Message (old)", description="Kept for reference"),
    flow_object("Main IVR", "inboundcall", description="The main phone menu"),
)


class FlowRoutes(KindRoute):
    kinds: ClassVar[tuple[str, ...]] = (FLOW_KIND,)

    def endpoints(self) -> Sequence[Endpoint]:
        return [
            Endpoint(FLOWS, {"GET": self.listing}),
            Endpoint(f"{FLOWS}/{{id}}", {"GET": self.get}),
        ]

    @classmethod
    def seed(cls) -> Mapping[str, Iterable[Mapping[str, Any]]]:
        return {FLOW_KIND: SEED_FLOWS}

    @classmethod
    def check_stored(cls, kind: str, obj: dict[str, Any]) -> str:
        problem_ = super().check_stored(kind, obj)
        if problem_:
            return problem_
        if not isinstance(obj.get("name"), str) or not isinstance(obj.get("type"), str):
            return "name and type must be strings"
        return ""

    def get(self, call: Call) -> Reply:
        flow = self.state.objects(FLOW_KIND).get(call.params["id"])
        if flow is None:
            return not_found("flow", call.params["id"])
        return Reply(status=200, payload=dict(flow))

    def listing(self, call: Call) -> Reply:
        query = call.request.query
        flows: list[dict[str, Any]] = list(self.state.objects(FLOW_KIND).values())
        ids = _values(call.request.values("id"))
        if ids:
            flows = [f for f in flows if f["id"] in ids]
        else:
            types = {t.lower() for t in _values(call.request.values("type"))}
            unknown = sorted(types - set(FLOW_TYPES))
            if unknown:
                return bad_parameter("type", f"type {unknown[0]!r} is not a flow type")
            if types:
                flows = [f for f in flows if str(f["type"]).lower() in types]
            flows = _named(flows, query.get("name"), self.ctx.config.webdeployments)
            flows = _contains(flows, query.get("description"), ("description",))
            flows = _contains(flows, query.get("nameOrDescription"), ("name", "description"))
            if query.get("deleted", "false").lower() != "true":
                flows = [f for f in flows if not f.get("deleted")]
        sort_by = "name" if query.get("sortBy") == "name" else "id"
        descending = query.get("sortOrder", "asc").lower() == "desc"
        flows.sort(key=lambda f: (str(f.get(sort_by, "")).casefold(), f["id"]), reverse=descending)
        return number_page(flows, call.request, FLOWS, keep=(*_FILTERS, "sortBy", "sortOrder"))


def _values(raw: tuple[str, ...]) -> list[str]:
    return [part.strip() for value in raw for part in value.split(",") if part.strip()]


def _contains(
    flows: list[dict[str, Any]], needle: str | None, keys: tuple[str, ...]
) -> list[dict[str, Any]]:
    if not needle:
        return flows
    folded = needle.casefold()
    return [f for f in flows if any(folded in str(f.get(k, "")).casefold() for k in keys)]


def _named(
    flows: list[dict[str, Any]], needle: str | None, knobs: WebDeploymentKnobs
) -> list[dict[str, Any]]:
    """The ``name`` filter as this org matches it (``knobs.flows_name_filter``)."""
    if not needle:
        return flows
    if knobs.flows_name_filter == "exact":
        return [f for f in flows if str(f.get("name", "")) == needle]
    if knobs.flows_name_filter == "prefix":
        folded = needle.casefold()
        return [f for f in flows if str(f.get("name", "")).casefold().startswith(folded)]
    return _contains(flows, needle, ("name",))
