"""Server-side body checks for Web Deployments objects, as small typed field descriptors.

``Obj.clean(value, path, issues)`` returns the value as the server keeps it: unknown and
read-only keys are dropped (``issues.strict`` turns them into ``field.unknown`` and
``read.only`` details), enums given in another casing are kept in the canonical casing where the
contract says the server compares them case-insensitively. Every type or value problem is one
``Detail`` whose ``fieldName`` is a dotted path (``messenger.fileUpload.modes[0].maxFileSizeKB``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.sandbox.wire import Detail

HEX_COLOUR = re.compile(r"^#(?:[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
#: A bare host name (no scheme, port or path), optionally ``*.``-prefixed (the emulator's choice:
#: the real rule is open).
DOMAIN = re.compile(rf"^(?:\*\.)?{_LABEL}(?:\.{_LABEL})*$")


@dataclass(slots=True)
class Issues:
    """The details found while cleaning one body."""

    strict: bool = False
    details: list[Detail] = field(default_factory=list)

    def add(self, path: str, code: str, reason: str) -> None:
        if all(d.field_name != path for d in self.details):
            self.details.append(
                Detail(error_code=code, field_name=path, reason=f"{path}: {reason}")
            )


class Field:
    def clean(self, value: Any, path: str, issues: Issues) -> Any:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Str(Field):
    low: int = 0
    high: int | None = None
    pattern: re.Pattern[str] | None = None
    what: str = ""

    def clean(self, value: Any, path: str, issues: Issues) -> Any:
        if not isinstance(value, str):
            issues.add(path, "type.invalid", "must be a string")
        elif len(value) < self.low or (self.high is not None and len(value) > self.high):
            upper = "" if self.high is None else f" to {self.high}"
            issues.add(path, "length.invalid", f"must be {self.low}{upper} characters")
        elif self.pattern is not None and not self.pattern.match(value):
            issues.add(path, "value.invalid", f"must be {self.what}")
        return value


@dataclass(frozen=True, slots=True)
class Bool(Field):
    def clean(self, value: Any, path: str, issues: Issues) -> Any:
        if not isinstance(value, bool):
            issues.add(path, "type.invalid", "must be true or false")
        return value


@dataclass(frozen=True, slots=True)
class Int(Field):
    low: int | None = None
    high: int | None = None

    def clean(self, value: Any, path: str, issues: Issues) -> Any:
        if not isinstance(value, int) or isinstance(value, bool):
            issues.add(path, "type.invalid", "must be an integer")
        elif (self.low is not None and value < self.low) or (
            self.high is not None and value > self.high
        ):
            issues.add(path, "value.invalid", f"must be from {self.low} to {self.high}")
        return value


@dataclass(frozen=True, slots=True)
class Enum(Field):
    values: tuple[str, ...]
    #: Accept any casing and keep the canonical one (``pauseCriteria.condition``).
    any_case: bool = False

    def clean(self, value: Any, path: str, issues: Issues) -> Any:
        if isinstance(value, str) and value in self.values:
            return value
        if self.any_case and isinstance(value, str):
            for canonical in self.values:
                if canonical.casefold() == value.casefold():
                    return canonical
        issues.add(path, "value.invalid", f"must be one of {', '.join(self.values)}")
        return value


@dataclass(frozen=True, slots=True)
class List(Field):
    item: Field
    high: int | None = None

    def clean(self, value: Any, path: str, issues: Issues) -> Any:
        if not isinstance(value, list):
            issues.add(path, "type.invalid", "must be a list")
            return value
        if self.high is not None and len(value) > self.high:
            issues.add(path, "too.many", f"at most {self.high} items")
        return [self.item.clean(item, f"{path}[{i}]", issues) for i, item in enumerate(value)]


@dataclass(frozen=True, slots=True)
class Opaque(Field):
    """Kept as sent, if it is an object (``supportCenter``: passed through)."""

    def clean(self, value: Any, path: str, issues: Issues) -> Any:
        if not isinstance(value, dict):
            issues.add(path, "type.invalid", "must be an object")
        return value


@dataclass(frozen=True, slots=True)
class Obj(Field):
    fields: Mapping[str, Field]
    required: tuple[str, ...] = ()
    read_only: tuple[str, ...] = ()

    def clean(self, value: Any, path: str, issues: Issues) -> Any:
        if not isinstance(value, dict):
            issues.add(path or "body", "type.invalid", "must be an object")
            return value
        prefix = f"{path}." if path else ""
        out: dict[str, Any] = {}
        for key, item in value.items():
            spec = self.fields.get(key)
            if spec is not None:
                out[key] = spec.clean(item, f"{prefix}{key}", issues)
            elif issues.strict:
                code, why = (
                    ("read.only", "is set by the server")
                    if key in self.read_only
                    else ("field.unknown", "is not a field of this object")
                )
                issues.add(f"{prefix}{key}", code, why)
        for key in self.required:
            if key not in value:
                issues.add(f"{prefix}{key}", "required", "is required")
        return out


def flag() -> Obj:
    return Obj({"enabled": Bool()})
