"""A JSON Schema compiled once into plain Python predicates: a quick "certainly valid".

jsonschema walks a schema afresh for every instance (a validator object per keyword and
level), which is most of the cost of checking a valid spec. Most specs are valid, so
``check_spec`` first asks the compiled predicate; only when it does not answer "valid" does
jsonschema run and explain every error. The predicate may be stricter than the schema (then
jsonschema decides) but never looser: it answers ``True`` only for instances jsonschema finds
valid. It knows the keywords the shipped schemas use; a schema with any other keyword is not
compiled (``compile_schema`` gives ``None``) and jsonschema checks everything.

Pure: no I/O; ``pattern`` and ``format`` use the same functions as the jsonschema validator.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Predicate = Callable[[Any], bool]

#: Keywords that never reject an instance.
_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "title", "description", "examples", "default"}
)
_SCALARS = (str, bool, int, float, type(None))


class _Unknown(Exception):
    """The schema uses a keyword this module does not compile."""


def compile_schema(
    schema: Mapping[str, Any],
    *,
    pattern: Callable[[str], Callable[[str], object]],
    format_conforms: Callable[[Any, str], bool],
) -> Predicate | None:
    """A predicate that is true only for instances valid under ``schema``, or None.

    ``pattern(regex)`` gives the search function the validator uses for that pattern;
    ``format_conforms(instance, name)`` is the validator's format check.
    """
    try:
        return _compile(schema, pattern, format_conforms)
    except _Unknown:
        return None


def _compile(
    schema: Any,
    pattern: Callable[[str], Callable[[str], object]],
    conforms: Callable[[Any, str], bool],
) -> Predicate:
    if schema is True:
        return lambda instance: True
    if not isinstance(schema, Mapping) or not schema:
        raise _Unknown
    checks: list[Predicate] = []
    for keyword, value in schema.items():
        if keyword in _ANNOTATIONS or keyword in ("then", "else"):
            continue
        checks.append(_keyword(keyword, value, schema, pattern, conforms))

    if len(checks) == 1:
        return checks[0]

    def valid(instance: Any) -> bool:
        for check in checks:  # noqa: SIM110 - a loop, not all(): runs for every node
            if not check(instance):
                return False
        return True

    return valid


def _keyword(
    keyword: str,
    value: Any,
    schema: Mapping[str, Any],
    pattern: Callable[[str], Callable[[str], object]],
    conforms: Callable[[Any, str], bool],
) -> Predicate:
    def sub(subschema: Any) -> Predicate:
        return _compile(subschema, pattern, conforms)

    if keyword == "type":
        return _type(value)
    if keyword == "properties":
        children = {name: sub(subschema) for name, subschema in value.items()}
        return lambda x: (
            not isinstance(x, dict)
            or all(check(x[name]) for name, check in children.items() if name in x)
        )
    if keyword == "additionalProperties":
        known = frozenset(schema.get("properties", {}))
        if "patternProperties" in schema:
            raise _Unknown
        if value is False:
            return lambda x: not isinstance(x, dict) or known.issuperset(x)
        extra = sub(value)
        return lambda x: (
            not isinstance(x, dict)
            or all(extra(item) for key, item in x.items() if key not in known)
        )
    if keyword == "required":
        names = tuple(value)
        return lambda x: not isinstance(x, dict) or all(name in x for name in names)
    if keyword == "propertyNames":
        check_name = sub(value)
        return lambda x: not isinstance(x, dict) or all(check_name(key) for key in x)
    if keyword == "maxProperties":
        return lambda x: not isinstance(x, dict) or len(x) <= value
    if keyword == "items":
        if "prefixItems" in schema:
            raise _Unknown
        check_item = sub(value)
        return lambda x: not isinstance(x, list) or all(check_item(item) for item in x)
    if keyword == "maxItems":
        return lambda x: not isinstance(x, list) or len(x) <= value
    if keyword == "minItems":
        return lambda x: not isinstance(x, list) or len(x) >= value
    if keyword == "uniqueItems":
        # Only lists of strings are judged here (jsonschema's equality treats 1 and True
        # apart, which a set would not); anything else is left to jsonschema.
        if not value:
            return lambda x: True
        return lambda x: (
            not isinstance(x, list)
            or (all(type(item) is str for item in x) and len(set(x)) == len(x))
        )
    if keyword == "minLength":
        return lambda x: not isinstance(x, str) or len(x) >= value
    if keyword == "maxLength":
        return lambda x: not isinstance(x, str) or len(x) <= value
    if keyword == "pattern":
        search = pattern(value)
        return lambda x: not isinstance(x, str) or bool(search(x))
    if keyword == "format":
        return lambda x: conforms(x, value)
    if keyword == "const":
        return _one_of((value,))
    if keyword == "enum":
        return _one_of(tuple(value))
    if keyword == "if":
        test = sub(value)
        then = sub(schema["then"]) if "then" in schema else (lambda x: True)
        other = sub(schema["else"]) if "else" in schema else (lambda x: True)
        return lambda x: bool(then(x)) if test(x) else bool(other(x))
    raise _Unknown


def _type(value: Any) -> Predicate:
    names = (value,) if isinstance(value, str) else tuple(value)
    tests: dict[str, Predicate] = {
        "string": lambda x: type(x) is str,
        "object": lambda x: type(x) is dict,
        "array": lambda x: type(x) is list,
        "boolean": lambda x: type(x) is bool,
        "null": lambda x: x is None,
        "integer": lambda x: type(x) is int,
        "number": lambda x: type(x) is int or type(x) is float,
    }
    if any(name not in tests for name in names):
        raise _Unknown
    chosen = [tests[name] for name in names]
    if len(chosen) == 1:
        return chosen[0]
    return lambda x: any(test(x) for test in chosen)


def _one_of(allowed: tuple[Any, ...]) -> Predicate:
    """``const``/``enum`` over scalars, compared with their type (so True is not 1)."""
    if not all(type(value) in _SCALARS for value in allowed):
        raise _Unknown
    pairs = frozenset((type(value), value) for value in allowed)
    return lambda x: type(x) in _SCALARS and (type(x), x) in pairs
