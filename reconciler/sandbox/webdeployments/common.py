"""What the Web Deployments routes share: kind names, paths, the user every write is made by,
and reading a JSON body into a cleaned object or a 400 ErrorBody."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from reconciler.sandbox.lag import ListingLag
from reconciler.sandbox.routing import KindRoute, RouteContext
from reconciler.sandbox.validation import parse_json
from reconciler.sandbox.webdeployments.fields import Issues, Obj
from reconciler.sandbox.wire import MAX_BODY_BYTES, Detail, Reply, SandboxRequest, problem

if TYPE_CHECKING:
    from reconciler.sandbox.state import SandboxState

CONFIGURATION_KIND = "webDeploymentConfiguration"
DEPLOYMENT_KIND = "webDeployment"
FLOW_KIND = "flow"
SUPPORTED_CONTENT_KIND = "supportedContent"

BASE = "/api/v2/webdeployments"
CONFIGURATIONS = f"{BASE}/configurations"
DEPLOYMENTS = f"{BASE}/deployments"
FLOWS = "/api/v2/flows"
SUPPORTED_CONTENT = "/api/v2/conversations/messaging/supportedcontent"

DRAFT = "DRAFT"
#: The user every write is made by (``lastModifiedUser``, ``createdUser``, ``publishedUser``).
SANDBOX_USER = {
    "id": "5a9d0b4e-0000-4000-8000-00000000000a",
    "selfUri": "/api/v2/users/5a9d0b4e-0000-4000-8000-00000000000a",
}


def not_found(what: str, object_id: str, field: str = "id") -> Reply:
    detail = Detail(error_code="not.found", field_name=field, entity_id=object_id)
    return problem(404, "not.found", f"No {what} with id {object_id!r}.", [detail])


def invalid(what: str, details: list[Detail]) -> Reply:
    reasons = "; ".join(d.reason for d in details)
    return problem(400, "bad.request", f"The {what} is invalid: {reasons}", details)


def read_body(request: SandboxRequest, schema: Obj, what: str, *, strict: bool) -> Any:
    """The cleaned body (a dict), or the 400/413 Reply that refuses it."""
    if len(request.body) > MAX_BODY_BYTES:
        return problem(
            413,
            "request.entity.too.large",
            f"The request body is {len(request.body)} bytes; the limit is {MAX_BODY_BYTES}.",
        )
    doc, reason = parse_json(request.body)
    if reason:
        detail = Detail(error_code="body.invalid", field_name="body", reason=reason)
        return problem(400, "bad.request", reason[0].upper() + reason[1:], [detail])
    issues = Issues(strict=strict)
    cleaned = schema.clean(doc, "", issues)
    if issues.details:
        return invalid(what, issues.details)
    return cleaned


def conflict_name(what: str, name: str, holder: dict[str, Any]) -> Reply:
    detail = Detail(
        error_code="duplicate.value",
        field_name="name",
        entity_id=str(holder["id"]),
        entity_name=str(holder.get("name", "")),
    )
    return problem(409, "general.conflict", f"A {what} named {name!r} already exists.", [detail])


class TimedRoute(KindRoute):
    """A Web Deployments route whose objects change state on the clock: the knobs, the listing
    lag, and when each object becomes readable, Active, and gone after a delete."""

    def __init__(self, state: SandboxState, ctx: RouteContext) -> None:
        super().__init__(state, ctx)
        self.knobs = ctx.config.webdeployments
        self.lag = ListingLag(ctx.config.listing_lag_seconds)
        self._readable_at: dict[str, float] = {}
        self._active_at: dict[str, float] = {}
        self._deleting: dict[str, tuple[float, dict[str, Any]]] = {}


def by_name(objects: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """A page-number listing's order: by name (case-insensitively), then id."""
    return sorted(objects, key=lambda o: (str(o.get("name", "")).casefold(), o["id"]))


def read_copy(objects: Mapping[str, dict[str, Any]], object_id: str, what: str) -> Reply:
    """A GET by id: a copy of the stored object, or a 404."""
    found = objects.get(object_id)
    if found is None:
        return not_found(what, object_id)
    return Reply(status=200, payload=copy.deepcopy(found))


def read_named_body(request: SandboxRequest, schema: Obj, what: str) -> Any:
    """A create body read leniently (``read_body``) that must carry a ``name``: the cleaned
    object, or a 400 Reply."""
    body = read_body(request, schema, what, strict=False)
    if isinstance(body, Reply) or "name" in body:
        return body
    issues = Issues()
    issues.add("name", "required", "is required")
    return invalid(what, issues.details)
