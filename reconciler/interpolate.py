"""Variables in spec values, and the environments a spec is limited to.

A string value of a spec may hold references that are replaced before the schema check, so the
schema (and the plan) see the value that would be sent:

- ``${var.NAME}``: a variable of the chosen environment file (``--env``);
- ``${env.NAME}``: a variable of the process environment. Names that look secret (containing
  SECRET, TOKEN, PASSWORD, PASSWD, CREDENTIAL, PRIVATE or APIKEY/API_KEY) are refused: resolved
  values land in plan.json, plan.md and pull-request comments, which are not secret stores;
- ``$${`` is a literal ``${``.

Any other ``${`` is an error (a typo such as ``${vars.x}`` must not reach an org). Keys are never
interpolated. Every problem is a ``Diagnostic`` at the string's place, and all are reported at
once. The reserved top-level key ``x-environments`` (a list of environment names) limits a spec
to those environments: ``applies_to`` decides (before interpolation, so a prod-only spec may use
variables only prod defines) and ``strip_reserved`` removes the key after the schema check, so
it is never sent.

Pure: no I/O; the process environment is passed in.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.model import ChannelSpec, Diagnostic, SourceRef
from reconciler.spec.schema import json_path

#: Reserved top-level key: the environments a spec applies to. Stripped before sending.
ENVIRONMENTS_KEY = "x-environments"

_REFERENCE = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SECRET_WORDS = ("SECRET", "TOKEN", "PASSWORD", "PASSWD", "CREDENTIAL", "PRIVATE", "APIKEY")


@dataclass(frozen=True, slots=True, kw_only=True)
class SpecContext:
    """What specs are resolved against: the chosen environment (if any) and its variables.

    ``environment`` is None without ``--env``: then ``${var.X}`` is an error and every spec is
    kept whatever its ``x-environments``.
    """

    environment: str | None = None
    variables: Mapping[str, str] = field(default_factory=dict)
    process_env: Mapping[str, str] = field(default_factory=dict)
    #: The kinds the environment file declares it manages (``kinds:``): always read.
    managed_kinds: frozenset[str] = frozenset()
    #: The environment's ``policies:`` (``reconciler.policies.Policies``): checked with the
    #: specs, so a breach is a diagnostic at the spec's file:line:col.
    policies: Any = None


def looks_secret(name: str) -> bool:
    """Whether an environment variable name looks like it holds a secret."""
    upper = name.upper().replace("-", "_")
    return any(word in upper.replace("API_KEY", "APIKEY") for word in _SECRET_WORDS)


def interpolate_specs(
    specs: Sequence[ChannelSpec], context: SpecContext
) -> tuple[list[ChannelSpec], list[Diagnostic]]:
    """Every spec with its references resolved; a spec with any problem is left out."""
    resolved: list[ChannelSpec] = []
    problems: list[Diagnostic] = []
    for spec in specs:
        found: list[Diagnostic] = []
        body = _walk(spec.body, [], spec, context, found)
        problems.extend(found)
        if not found:
            name = body.get("name") if isinstance(body, dict) else None
            resolved.append(
                dataclasses.replace(spec, body=body, name=name if isinstance(name, str) else "")
            )
    return resolved, problems


def _walk(
    value: Any,
    parts: list[str | int],
    spec: ChannelSpec,
    context: SpecContext,
    found: list[Diagnostic],
) -> Any:
    if isinstance(value, dict):
        return {k: _walk(v, [*parts, k], spec, context, found) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, [*parts, i], spec, context, found) for i, v in enumerate(value)]
    if isinstance(value, str) and "$" in value:
        return _resolve(value, parts, spec, context, found)
    return value


def _resolve(
    text: str,
    parts: list[str | int],
    spec: ChannelSpec,
    context: SpecContext,
    found: list[Diagnostic],
) -> str:
    def problem(message: str, rule: str) -> None:
        path = json_path(parts)
        ref = spec.positions.get(path, spec.source)
        found.append(_at(ref, path, message, rule))

    def replace(match: re.Match[str]) -> str:
        whole = match.group(0)
        if whole == "$${":
            return "${"
        inner = match.group(1)
        if inner is None:
            problem("'${' is not closed; write '$${' for a literal '${'", "variable.syntax")
            return whole
        namespace, _, name = inner.partition(".")
        if namespace not in ("var", "env") or not _NAME.fullmatch(name):
            message = (
                f"{whole!r} is not a reference: use ${{var.NAME}} or ${{env.NAME}} "
                "(or '$${' for a literal '${')"
            )
            problem(message, "variable.syntax")
            return whole
        value = (_from_env if namespace == "env" else _from_var)(name, context, problem)
        return whole if value is None else value

    return _REFERENCE.sub(replace, text)


def _from_var(name: str, context: SpecContext, problem: Any) -> str | None:
    if context.environment is None:
        problem(
            f"undefined variable 'var.{name}': no environment chosen; "
            "pass --env NAME (or set RECONCILER_ENV) to use environments/NAME.yaml",
            "variable.undefined",
        )
        return None
    if name not in context.variables:
        problem(
            f"undefined variable 'var.{name}': not in the variables of environment "
            f"{context.environment!r}",
            "variable.undefined",
        )
        return None
    return context.variables[name]


def _from_env(name: str, context: SpecContext, problem: Any) -> str | None:
    if looks_secret(name):
        problem(
            f"'env.{name}' looks like a secret and is refused: resolved values are shown in "
            "plans and pull-request comments",
            "variable.secret",
        )
        return None
    if name not in context.process_env:
        problem(
            f"undefined variable 'env.{name}': not set in the process environment",
            "variable.undefined",
        )
        return None
    return context.process_env[name]


def applies_to(spec: ChannelSpec, environment: str | None) -> bool:
    """Whether a spec applies to ``environment`` (always without one, or without the key).

    A malformed ``x-environments`` (not a non-empty list of strings) keeps the spec, so that
    the schema check reports the key instead of the spec silently vanishing.
    """
    wanted = spec.body.get(ENVIRONMENTS_KEY)
    if environment is None or not isinstance(wanted, list) or not wanted:
        return True
    if not all(isinstance(item, str) for item in wanted):
        return True
    return environment in wanted


#: Keys of a spec document that are the tool's, never sent: stripped once the schema has
#: judged them.
RENAMED_FROM_KEY = "renamedFrom"
RESERVED_KEYS = (ENVIRONMENTS_KEY, "kind", RENAMED_FROM_KEY)


def strip_reserved(spec: ChannelSpec) -> ChannelSpec:
    """The spec without ``x-environments``, ``kind`` and ``renamedFrom`` (what is planned and
    sent); the former names move to ``Spec.renamed_from``."""
    if not any(key in spec.body for key in RESERVED_KEYS):
        return spec
    former = spec.body.get(RENAMED_FROM_KEY)
    names = tuple(n for n in former if isinstance(n, str)) if isinstance(former, list) else ()
    body = {k: v for k, v in spec.body.items() if k not in RESERVED_KEYS}
    return dataclasses.replace(spec, body=body, renamed_from=names or spec.renamed_from)


def _at(ref: SourceRef, path: str, message: str, rule: str) -> Diagnostic:
    return Diagnostic(
        file=ref.file, line=ref.line, col=ref.col, path=path, message=message, rule=rule
    )
