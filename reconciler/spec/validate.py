"""Load, check against the schema, check across files: the one way specs enter the reconciler.

``validate_paths`` feeds ``reconciler validate``; ``load_valid_specs`` is what plan and apply
call, and raises ``SpecError`` with every diagnostic when anything is wrong.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reconciler import kinds
from reconciler.errors import SpecError
from reconciler.interpolate import (
    SpecContext,
    applies_to,
    interpolate_specs,
    strip_reserved,
)
from reconciler.model import Diagnostic, Spec
from reconciler.spec.loader import load_specs
from reconciler.spec.rules import check_rules
from reconciler.spec.schema import check_spec

PathLike = str | os.PathLike[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidationResult:
    """Everything one validation run found.

    ``specs`` are the channel documents that passed the schema (cross-file problems such as a
    repeated name may still be in ``diagnostics``); ``channels`` counts every document that
    loaded as a mapping; ``files`` are the files read, spelled as in the diagnostics.
    """

    specs: tuple[Spec, ...]
    diagnostics: tuple[Diagnostic, ...]
    files: tuple[str, ...]
    channels: int

    @property
    def ok(self) -> bool:
        return not self.diagnostics


def with_kind(specs: Sequence[Spec]) -> tuple[list[Spec], list[Diagnostic]]:
    """Each spec with the kind its ``kind:`` key names (``channel`` without one); a kind that
    is not known is a diagnostic at the key, and that document goes no further."""
    known: list[Spec] = []
    problems: list[Diagnostic] = []
    for spec in specs:
        value = spec.body.get("kind", kinds.DEFAULT_KIND)
        if isinstance(value, str) and kinds.known(value):
            known.append(spec if value == spec.kind else dataclasses.replace(spec, kind=value))
            continue
        here = spec.positions.get("kind", spec.source)
        listed = ", ".join(repr(name) for name in kinds.names())
        problems.append(
            Diagnostic(
                file=here.file,
                line=here.line,
                col=here.col,
                path="kind",
                message=f"unknown kind {value!r}; known kinds: {listed}",
                rule="schema.kind",
            )
        )
    return known, problems


def check_specs(specs: Sequence[Spec]) -> tuple[list[Spec], list[Diagnostic]]:
    """Schema and cross-file rules over loaded specs: (specs that pass the schema, problems)."""
    specs, problems = with_kind(specs)
    passed: list[Spec] = []
    for spec in specs:
        found = check_spec(spec)
        problems.extend(found)
        if not found:
            passed.append(spec)
    problems.extend(check_rules(specs))
    return passed, problems


def resolve_and_check(
    specs: Sequence[Spec], context: SpecContext
) -> tuple[list[Spec], list[Diagnostic]]:
    """Environment selection, interpolation, schema, cross-file rules, in that order.

    Specs limited to other environments are dropped first (their variables may exist only
    there); references are resolved before the schema check, so the schema judges what would
    be sent; ``x-environments`` is stripped after it; the rules see the selected specs only, so
    a dev-only and a prod-only spec may share a name.
    """
    selected = [spec for spec in specs if applies_to(spec, context.environment)]
    resolved, problems = interpolate_specs(selected, context)
    resolved, unknown = with_kind(resolved)
    problems.extend(unknown)
    passed: list[Spec] = []
    for spec in resolved:
        found = check_spec(spec)
        problems.extend(found)
        if not found:
            passed.append(strip_reserved(spec))
    problems.extend(check_rules([strip_reserved(spec) for spec in resolved]))
    if context.policies:  # the environment's rules: a breach is a diagnostic at the spec
        from reconciler.policies import check_specs as check_policies

        problems.extend(check_policies(context.policies, passed))
    return passed, problems


def validate_paths(
    paths: Iterable[PathLike], context: SpecContext | None = None
) -> ValidationResult:
    """Load every spec under ``paths`` and report every problem, sorted by place.

    ``context`` (default: no environment, no variables) resolves ``${var.X}``/``${env.X}``
    and selects the specs of one environment.
    """
    loaded = load_specs(paths)
    passed, problems = resolve_and_check(loaded.specs, context or SpecContext())
    diagnostics = sorted({*loaded.diagnostics, *problems}, key=_order)
    return ValidationResult(
        specs=tuple(passed),
        diagnostics=tuple(diagnostics),
        files=loaded.files,
        channels=len(loaded.specs),
    )


def _order(diagnostic: Diagnostic) -> tuple[str, int, int, str, str, str]:
    return (*diagnostic.sort_key(), diagnostic.rule)


def load_valid_specs(paths: Iterable[PathLike], context: SpecContext | None = None) -> list[Spec]:
    """The specs under ``paths`` when all of them are valid; otherwise ``SpecError``.

    The error carries every diagnostic (``SpecError.diagnostics``); its message names the
    count and the first, so a command that does not render them still says where to look.
    """
    result = validate_paths(paths, context)
    if result.diagnostics:
        count = len(result.diagnostics)
        noun = "problem" if count == 1 else "problems"
        message = (
            f"{count} {noun} in the channel specs, the first at {result.diagnostics[0]} "
            "(run 'reconciler validate' to list them all)"
        )
        raise SpecError(message, result.diagnostics)
    return list(result.specs)
