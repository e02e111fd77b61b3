"""Configurations (listing, create, versions, draft read and write, publish, delete): a draft plus
published versions "1", "2", ...

State slice ``webDeploymentConfiguration``: one record per configuration,
``{id, dateCreated, draft, versions}``, where ``draft`` and each of ``versions`` is a whole
``WebDeploymentConfigurationVersion`` as the API answers it, stored settled (status Active).
What changes with time lives in memory only, on the app's clock: a new configuration answers
404 to reads for ``config_get_404_after_create_s``; a created or replaced draft is ``Pending``
for ``config_draft_activate_s`` (publish is then a 400 with ``publish_400_while_pending``); a
deleted one still answers version and draft reads with status ``Deleting`` for
``delete_visible_s``. A state file loaded later has every object settled.
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
    DRAFT,
    SANDBOX_USER,
    TimedRoute,
    conflict_name,
    invalid,
    not_found,
    read_body,
)
from reconciler.sandbox.webdeployments.paging import cursor_page
from reconciler.sandbox.webdeployments.schema import CONFIGURATION, with_defaults
from reconciler.sandbox.wire import Detail, Reply, problem

if TYPE_CHECKING:
    pass

WHAT = "web deployment configuration"


def version_uri(config_id: str, version: str) -> str:
    return f"{CONFIGURATIONS}/{config_id}/versions/{'draft' if version == DRAFT else version}"


def published(record: dict[str, Any]) -> list[str]:
    """The record's published version numbers, as strings, in numeric order."""
    return [v["version"] for v in record["versions"]]


def version_of(record: dict[str, Any], version: str) -> dict[str, Any] | None:
    """The stored version ``version`` (``DRAFT`` or a number) of a record, or None."""
    if version.upper() == DRAFT:
        return dict(record["draft"])
    for item in record["versions"]:
        if item["version"] == version:
            return dict(item)
    return None


def _feature_problems(body: dict[str, Any], unavailable: frozenset[str]) -> list[Detail]:
    return [
        Detail(
            error_code="feature is not yet implemented",
            field_name=feature,
            reason=f"{feature}: feature is not yet implemented for this organization",
        )
        for feature in sorted(unavailable)
        if isinstance(body.get(feature), dict) and body[feature].get("enabled") is True
    ]


def _rule_problems(body: dict[str, Any]) -> list[Detail]:
    languages, default = body.get("languages"), body.get("defaultLanguage")
    messenger = body.get("messenger")
    if isinstance(messenger, dict) and messenger.get("enabled") is True:
        # The SDK's docstrings: both are "required if the messenger is enabled".
        missing = [key for key in ("languages", "defaultLanguage") if not body.get(key)]
        if missing:
            return [
                Detail(
                    error_code="required",
                    field_name=key,
                    reason=f"{key}: is required when the messenger is enabled",
                )
                for key in missing
            ]
    if isinstance(languages, list) and isinstance(default, str) and default not in languages:
        reason = "defaultLanguage: must be one of languages"
        return [Detail(error_code="value.invalid", field_name="defaultLanguage", reason=reason)]
    return []


class ConfigurationRoutes(TimedRoute):
    """The configuration routes; they read the deployment slice for delete and publish."""

    kinds: ClassVar[tuple[str, ...]] = (CONFIGURATION_KIND,)

    def endpoints(self) -> Sequence[Endpoint]:
        one = f"{CONFIGURATIONS}/{{id}}"
        return [
            Endpoint(CONFIGURATIONS, {"GET": self.listing, "POST": self.create}),
            Endpoint(one, {"DELETE": self.delete}),
            Endpoint(f"{one}/versions", {"GET": self.versions}),
            Endpoint(f"{one}/versions/draft", {"GET": self.get_draft, "PUT": self.put_draft}),
            Endpoint(f"{one}/versions/draft/publish", {"POST": self.publish}),
            Endpoint(f"{one}/versions/{{version}}", {"GET": self.get_version}),
        ]

    @classmethod
    def check_stored(cls, kind: str, obj: dict[str, Any]) -> str:
        problem_ = super().check_stored(kind, obj)
        if problem_:
            return problem_
        draft, versions = obj.get("draft"), obj.get("versions")
        if not isinstance(draft, dict) or draft.get("version") != DRAFT:
            return "draft must be an object with version DRAFT"
        if not isinstance(versions, list) or not all(
            isinstance(v, dict) and str(v.get("version", "")).isdigit() for v in versions
        ):
            return "versions must be a list of numbered versions"
        return ""

    # -- helpers -----------------------------------------------------------------------------

    def _forget(self, object_id: str, now: float) -> None:
        """Drop a deleted object's timers, and the deleted objects no longer shown."""
        self._readable_at.pop(object_id, None)
        self._active_at.pop(object_id, None)
        for key in [k for k, (until, _) in self._deleting.items() if until <= now]:
            del self._deleting[key]

    @property
    def records(self) -> dict[str, dict[str, Any]]:
        return self.state.objects(CONFIGURATION_KIND)

    def _render(self, version: dict[str, Any], now: float) -> dict[str, Any]:
        out = copy.deepcopy(version)
        if out.get("version") == DRAFT and now < self._active_at.get(str(out["id"]), now):
            out["status"] = "Pending"
        return out

    def _readable(self, config_id: str, now: float) -> tuple[dict[str, Any] | None, bool]:
        """(record, deleting) for a read; (None, False) when it answers 404."""
        record = self.records.get(config_id)
        if record is not None:
            return (None, False) if now < self._readable_at.get(config_id, now) else (record, False)
        ghost = self._deleting.get(config_id)
        if ghost is not None and now < ghost[0]:
            return ghost[1], True
        return None, False

    def _check(self, body: dict[str, Any], config_id: str | None) -> Reply | None:
        details = _feature_problems(body, self.knobs.unavailable_features)
        if details:
            reasons = "; ".join(d.reason for d in details)
            return problem(400, "bad.request", reasons, details)
        details = _rule_problems(body)
        if details:
            return invalid(WHAT, details)
        if self.knobs.unique_names:
            key = str(body["name"]).casefold()
            for other in self.records.values():
                if other["id"] != config_id and str(other["draft"]["name"]).casefold() == key:
                    return conflict_name(WHAT, str(body["name"]), other["draft"])
        return None

    def _book(self, now: float, config_id: str, before: dict[str, Any] | None) -> None:
        self.lag.book(now, config_id, before)

    # -- listings: configurations, versions ------------------------------------------------

    def listing(self, call: Call) -> Reply:
        view = self.lag.view(call.now, self.records)
        only_published = call.request.query.get("showOnlyPublished", "").lower() == "true"
        items = sorted(
            (
                (f"{record['dateCreated']}|{record['id']}", record["draft"])
                for record in view.values()
                if record["versions"] or not only_published
            ),
            key=lambda item: item[0],
        )
        return cursor_page(
            items,
            call.request,
            CONFIGURATIONS,
            render=lambda draft: self._render(draft, call.now),
            keep=("showOnlyPublished",),
            sticky=self.knobs.sticky_last_cursor,
            cap=self.knobs.max_page_size,
        )

    def versions(self, call: Call) -> Reply:
        config_id = call.params["id"]
        record, deleting = self._readable(config_id, call.now)
        if record is None or deleting:
            return not_found(WHAT, config_id)
        items = [("0" * 10, record["draft"])] if self.knobs.versions_list_draft else []
        items += [(f"{int(v['version']):010d}", v) for v in record["versions"]]
        return cursor_page(
            items,
            call.request,
            f"{CONFIGURATIONS}/{config_id}/versions",
            render=lambda version: self._render(version, call.now),
            sticky=self.knobs.sticky_last_cursor,
            cap=self.knobs.max_page_size,
        )

    # -- reads: a version, the draft -------------------------------------------------------

    def get_draft(self, call: Call) -> Reply:
        return self._get(call.params["id"], DRAFT, call.now)

    def get_version(self, call: Call) -> Reply:
        return self._get(call.params["id"], call.params["version"], call.now)

    def _get(self, config_id: str, version: str, now: float) -> Reply:
        record, deleting = self._readable(config_id, now)
        if record is None:
            return not_found(WHAT, config_id)
        found = version_of(record, version)
        if found is None:
            return not_found(f"version of {WHAT} {config_id!r}", version, "version")
        out = self._render(found, now)
        if deleting:
            out["status"] = "Deleting"
        return Reply(status=200, payload=out)

    # -- writes: create, draft, publish, delete --------------------------------------------

    def create(self, call: Call) -> Reply:
        body = read_body(call.request, CONFIGURATION, WHAT, strict=self.knobs.strict_fields)
        if isinstance(body, Reply):
            return body
        refused = self._check(body, None)
        if refused is not None:
            return refused
        config_id = self.ctx.new_id()
        while config_id in self.records or config_id in self._deleting:
            config_id = self.ctx.new_id()
        stamp = self.ctx.now_iso()
        draft = {"id": config_id, "name": body["name"], "version": DRAFT}
        draft.update(with_defaults(body))
        enabled = (draft.get("messenger") or {}).get("enabled") is True
        if enabled and "languages" not in draft and "defaultLanguage" not in draft:
            # The Messenger is on by default, and an enabled Messenger has languages: a body
            # that names none gets the admin UI's default (an assumption, like every default).
            draft.update(languages=["en-us"], defaultLanguage="en-us")
        draft.update(
            dateCreated=stamp,
            dateModified=stamp,
            createdUser=dict(SANDBOX_USER),
            lastModifiedUser=dict(SANDBOX_USER),
            status="Active",
            selfUri=version_uri(config_id, DRAFT),
        )
        self.records[config_id] = {
            "id": config_id,
            "dateCreated": stamp,
            "draft": draft,
            "versions": [],
        }
        self._readable_at[config_id] = call.now + self.knobs.config_get_404_after_create_s
        self._active_at[config_id] = call.now + self.knobs.config_draft_activate_s
        self._book(call.now, config_id, None)
        return Reply(status=200, payload=self._render(draft, call.now))

    def put_draft(self, call: Call) -> Reply:
        config_id = call.params["id"]
        record = self.records.get(config_id)
        if record is None:
            return not_found(WHAT, config_id)
        body = read_body(call.request, CONFIGURATION, WHAT, strict=self.knobs.strict_fields)
        if isinstance(body, Reply):
            return body
        refused = self._check(body, config_id)
        if refused is not None:
            return refused
        before = copy.deepcopy(record)
        old = record["draft"]
        # A full replace: what the body leaves out is gone (a PUT replaces).
        draft = {"id": config_id, "name": body["name"], "version": DRAFT, **body}
        draft.update(
            dateCreated=old["dateCreated"],
            dateModified=self.ctx.now_iso(),
            createdUser=old.get("createdUser", dict(SANDBOX_USER)),
            lastModifiedUser=dict(SANDBOX_USER),
            status="Active",
            selfUri=version_uri(config_id, DRAFT),
        )
        record["draft"] = draft
        self._active_at[config_id] = call.now + self.knobs.config_draft_activate_s
        self._book(call.now, config_id, before)
        return Reply(status=200, payload=self._render(draft, call.now))

    def publish(self, call: Call) -> Reply:
        config_id = call.params["id"]
        record = self.records.get(config_id)
        if record is None:
            return not_found(WHAT, config_id)
        pending = call.now < self._active_at.get(config_id, call.now)
        if pending and self.knobs.publish_400_while_pending:
            detail = Detail(error_code="draft.not.active", field_name="status")
            return problem(
                400,
                "bad.request",
                "The configuration draft is not active yet; publish it once its status is Active.",
                [detail],
            )
        before = copy.deepcopy(record)
        number = str(max((int(v) for v in published(record)), default=0) + 1)
        stamp = self.ctx.now_iso()
        version = copy.deepcopy(record["draft"])
        version.update(
            version=number,
            status="Active",
            datePublished=stamp,
            publishedUser=dict(SANDBOX_USER),
            selfUri=version_uri(config_id, number),
        )
        record["versions"].append(version)
        self._book(call.now, config_id, before)
        if self.knobs.follow_latest_on_publish:
            for deployment in self.state.objects(DEPLOYMENT_KIND).values():
                if deployment.get("configuration", {}).get("id") == config_id:
                    deployment["configuration"]["version"] = number
                    deployment["dateModified"] = stamp
        return Reply(status=200, payload=copy.deepcopy(version))

    def delete(self, call: Call) -> Reply:
        config_id = call.params["id"]
        record = self.records.get(config_id)
        if record is None:
            return not_found(WHAT, config_id)
        users = sorted(
            d["id"]
            for d in self.state.objects(DEPLOYMENT_KIND).values()
            if d.get("configuration", {}).get("id") == config_id
        )
        if users and self.knobs.delete_in_use == "refuse":
            details = [
                Detail(error_code="in.use", field_name="configuration", entity_id=user)
                for user in users
            ]
            return problem(
                409,
                "general.conflict",
                f"The configuration is used by {len(users)} deployment(s); delete them first.",
                details,
            )
        for deployment in self.state.objects(DEPLOYMENT_KIND).values():
            if deployment["id"] in users:
                deployment["status"] = "Error"
        del self.records[config_id]
        self._forget(config_id, call.now)
        self._deleting[config_id] = (call.now + self.knobs.delete_visible_s, record)
        self._book(call.now, config_id, record)
        return Reply(status=204)
