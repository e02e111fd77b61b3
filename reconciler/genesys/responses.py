"""Turning responses into values or typed errors, checking every body on the way.

A body that is not the API's JSON (docs/api-notes.md) becomes a ``TransportError``
with a clear message, never a ``KeyError`` or ``TypeError`` further down. Error bodies
(Genesys ErrorBody, docs/api-notes.md#errors) become the typed exceptions of ``reconciler.errors``.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from reconciler.errors import (
    ApiError,
    ApiErrorInfo,
    AuthenticationError,
    ConflictError,
    DuplicateNameError,
    ErrorDetail,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    TransportError,
    VersionMismatchError,
)
from reconciler.genesys.transport import CORRELATION_HEADER
from reconciler.kinds.channel import (
    ATTRIBUTES,
    DATE_CREATED,
    DATE_MODIFIED,
    ID,
    NAME,
    SECTIONS,
    SERVER_FIELDS,
    TEXT_FIELDS,
    VERSION,
    WIDGET,
)
from reconciler.model import LiveChannel

_MAX_TEXT = 300


def where(response: httpx.Response) -> str:
    return f"{response.request.method} {response.request.url.path}"


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The body as a JSON object, or a TransportError saying what came instead."""
    try:
        payload = json.loads(response.content)
    except (ValueError, RecursionError):  # RecursionError: nesting too deep
        kind = response.headers.get("content-type", "no content type")
        raise TransportError(
            f"{where(response)}: HTTP {response.status_code} with a body that is not JSON "
            f"({kind[:60]})"
        ) from None
    if not isinstance(payload, dict):
        raise TransportError(
            f"{where(response)}: expected a JSON object, got {type(payload).__name__}"
        )
    if _is_error_body(payload):
        # An error body under a 2xx status (a proxy, a gateway): an error for this request,
        # never an object or an empty listing.
        raise TransportError(
            f"{where(response)}: HTTP {response.status_code} with an error body "
            f"({payload['status']} {_text(payload.get('code'))[:80]}: "
            f"{_text(payload.get('message'))[:160]})"
        )
    return payload


def _is_error_body(payload: dict[str, Any]) -> bool:
    """A Genesys ErrorBody: a numeric ``status`` of 400 or more with a ``code`` or
    ``message``, and no ``id`` (no object of the API has a numeric status)."""
    status = payload.get("status")
    return (
        isinstance(status, int)
        and not isinstance(status, bool)
        and status >= 400
        and "id" not in payload
        and isinstance(payload.get("code", payload.get("message")), str)
    )


def channel(payload: Any, context: str) -> LiveChannel:
    """A channel object checked for the fields the reconciler uses."""
    if not isinstance(payload, dict):
        raise TransportError(f"{context}: a channel is not a JSON object")
    require(payload, ID, str, context)
    require(payload, VERSION, int, context)
    require(payload, NAME, str, context)
    if not payload[ID]:
        raise TransportError(f"{context}: channel id is empty")
    for optional in TEXT_FIELDS:
        if optional in payload and not isinstance(payload[optional], str):
            raise TransportError(f"{context}: field {optional!r} is not a string")
    for section in SECTIONS:
        if section in payload and not isinstance(payload[section], dict):
            raise TransportError(f"{context}: field {section!r} is not an object")
    widget = payload.get(WIDGET) or {}
    attributes = widget.get(ATTRIBUTES)
    if attributes is not None and not isinstance(attributes, dict):
        raise TransportError(f"{context}: field {ATTRIBUTES!r} is not an object")
    return LiveChannel(
        id=str(payload[ID]),
        version=int(payload[VERSION]),
        body={k: v for k, v in payload.items() if k not in SERVER_FIELDS},
        date_created=str(payload.get(DATE_CREATED, "")),
        date_modified=str(payload.get(DATE_MODIFIED, "")),
    )


def api_error(response: httpx.Response) -> ApiError:
    """The typed exception for an error response (any body, even a non-JSON one)."""
    try:
        payload: Any = json.loads(response.content)
    except (ValueError, RecursionError):
        payload = None
    body = payload if isinstance(payload, dict) else {}
    listed = body.get("details")
    items: list[Any] = listed if isinstance(listed, list) else []  # any other shape: none
    details = tuple(
        ErrorDetail(
            error_code=_text(item.get("errorCode")),
            field_name=_text(item.get("fieldName")),
            entity_id=_text(item.get("entityId")),
            entity_name=_text(item.get("entityName")),
        )
        for item in items
        if isinstance(item, dict)
    )
    status = response.status_code
    info = ApiErrorInfo(
        status=status,
        code=_text(body.get("code")),
        message=_text(body.get("message")) or ("" if body else "no JSON error body"),
        correlation_id=response.headers.get(CORRELATION_HEADER, "") or _text(body.get("contextId")),
        method=response.request.method,
        path=response.request.url.path,
        details=details,
    )
    return _error_class(status, details)(info)


def _error_class(status: int, details: tuple[ErrorDetail, ...]) -> type[ApiError]:
    if status == 409:
        codes = {(d.field_name, d.error_code) for d in details}
        if ("name", "duplicate.value") in codes:
            return DuplicateNameError
        if ("version", "version.mismatch") in codes:
            return VersionMismatchError
        return ConflictError
    by_status: dict[int, type[ApiError]] = {
        401: AuthenticationError,
        403: PermissionDeniedError,
        404: NotFoundError,
        413: PayloadTooLargeError,
        429: RateLimitedError,
    }
    if status >= 500:
        return ServerError
    return by_status.get(status, ApiError)


def require(payload: dict[str, Any], name: str, kind: type, context: str) -> None:
    if name not in payload:
        raise TransportError(f"{context}: field {name!r} is missing")
    value = payload[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TransportError(
            f"{context}: field {name!r} should be {_KIND_NAMES[kind]}, got {type(value).__name__}"
        )


_KIND_NAMES: dict[type, str] = {
    str: "a string",
    int: "an integer",
    list: "a list",
    dict: "an object",
}


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value[:_MAX_TEXT]
    return ""


def describe_value(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
