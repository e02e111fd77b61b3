"""The pure rules of the ``webDeployment`` kind: what to compare, what to write, who owns it.

A web deployment spec (docs/webdeployments.md) describes a Messenger configuration and the
deployment that serves it, in the API's own field names. This module holds everything about that
kind that needs no I/O, for the kind module, the planner and the importer to share:

- ``normalise_configuration`` / ``normalise_deployment`` (docs/webdeployments.md#what-is-compared),
  so that values the server rewrites (an absent field for ``[]``, ``#0d6efd`` for ``#0D6EFD``,
  domains in another order) are never a difference. Both are idempotent.
- ``strip_server_fields_configuration`` / ``strip_server_fields_deployment``: drop the fields
  the server sets.
- ``managed_view(desired, live)``: the live object seen through the spec. A field the spec leaves
  out is unmanaged, so the view keeps only the keys the spec mentions, recursively, and a diff of
  the view against the spec shows managed fields only.
- ``overlay(live, desired)``: the body of a read-modify-write PUT
  (docs/webdeployments.md#what-happens-on-apply): the live object with the spec's fields
  written over it. Keys the tool does not model survive.
- ``desired_deployment``: the spec's deployment block as API fields (``allowedDomains: []``
  beside ``allowAllDomains: true``; references by id).
- The ownership marker: a web deployment has no custom attributes, so the owner is a last line of
  both objects' ``description``: ``[x-managed-by: <owner>]`` (the channel kind's attribute key, in
  brackets), separated from the text by a blank line.
- ``pinned_version`` and ``latest_published``: which configuration version a deployment serves
  (``configurationVersion``; the numeric maximum of the published versions, never ``DRAFT``).
- ``spec_from_live``: the spec ``reconciler import`` writes for a live pair.
- ``check_document``: the rules a JSON Schema cannot express, as diagnostics with the place.

Pure: no I/O, no clock; bodies are plain JSON-like values and are never mutated.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from reconciler.model import ChannelSpec, Diagnostic, SourceRef, json_path

KIND = "webDeployment"
#: The kind's JSON Schema, package data of ``reconciler.schemas``.
SCHEMA_RESOURCE = "webdeployment.schema.json"
#: The ``version`` of a configuration's draft, exactly as the API spells it.
DRAFT_VERSION = "DRAFT"

#: Fields of a configuration version the server sets; never written or compared.
CONFIGURATION_SERVER_FIELDS: tuple[str, ...] = (
    "id",
    "version",
    "status",
    "selfUri",
    "dateCreated",
    "dateModified",
    "datePublished",
    "lastModifiedUser",
    "createdUser",
    "publishedUser",
)

#: Fields of a deployment the server sets. ``status`` is not among them: it is
#: writable (Active/Inactive), kept as read on a PUT and compared only when a spec manages it.
DEPLOYMENT_SERVER_FIELDS: tuple[str, ...] = (
    "id",
    "selfUri",
    "snippet",
    "dateCreated",
    "dateModified",
    "lastModifiedUser",
)

#: Deployment statuses a spec may ask for and a write may send; ``Pending``, ``Error`` and
#: ``Deleting`` are the server's own states, never sent back.
WRITABLE_STATUSES: tuple[str, ...] = ("Active", "Inactive")

#: Read-only parts of a deployment's references: only ``id`` (and a configuration's ``version``)
#: are the client's to write.
REFERENCE_SERVER_FIELDS: Mapping[str, tuple[str, ...]] = {
    "flow": ("name", "selfUri", "flowDescription", "publishVersion"),
    "supportedContent": ("name", "selfUri", "mediaTypes"),
}

#: ``cobrowse.pauseCriteria[].condition`` in its canonical casing (compared case-insensitively).
PAUSE_CONDITIONS: tuple[str, ...] = (
    "Includes",
    "DoesNotInclude",
    "StartsWith",
    "EndsWith",
    "Equals",
)

#: Keys push notifications need in ``customI18nLabels`` (the SDK's ``MessengerSettings``).
PUSH_LABEL_KEYS: tuple[str, ...] = ("PushNotificationTitle", "PushNotificationBody")

#: The version a deployment serves by default: the one the reconciler publishes.
LATEST = "latest"

MARKER_KEY = "x-managed-by"
#: What separates the marker from a non-empty description: a blank line.
MARKER_SEPARATOR = "\n\n"
_MARKER_START = f"[{MARKER_KEY}: "
_MARKER = re.compile(
    r"(?P<sep>\n\n|\r\n\r\n|\A)\[" + re.escape(MARKER_KEY) + r": (?P<owner>[^\r\n]+)\][ \t\r\n]*\Z"
)

_VERSION = re.compile(r"[1-9][0-9]*")
_CANONICAL_CONDITIONS = {condition.casefold(): condition for condition in PAUSE_CONDITIONS}

Json = Any


# --- normalisation (docs/webdeployments.md#what-is-compared) ------------------------------


def is_empty(value: Json) -> bool:
    """Absent, ``null``, ``[]`` and ``{}`` mean the same to the API."""
    return value is None or value == [] or value == {}


def normalise_configuration(body: Mapping[str, Json]) -> dict[str, Json]:
    """A configuration body in the one form two equal configurations share.

    Empty values are dropped (at any depth), ``messenger.styles.primaryColor`` is upper-cased,
    ``cobrowse.pauseCriteria[].condition`` takes its canonical casing, ``customI18nLabels`` is
    sorted by language and each language's ``localizedLabels`` by key. Sparse or odd live
    values (a list where a mapping belongs) are kept as they are, never an error.
    """
    out: dict[str, Json] = _without_empty(dict(body))
    styles = _at(out, "messenger", "styles")
    if isinstance(styles, dict) and isinstance(styles.get("primaryColor"), str):
        styles["primaryColor"] = styles["primaryColor"].upper()
    criteria = _at(out, "cobrowse", "pauseCriteria")
    if isinstance(criteria, list):
        for item in criteria:
            if isinstance(item, dict) and isinstance(item.get("condition"), str):
                condition = item["condition"]
                item["condition"] = _CANONICAL_CONDITIONS.get(condition.casefold(), condition)
    labels = out.get("customI18nLabels")
    if isinstance(labels, list):
        for entry in labels:
            if isinstance(entry, dict) and isinstance(entry.get("localizedLabels"), list):
                entry["localizedLabels"] = _sorted_by(entry["localizedLabels"], "key")
        out["customI18nLabels"] = _sorted_by(labels, "language")
    return out


def normalise_deployment(body: Mapping[str, Json]) -> dict[str, Json]:
    """A deployment body in the one form two equal deployments share.

    Empty values are dropped; ``allowedDomains`` becomes a sorted set of lower-case host names
    (host names are case-insensitive); with ``allowAllDomains: true`` the (empty) list goes,
    and ``allowAllDomains: false`` goes too (it is what leaving the flag out means).
    """
    out: dict[str, Json] = _without_empty(dict(body))
    if out.get("allowAllDomains") is True:
        out.pop("allowedDomains", None)
    elif out.get("allowAllDomains") is False:
        del out["allowAllDomains"]
    domains = out.get("allowedDomains")
    if isinstance(domains, list):
        out["allowedDomains"] = sorted({_host(item) for item in domains})
    return out


def _host(item: Json) -> str:
    text = item if isinstance(item, str) else _canonical(item)
    return text.strip().lower()


def _without_empty(value: Json) -> Json:
    """A deep copy of ``value`` with every empty field removed, children before parents."""
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            cleaned = _without_empty(item)
            if not is_empty(cleaned):
                kept[key] = cleaned
        return kept
    if isinstance(value, list):
        return [_without_empty(item) for item in value]
    return value


def _at(body: Mapping[str, Json], *keys: str) -> Json:
    node: Json = body
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _canonical(value: Json) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _sorted_by(items: list[Json], key: str) -> list[Json]:
    """Items ordered by ``item[key]`` (as text), ties broken by the whole item: a total order."""

    def order(item: Json) -> tuple[str, str]:
        value = item.get(key) if isinstance(item, dict) else None
        return (value if isinstance(value, str) else _canonical(value), _canonical(item))

    return sorted(items, key=order)


# --- server-set fields --------------------------------------------------------------------


def strip_server_fields_configuration(body: Mapping[str, Json]) -> dict[str, Json]:
    """A configuration version without the fields the server sets (a deep copy)."""
    return {
        key: copy.deepcopy(value)
        for key, value in body.items()
        if key not in CONFIGURATION_SERVER_FIELDS
    }


def strip_server_fields_deployment(body: Mapping[str, Json]) -> dict[str, Json]:
    """A deployment without the fields the server sets (a deep copy).

    References keep their writable part only: ``flow`` and ``supportedContent`` lose their name,
    selfUri and the like; ``configuration`` keeps ``{id, version}`` (a listing expanded with
    ``expand=Configuration`` carries the whole configuration version there).
    """
    out: dict[str, Json] = {}
    for key, value in body.items():
        if key in DEPLOYMENT_SERVER_FIELDS:
            continue
        if key in REFERENCE_SERVER_FIELDS and isinstance(value, dict):
            hidden = REFERENCE_SERVER_FIELDS[key]
            out[key] = {k: copy.deepcopy(v) for k, v in value.items() if k not in hidden}
        elif key == "configuration" and isinstance(value, dict):
            out[key] = {k: value[k] for k in ("id", "version") if k in value}
        else:
            out[key] = copy.deepcopy(value)
    return out


# --- managed fields and read-modify-write --------------------------------------------------


def managed_view(desired: Json, live: Json) -> Json:
    """``live`` projected onto the keys ``desired`` mentions, recursively (a deep copy).

    A key the spec leaves out is unmanaged and is not in the view; a managed key missing from
    the live object stays missing (the diff shows it as added). For a list of mappings in the
    spec, every live item is projected onto the keys any spec item mentions. Anything else is
    the live value itself.
    """
    if isinstance(desired, dict) and isinstance(live, dict):
        return {key: managed_view(desired[key], live[key]) for key in desired if key in live}
    if isinstance(desired, list) and isinstance(live, list):
        template = _union([item for item in desired if isinstance(item, dict)])
        if template is None:
            return copy.deepcopy(live)
        return [managed_view(template, item) for item in live]
    return copy.deepcopy(live)


def _union(items: Sequence[dict[str, Json]]) -> dict[str, Json] | None:
    """One mapping with every key any of ``items`` mentions, at every depth (lists joined)."""
    if not items:
        return None
    merged: Json = {}
    for item in items:
        merged = _join(merged, item)
    return merged if isinstance(merged, dict) else None


def _join(left: Json, right: Json) -> Json:
    if isinstance(left, dict) and isinstance(right, dict):
        joined = dict(left)
        for key, value in right.items():
            joined[key] = _join(left[key], value) if key in left else value
        return joined
    if isinstance(left, list) and isinstance(right, list):
        return [*left, *right]
    return right


def changed_paths(old: Json, new: Json, *, depth: int = 2) -> list[str]:
    """The dotted paths, at most ``depth`` keys deep, where two normalised configuration
    bodies differ (``messenger.styles`` for a changed ``messenger.styles.primaryColor``),
    sorted. Lists and scalars are compared whole."""
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return [] if old == new else [""]
    found: list[str] = []
    for key in sorted({*old, *new}):
        if key in old and key in new and old[key] == new[key]:
            continue
        inner = (
            changed_paths(old.get(key), new.get(key), depth=depth - 1)
            if depth > 1 and isinstance(old.get(key), dict) and isinstance(new.get(key), dict)
            else [""]
        )
        found.extend(f"{key}.{rest}" if rest else key for rest in inner)
    return found


def overlay(live: Json, desired: Json) -> Json:
    """``desired`` written over ``live``: the body of a read-modify-write (a deep copy).

    Mappings merge key by key (keys only the live object has survive); lists and scalars
    from ``desired`` replace the live value whole.
    """
    if isinstance(live, dict) and isinstance(desired, dict):
        merged = copy.deepcopy(live)
        for key, value in desired.items():
            merged[key] = overlay(live.get(key), value)
        return merged
    return copy.deepcopy(desired)


def desired_deployment(
    block: Mapping[str, Json],
    *,
    flow_id: str | None = None,
    supported_content_id: str | None = None,
) -> dict[str, Json]:
    """The spec's deployment block as the API fields it manages (the references resolved).

    Domains: ``allowAllDomains: true`` with ``allowedDomains: []``, or
    ``allowAllDomains: false`` with the sorted domains, so that a switch between the two is
    written whole and compared whole. ``configurationVersion`` is not an API field: the caller
    writes ``configuration: {id, version}`` itself. ``flow_id`` and ``supported_content_id`` are
    the ids the spec's references resolved to (None: the spec leaves the reference out).
    """
    out: dict[str, Json] = {}
    if block.get("allowAllDomains") is True:
        out.update(allowAllDomains=True, allowedDomains=[])
    elif "allowedDomains" in block:
        domains = block["allowedDomains"]
        out.update(allowAllDomains=False, allowedDomains=sorted(set(domains)))
    if flow_id is not None:
        out["flow"] = {"id": flow_id}
    if supported_content_id is not None:
        out["supportedContent"] = {"id": supported_content_id}
    if "status" in block:
        out["status"] = block["status"]
    return out


def latest_published(versions: Iterable[Json]) -> str | None:
    """The newest published version among ``versions`` (numeric maximum), or None.

    The draft and anything that is not a version number are skipped: a configuration with no
    published version has no version a deployment may serve (a Terraform provider bug this avoids).
    """
    numbers = [int(v) for v in versions if isinstance(v, str) and _VERSION.fullmatch(v)]
    return str(max(numbers)) if numbers else None


def pinned_version(block: Mapping[str, Json]) -> str | None:
    """The version a deployment block pins (``"3"``), or None for ``latest`` or no pin."""
    version = block.get("configurationVersion")
    return version if isinstance(version, str) and _VERSION.fullmatch(version) else None


# --- import: a spec from live objects ------------------------------------------------------


def known_fields(schema: Mapping[str, Json], value: Json, defs: Mapping[str, Json]) -> Json:
    """``value`` with only the fields ``schema`` (a node of the kind's JSON Schema) knows.

    ``$ref``s point into ``defs`` (the schema's ``$defs``). A mapping the schema leaves open
    (``supportCenter``) is kept whole; list items are filtered by ``items``. The order of the
    live object (the API's order) is kept. A deep copy.
    """
    node = _resolve(schema, defs)
    if isinstance(value, dict) and node.get("type") == "object":
        properties = node.get("properties")
        if node.get("additionalProperties") is not False or not isinstance(properties, dict):
            return copy.deepcopy(value)
        return {
            key: known_fields(properties[key], item, defs)
            for key, item in value.items()
            if key in properties
        }
    items = node.get("items")
    if isinstance(value, list) and isinstance(items, dict):
        return [known_fields(items, item, defs) for item in value]
    return copy.deepcopy(value)


def _resolve(schema: Mapping[str, Json], defs: Mapping[str, Json]) -> Mapping[str, Json]:
    for _ in range(8):  # $defs refer to each other at most a few levels deep
        ref = schema.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/$defs/"):
            break
        target = defs.get(ref.removeprefix("#/$defs/"))
        if not isinstance(target, dict):
            break
        schema = target
    return schema


def spec_from_live(
    configuration: Mapping[str, Json],
    deployment: Mapping[str, Json],
    schema: Mapping[str, Json],
) -> dict[str, Json]:
    """The ``webDeployment`` spec that describes a live pair, as ``reconciler import`` writes it.

    ``configuration`` is the version the deployment serves, ``deployment`` the deployment,
    ``schema`` the kind's JSON Schema. Writable fields the schema knows, in the API's order;
    no server-set field, no empty value, no ownership marker. Domains come out sorted;
    ``status`` is left out (unmanaged until a person decides to manage it), and references
    stay ids (the caller may replace them with names).
    """
    properties = schema.get("properties", {})
    defs = schema.get("$defs", {})
    block = strip_server_fields_configuration(configuration)
    block.pop("name", None)
    block.pop("description", None)
    authentication = block.get("authenticationSettings")
    if isinstance(authentication, dict) and not authentication.get("integrationId"):
        # Servers fill in {enabled: false} with no integration; a spec must
        # name one, so the block stays unmanaged, as Terraform's exporter drops it (TF#879).
        del block["authenticationSettings"]
    configuration_block = known_fields(properties["configuration"], _without_empty(block), defs)
    live = normalise_deployment(strip_server_fields_deployment(deployment))
    wanted = ("allowAllDomains", "allowedDomains", "flow", "supportedContent")
    deployment_block = {key: live[key] for key in wanted if key in live}
    spec: dict[str, Json] = {
        "kind": KIND,
        "name": deployment.get("name", configuration.get("name")),
    }
    description = strip_marker(deployment.get("description", configuration.get("description")))
    if description:
        spec["description"] = description
    if configuration_block:
        spec["configuration"] = configuration_block
    spec["deployment"] = known_fields(properties["deployment"], deployment_block, defs)
    return spec


# --- the ownership marker ------------------------------------------------------------------


def add_marker(description: str, owner: str) -> str:
    """``description`` with this owner's marker as its last line (any earlier marker replaced).

    ``strip_marker(add_marker(d, o)) == d`` for a description ``d`` that carries no marker.
    """
    if not owner or owner != owner.strip() or any(ch in owner for ch in "\r\n"):
        raise ValueError(f"owner {owner!r} cannot be written in a description marker")
    text = strip_marker(description)
    marker = f"{_MARKER_START}{owner}]"
    return f"{text}{MARKER_SEPARATOR}{marker}" if text else marker


def read_marker(description: str | None) -> str | None:
    """The owner named by the marker at the end of ``description``, or None."""
    if not isinstance(description, str):
        return None
    found = _MARKER.search(description)
    return found.group("owner") if found else None


def strip_marker(description: str | None) -> str:
    """``description`` without a trailing marker and the blank line before it."""
    if not isinstance(description, str):
        return ""
    found = _MARKER.search(description)
    return description[: found.start()] if found else description


# --- rules a JSON Schema cannot express ----------------------------------------------------


def check_document(spec: ChannelSpec) -> list[Diagnostic]:
    """Every cross-field problem of one webDeployment document, sorted by place.

    Tolerates bodies that failed the schema (a list where a mapping belongs, a number where a
    string does): each rule checks only what it can read, so one run reports everything.
    """
    found = [
        *_marker_in_description(spec),
        *_languages(spec),
        *_labels(spec),
        *_push_labels(spec),
        *_domains(spec),
        *_references(spec),
        *_pinned_version(spec),
    ]
    return sorted(found, key=Diagnostic.sort_key)


def _place(spec: ChannelSpec, parts: Sequence[str | int]) -> SourceRef:
    for end in range(len(parts), -1, -1):
        ref = spec.positions.get(json_path(parts[:end]))
        if ref is not None:
            return ref
    return spec.source


def _problem(spec: ChannelSpec, parts: Sequence[str | int], message: str, rule: str) -> Diagnostic:
    ref = _place(spec, parts)
    return Diagnostic(
        file=ref.file,
        line=ref.line,
        col=ref.col,
        path=json_path(parts),
        message=message,
        rule=f"webdeployment.{rule}",
    )


def _block(spec: ChannelSpec, name: str) -> dict[str, Json]:
    block = spec.body.get(name)
    return block if isinstance(block, dict) else {}


def _marker_in_description(spec: ChannelSpec) -> Iterator[Diagnostic]:
    description = spec.body.get("description")
    if isinstance(description, str) and _MARKER_START.casefold() in description.casefold():
        message = (
            f"must not contain {_MARKER_START!r}: the reconciler writes its ownership marker "
            "there itself"
        )
        yield _problem(spec, ["description"], message, "reserved-marker")


def _languages(spec: ChannelSpec) -> Iterator[Diagnostic]:
    configuration = _block(spec, "configuration")
    languages = configuration.get("languages")
    default = configuration.get("defaultLanguage")
    if _at(configuration, "messenger", "enabled") is True and (
        "languages" not in configuration or "defaultLanguage" not in configuration
    ):
        return  # the schema requires both for an enabled Messenger, and says so
    if "defaultLanguage" in configuration and "languages" not in configuration:
        message = "give languages beside defaultLanguage (the two are managed together)"
        yield _problem(spec, ["configuration", "defaultLanguage"], message, "languages-pair")
    elif "languages" in configuration and "defaultLanguage" not in configuration:
        message = "give defaultLanguage beside languages (the two are managed together)"
        yield _problem(spec, ["configuration", "languages"], message, "languages-pair")
    elif languages and isinstance(languages, list) and isinstance(default, str):
        if default in languages:
            return
        listed = ", ".join(str(item) for item in languages)
        message = f"{default!r} is not one of languages ({listed})"
        yield _problem(spec, ["configuration", "defaultLanguage"], message, "default-language")


def _labels(spec: ChannelSpec) -> Iterator[Diagnostic]:
    configuration = _block(spec, "configuration")
    entries = configuration.get("customI18nLabels")
    if not isinstance(entries, list):
        return
    languages = configuration.get("languages")
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        where: list[str | int] = ["configuration", "customI18nLabels", index]
        language = entry.get("language")
        if isinstance(language, str):
            if language in seen:
                message = f"labels for {language!r} are already given above; merge the two"
                yield _problem(spec, [*where, "language"], message, "label-repeat")
            seen.add(language)
            if languages and isinstance(languages, list) and language not in languages:
                listed = ", ".join(str(item) for item in languages)
                message = f"{language!r} is not one of languages ({listed})"
                yield _problem(spec, [*where, "language"], message, "label-language")
        labels = entry.get("localizedLabels")
        if not isinstance(labels, list):
            continue
        keys: set[str] = set()
        for position, label in enumerate(labels):
            key = label.get("key") if isinstance(label, dict) else None
            if not isinstance(key, str):
                continue
            if key in keys:
                message = f"the label {key!r} is already given above for this language"
                yield _problem(
                    spec, [*where, "localizedLabels", position, "key"], message, "label-repeat"
                )
            keys.add(key)


def _push_labels(spec: ChannelSpec) -> Iterator[Diagnostic]:
    configuration = _block(spec, "configuration")
    path = ("messenger", "apps", "conversations", "notifications", "enabled")
    if _at(configuration, *path) is not True:
        return
    given: set[str] = set()
    entries = configuration.get("customI18nLabels")
    for entry in entries if isinstance(entries, list) else []:
        labels = entry.get("localizedLabels") if isinstance(entry, dict) else None
        for label in labels if isinstance(labels, list) else []:
            if isinstance(label, dict) and isinstance(label.get("key"), str):
                given.add(label["key"])
    missing = [key for key in PUSH_LABEL_KEYS if key not in given]
    if missing:
        message = (
            "push notifications need the labels PushNotificationTitle and PushNotificationBody "
            f"in customI18nLabels (missing: {', '.join(missing)})"
        )
        yield _problem(spec, ["configuration", *path], message, "push-labels")


def _domains(spec: ChannelSpec) -> Iterator[Diagnostic]:
    deployment = spec.body.get("deployment")
    if not isinstance(deployment, dict):
        return
    flag = deployment.get("allowAllDomains")
    has_list = "allowedDomains" in deployment
    here = ["deployment", "allowAllDomains"]
    if flag is True and has_list:
        message = "give either allowedDomains or allowAllDomains: true, not both"
        yield _problem(spec, here, message, "domains")
    elif flag is False and has_list:
        message = "allowAllDomains: false is what leaving it out means; remove it"
        yield _problem(spec, here, message, "domains")
    elif flag is False:
        message = "may only be true; to allow some sites, remove it and list them in allowedDomains"
        yield _problem(spec, here, message, "domains")
    elif "allowAllDomains" not in deployment and not has_list:
        message = (
            "needs allowedDomains (the host names whose pages may load the Messenger) "
            "or allowAllDomains: true"
        )
        yield _problem(spec, ["deployment"], message, "domains")


def _references(spec: ChannelSpec) -> Iterator[Diagnostic]:
    deployment = _block(spec, "deployment")
    for field in ("flow", "supportedContent"):
        reference = deployment.get(field)
        if not isinstance(reference, dict):
            continue
        where = ["deployment", field]
        if "name" in reference and "id" in reference:
            message = "give the name or the id, not both"
            yield _problem(spec, [*where, "id"], message, "reference")
        elif "name" not in reference and "id" not in reference:
            message = f"give the {field} by name ({{name: ...}}) or by id ({{id: ...}})"
            yield _problem(spec, where, message, "reference")


def _pinned_version(spec: ChannelSpec) -> Iterator[Diagnostic]:
    version = pinned_version(_block(spec, "deployment"))
    if version is not None and "configuration" in spec.body:
        message = (
            f"pins configuration version {version!r}, so the reconciler publishes nothing for "
            "this spec: remove the configuration block, or write latest"
        )
        yield _problem(spec, ["deployment", "configurationVersion"], message, "pinned-version")
