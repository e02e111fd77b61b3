"""The permission each emulated route checks, spelled here on its own (the emulator is an
independent oracle: it never reads the client's table), from the Genesys SDKs' generated API
documentation ("Requires ALL permissions" / "Requires ANY permissions" per operation).

``SandboxConfig.denied_permissions`` lists what the emulated OAuth client's role lacks: a
request whose route needs one of them (all of its ANY-of set) is answered 403
``missing.permissions``, naming them, as a real org does, before anything is read or written.
The tutorial channels API needs no permission (no real org serves it).
"""

from __future__ import annotations

from collections.abc import Collection

from reconciler.sandbox.wire import Reply, problem

_C = "/api/v2/webdeployments/configurations"
_D = "/api/v2/webdeployments/deployments"

#: (method, route template) -> (permissions, any_of).
REQUIRED: dict[tuple[str, str], tuple[tuple[str, ...], bool]] = {
    ("GET", _C): (("webDeployments:configuration:view",), False),
    ("POST", _C): (("webDeployments:configuration:add",), False),
    ("GET", f"{_C}/{{id}}/versions"): (("webDeployments:configuration:view",), False),
    ("GET", f"{_C}/{{id}}/versions/draft"): (("webDeployments:configuration:view",), False),
    ("PUT", f"{_C}/{{id}}/versions/draft"): (("webDeployments:configuration:edit",), False),
    ("POST", f"{_C}/{{id}}/versions/draft/publish"): (
        ("webDeployments:configuration:edit", "webDeployments:configuration:add"),
        False,
    ),
    ("GET", f"{_C}/{{id}}/versions/{{version}}"): (("webDeployments:configuration:view",), False),
    ("DELETE", f"{_C}/{{id}}"): (("webDeployments:configuration:delete",), False),
    ("GET", _D): (("webDeployments:deployment:view",), False),
    ("POST", _D): (("webDeployments:deployment:add",), False),
    ("GET", f"{_D}/{{id}}"): (("webDeployments:deployment:view",), False),
    ("PUT", f"{_D}/{{id}}"): (("webDeployments:deployment:edit",), False),
    ("DELETE", f"{_D}/{{id}}"): (("webDeployments:deployment:delete",), False),
    ("GET", "/api/v2/flows"): (("architect:flow:view",), True),
    ("GET", "/api/v2/flows/{id}"): (("architect:flow:view",), True),
    ("GET", "/api/v2/conversations/messaging/supportedcontent"): (
        ("messaging:supportedContent:view",),
        False,
    ),
    ("GET", "/api/v2/conversations/messaging/supportedcontent/{id}"): (
        ("messaging:supportedContent:view",),
        False,
    ),
}


def refused(method: str, template: str, denied: Collection[str]) -> Reply | None:
    """The 403 for a request whose role lacks what the route needs, or None."""
    if not denied:
        return None
    needed, any_of = REQUIRED.get((method, template), ((), False))
    missing = [p for p in needed if p in denied]
    if not missing or (any_of and len(missing) < len(needed)):
        return None
    listed = ", ".join(missing)
    return problem(
        403,
        "missing.permissions",
        "Unable to perform the requested action. You are missing the following "
        f"permission(s): [{listed}]",
    )
