"""Deployments (listing, create, read, replace, delete, the public configuration read;
identity resolution answered 501): a published configuration version served on
a list of domains, routed to an inbound-message flow.

State slice ``webDeployment``: each deployment as its read answers it, stored settled. In
memory, on the app's clock: a read answers 404 for ``deployment_get_404_after_create_s`` after
the create; a created or replaced deployment is ``Pending`` for ``deployment_activate_s``; a
deleted one answers reads with status ``Deleting`` for ``delete_visible_s``.
``configuration.version`` must name a published version (not ``DRAFT``), and the flow and
supported-content profile must exist: otherwise 400. The listing takes ``expand=Configuration``
(the whole configuration version each deployment serves) and ``expand=SupportedContent``; a read
takes ``expand=supportedContent,flowDetails``; expand values match case-insensitively.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from reconciler.sandbox.routing import Call, Endpoint
from reconciler.sandbox.webdeployments.common import (
    CONFIGURATION_KIND,
    CONFIGURATIONS,
    DEPLOYMENT_KIND,
    DEPLOYMENTS,
    DRAFT,
    FLOW_KIND,
    FLOWS,
    SANDBOX_USER,
    SUPPORTED_CONTENT,
    SUPPORTED_CONTENT_KIND,
    TimedRoute,
    conflict_name,
    invalid,
    not_found,
    read_body,
)
from reconciler.sandbox.webdeployments.configurations import version_of
from reconciler.sandbox.webdeployments.paging import cursor_page
from reconciler.sandbox.webdeployments.schema import DEPLOYMENT, WRITABLE_STATUSES
from reconciler.sandbox.webdeployments.supported_content import default_profile_id
from reconciler.sandbox.wire import Detail, Reply, problem

if TYPE_CHECKING:
    pass

WHAT = "web deployment"
SNIPPET = (
    "(function (g, e, n, es, ys) {{g['_genesysJs'] = e; g[e] = g[e] || function () "
    "{{(g[e].q = g[e].q || []).push(arguments)}}; g[e].t = 1 * new Date(); g[e].c = es; "
    "ys = document.createElement('script'); ys.async = 1; ys.src = n; ys.charset = 'utf-8'; "
    "document.head.appendChild(ys);}})(window, 'Genesys', "
    "'https://apps.sandbox.localhost/genesys-bootstrap/genesys.min.js', "
    "{{environment: 'sandbox', deploymentId: '{id}'}});"
)


def _detail(path: str, code: str, reason: str, entity_id: str = "") -> Detail:
    return Detail(error_code=code, field_name=path, entity_id=entity_id, reason=f"{path}: {reason}")


def _expand(call: Call) -> set[str]:
    raw = call.request.query.get("expand", "")
    return {part.strip().casefold() for part in raw.split(",") if part.strip()}


class DeploymentRoutes(TimedRoute):
    """The deployment routes over the deployment slice; reads configurations, flows and supported
    content."""

    kinds: ClassVar[tuple[str, ...]] = (DEPLOYMENT_KIND,)

    def endpoints(self) -> Sequence[Endpoint]:
        one = f"{DEPLOYMENTS}/{{id}}"
        return [
            Endpoint(DEPLOYMENTS, {"GET": self.listing, "POST": self.create}),
            Endpoint(one, {"GET": self.get, "PUT": self.update, "DELETE": self.delete}),
            Endpoint(f"{one}/configurations", {"GET": self.active}, public=True),
            Endpoint(f"{one}/identityresolution", {"GET": _not_here, "PUT": _not_here}),
        ]

    def _forget(self, object_id: str, now: float) -> None:
        """Drop a deleted object's timers, and the deleted objects no longer shown."""
        self._readable_at.pop(object_id, None)
        self._active_at.pop(object_id, None)
        for key in [k for k, (until, _) in self._deleting.items() if until <= now]:
            del self._deleting[key]

    @property
    def records(self) -> dict[str, dict[str, Any]]:
        return self.state.objects(DEPLOYMENT_KIND)

    # -- reading -----------------------------------------------------------------------------

    def _render(self, deployment: dict[str, Any], now: float, expand: set[str]) -> dict[str, Any]:
        out = copy.deepcopy(deployment)
        if out.get("status") == "Active" and now < self._active_at.get(str(out["id"]), now):
            out["status"] = "Pending"
        config_ref = out.get("configuration", {})
        if "configuration" in expand:
            record = self.state.objects(CONFIGURATION_KIND).get(str(config_ref.get("id")))
            version = None if record is None else version_of(record, str(config_ref["version"]))
            if version is not None:
                out["configuration"] = copy.deepcopy(version)
        profile_ref = out.get("supportedContent")
        if "supportedcontent" in expand and isinstance(profile_ref, dict):
            profile = self.state.objects(SUPPORTED_CONTENT_KIND).get(str(profile_ref["id"]))
            if profile is not None:
                profile_ref["mediaTypes"] = copy.deepcopy(profile.get("mediaTypes", {}))
        flow_ref = out.get("flow")
        if "flowdetails" in expand and isinstance(flow_ref, dict):
            flow = self.state.objects(FLOW_KIND).get(str(flow_ref["id"]))
            if flow is not None:
                flow_ref["flowDescription"] = flow.get("description", "")
                flow_ref["publishVersion"] = copy.deepcopy(flow.get("publishedVersion", {}))
        return out

    def listing(self, call: Call) -> Reply:
        view = self.lag.view(call.now, self.records)
        expand = _expand(call)
        items = sorted(
            ((f"{d['dateCreated']}|{d['id']}", d) for d in view.values()),
            key=lambda item: item[0],
        )
        return cursor_page(
            items,
            call.request,
            DEPLOYMENTS,
            render=lambda deployment: self._render(deployment, call.now, expand),
            keep=("expand",),
            sticky=self.knobs.sticky_last_cursor,
            cap=self.knobs.max_page_size,
        )

    def get(self, call: Call) -> Reply:
        deployment_id = call.params["id"]
        deployment = self.records.get(deployment_id)
        if deployment is not None:
            if call.now < self._readable_at.get(deployment_id, call.now):
                return not_found(WHAT, deployment_id)
            return Reply(status=200, payload=self._render(deployment, call.now, _expand(call)))
        ghost = self._deleting.get(deployment_id)
        if ghost is not None and call.now < ghost[0]:
            return Reply(status=200, payload={**copy.deepcopy(ghost[1]), "status": "Deleting"})
        return not_found(WHAT, deployment_id)

    def active(self, call: Call) -> Reply:
        """The public configuration read (as Messenger calls it): the configuration version a
        deployment serves."""
        deployment_id = call.params["id"]
        deployment = self.records.get(deployment_id)
        if deployment is None or call.now < self._readable_at.get(deployment_id, call.now):
            return not_found(WHAT, deployment_id)
        if deployment.get("status") == "Inactive":
            # Deactivated: the Messenger is not served (the answer itself is an assumption).
            return problem(404, "not.found", f"The deployment {deployment_id!r} is inactive.")
        rendered = self._render(deployment, call.now, {"configuration"})
        served = rendered.pop("configuration")
        rendered["configuration"] = copy.deepcopy(deployment["configuration"])
        payload = {"configurationVersion": served, "deployment": rendered}
        return Reply(status=200, payload=payload)

    # -- writing -----------------------------------------------------------------------------

    def _resolve(self, body: dict[str, Any], deployment_id: str | None) -> Reply | dict[str, Any]:
        """The stored form of a valid body (references filled in), or the refusal."""
        details: list[Detail] = []
        if body.get("allowAllDomains") is True and body.get("allowedDomains"):
            details.append(
                _detail(
                    "allowedDomains",
                    "value.invalid",
                    "must be empty when allowAllDomains is true",
                )
            )
        ref = body["configuration"]
        record = self.state.objects(CONFIGURATION_KIND).get(ref["id"])
        configuration: dict[str, Any] = {}
        if record is None:
            details.append(
                _detail("configuration.id", "not.found", "no such configuration", ref["id"])
            )
        elif ref["version"].upper() == DRAFT:
            details.append(
                _detail(
                    "configuration.version",
                    "value.invalid",
                    "must be a published version, not DRAFT",
                    ref["id"],
                )
            )
        elif version_of(record, ref["version"]) is None:
            details.append(
                _detail(
                    "configuration.version",
                    "not.found",
                    f"the configuration has no published version {ref['version']!r}",
                    ref["id"],
                )
            )
        else:
            configuration = {
                "id": ref["id"],
                "version": ref["version"],
                "name": record["draft"]["name"],
                "selfUri": f"{CONFIGURATIONS}/{ref['id']}",
            }
        flow = self._reference(body, "flow", FLOW_KIND, FLOWS, details)
        profile = self._reference(
            body, "supportedContent", SUPPORTED_CONTENT_KIND, SUPPORTED_CONTENT, details
        )
        status = body.get("status")
        if status is not None and status not in WRITABLE_STATUSES and self.knobs.strict_fields:
            details.append(_detail("status", "read.only", "only Active or Inactive can be written"))
        if details:
            return invalid(WHAT, details)
        if self.knobs.unique_names:
            key = str(body["name"]).casefold()
            for other in self.records.values():
                if other["id"] != deployment_id and str(other["name"]).casefold() == key:
                    return conflict_name(WHAT, str(body["name"]), other)
        out: dict[str, Any] = {"name": body["name"]}
        if "description" in body:
            out["description"] = body["description"]
        out["allowAllDomains"] = body.get("allowAllDomains", False)
        out["allowedDomains"] = list(body.get("allowedDomains", []))
        if profile is None:
            default_id = default_profile_id(self.state)  # the org's default, as set
            default = self.state.objects(SUPPORTED_CONTENT_KIND).get(default_id or "")
            if default is not None:
                profile = _ref(default, SUPPORTED_CONTENT)
        if profile is not None:
            out["supportedContent"] = profile
        if flow is not None:
            out["flow"] = flow
        out["configuration"] = configuration
        if "pushIntegrations" in body:
            out["pushIntegrations"] = body["pushIntegrations"]
        if status == "Inactive" and not self.knobs.inactive_deactivates:
            status = None  # this org ignores a written Inactive: the status stays as it is
        out["status"] = status if status in WRITABLE_STATUSES else None
        return out

    def _reference(
        self, body: dict[str, Any], key: str, kind: str, path: str, details: list[Detail]
    ) -> dict[str, Any] | None:
        ref = body.get(key)
        if ref is None:
            return None
        target = self.state.objects(kind).get(ref["id"])
        if target is None or target.get("deleted") is True:
            details.append(_detail(f"{key}.id", "not.found", f"no such {key}", ref["id"]))
            return None
        return _ref(target, path)

    def create(self, call: Call) -> Reply:
        body = read_body(call.request, DEPLOYMENT, WHAT, strict=self.knobs.strict_fields)
        if isinstance(body, Reply):
            return body
        resolved = self._resolve(body, None)
        if isinstance(resolved, Reply):
            return resolved
        deployment_id = self.ctx.new_id()
        while deployment_id in self.records or deployment_id in self._deleting:
            deployment_id = self.ctx.new_id()
        stamp = self.ctx.now_iso()
        status = resolved.pop("status") or "Active"
        deployment = {"id": deployment_id, **resolved, "status": status}
        deployment.update(
            snippet=SNIPPET.format(id=deployment_id),
            dateCreated=stamp,
            dateModified=stamp,
            lastModifiedUser=dict(SANDBOX_USER),
            selfUri=f"{DEPLOYMENTS}/{deployment_id}",
        )
        self.records[deployment_id] = deployment
        self._readable_at[deployment_id] = call.now + self.knobs.deployment_get_404_after_create_s
        self._active_at[deployment_id] = call.now + self.knobs.deployment_activate_s
        self.lag.book(call.now, deployment_id, None)
        return Reply(status=200, payload=self._render(deployment, call.now, set()))

    def update(self, call: Call) -> Reply:
        deployment_id = call.params["id"]
        current = self.records.get(deployment_id)
        if current is None:
            return not_found(WHAT, deployment_id)
        body = read_body(call.request, DEPLOYMENT, WHAT, strict=self.knobs.strict_fields)
        if isinstance(body, Reply):
            return body
        resolved = self._resolve(body, deployment_id)
        if isinstance(resolved, Reply):
            return resolved
        status = resolved.pop("status") or current["status"]
        if status == "Error":
            status = "Active"  # a full PUT onto a valid configuration repairs it
        deployment = {"id": deployment_id, **resolved, "status": status}
        deployment.update(
            snippet=current["snippet"],
            dateCreated=current["dateCreated"],
            dateModified=self.ctx.now_iso(),
            lastModifiedUser=dict(SANDBOX_USER),
            selfUri=current["selfUri"],
        )
        self.records[deployment_id] = deployment
        self._active_at[deployment_id] = call.now + self.knobs.deployment_activate_s
        self.lag.book(call.now, deployment_id, current)
        return Reply(status=200, payload=self._render(deployment, call.now, set()))

    def delete(self, call: Call) -> Reply:
        deployment_id = call.params["id"]
        current = self.records.pop(deployment_id, None)
        if current is None:
            return not_found(WHAT, deployment_id)
        self._forget(deployment_id, call.now)
        self._deleting[deployment_id] = (call.now + self.knobs.delete_visible_s, current)
        self.lag.book(call.now, deployment_id, current)
        return Reply(status=204)


def _ref(target: dict[str, Any], path: str) -> dict[str, Any]:
    return {"id": target["id"], "name": target.get("name", ""), "selfUri": f"{path}/{target['id']}"}


def _not_here(call: Call) -> Reply:
    return problem(
        501, "not.implemented", "Identity resolution is not emulated by the sandbox (out of scope)."
    )
