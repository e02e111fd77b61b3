"""Server-side validation of channel bodies, written from the API's rules
(docs/api-notes.md#channels; not from the spec schema:
the server allows the ``x-managed-by`` attribute and up to 20 pairs).

One Detail per violated field, ``fieldName`` a dotted path (``[i]`` for list items,
``customAttributes.<key>`` for one attribute). Error codes: ``required``, ``type.invalid``,
``length.invalid``, ``value.invalid``, ``too.many``, ``field.unknown``, ``read.only``,
``origin.invalid``, ``consent.required``.

Required: ``name``; inside the objects that are present, ``widgetId`` and ``queueId``; on an
update, ``version``. Every other field is optional, so the server is never stricter than a spec.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from reconciler.sandbox.wire import Detail

TOP_FIELDS = (
    "name",
    "description",
    "webMessagingWidgetConfiguration",
    "securityPolicy",
    "routingConfiguration",
)
SERVER_FIELDS = ("id", "version", "dateCreated", "dateModified", "selfUri")
THEMES = ("default", "compact", "custom")
MAX_ATTRIBUTES = 20
MAX_ORIGINS = 50


class _BadJson(ValueError):
    """Raised inside the JSON parser hooks only; caught in ``parse_json``."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _BadJson(f"duplicate key {key!r}")
        out[key] = value
    return out


def _constant(name: str) -> Any:
    raise _BadJson(f"{name} is not JSON")


def parse_json(body: bytes) -> tuple[Any, str]:
    """(document, "") or (None, reason): strict JSON (UTF-8, no NaN, no duplicate keys)."""
    try:
        text = body.decode("utf-8")
        return json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant), ""
    except UnicodeDecodeError:
        return None, "the body is not UTF-8"
    except _BadJson as exc:
        return None, f"the body is not valid JSON: {exc}"
    except (ValueError, RecursionError) as exc:
        return None, f"the body is not valid JSON: {str(exc).splitlines()[0][:120]}"


def _detail(path: str, code: str, reason: str) -> Detail:
    return Detail(error_code=code, field_name=path, reason=f"{path}: {reason}")


def _string(value: Any, path: str, low: int, high: int) -> Iterator[Detail]:
    if not isinstance(value, str):
        yield _detail(path, "type.invalid", "must be a string")
    elif not low <= len(value) <= high:
        yield _detail(path, "length.invalid", f"must be {low} to {high} characters")


def _boolean(value: Any, path: str) -> Iterator[Detail]:
    if not isinstance(value, bool):
        yield _detail(path, "type.invalid", "must be true or false")


def _unknown(obj: dict[str, Any], allowed: tuple[str, ...], prefix: str) -> Iterator[Detail]:
    for key in obj:
        if key not in allowed:
            yield _detail(f"{prefix}{key}", "field.unknown", "is not a field of a channel")


def _widget(value: Any, path: str) -> Iterator[Detail]:
    if not isinstance(value, dict):
        yield _detail(path, "type.invalid", "must be an object")
        return
    yield from _unknown(value, ("widgetId", "theme", "customAttributes"), f"{path}.")
    if "widgetId" not in value:
        yield _detail(f"{path}.widgetId", "required", "is required")
    else:
        yield from _string(value["widgetId"], f"{path}.widgetId", 1, 100)
    if "theme" in value and value["theme"] not in THEMES:
        yield _detail(f"{path}.theme", "value.invalid", f"must be one of {', '.join(THEMES)}")
    if "customAttributes" in value:
        yield from _attributes(value["customAttributes"], f"{path}.customAttributes")


def _attributes(value: Any, path: str) -> Iterator[Detail]:
    if not isinstance(value, dict):
        yield _detail(path, "type.invalid", "must be an object of string values")
        return
    if len(value) > MAX_ATTRIBUTES:
        yield _detail(path, "too.many", f"at most {MAX_ATTRIBUTES} pairs, got {len(value)}")
    for key, item in value.items():
        if not 1 <= len(key) <= 64:
            yield _detail(f"{path}.{key}", "length.invalid", "keys must be 1 to 64 characters")
        else:
            yield from _string(item, f"{path}.{key}", 0, 256)


def origin_problem(origin: str) -> str:
    """Why ``origin`` is not ``scheme://host[:port]``, or "" when it is."""
    if origin != origin.strip() or any(ch.isspace() for ch in origin):
        return "must not contain spaces"
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return "has an invalid port or host"
    if not parts.scheme or not origin.startswith(f"{parts.scheme}://"):
        return "must be scheme://host[:port]"
    if parts.path or parts.query or parts.fragment or "?" in origin or "#" in origin:
        return "must have no path, query or fragment"
    if "@" in parts.netloc or not parts.hostname:
        return "must be scheme://host[:port] with a host and no user name"
    if port is not None and not 1 <= port <= 65535:
        return "has a port outside 1..65535"
    if parts.netloc.endswith(":"):
        return "has an empty port"
    return ""


def _security(value: Any, path: str) -> Iterator[Detail]:
    if not isinstance(value, dict):
        yield _detail(path, "type.invalid", "must be an object")
        return
    yield from _unknown(value, ("enabled", "allowedOrigins", "requireConsent"), f"{path}.")
    for key in ("enabled", "requireConsent"):
        if key in value:
            yield from _boolean(value[key], f"{path}.{key}")
    origins = value.get("allowedOrigins", [])
    if not isinstance(origins, list):
        yield _detail(f"{path}.allowedOrigins", "type.invalid", "must be a list of origins")
    elif len(origins) > MAX_ORIGINS:
        yield _detail(f"{path}.allowedOrigins", "too.many", f"at most {MAX_ORIGINS} origins")
    else:
        for index, origin in enumerate(origins):
            item = f"{path}.allowedOrigins[{index}]"
            if not isinstance(origin, str):
                yield _detail(item, "type.invalid", "must be a string")
            elif reason := origin_problem(origin):
                yield _detail(item, "origin.invalid", reason)
    if value.get("enabled") is True and value.get("requireConsent") is not True:
        yield _detail(
            f"{path}.requireConsent",
            "consent.required",
            "must be true when the security policy is enabled",
        )


def _routing(value: Any, path: str) -> Iterator[Detail]:
    if not isinstance(value, dict):
        yield _detail(path, "type.invalid", "must be an object")
        return
    yield from _unknown(value, ("queueId",), f"{path}.")
    if "queueId" not in value:
        yield _detail(f"{path}.queueId", "required", "is required")
    else:
        yield from _string(value["queueId"], f"{path}.queueId", 1, 128)


def check_channel(doc: Any, *, channel_id: str | None = None) -> list[Detail]:
    """Every violation of a create body (``channel_id`` None) or an update body."""
    if not isinstance(doc, dict):
        return [_detail("body", "type.invalid", "must be a JSON object")]
    update = channel_id is not None
    details: list[Detail] = []
    for key, value in doc.items():
        if key in TOP_FIELDS:
            continue
        if key == "version" and update:
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                details.append(_detail("version", "type.invalid", "must be an integer >= 1"))
        elif key == "id" and update:
            if value != channel_id:
                details.append(_detail("id", "value.invalid", "must be the id in the path"))
        elif key in SERVER_FIELDS:
            details.append(_detail(key, "read.only", "is set by the server"))
        else:
            details.append(_detail(key, "field.unknown", "is not a field of a channel"))
    if update and "version" not in doc:
        details.append(_detail("version", "required", "is required on an update"))
    if "name" not in doc:
        details.append(_detail("name", "required", "is required"))
    else:
        details.extend(_string(doc["name"], "name", 1, 100))
    if "description" in doc:
        details.extend(_string(doc["description"], "description", 0, 500))
    checks = (
        ("webMessagingWidgetConfiguration", _widget),
        ("securityPolicy", _security),
        ("routingConfiguration", _routing),
    )
    for key, check in checks:
        if key in doc:
            details.extend(check(doc[key], key))
    # One detail per field: the first problem found wins.
    unique: dict[str, Detail] = {}
    for detail in details:
        unique.setdefault(detail.field_name, detail)
    return list(unique.values())
