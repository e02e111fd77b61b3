"""The one exception tree of the reconciler.

Every error the package raises on purpose is a ``ReconcilerError``; foreign errors (httpx,
ruamel.yaml, OSError, json) are translated once, at the boundary that meets them, with
``raise ... from exc``. The CLI's single handler turns them into one line and an exit code.

    ReconcilerError                  exit 1 unless noted
    ├── UsageError                   exit 64 (EX_USAGE): a bad flag, option or combination
    ├── ConfigError                  settings: missing credentials, bad URL, bad environment
    ├── SpecError                    specs that do not load or validate (carries diagnostics)
    ├── ApiError                     the API answered with an error body (status, code, ...)
    │   ├── AuthenticationError      401, or the token endpoint refused the credentials
    │   ├── PermissionDeniedError    403
    │   ├── NotFoundError            404
    │   ├── ConflictError            409
    │   │   ├── DuplicateNameError   409 duplicate.value on name (entity_id of the holder)
    │   │   └── VersionMismatchError 409 version.mismatch
    │   ├── PayloadTooLargeError     413
    │   ├── RateLimitedError         429 after the retries ran out
    │   └── ServerError              5xx after the retries ran out
    ├── TransportError               no usable answer: connection refused/reset, timeout,
    │   │                            a body that is not the contract's JSON
    │   └── OutcomeUnknownError      a write was sent and its answer lost: it may be applied
    ├── PlanError                    a plan that is stale, unsafe, or not the reviewed one
    ├── AuditError                   an audit log that cannot be written or does not verify
    └── WebhookError                 a webhook URL or secret that cannot be used

Messages never contain a secret: they are built from field names, statuses and codes, never
from request headers or bodies that carry credentials.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.model import Diagnostic


#: The longest error line the reconciler shows for one object (an action's error, a recovery's).
MAX_LINE = 400


def one_line(text: str, limit: int = MAX_LINE) -> str:
    """``text`` on one line of at most ``limit`` characters: line breaks and runs of white
    space become one space; what does not fit is cut in the middle, keeping the start (the
    object and the step) and the end (the last status or server message)."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    keep = limit - 5
    head = keep * 2 // 3
    return f"{flat[:head]} ... {flat[len(flat) - (keep - head) :]}"


class ReconcilerError(Exception):
    """Root of every error the reconciler raises on purpose."""

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(ReconcilerError):
    """A flag, option or argument that cannot be used as given.

    Exit 64, EX_USAGE of sysexits.h: never 2, which ``plan --detailed-exitcode`` and ``drift``
    use for "changes present", so a usage error can never be read as drift.
    """

    exit_code = 64


class ConfigError(ReconcilerError):
    """Settings that are missing or wrong: credentials, URLs, environments."""


class SpecError(ReconcilerError):
    """Channel specs that fail to load or validate; ``diagnostics`` lists every problem."""

    def __init__(self, message: str, diagnostics: Sequence[Diagnostic] = ()) -> None:
        super().__init__(message)
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorDetail:
    """One entry of a Genesys ErrorBody ``details`` list."""

    error_code: str = ""
    field_name: str = ""
    entity_id: str = ""
    entity_name: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiErrorInfo:
    """What an error response said, minus anything secret."""

    status: int
    code: str = ""
    message: str = ""
    correlation_id: str = ""
    method: str = ""
    path: str = ""
    details: tuple[ErrorDetail, ...] = field(default_factory=tuple)


class ApiError(ReconcilerError):
    """The API answered with an error body."""

    def __init__(self, info: ApiErrorInfo) -> None:
        where = f"{info.method} {info.path} " if info.method else ""
        text = f"{where}failed: HTTP {info.status}"
        if info.code:
            text += f" {info.code}"
        if info.message:
            text += f": {info.message}"
        if info.correlation_id:
            text += f" (correlation id {info.correlation_id})"
        super().__init__(text)
        self.info = info

    @property
    def status(self) -> int:
        return self.info.status

    @property
    def code(self) -> str:
        return self.info.code

    @property
    def correlation_id(self) -> str:
        return self.info.correlation_id

    @property
    def details(self) -> tuple[ErrorDetail, ...]:
        return self.info.details


class AuthenticationError(ApiError):
    """401 on an API call after one token refresh, or credentials the token endpoint refused."""


class PermissionDeniedError(ApiError):
    """403: the OAuth client lacks a permission."""


class NotFoundError(ApiError):
    """404: no such channel."""


class ConflictError(ApiError):
    """409 of any kind."""


class DuplicateNameError(ConflictError):
    """409 duplicate.value on ``name``; ``entity_id`` names the channel that holds the name."""

    @property
    def entity_id(self) -> str:
        for detail in self.info.details:
            if detail.field_name == "name" and detail.entity_id:
                return detail.entity_id
        return ""


class VersionMismatchError(ConflictError):
    """409 version.mismatch: the channel changed since it was read."""


class PayloadTooLargeError(ApiError):
    """413: the request body is over the API's limit."""


class RateLimitedError(ApiError):
    """429 that outlasted the retry budget."""


class ServerError(ApiError):
    """5xx that outlasted the retry budget."""


class TransportError(ReconcilerError):
    """No usable answer from the server: connection errors, timeouts, malformed bodies."""


class OutcomeUnknownError(TransportError):
    """A write was sent and its answer was lost; it may or may not have been applied."""


class PlanError(ReconcilerError):
    """A plan that must not be applied: stale, unsafe, or not the one that was reviewed."""


class AuditError(ReconcilerError):
    """An audit log that cannot be written, or that does not verify."""


class WebhookError(ReconcilerError):
    """A webhook URL or secret that cannot be used."""


def describe(value: Any) -> str:
    """A short, secret-free rendering of a value for error messages."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
