"""The one table of what each request this tool sends needs: Genesys permissions and OAuth scopes.

Every path an adapter or ``doctor`` requests is listed here once, with the permissions its
role must hold and the OAuth scope a user-context grant needs (a client-credentials client
gets its rights from its roles alone). Three readers use the table:

- the session: a 403 becomes one line naming the permission the request needed
  (``explain``), instead of the server's wording;
- ``reconciler doctor``: one cheap request per permission the specs and the environment need;
- ``tests/docs/test_permissions_doc.py``: ``docs/permissions.md`` must list, per command,
  exactly the permissions of the requests that command is seen sending to the emulator.

Permission strings are the ones the Genesys SDKs' generated API documentation gives per
operation ("Requires ALL permissions" / "Requires ANY permissions"); scopes are the ones the
Terraform provider's generated resource documentation names. The SDK's Python docstrings
(``apis/*.py``) do not carry them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from reconciler.errors import ApiErrorInfo, PermissionDeniedError


@dataclass(frozen=True, slots=True, kw_only=True)
class Need:
    """What one request (method and path template) needs."""

    method: str
    template: str
    #: What the request does, for messages ("list the inbound message flows").
    purpose: str
    permissions: tuple[str, ...]
    #: ``True``: any one of ``permissions`` is enough; ``False``: all of them are needed.
    any_of: bool = False
    #: OAuth scope of a user-context grant (the read-only scope for a GET).
    scope: str = ""
    #: The kind whose adapter sends it; ``target``: the reference target it lists (flows...),
    #: read only when a spec names one by name.
    kind: str = ""
    target: str = ""
    #: A 404 means nothing is set (an org with no default messaging setting), not that the
    #: org lacks the API.
    absent_ok: bool = False

    @property
    def probe(self) -> bool:
        """Whether one cheap request (a GET of a listing, ``pageSize=1``) checks it."""
        return self.method == "GET" and "{" not in self.template

    @property
    def writes(self) -> bool:
        return self.method != "GET"

    @property
    def permission_text(self) -> str:
        joiner = " or " if self.any_of else " and "
        return joiner.join(self.permissions)

    def matches(self, method: str, path: str) -> bool:
        return method.upper() == self.method and _pattern(self.template).fullmatch(path) is not None


_CONFIGS = "/api/v2/webdeployments/configurations"
_DEPLOYMENTS = "/api/v2/webdeployments/deployments"
_CHANNELS = "/api/v2/webmessaging/channels"
_WD_READ, _WD_WRITE = "webdeployments:readonly", "webdeployments"
_WD, _CH = "webDeployment", "channel"
_SC = "/api/v2/conversations/messaging/supportedcontent"
_MS = "/api/v2/conversations/messaging/settings"
_TT = "/api/v2/conversations/messaging/threadingtimeline"
_SCK, _MSK, _MD = "supportedContent", "messagingSetting", "messagingDefaults"

#: Every request the tool sends, most literal templates first (``versions/draft`` before
#: ``versions/{version}``).
NEEDS: tuple[Need, ...] = (
    Need(
        method="GET",
        template=_CONFIGS,
        purpose="list the web deployment configurations",
        permissions=("webDeployments:configuration:view",),
        scope=_WD_READ,
        kind=_WD,
    ),
    Need(
        method="POST",
        template=_CONFIGS,
        purpose="create a web deployment configuration",
        permissions=("webDeployments:configuration:add",),
        scope=_WD_WRITE,
        kind=_WD,
    ),
    Need(
        method="GET",
        template=f"{_CONFIGS}/{{id}}/versions",
        purpose="list a configuration's versions",
        permissions=("webDeployments:configuration:view",),
        scope=_WD_READ,
        kind=_WD,
    ),
    Need(
        method="GET",
        template=f"{_CONFIGS}/{{id}}/versions/draft",
        purpose="read a configuration's draft",
        permissions=("webDeployments:configuration:view",),
        scope=_WD_READ,
        kind=_WD,
    ),
    Need(
        method="PUT",
        template=f"{_CONFIGS}/{{id}}/versions/draft",
        purpose="write a configuration's draft",
        permissions=("webDeployments:configuration:edit",),
        scope=_WD_WRITE,
        kind=_WD,
    ),
    Need(
        method="POST",
        template=f"{_CONFIGS}/{{id}}/versions/draft/publish",
        purpose="publish a configuration's draft",
        permissions=("webDeployments:configuration:edit", "webDeployments:configuration:add"),
        scope=_WD_WRITE,
        kind=_WD,
    ),
    Need(
        method="GET",
        template=f"{_CONFIGS}/{{id}}/versions/{{version}}",
        purpose="read a published configuration version",
        permissions=("webDeployments:configuration:view",),
        scope=_WD_READ,
        kind=_WD,
    ),
    Need(
        method="DELETE",
        template=f"{_CONFIGS}/{{id}}",
        purpose="delete a web deployment configuration",
        permissions=("webDeployments:configuration:delete",),
        scope=_WD_WRITE,
        kind=_WD,
    ),
    Need(
        method="GET",
        template=_DEPLOYMENTS,
        purpose="list the web deployments",
        permissions=("webDeployments:deployment:view",),
        scope=_WD_READ,
        kind=_WD,
    ),
    Need(
        method="POST",
        template=_DEPLOYMENTS,
        purpose="create a web deployment",
        permissions=("webDeployments:deployment:add",),
        scope=_WD_WRITE,
        kind=_WD,
    ),
    Need(
        method="GET",
        template=f"{_DEPLOYMENTS}/{{id}}",
        purpose="read a web deployment",
        permissions=("webDeployments:deployment:view",),
        scope=_WD_READ,
        kind=_WD,
    ),
    Need(
        method="PUT",
        template=f"{_DEPLOYMENTS}/{{id}}",
        purpose="update a web deployment",
        permissions=("webDeployments:deployment:edit",),
        scope=_WD_WRITE,
        kind=_WD,
    ),
    Need(
        method="DELETE",
        template=f"{_DEPLOYMENTS}/{{id}}",
        purpose="delete a web deployment",
        permissions=("webDeployments:deployment:delete",),
        scope=_WD_WRITE,
        kind=_WD,
    ),
    Need(
        method="GET",
        template="/api/v2/flows",
        purpose="list the inbound message flows (to resolve a flow named by name)",
        permissions=("architect:flow:view",),
        any_of=True,
        scope="architect:readonly",
        kind=_WD,
        target="flow",
    ),
    Need(
        method="GET",
        template="/api/v2/conversations/messaging/supportedcontent",
        purpose="list the supported content profiles (to resolve a profile named by name)",
        permissions=("messaging:supportedContent:view",),
        scope="messaging:readonly",
        kind=_WD,
        target="supportedContent",
    ),
    # Supported content profiles, messaging settings and the org's messaging defaults.
    Need(
        method="POST",
        template=_SC,
        purpose="create a supported content profile",
        permissions=("messaging:supportedContent:add",),
        scope="messaging",
        kind=_SCK,
    ),
    Need(
        method="GET",
        template=f"{_SC}/default",
        purpose="read the org's default supported content profile",
        permissions=("messaging:supportedContent:view",),
        scope="messaging:readonly",
        kind=_MD,
    ),
    Need(
        method="PUT",
        template=f"{_SC}/default",
        purpose="set the org's default supported content profile",
        permissions=("messaging:supportedContent:edit",),
        scope="messaging",
        kind=_MD,
    ),
    Need(
        method="GET",
        template=f"{_SC}/{{id}}",
        purpose="read a supported content profile",
        permissions=("messaging:supportedContent:view",),
        scope="messaging:readonly",
        kind=_SCK,
    ),
    Need(
        method="PATCH",
        template=f"{_SC}/{{id}}",
        purpose="update a supported content profile",
        permissions=("messaging:supportedContent:edit",),
        scope="messaging",
        kind=_SCK,
    ),
    Need(
        method="DELETE",
        template=f"{_SC}/{{id}}",
        purpose="delete a supported content profile",
        permissions=("messaging:supportedContent:delete",),
        scope="messaging",
        kind=_SCK,
    ),
    Need(
        method="GET",
        template=_MS,
        purpose="list the messaging settings",
        permissions=("messaging:setting:view",),
        scope="messaging:readonly",
        kind=_MSK,
    ),
    Need(
        method="POST",
        template=_MS,
        purpose="create a messaging setting",
        permissions=("messaging:setting:add",),
        scope="messaging",
        kind=_MSK,
    ),
    Need(
        method="GET",
        template=f"{_MS}/default",
        purpose="read the org's default messaging setting",
        permissions=("messaging:setting:view",),
        scope="messaging:readonly",
        kind=_MD,
        absent_ok=True,
    ),
    Need(
        method="PUT",
        template=f"{_MS}/default",
        purpose="set the org's default messaging setting",
        permissions=("messaging:setting:edit",),
        scope="messaging",
        kind=_MD,
    ),
    Need(
        method="GET",
        template=f"{_MS}/{{id}}",
        purpose="read a messaging setting",
        permissions=("messaging:setting:view",),
        scope="messaging:readonly",
        kind=_MSK,
    ),
    Need(
        method="PATCH",
        template=f"{_MS}/{{id}}",
        purpose="update a messaging setting",
        permissions=("messaging:setting:edit",),
        scope="messaging",
        kind=_MSK,
    ),
    Need(
        method="DELETE",
        template=f"{_MS}/{{id}}",
        purpose="delete a messaging setting",
        permissions=("messaging:setting:delete",),
        scope="messaging",
        kind=_MSK,
    ),
    Need(
        method="GET",
        template=_TT,
        purpose="read the messaging threading timeline",
        permissions=("conversation:threadingTimeline:view",),
        kind=_MD,
    ),
    Need(
        method="PUT",
        template=_TT,
        purpose="write the messaging threading timeline",
        permissions=("conversation:threadingTimeline:edit",),
        kind=_MD,
    ),
    # The tutorial's channels API: no real org serves it, so it has no Genesys permission.
    Need(
        method="GET",
        template=_CHANNELS,
        purpose="list the tutorial channels",
        permissions=(),
        kind=_CH,
    ),
    Need(
        method="POST",
        template=_CHANNELS,
        purpose="create a tutorial channel",
        permissions=(),
        kind=_CH,
    ),
    Need(
        method="GET",
        template=f"{_CHANNELS}/{{id}}",
        purpose="read a tutorial channel",
        permissions=(),
        kind=_CH,
    ),
    Need(
        method="PUT",
        template=f"{_CHANNELS}/{{id}}",
        purpose="update a tutorial channel",
        permissions=(),
        kind=_CH,
    ),
    Need(
        method="DELETE",
        template=f"{_CHANNELS}/{{id}}",
        purpose="delete a tutorial channel",
        permissions=(),
        kind=_CH,
    ),
)

_PATTERNS: dict[str, re.Pattern[str]] = {}


def _pattern(template: str) -> re.Pattern[str]:
    compiled = _PATTERNS.get(template)
    if compiled is None:
        parts = re.split(r"(\{[^}]+\})", template)
        text = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
        compiled = _PATTERNS[template] = re.compile(text)
    return compiled


def need_of(method: str, path: str) -> Need | None:
    """The entry of a concrete request (``GET /api/v2/flows``), or None when unlisted."""
    for need in NEEDS:
        if need.matches(method, path):
            return need
    return None


def need_of_template(method: str, template: str) -> Need | None:
    """The entry of a request named by its template (as the emulator counts requests)."""
    for need in NEEDS:
        if need.method == method.upper() and need.template == template:
            return need
    return None


def probes(kind_names: Iterable[str], targets: Iterable[str] = ()) -> list[Need]:
    """The cheap listings that check what these kinds (and these reference targets) need."""
    wanted, named = set(kind_names), set(targets)
    return [
        need
        for need in NEEDS
        if need.probe and need.kind in wanted and (not need.target or need.target in named)
    ]


def permissions_of(needs: Iterable[Need]) -> set[str]:
    return {permission for need in needs for permission in need.permissions}


class MissingPermissionError(PermissionDeniedError):
    """A 403 explained: which permission the request needed, and (when known) for what."""

    def __init__(self, info: ApiErrorInfo, message: str) -> None:
        super().__init__(info)
        self.message = message
        self.args = (message,)


def explain(error: PermissionDeniedError, *, needed_by: str = "") -> MissingPermissionError:
    """One line for a 403: the request, the permission its role lacks, the scope, the fix;
    ``needed_by`` names the spec (or environment) that made the request necessary."""
    info = error.info
    need = need_of(info.method, info.path) if info.method else None
    where = f"{info.method} {info.path}" if info.method else "a request"
    if need is None or not need.permissions:
        what = f"the OAuth client may not do this ({info.code or 'HTTP 403'})"
    else:
        what = f"the OAuth client's role lacks {need.permission_text} (to {need.purpose}"
        what += f"; OAuth scope {need.scope})" if need.scope else ")"
    text = f"{where} was refused (HTTP 403): {what}"
    if needed_by:
        text += f"; needed by {needed_by}"
    text += "; grant it to the role (docs/permissions.md lists each command's)"
    if info.correlation_id:
        text += f" (correlation id {info.correlation_id})"
    return MissingPermissionError(info, text)
