"""Requests and responses of the pure handler, and the API's body shapes (ErrorBody:
docs/api-notes.md#errors).

No sockets here: the transport and the HTTP server translate to and from these records.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

CORRELATION_HEADER = "ININ-Correlation-Id"
JSON_TYPE = "application/json; charset=UTF-8"

#: Largest request body the API accepts (a 413 above it).
MAX_BODY_BYTES = 512_000

_EMPTY: Mapping[str, str] = MappingProxyType({})
_EMPTY_ALL: Mapping[str, tuple[str, ...]] = MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True)
class SandboxRequest:
    """One HTTP request: ``path`` without the query; ``query`` keeps the first value of each
    name, ``query_all`` every value of a repeated name (``type=a&type=b``); header names are
    lower-case."""

    method: str
    path: str
    query: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    headers: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    body: bytes = b""
    query_all: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: _EMPTY_ALL)

    def values(self, name: str) -> tuple[str, ...]:
        """Every value of query parameter ``name`` (falling back to ``query``)."""
        if name in self.query_all:
            return self.query_all[name]
        return (self.query[name],) if name in self.query else ()

    @classmethod
    def build(
        cls,
        method: str,
        target: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
    ) -> SandboxRequest:
        """From a request target such as ``/api/v2/webmessaging/channels?pageSize=2``."""
        parts = urlsplit(target)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        return cls(
            method=method.upper(),
            path=unquote(parts.path),
            query=first_values(pairs),
            headers={k.lower(): v for k, v in (headers or {}).items()},
            body=body,
            query_all=all_values(pairs),
        )

    def __repr__(self) -> str:
        # Headers carry credentials and bodies may too: never shown.
        return f"SandboxRequest(method={self.method!r}, path={self.path!r})"


@dataclass(frozen=True, slots=True, kw_only=True)
class SandboxResponse:
    """One HTTP response. ``delay``: seconds to wait before answering. ``drop``: close the
    connection without any answer (the request's effects are already committed)."""

    status: int
    headers: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    body: bytes = b""
    delay: float = 0.0
    drop: bool = False

    def json(self) -> Any:
        """The body parsed as JSON (for tests and tools)."""
        return json.loads(self.body)

    def __repr__(self) -> str:
        # Token responses carry a bearer token in the body: never shown.
        return (
            f"SandboxResponse(status={self.status}, delay={self.delay}, drop={self.drop}, "
            f"body_bytes={len(self.body)})"
        )


def first_values(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    """A query mapping keeping the first value of each repeated name."""
    query: dict[str, str] = {}
    for name, value in pairs:
        query.setdefault(name, value)
    return query


def all_values(pairs: Sequence[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    """A query mapping keeping every value of each name, in order."""
    query: dict[str, tuple[str, ...]] = {}
    for name, value in pairs:
        query[name] = (*query.get(name, ()), value)
    return query


@dataclass(frozen=True, slots=True, kw_only=True)
class Detail:
    """One ErrorBody detail; empty fields are left out of the JSON."""

    error_code: str
    field_name: str = ""
    entity_id: str = ""
    entity_name: str = ""
    #: Why, for the error's message (the wire detail has no message field).
    reason: str = ""

    def to_json(self) -> dict[str, str]:
        out = {"errorCode": self.error_code, "fieldName": self.field_name}
        if self.entity_id:
            out["entityId"] = self.entity_id
        if self.entity_name:
            out["entityName"] = self.entity_name
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """What a route answers, before the app adds correlation, rate-limit and fault headers."""

    status: int
    payload: Any = None
    headers: Mapping[str, str] = field(default_factory=lambda: _EMPTY)


def problem(
    status: int,
    code: str,
    message: str,
    details: Sequence[Detail] = (),
    *,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """An ErrorBody reply; the app fills in ``contextId``."""
    payload = {
        "message": message,
        "code": code,
        "status": status,
        "contextId": "",
        "details": [detail.to_json() for detail in details],
        "errors": [],
    }
    return Reply(status=status, payload=payload, headers=dict(headers or {}))


def encode(payload: Any) -> bytes:
    """Compact UTF-8 JSON, as the API sends it."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
