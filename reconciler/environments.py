"""Environments: ``environments/<name>.yaml``, one per org the same specs are reconciled against.

A file declares where the org is (``region``: region code, domain or ``sandbox``), the owner id
of the ``x-managed-by`` marker, and the ``variables`` that ``${var.NAME}`` in specs resolves to.
It is chosen with ``--env NAME`` or ``RECONCILER_ENV``. The file is read with the spec loader
(the same hardened YAML: no tags, no merge keys, bounded aliases, positions on every node) and
checked against ``environment.schema.json``, so its problems are file:line diagnostics too.

Precedence, so an explicit setting always wins over the file:

- connection: ``--sandbox``, then ``GENESYS_ENVIRONMENT``/``GENESYS_API_URL``/``GENESYS_LOGIN_URL``
  (any of them set: the file's ``region`` is not used), then the file's ``region``;
- owner: ``--owner``, then ``RECONCILER_OWNER``, then the file's ``owner``, then the default.

An unknown name is a ``ConfigError`` (exit 1) naming the file looked for and the names found.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from reconciler.errors import ConfigError, SpecError
from reconciler.genesys.settings import REGIONS, SANDBOX
from reconciler.interpolate import SpecContext
from reconciler.model import ChannelSpec, Diagnostic, SourceRef
from reconciler.policies import NO_POLICIES, Policies, parse_policies
from reconciler.spec.loader import load_file
from reconciler.spec.schema import json_path

if TYPE_CHECKING:  # imported when an environment file is read (its import is slow)
    from jsonschema import Draft202012Validator, ValidationError

ENVIRONMENTS_DIR = Path("environments")
SCHEMA_RESOURCE = "environment.schema.json"
#: Connection variables that, when any is set, make the file's ``region`` unused.
CONNECTION_VARIABLES = ("GENESYS_ENVIRONMENT", "GENESYS_API_URL", "GENESYS_LOGIN_URL")

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Environment:
    """One environment file, checked."""

    name: str
    file: str
    region: str | None = None
    owner: str | None = None
    description: str = ""
    variables: Mapping[str, str] = field(default_factory=dict)
    #: ``kinds:``: the kinds this environment manages (read even without a spec of them).
    kinds: frozenset[str] = frozenset()
    #: ``policies:``: rules its specs and plans must keep (``reconciler.policies``).
    policies: Policies = NO_POLICIES
    #: ``notices:``: Slack and Teams incoming webhooks, by the variable holding each URL.
    notices: Mapping[str, Any] = field(default_factory=dict)


def available(root: Path = ENVIRONMENTS_DIR) -> list[str]:
    """The environment names defined under ``root``, sorted."""
    if not root.is_dir():
        return []
    return sorted(
        path.stem
        for path in root.iterdir()
        if path.suffix in (".yaml", ".yml") and path.is_file() and _NAME.fullmatch(path.stem)
    )


def environment_file(name: str, root: Path = ENVIRONMENTS_DIR) -> Path:
    """The file of environment ``name``; ConfigError naming what exists when there is none."""
    if not _NAME.fullmatch(name):
        raise ConfigError(
            f"--env {name[:70]!r}: an environment name is letters, digits, '.', '_' and '-' "
            "(the file environments/<name>.yaml)"
        )
    for suffix in (".yaml", ".yml"):
        path = root / f"{name}{suffix}"
        if path.is_file():
            return path
    found = available(root)
    listed = ", ".join(found) if found else f"none: {root.as_posix()}/ holds no .yaml file"
    raise ConfigError(
        f"unknown environment {name!r}: no {(root / f'{name}.yaml').as_posix()} "
        f"(environments found: {listed})"
    )


def load_environment(name: str, root: Path = ENVIRONMENTS_DIR) -> Environment:
    """Read and check ``environments/<name>.yaml``; SpecError with every diagnostic if bad."""
    path = environment_file(name, root)
    shown = path.as_posix()
    documents, diagnostics = load_file(path, shown)
    problems = list(diagnostics)
    for extra in documents[1:]:
        message = "an environment file holds one YAML document; remove the extra '---'"
        problems.append(_diagnostic(extra.source, "$", message, "environment.documents"))
    policies = NO_POLICIES
    if not problems and documents:
        problems.extend(check_environment(documents[0]))
    if not problems and documents:
        items = documents[0].body.get("policies") or []
        if items:
            policies, found = parse_policies(items, documents[0].positions, shown)
            problems.extend(found)
    if problems or not documents:
        problems.sort(key=Diagnostic.sort_key)
        count = len(problems)
        raise SpecError(
            f"environment {name!r} is invalid: {count} problem{'s' if count != 1 else ''} in "
            f"{shown}, the first at {problems[0]}",
            problems,
        )
    body = documents[0].body
    return Environment(
        name=name,
        file=shown,
        region=body.get("region"),
        owner=body.get("owner"),
        description=str(body.get("description", "")),
        variables=dict(body.get("variables") or {}),
        kinds=frozenset(body.get("kinds") or ()),
        policies=policies,
        notices=dict(body.get("notices") or {}),
    )


@functools.lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    text = resources.files("reconciler.schemas").joinpath(SCHEMA_RESOURCE).read_text("utf-8")
    schema = cast(dict[str, Any], json.loads(text))
    return Draft202012Validator(schema)


def check_environment(document: ChannelSpec) -> list[Diagnostic]:
    """Schema problems of an environment document (loaded as a positioned mapping)."""
    found: list[Diagnostic] = []
    for error in _validator().iter_errors(document.body):
        found.extend(_explain(error, document))
    region = document.body.get("region")
    if isinstance(region, str) and not _known_region(region):
        message = (
            f"unknown region or domain {region[:60]!r} (expected a region code such as "
            "eu-west-1, a domain such as mypurecloud.ie, or sandbox)"
        )
        found.append(_diagnostic(_place(document, ["region"]), "region", message, "region"))
    declared = document.body.get("kinds")
    if isinstance(declared, list):
        found.extend(_unknown_kinds(document, declared))
    return sorted(found, key=Diagnostic.sort_key)


def _unknown_kinds(document: ChannelSpec, declared: list[Any]) -> list[Diagnostic]:
    from reconciler import kinds  # the pure registry

    known = kinds.names()
    problems = []
    for index, name in enumerate(declared):
        if isinstance(name, str) and name not in known:
            message = f"unknown kind {name[:60]!r}; known kinds: {', '.join(sorted(known))}"
            where = _place(document, ["kinds", index])
            problems.append(_diagnostic(where, json_path(["kinds", index]), message, "kinds"))
    return problems


def _known_region(value: str) -> bool:
    lowered = value.lower()
    return lowered == SANDBOX or lowered in REGIONS or bool(_DOMAIN.fullmatch(lowered))


def _explain(error: ValidationError, document: ChannelSpec) -> list[Diagnostic]:
    parts: list[str | int] = list(error.absolute_path)
    instance: Any = error.instance
    keyword = str(error.validator)
    if keyword == "additionalProperties" and isinstance(instance, dict) and not parts:
        known = ", ".join(sorted(cast(Mapping[str, Any], error.schema).get("properties", {})))
        return [
            _diagnostic(
                _place(document, [key]),
                json_path([key]),
                f"unknown field {key!r}; allowed fields: {known}",
                "environment.additionalProperties",
            )
            for key in instance
            if key not in cast(Mapping[str, Any], error.schema).get("properties", {})
        ]
    if keyword == "oneOf" and parts[:1] == ["policies"] and len(parts) == 2:
        message = (
            "a policy holds exactly one rule: forbid, require, allowDomains or approve "
            "(docs/guardrails.md)"
        )
        return [_diagnostic(_place(document, parts), json_path(parts), message, "policy.rule")]
    if "propertyNames" in list(error.absolute_schema_path) and isinstance(instance, str):
        where = [*parts, instance]
        message = f"variable name {instance!r} is not allowed: use letters, digits and '_'"
        return [_diagnostic(_place(document, where), json_path(where), message, "variable.name")]
    if keyword == "type" and isinstance(error.validator_value, str):
        message = f"must be {_TYPES.get(error.validator_value, error.validator_value)}"
        if error.validator_value == "string" and not isinstance(instance, (dict, list)):
            message += " (quote numbers and booleans: '5', 'true')"
    elif keyword == "pattern" and parts == ["owner"]:
        message = "must not start or end with spaces"
    elif keyword == "pattern" and parts[:1] == ["policies"] and parts[-1:] == ["field"]:
        message = f"{instance!r} is not a field path: write keys joined by dots, such as " + (
            "deployment.allowAllDomains"
        )
    else:
        message = error.message
    return [
        _diagnostic(_place(document, parts), json_path(parts), message, f"environment.{keyword}")
    ]


_TYPES = {"string": "a string", "object": "a mapping", "array": "a list"}


def _place(document: ChannelSpec, parts: list[str | int]) -> SourceRef:
    for end in range(len(parts), -1, -1):
        ref = document.positions.get(json_path(parts[:end]))
        if ref is not None:
            return ref
    return document.source


def _diagnostic(ref: SourceRef, path: str, message: str, rule: str) -> Diagnostic:
    return Diagnostic(
        file=ref.file, line=ref.line, col=ref.col, path=path, message=message, rule=rule
    )


def spec_context(environment: Environment | None, process_env: Mapping[str, str]) -> SpecContext:
    """What specs resolve against for this environment (or for none)."""
    if environment is None:
        return SpecContext(process_env=process_env)
    return SpecContext(
        environment=environment.name,
        variables=environment.variables,
        process_env=process_env,
        managed_kinds=environment.kinds,
        policies=environment.policies,
    )


def connection_env(env: Mapping[str, str], environment: Environment | None) -> dict[str, str]:
    """The process environment with the file's region as ``GENESYS_ENVIRONMENT``, when no
    connection variable is set (explicit variables win)."""
    result = dict(env)
    if environment is None or environment.region is None:
        return result
    if any(env.get(name, "").strip() for name in CONNECTION_VARIABLES):
        return result
    result["GENESYS_ENVIRONMENT"] = environment.region
    return result


def resolve_owner(given: str | None, environment: Environment | None, default: str) -> str:
    """``given`` (from --owner or RECONCILER_OWNER), else the file's owner, else ``default``."""
    if given is not None:
        return given
    if environment is not None and environment.owner is not None:
        return environment.owner
    return default
