"""``kind: webDeployment``: a Messenger configuration plus the deployment that serves it.

One spec (docs/webdeployments.md) is one live pair. The live object the adapter reads
(``reconciler.genesys.adapters.webdeployment``) has the body::

    {"name", "description",                       the deployment's (marker included)
     "configuration": {...},                      the version the deployment serves, writable fields
     "deployment": {...},                         the deployment's writable fields
     "x-live": {...}}                             facts for apply and the plan (ids, versions)

and its id is the deployment's id, the one the website snippet loads (a pair whose deployment is
missing has the id ``configuration/<id>``). What is compared (``comparable``):

- only what the spec mentions: the live configuration and deployment are projected onto the
  spec's keys (omitted = unmanaged), after the same normalisation on both sides
  (docs/webdeployments.md#what-is-compared);
- the description without the ownership marker, only when the spec has one;
- the served version: with ``configurationVersion: latest`` (the default) a deployment that does
  not serve the configuration's latest published version differs (an out-of-band publish), and
  when apply will publish, a derived ``configuration.version`` line shows the version it makes
  (``"1" -> "2"``); a pinned spec compares the version number itself.

Names are not unique on the server, so two live pairs with one spec's name fail the plan.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from reconciler.kinds import webdeployment_rules as rules
from reconciler.kinds.base import (
    MISSING,
    ChangeView,
    Impact,
    Reference,
    ResourceKind,
    copy_json,
    likely_renamed,
)
from reconciler.model import Diagnostic, LiveResource, Spec

#: Facts of a live pair that are not fields of either object (never sent, never diffed as such).
LIVE = "x-live"
#: The owner a desired body is written for (never sent as a field).
OWNER = "x-owner"

#: The customer impacts a web deployment change can have, and why each matters.
IMPACT_CODES: Mapping[str, str] = {
    "domains-removed": "websites removed from deployment.allowedDomains (or allowAllDomains "
    "turned off) stop loading the Messenger: customers there lose the chat, mid-conversation "
    "included",
    "all-domains-allowed": "deployment.allowAllDomains turned on: any website, not only yours, "
    "may embed this deployment's snippet and open conversations in your org",
    "deployment-deleted": "the deployment is deleted: every page that embeds its snippet (the "
    "snippet carries the deployment id) stops showing the Messenger",
    "snippet-id-changed": "a deployment is deleted and one of a like name created (a rename "
    "without renamedFrom): the new one has a new id, so every page must get a new snippet",
    "messaging-off": "deployment.status goes to Inactive: the Messenger stops loading on every "
    "website that embeds the deployment",
    "session-persistence-changed": "configuration.messenger.sessionPersistenceType changes: "
    "where a visitor's session is kept (across subdomains or not); visitors moving between "
    "sites may lose their ongoing conversation",
    "session-duration-changed": "configuration.messenger.apps.conversations."
    "sessionDurationSeconds changes: how long a guest's session lasts; a shorter one cuts "
    "returning customers off their conversation history sooner",
}
DOMAINS = ("deployment", "allowedDomains")
SESSION_PERSISTENCE = "configuration.messenger.sessionPersistenceType"
SESSION_DURATION = "configuration.messenger.apps.conversations.sessionDurationSeconds"


class WebDeploymentKind(ResourceKind):
    name: ClassVar[str] = rules.KIND
    label: ClassVar[str] = "web deployment"
    schema_resource: ClassVar[str] = rules.SCHEMA_RESOURCE
    server_fields: ClassVar[tuple[str, ...]] = (LIVE, OWNER)
    #: A deployment names a supported-content profile: created and updated after profiles,
    #: deleted before them.
    depends_on: ClassVar[tuple[str, ...]] = ("supportedContent",)
    references: ClassVar[tuple[Reference, ...]] = (
        Reference(path=("deployment", "flow"), target="flow", label="inbound message flow"),
        Reference(
            path=("deployment", "supportedContent"),
            target="supportedContent",
            label="supported content profile",
        ),
    )
    import_order: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "": ("kind", "name", "description", "configuration", "deployment"),
        # The order of the API's models (the SDK's), not the alphabet's.
        "configuration": (
            "languages",
            "defaultLanguage",
            "messenger",
            "position",
            "headlessMode",
            "customI18nLabels",
            "cobrowse",
            "journeyEvents",
            "video",
            "supportCenter",
            "authenticationSettings",
        ),
        "configuration.messenger": (
            "enabled",
            "styles",
            "launcherButton",
            "fileUpload",
            "apps",
            "homeScreen",
            "sessionPersistenceType",
        ),
        "configuration.messenger.fileUpload": ("enableAttachments", "modes"),
        "configuration.messenger.apps": ("conversations", "knowledge"),
        "configuration.messenger.apps.conversations": (
            "enabled",
            "showAgentTypingIndicator",
            "showUserTypingIndicator",
            "autoStart",
            "markdown",
            "conversationDisconnect",
            "conversationClear",
            "humanize",
            "notifications",
            "sessionDurationSeconds",
        ),
        "configuration.messenger.homeScreen": ("enabled", "logoUrl"),
        "configuration.position": ("alignment", "sideSpace", "bottomSpace"),
        "configuration.cobrowse": (
            "enabled",
            "allowAgentControl",
            "allowAgentNavigation",
            "allowDraw",
            "channels",
            "maskSelectors",
            "readonlySelectors",
            "pauseCriteria",
        ),
        "deployment": (
            "allowAllDomains",
            "allowedDomains",
            "flow",
            "supportedContent",
            "configurationVersion",
            "status",
        ),
    }
    marker_field: ClassVar[str] = rules.MARKER_KEY
    ambiguous_is_error: ClassVar[bool] = True
    import_folder: ClassVar[str] = "web"
    impact_codes: ClassVar[Mapping[str, str]] = IMPACT_CODES
    domain_fields: ClassVar[tuple[tuple[str, ...], ...]] = (DOMAINS,)
    all_domains_fields: ClassVar[tuple[tuple[str, ...], ...]] = (("deployment", "allowAllDomains"),)

    # -- ownership ------------------------------------------------------------------------

    def owner_of(self, body: Mapping[str, Any]) -> str | None:
        owner = body.get(OWNER)
        if isinstance(owner, str):
            return owner
        return rules.read_marker(body.get("description"))

    def with_owner(self, body: dict[str, Any], owner: str) -> dict[str, Any]:
        body[OWNER] = owner
        return body

    def without_owner(self, body: Mapping[str, Any]) -> dict[str, Any]:
        result = {k: v for k, v in body.items() if k != OWNER}
        if "description" in result:
            result["description"] = rules.strip_marker(result["description"])
        return result

    # -- what is sent ---------------------------------------------------------------------

    def desired(self, spec_body: Mapping[str, Any], owner: str) -> dict[str, Any]:
        """The spec as the apply writes it: references resolved to ids (by the planner), the
        deployment's fields as the API spells them, and the owner to mark both objects with."""
        result: dict[str, Any] = {"name": spec_body["name"]}
        if "description" in spec_body:
            result["description"] = spec_body["description"]
        if isinstance(spec_body.get("configuration"), dict):
            result["configuration"] = copy_json(spec_body["configuration"])
        block = spec_body.get("deployment")
        if isinstance(block, dict):
            flow = block.get("flow")
            profile = block.get("supportedContent")
            deployment = rules.desired_deployment(
                block,
                flow_id=flow.get("id") if isinstance(flow, dict) else None,
                supported_content_id=profile.get("id") if isinstance(profile, dict) else None,
            )
            deployment["configurationVersion"] = block.get("configurationVersion", rules.LATEST)
            result["deployment"] = deployment
        return self.with_owner(result, owner)

    def shown_body(self, desired: Mapping[str, Any]) -> dict[str, Any]:
        """Without the owner, and without ``allowAllDomains: false``: ``desired`` adds it
        beside ``allowedDomains`` for the API, and a spec may not write it."""
        shown = self.without_owner(desired)
        block = shown.get("deployment")
        if isinstance(block, dict) and block.get("allowAllDomains") is False:
            shown["deployment"] = {k: v for k, v in block.items() if k != "allowAllDomains"}
        return shown

    def normalise(self, body: Mapping[str, Any]) -> dict[str, Any]:
        result = self.without_owner({k: v for k, v in body.items() if k != LIVE})
        if isinstance(result.get("configuration"), dict):
            result["configuration"] = rules.normalise_configuration(result["configuration"])
        if isinstance(result.get("deployment"), dict):
            result["deployment"] = rules.normalise_deployment(result["deployment"])
        return result

    def comparable(
        self, desired: Mapping[str, Any], live: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        wanted = self.normalise(desired)
        seen = self.normalise(live)
        raw = live.get(LIVE)
        facts: Mapping[str, Any] = raw if isinstance(raw, dict) else {}
        current: dict[str, Any] = {"name": seen.get("name")}
        if "description" in wanted:
            current["description"] = seen.get("description", "")
        block = wanted.get("deployment")
        pin = block.get("configurationVersion") if isinstance(block, dict) else rules.LATEST
        served, latest = facts.get("servedVersion"), facts.get("latestVersion")
        if "configuration" in wanted:
            current["configuration"] = rules.managed_view(
                wanted["configuration"], seen.get("configuration") or {}
            )
        if isinstance(block, dict):
            live_block = seen.get("deployment")
            current["deployment"] = (
                rules.managed_view(block, live_block) if isinstance(live_block, dict) else {}
            )
            if (
                isinstance(live_block, dict)
                and live_block.get("allowAllDomains") is True
                and "allowedDomains" in block
            ):
                # A list of domains replaces "every website": the diff says so (an impact).
                current["deployment"]["allowAllDomains"] = True
            if isinstance(live_block, dict):
                # The version the deployment serves, as the spec says it: "latest" when it is.
                shown = rules.LATEST if pin == rules.LATEST and served == latest else served
                current["deployment"]["configurationVersion"] = shown
        shown_block = current.get("deployment")
        if isinstance(shown_block, dict) and shown_block.get("status") == "Pending":
            shown_block["status"] = wanted["deployment"].get("status")  # a status is never drift
        if self.publishes(wanted, current, facts):
            wanted.setdefault("configuration", {})["version"] = _next(latest)
            current.setdefault("configuration", {})["version"] = served or latest or "none"
        return wanted, current

    def publishes(
        self, wanted: Mapping[str, Any], current: Mapping[str, Any], facts: Mapping[str, Any]
    ) -> bool:
        """Whether applying ``wanted`` publishes a new configuration version."""
        pinned = (wanted.get("deployment") or {}).get("configurationVersion", rules.LATEST)
        if pinned != rules.LATEST:
            return False
        if facts.get("latestVersion") is None:
            return True  # nothing published yet: the apply publishes version 1
        if facts.get("servedVersion") not in (None, facts.get("latestVersion")):
            # Published since the served version (out of band, or a rollback): moving the
            # deployment to the latest version is enough when that version already says what
            # the spec says; otherwise the spec is published on top of it.
            return not self._latest_matches(wanted, current, facts)
        config_changed = wanted.get("configuration", {}) != current.get("configuration", {})
        named = wanted.get("name") != current.get("name") or wanted.get(
            "description", current.get("description")
        ) != current.get("description")
        return config_changed or (named and bool(facts.get("configurationId")))

    def plan_problem(self, desired: Mapping[str, Any], live: LiveResource | None) -> str:
        block = desired.get("deployment")
        pinned = rules.pinned_version(block) if isinstance(block, dict) else None
        if pinned is not None and live is None:
            return (
                f"is pinned to configuration version {pinned}, but no configuration of that "
                "name exists: a pinned spec serves a configuration it never writes (create "
                "it first, or drop configurationVersion)"
            )
        return ""

    def _latest_matches(
        self, wanted: Mapping[str, Any], current: Mapping[str, Any], facts: Mapping[str, Any]
    ) -> bool:
        latest = facts.get("latestConfiguration")
        if not isinstance(latest, dict):
            return False
        desired = wanted.get("configuration", {})
        view = rules.managed_view(desired, rules.normalise_configuration(latest))
        same_names = wanted.get("name") == current.get("name") and wanted.get(
            "description", current.get("description")
        ) == current.get("description")
        return bool(view == desired and same_names)

    def live_notes(self, resource: LiveResource) -> tuple[str, ...]:
        facts = resource.body.get(LIVE)
        if not isinstance(facts, dict):
            return ()
        notes = []
        unpublished = _fields(facts.get("draftChanges"))
        if unpublished:
            notes.append(
                f"its configuration's draft has unpublished changes to {unpublished} (an edit "
                "in the admin UI); an apply that publishes discards them"
            )
        if facts.get("deploymentId") is None:
            notes.append("the configuration has no deployment; apply creates one")
        return tuple(notes)

    # -- customer impact ------------------------------------------------------------------

    def impacts(self, change: ChangeView) -> tuple[Impact, ...]:
        if change.verb == "delete":
            where = f" (id {change.object_id})" if change.object_id else ""
            return (
                Impact(
                    code="deployment-deleted",
                    message=f"deletes the deployment{where}: every page embedding its snippet "
                    "stops showing the Messenger",
                ),
            )
        if change.verb == "create":
            old = likely_renamed(change.name, change.deleted)
            if old is None:
                return ()
            return (
                Impact(
                    code="snippet-id-changed",
                    message=f"replaces the deleted {old!r} with a new deployment (no "
                    "renamedFrom): the snippet id changes, and every page embedding the old "
                    f"snippet breaks; add 'renamedFrom: [{old}]' to rename it in place",
                ),
            )
        found: list[Impact] = []
        found.extend(_domain_impacts(change))
        status = change.change_of("deployment.status")
        if status is not None and status[1] == "Inactive":
            found.append(
                Impact(
                    code="messaging-off",
                    message="status goes to Inactive: the Messenger stops loading on every "
                    "website that embeds this deployment",
                )
            )
        for path, code, what in (
            (SESSION_PERSISTENCE, "session-persistence-changed", "session persistence"),
            (SESSION_DURATION, "session-duration-changed", "guest session duration"),
        ):
            moved = change.change_of(path)
            if moved is not None:
                found.append(
                    Impact(
                        code=code,
                        message=f"{what} changes from {_shown(moved[0])} to "
                        f"{_shown(moved[1])}: live and returning visitors' sessions follow the "
                        "new rule, and may lose their ongoing conversation",
                    )
                )
        return tuple(found)

    def action_notes(self, desired: Mapping[str, Any], live: LiveResource) -> tuple[str, ...]:
        """The live notes, saying what the action does to an unpublished draft: publish builds
        the new version from the served one plus the spec, so the draft's own edits are
        discarded, never published unreviewed."""
        notes = list(self.live_notes(live))
        facts = live.body.get(LIVE)
        unpublished = _fields(facts.get("draftChanges") if isinstance(facts, dict) else None)
        if not unpublished or not isinstance(facts, dict):
            return tuple(notes)
        wanted, current = self.comparable(desired, live.body)
        if self.publishes(wanted, current, facts):
            served = facts.get("servedVersion") or facts.get("latestVersion")
            notes[0] = (
                f"the unpublished draft's {unpublished} will be discarded: apply publishes "
                f"the served version {served} with the spec's changes, never an edit nobody "
                "reviewed"
            )
        else:
            notes[0] = (
                f"its configuration's draft has unpublished changes to {unpublished} (an edit "
                "in the admin UI); this plan publishes nothing, so they stay unpublished"
            )
        return tuple(notes)

    # -- specs, events, import ------------------------------------------------------------

    def check_specs(self, specs: Sequence[Spec]) -> list[Diagnostic]:
        return [diagnostic for spec in specs for diagnostic in rules.check_document(spec)]

    def event_details(self, resource: LiveResource) -> dict[str, Any]:
        facts = resource.body.get(LIVE)
        facts = facts if isinstance(facts, dict) else {}
        return {
            "deploymentId": facts.get("deploymentId") or resource.id,
            "configurationId": facts.get("configurationId"),
            "configurationVersion": facts.get("servedVersion"),
        }

    def import_document(self, body: Mapping[str, Any]) -> dict[str, Any]:
        named = {"name": body.get("name"), "description": body.get("description", "")}
        configuration = {**(body.get("configuration") or {}), **named}
        deployment = {**(body.get("deployment") or {}), **named}
        document = rules.spec_from_live(configuration, deployment, self.schema())
        document.pop("kind", None)
        return document


def _domain_impacts(change: ChangeView) -> list[Impact]:
    """Websites that lose the Messenger, or the door opened to every website."""
    flag = change.change_of("deployment.allowAllDomains")
    domains = change.change_of(".".join(DOMAINS))
    all_before = flag is not None and flag[0] is True
    all_after = flag is not None and flag[1] is True
    if all_after:
        return [
            Impact(
                code="all-domains-allowed",
                message="allowAllDomains turns on: any website may embed this deployment's "
                "snippet and open conversations in the org",
            )
        ]
    if all_before:
        kept = domains[1] if domains is not None and isinstance(domains[1], list) else []
        listed = ", ".join(str(d) for d in kept) or "none"
        return [
            Impact(
                code="domains-removed",
                message=f"allowAllDomains turns off: only {listed} keep the Messenger; every "
                "other website that embeds the snippet loses it",
            )
        ]
    if domains is None:
        return []
    before = domains[0] if isinstance(domains[0], list) else []
    after = domains[1] if isinstance(domains[1], list) else []
    removed = sorted(str(d) for d in before if d not in after)
    if not removed:
        return []
    listed = ", ".join(removed)
    return [
        Impact(
            code="domains-removed",
            message=f"removes {listed} from allowedDomains: the Messenger stops loading on "
            f"{'that website' if len(removed) == 1 else 'those websites'}, live chats included",
        )
    ]


def _shown(value: Any) -> str:
    return "(unset)" if value is MISSING else repr(value)


def _fields(paths: Any) -> str:
    """``messenger.styles`` and ``position`` as a plan note names them ('' for none)."""
    if not isinstance(paths, list) or not paths:
        return ""
    named = [f"`{path}`" for path in paths if isinstance(path, str) and path]
    return ", ".join(named[:-1]) + f" and {named[-1]}" if len(named) > 1 else "".join(named)


def _next(version: Any) -> str:
    """The version a publish makes after ``version`` ("1" when nothing is published)."""
    return str(int(version) + 1) if isinstance(version, str) and version.isdigit() else "1"


WEB_DEPLOYMENT = WebDeploymentKind()
