"""Rules a JSON Schema cannot express, checked across every loaded spec.

Every kind: names are unique per kind (compared as the kind compares them: NFKC and casefold,
so names that only look alike are one name), and hold no control or invisible character nor
surrounding white space. Each kind may add
its own rules (``ResourceKind.check_specs``: the channel kind refuses its reserved marker key).

Pure: specs in, diagnostics out. The rules tolerate bodies that failed the schema (a name that
is not a string, attributes that are not a mapping) so that one run reports everything.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler import kinds
from reconciler.kinds.base import name_problem
from reconciler.model import Diagnostic, Spec


def check_rules(specs: Sequence[Spec]) -> list[Diagnostic]:
    """Every cross-file problem of ``specs`` (in load order), sorted."""
    found = [*safe_names(specs), *unique_names(specs)]
    for name in kinds.names():
        of_kind = [spec for spec in specs if spec.kind == name]
        if of_kind:
            found.extend(kinds.get(name).check_specs(of_kind))
    return sorted(found, key=Diagnostic.sort_key)


def safe_names(specs: Sequence[Spec]) -> list[Diagnostic]:
    """Names that are blank, padded with white space, or hold control or invisible characters:
    they look like other names, or like nothing, in every place a name is shown."""
    found: list[Diagnostic] = []
    for spec in specs:
        name = spec.body.get("name")
        if not isinstance(name, str) or not name:
            continue  # the schema reports a missing or empty name
        problem = name_problem(name)
        if problem:
            here = spec.positions.get("name", spec.source)
            found.append(
                Diagnostic(
                    file=here.file,
                    line=here.line,
                    col=here.col,
                    path="name",
                    message=f"the name {name!r} {problem}",
                    rule="name.characters",
                )
            )
    return found


def unique_names(specs: Sequence[Spec]) -> list[Diagnostic]:
    """Each repeat of a name within a kind (compared as the API does, case-insensitively)
    after its first."""
    first: dict[tuple[str, str], tuple[str, Spec]] = {}
    found: list[Diagnostic] = []
    for spec in specs:
        name = spec.body.get("name")
        if not isinstance(name, str) or not name or not kinds.known(spec.kind):
            continue
        kind = kinds.get(spec.kind)
        key = (spec.kind, kind.identity(name))
        if key not in first:
            first[key] = (name, spec)  # positions are looked up only for a repeat: they may
            continue  # be composed on demand (spec/loader.py)
        here = spec.positions.get("name", spec.source)
        earlier_name, earlier = first[key]
        there = earlier.positions.get("name", earlier.source)
        same = "" if earlier_name == name else f" as {earlier_name!r}"
        message = (
            f"{kind.label} name {name!r} is already used{same} at {there} "
            "(names are unique, compared case-insensitively)"
        )
        found.append(
            Diagnostic(
                file=here.file,
                line=here.line,
                col=here.col,
                path="name",
                message=message,
                rule="unique-name",
            )
        )
    return found
