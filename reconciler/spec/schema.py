"""The channel JSON Schema: loading it, checking a spec against it, and explaining the errors.

Pure: the schema is package data read with ``importlib.resources``; no other file, no clock.
jsonschema's raw messages are written for schema authors (``'x' does not match '^(?:https…'``),
so every error is rewritten here into a sentence for the person who edits the YAML, and placed
at the node it is about: the offending value, the unknown key, or the mapping that lacks a field.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from importlib import resources
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from reconciler import kinds
from reconciler.kinds.channel import MANAGED_BY_KEY
from reconciler.model import Diagnostic, SourceRef, Spec
from reconciler.model import json_path as json_path
from reconciler.spec.quickcheck import compile_schema

if TYPE_CHECKING:  # jsonschema is imported when a spec needs explaining (its import is slow)
    from jsonschema import ValidationError
    from jsonschema.protocols import Validator

SCHEMA_RESOURCE = "channel.schema.json"
#: Schema annotation on an object: {field: why it is refused}, for server-set fields that a
#: spec may not carry (read only by this module; JSON Schema validators ignore it).
SERVER_SET = "x-server-set"
#: Schema annotation on a value: {keyword: message template}, ``{value!r}`` being the value.
MESSAGES = "x-messages"

_LOCAL_HOSTS = ("localhost", "127.0.0.1")


@functools.lru_cache(maxsize=16)
def kind_schema(resource: str) -> dict[str, Any]:
    """A spec schema as shipped in the package (``schemas/<kind>.schema.json``)."""
    text = resources.files("reconciler.schemas").joinpath(resource).read_text("utf-8")
    return cast(dict[str, Any], json.loads(text))


def channel_schema() -> dict[str, Any]:
    """The channel schema as shipped in the package (``schemas/channel.schema.json``)."""
    return kind_schema(SCHEMA_RESOURCE)


@functools.lru_cache(maxsize=64)
def _ecma_regex(pattern: str) -> re.Pattern[str]:
    # JSON Schema patterns are ECMA 262, where ``$`` (without the m flag) matches only at the
    # very end. Python's ``$`` also matches before a final newline, which would let a YAML
    # block scalar such as "https://a.example\n" through.
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def _ecma_pattern(
    validator: Validator, pattern: str, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    from jsonschema import ValidationError

    if validator.is_type(instance, "string") and not _ecma_regex(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@functools.lru_cache(maxsize=16)
def kind_validator(kind: kinds.ResourceKind) -> Validator:
    """A Draft 2020-12 validator of one kind's schema, with format checking on; made once."""
    from jsonschema import Draft202012Validator, validators

    validator_class = cast(
        type["Validator"],
        validators.extend(  # type: ignore[no-untyped-call]
            Draft202012Validator, validators={"pattern": _ecma_pattern}
        ),
    )
    return validator_class(kind.schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def channel_validator() -> Validator:
    """A Draft 2020-12 validator of the channel schema, with format checking on."""
    return kind_validator(kinds.get(kinds.DEFAULT_KIND))


def _format_conforms(instance: Any, name: str) -> bool:
    """``format`` as the validator's format checker judges it, for the one format the channel
    schema uses; any other: not known to be valid (jsonschema then decides)."""
    if name != "uri":
        return False
    if not isinstance(instance, str) or _PLAIN_URI.fullmatch(instance):
        return True
    return _uri_check()(instance)


#: ``scheme://host[:port]`` with a host of unreserved characters: a URI by RFC 3986's grammar
#: (scheme ":" "//" authority, reg-name = *unreserved, port = *DIGIT, empty path), so every
#: origin a spec should hold is judged without importing the validator (a test checks this).
_PLAIN_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[A-Za-z0-9._~-]*(?::[0-9]*)?")


@functools.lru_cache(maxsize=1)
def _uri_check() -> Callable[[str], bool]:
    """The call jsonschema's "uri" check makes: rfc3987 when installed, else rfc3986-validator
    (a dependency); neither: never known valid."""
    try:
        import rfc3987  # type: ignore[import-not-found]
    except ImportError:
        try:
            from rfc3986_validator import validate_rfc3986  # type: ignore[import-untyped]
        except ImportError:
            return lambda text: False
        return lambda text: bool(validate_rfc3986(text, rule="URI"))

    def parses(text: str) -> bool:
        try:
            rfc3987.parse(text, rule="URI")
        except ValueError:
            return False
        return True

    return parses


def schema_errors(body: Any, kind: str = kinds.DEFAULT_KIND) -> list[ValidationError]:
    """Every raw jsonschema error of one document (for tests and tools; see ``check_spec``)."""
    return list(kind_validator(kinds.get(kind)).iter_errors(body))


@functools.lru_cache(maxsize=16)
def quick_check(kind: kinds.ResourceKind) -> Callable[[Any], bool]:
    """A kind's schema compiled once into a predicate that is true only for valid bodies
    (``spec/quickcheck.py``); always false if the schema cannot be compiled."""
    predicate = compile_schema(
        kind.schema(),
        pattern=lambda regex: _ecma_regex(regex).search,
        format_conforms=_format_conforms,
    )
    return predicate if predicate is not None else (lambda body: False)


def quick_channel_check() -> Callable[[Any], bool]:
    """The channel schema's predicate (``quick_check`` of the default kind)."""
    return quick_check(kinds.get(kinds.DEFAULT_KIND))


def check_spec(spec: Spec) -> list[Diagnostic]:
    """Every schema violation of one spec (against its kind's schema), as diagnostics placed
    at the nodes they concern."""
    if quick_check(kinds.get(spec.kind))(spec.body):  # the common case: nothing to explain
        return []
    found: dict[tuple[str, str], Diagnostic] = {}
    for error in schema_errors(spec.body, spec.kind):
        for diagnostic in _diagnostics(error, spec):
            found.setdefault((diagnostic.path, diagnostic.message), diagnostic)
    return _drop_shadowed(list(found.values()))


# Per node, one error explains the problem best: a wrong type makes every other complaint
# about that node noise, and the origin explanation says more than "is not a 'uri'".
_SHADOWS = {
    "schema.type": {"*"},
    "schema.origin": {"schema.format"},
}


def _drop_shadowed(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    rules_at: dict[str, set[str]] = {}
    for diagnostic in diagnostics:
        rules_at.setdefault(diagnostic.path, set()).add(diagnostic.rule)
    kept = []
    for diagnostic in diagnostics:
        present = rules_at[diagnostic.path]
        shadowed = any(
            rule != diagnostic.rule and ("*" in hidden or diagnostic.rule in hidden)
            for rule, hidden in _SHADOWS.items()
            if rule in present
        )
        if not shadowed:
            kept.append(diagnostic)
    return sorted(kept, key=Diagnostic.sort_key)


def _place(spec: Spec, parts: list[str | int]) -> SourceRef:
    """The recorded position of a node, or of its nearest recorded ancestor."""
    for end in range(len(parts), -1, -1):
        ref = spec.positions.get(json_path(parts[:end]))
        if ref is not None:
            return ref
    return spec.source


def _diagnostic(
    spec: Spec, parts: list[str | int], message: str, rule: str, *, at: list[str | int]
) -> Diagnostic:
    ref = _place(spec, at)
    return Diagnostic(
        file=ref.file, line=ref.line, col=ref.col, path=json_path(parts), message=message, rule=rule
    )


def _diagnostics(error: ValidationError, spec: Spec) -> Iterator[Diagnostic]:
    parts: list[str | int] = list(error.absolute_path)
    schema_path = list(error.absolute_schema_path)
    keyword = str(error.validator)
    instance: Any = error.instance

    if keyword == "required":
        # A conditional requirement (``then``) says why in its own x-messages.
        message = str(_annotation(error, MESSAGES).get("required", "required field is missing"))
        for name in cast(list[str], error.validator_value):
            if isinstance(instance, dict) and name not in instance:
                yield _diagnostic(spec, [*parts, name], message, "schema.required", at=parts)
        return
    if keyword == "additionalProperties" and isinstance(instance, dict):
        known = sorted(cast(Mapping[str, Any], error.schema).get("properties", {}))
        server_set = cast(Mapping[str, str], _annotation(error, SERVER_SET))
        for key in instance:
            if key in server_set:
                message = f"{key!r} is {server_set[key]}"
                where = [*parts, key]
                yield _diagnostic(spec, where, message, "schema.server-field", at=where)
            elif key not in known:
                message = _unknown_field(str(key), known, top_level=not parts, kind=spec.kind)
                where = [*parts, key]
                yield _diagnostic(spec, where, message, "schema.additionalProperties", at=where)
        return
    if "propertyNames" in schema_path and isinstance(instance, str):
        where = [*parts, instance]
        message = _attribute_key(keyword, instance, error.validator_value)
        yield _diagnostic(spec, where, message, "schema.attribute-key", at=where)
        return
    if keyword == "const" and "then" in schema_path:
        message = "must be true when enabled is true (the policy requires consent)"
        yield _diagnostic(spec, parts, message, "schema.require-consent", at=parts)
        return
    if keyword == "pattern" and "allowedOrigins" in schema_path:
        yield _diagnostic(spec, parts, _origin(instance), "schema.origin", at=parts)
        return
    custom = _annotation(error, MESSAGES)
    explain = _MESSAGES.get(keyword)
    if keyword in custom:
        message = str(custom[keyword]).format(value=instance)
    else:
        message = explain(instance, error.validator_value, parts) if explain else error.message
    yield _diagnostic(spec, parts, message, f"schema.{keyword}", at=parts)


def _annotation(error: ValidationError, name: str) -> Mapping[str, Any]:
    """One of this module's annotations on the failing (sub)schema, or an empty mapping."""
    schema: Any = error.schema
    found = schema.get(name) if isinstance(schema, dict) else None
    return cast(Mapping[str, Any], found) if isinstance(found, dict) else {}


def _unknown_field(key: str, known: list[str], *, top_level: bool, kind: str) -> str:
    if top_level and key in kinds.get(kind).server_fields:
        return f"{key!r} is set by the server and cannot appear in a spec"
    message = f"unknown field {key!r}"
    close = difflib.get_close_matches(key, known, n=1)
    if close:
        return f"{message} (did you mean {close[0]!r}?)"
    return f"{message}; allowed fields: {', '.join(known)}"


def _attribute_key(keyword: str, key: str, limit: Any) -> str:
    if keyword == "minLength":
        return "attribute key must not be empty"
    if keyword == "maxLength":
        return f"attribute key is {len(key)} characters long; at most {limit} are allowed"
    return f"attribute key {key!r} is not allowed"


def _origin(value: Any) -> str:
    """Why a string is not an allowed origin, in words."""
    text = str(value)
    head = f"{text!r} is not an allowed origin"
    shape = "an origin is scheme://host[:port]"
    if not text:
        return f"must not be empty: {shape}"
    if text != text.strip() or any(ch.isspace() for ch in text):
        return f"{head}: it contains spaces or line breaks"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return f"{head}: the port must be a number from 1 to 65535"
    if not parts.scheme or not text.startswith(f"{parts.scheme}://"):
        return f"{head}: {shape}, e.g. https://chat.example.com"
    if parts.path or parts.query or parts.fragment or "?" in text or "#" in text:
        return f"{head}: {shape} with no path, query or fragment (not even a trailing '/')"
    if parts.username is not None or parts.password is not None:
        return f"{head}: {shape} with no user name or password"
    if text != text.lower():
        return f"{head}: write it in lower case, as browsers send it"
    host = parts.hostname or ""
    if parts.scheme == "http" and host not in _LOCAL_HOSTS:
        return f"{head}: use https (http is allowed only for localhost and 127.0.0.1)"
    if parts.scheme not in ("http", "https"):
        return f"{head}: the scheme must be https (or http for localhost and 127.0.0.1)"
    if port == 0 or parts.netloc.endswith(":"):
        return f"{head}: the port must be a number from 1 to 65535"
    return f"{head}: {host!r} is not a valid host name"


_JSON_TYPES = {
    "string": "a string",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "integer": "a whole number",
}


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {shown!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _type(instance: Any, expected: Any, parts: list[str | int]) -> str:
    message = f"must be {_JSON_TYPES.get(str(expected), str(expected))}, not {_describe(instance)}"
    if expected == "boolean" and isinstance(instance, str):
        message += " (YAML 1.2: only true and false are booleans)"
    return message


def _min_length(instance: Any, limit: Any, parts: list[str | int]) -> str:
    if limit == 1:
        return "must not be empty"
    return f"must be at least {limit} characters long (it is {len(instance)})"


def _max_length(instance: Any, limit: Any, parts: list[str | int]) -> str:
    return f"must be at most {limit} characters long (it is {len(instance)})"


def _enum(instance: Any, allowed: Any, parts: list[str | int]) -> str:
    return f"must be one of {', '.join(map(str, allowed))}, not {_describe(instance)}"


def _max_items(instance: Any, limit: Any, parts: list[str | int]) -> str:
    return f"has {len(instance)} entries; at most {limit} are allowed"


def _min_items(instance: Any, limit: Any, parts: list[str | int]) -> str:
    return "must not be empty" if limit == 1 else f"needs at least {limit} entries"


def _unique_items(instance: Any, unique: Any, parts: list[str | int]) -> str:
    return "lists an entry more than once"


def _max_properties(instance: Any, limit: Any, parts: list[str | int]) -> str:
    message = f"has {len(instance)} attributes; at most {limit} are allowed"
    if parts and parts[-1] == "customAttributes":
        message += f" (the API allows 20 and the reconciler adds its own {MANAGED_BY_KEY!r})"
    return message


def _format(instance: Any, name: Any, parts: list[str | int]) -> str:
    return f"{instance!r} is not a valid {'URI' if name == 'uri' else name}"


_MESSAGES: dict[str, Callable[[Any, Any, list[str | int]], str]] = {
    "type": _type,
    "minLength": _min_length,
    "maxLength": _max_length,
    "enum": _enum,
    "maxItems": _max_items,
    "minItems": _min_items,
    "uniqueItems": _unique_items,
    "maxProperties": _max_properties,
    "format": _format,
}
