"""Policies of an environment: rules a pull request cannot break, from ``policies:`` in
``environments/<name>.yaml``.

Four rules, one per list item (docs/guardrails.md has examples):

- ``forbid: {field, value}``: no spec may hold ``value`` at ``field`` (without ``value``: may
  not set the field at all);
- ``require: {field}``: every spec must set ``field``;
- ``allowDomains: {suffixes}``: every domain a spec lists (the fields its kind declares in
  ``domain_fields``) is one of the suffixes or under one, and no spec allows all domains;
- ``approve: {impacts}``: a plan whose changes have one of these impact codes is applied only
  with ``--allow-impact CODE`` for each (recorded in the audit log with the actor).

Each rule may name the ``kind`` (or kinds) it applies to, a ``name`` for messages and a
``message`` saying why. The spec rules are checked with the specs (``check_specs``), so
``validate --env``, ``plan`` and ``apply`` (a saved plan too) report a breach as a diagnostic at
the spec's file:line:col; the approvals are checked against a plan (``unapproved``).

Pure: no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reconciler import kinds
from reconciler.model import Diagnostic, SourceRef, Spec, json_path

if TYPE_CHECKING:
    from reconciler.kinds.base import Impact
    from reconciler.planner import Action

RULES = ("forbid", "require", "allowDomains", "approve")


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """One rule of ``policies:`` (checked against the environment schema first)."""

    rule: str
    label: str  # 'name' (or policies[i]) of environments/prod.yaml, for messages
    kinds: tuple[str, ...] = ()  # empty: every kind
    path: tuple[str, ...] = ()  # forbid and require
    has_value: bool = False
    value: Any = None
    suffixes: tuple[str, ...] = ()
    impacts: tuple[str, ...] = ()
    why: str = ""

    def applies_to(self, kind: str) -> bool:
        return not self.kinds or kind in self.kinds

    @property
    def field(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True, slots=True, kw_only=True)
class Policies:
    """Every rule of one environment file."""

    file: str = ""
    rules: tuple[Policy, ...] = field(default=())

    def __bool__(self) -> bool:
        return bool(self.rules)

    def approvals(self) -> tuple[Policy, ...]:
        return tuple(rule for rule in self.rules if rule.rule == "approve")


NO_POLICIES = Policies()


def parse_policies(
    items: Sequence[Any], positions: Mapping[str, SourceRef], file: str
) -> tuple[Policies, list[Diagnostic]]:
    """The rules of an environment document's ``policies`` (already schema-checked), and the
    problems a schema cannot see: an unknown kind, field or impact code."""
    rules: list[Policy] = []
    problems: list[Diagnostic] = []
    codes = kinds.impact_codes()

    def problem(parts: list[str | int], message: str, rule: str) -> None:
        where = _place(positions, parts, file)
        problems.append(
            Diagnostic(
                file=where.file,
                line=where.line,
                col=where.col,
                path=json_path(parts),
                message=message,
                rule=rule,
            )
        )

    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            continue
        here: list[str | int] = ["policies", index]
        given = [name for name in RULES if name in item]
        if len(given) != 1:
            continue  # the schema's oneOf reported it
        rule = given[0]
        spec = item[rule] if isinstance(item[rule], Mapping) else {}
        raw_kinds = item.get("kind", ())
        named = (raw_kinds,) if isinstance(raw_kinds, str) else tuple(raw_kinds)
        for kind in named:
            if not kinds.known(kind):
                listed = ", ".join(kinds.names())
                problem(
                    [*here, "kind"], f"unknown kind {kind!r}; known kinds: {listed}", "policy.kind"
                )
        label = str(item.get("name") or f"policies[{index}]")
        policy = Policy(
            rule=rule,
            label=f"{label!r} of {file}",
            kinds=named,
            path=tuple(str(spec.get("field", "")).split(".")) if "field" in spec else (),
            has_value="value" in spec,
            value=spec.get("value"),
            suffixes=tuple(_domain(str(s)) for s in spec.get("suffixes", ())),
            impacts=tuple(str(c) for c in spec.get("impacts", ())),
            why=str(item.get("message", "")),
        )
        for position, code in enumerate(policy.impacts):
            if code not in codes:
                listed = ", ".join(sorted(codes)) or "none"
                problem(
                    [*here, rule, "impacts", position],
                    f"unknown impact code {code!r}; the kinds declare: {listed}",
                    "policy.impact",
                )
        if rule == "allowDomains" and not any(
            kinds.get(k).domain_fields for k in (named or kinds.names()) if kinds.known(k)
        ):
            problem([*here, rule], "no kind it applies to has domain fields", "policy.domains")
        rules.append(policy)
    return Policies(file=file, rules=tuple(rules)), problems


def _place(positions: Mapping[str, SourceRef], parts: list[str | int], file: str) -> SourceRef:
    for end in range(len(parts), -1, -1):
        ref = positions.get(json_path(parts[:end]))
        if ref is not None:
            return ref
    return SourceRef(file=file, line=1, col=1)


def _domain(text: str) -> str:
    """A host name as compared: lower case, no scheme, port, path, wildcard or final dot."""
    host = text.strip().lower()
    if "://" in host:
        host = host.split("://", 1)[1]
    host = host.split("/", 1)[0].rsplit("@", 1)[-1]
    if host.startswith("["):
        return host
    host = host.split(":", 1)[0]
    return host.removeprefix("*.").rstrip(".")


def under(domain: str, suffixes: Iterable[str]) -> bool:
    """Whether ``domain`` is one of ``suffixes`` or a subdomain of one."""
    host = _domain(domain)
    return any(host == s or host.endswith("." + s) for s in suffixes)


def _lookup(body: Mapping[str, Any], path: Sequence[str]) -> tuple[bool, Any]:
    value: Any = body
    for part in path:
        if not isinstance(value, Mapping) or part not in value:
            return False, None
        value = value[part]
    return True, value


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def check_specs(policies: Policies, specs: Sequence[Spec]) -> list[Diagnostic]:
    """Every breach of the spec rules, at the spec's file:line:col."""
    found: list[Diagnostic] = []
    for policy in policies.rules:
        for spec in specs:
            if policy.applies_to(spec.kind):
                found.extend(_check(policy, spec))
    return found


def _breach(spec: Spec, parts: list[str | int], policy: Policy, text: str) -> Diagnostic:
    where = spec.source
    for end in range(len(parts), 0, -1):
        ref = spec.positions.get(json_path(parts[:end]))
        if ref is not None:
            where = ref
            break
    why = f" ({policy.why})" if policy.why else ""
    return Diagnostic(
        file=where.file,
        line=where.line,
        col=where.col,
        path=json_path(parts),
        message=f"{text}: policy {policy.label}{why}",
        rule=f"policy.{policy.rule}",
    )


def _check(policy: Policy, spec: Spec) -> list[Diagnostic]:
    parts: list[str | int] = list(policy.path)
    if policy.rule == "forbid":
        present, value = _lookup(spec.body, policy.path)
        if present and (not policy.has_value or value == policy.value):
            said = f"must not be {_show(policy.value)}" if policy.has_value else "must not be set"
            return [_breach(spec, parts, policy, f"{said} in this environment")]
        return []
    if policy.rule == "require":
        present, _value = _lookup(spec.body, policy.path)
        if not present:
            label = kinds.get(spec.kind).label if kinds.known(spec.kind) else spec.kind
            text = f"{label} {spec.name!r} must set {policy.field} in this environment"
            return [_breach(spec, parts, policy, text)]
        return []
    if policy.rule == "allowDomains":
        return _check_domains(policy, spec)
    return []


def _check_domains(policy: Policy, spec: Spec) -> list[Diagnostic]:
    if not kinds.known(spec.kind):
        return []
    kind = kinds.get(spec.kind)
    found: list[Diagnostic] = []
    allowed = ", ".join(policy.suffixes)
    for path in kind.all_domains_fields:
        present, value = _lookup(spec.body, path)
        if present and value is True:
            text = f"true allows every domain; only domains under {allowed} are allowed here"
            found.append(_breach(spec, list(path), policy, text))
    for path in kind.domain_fields:
        present, values = _lookup(spec.body, path)
        if not present or not isinstance(values, list):
            continue
        for index, item in enumerate(values):
            if isinstance(item, str) and not under(item, policy.suffixes):
                text = f"domain {item!r} is not under {allowed}"
                found.append(_breach(spec, [*path, index], policy, text))
    return found


@dataclass(frozen=True, slots=True, kw_only=True)
class Unapproved:
    """An impact a policy wants approved, on one action, without ``--allow-impact``."""

    policy: Policy
    action: Action
    impact: Impact

    def describe(self) -> str:
        where = f" ({self.action.source})" if self.action.source else ""
        return (
            f"{self.action.kind.value} {self.action.name!r}{where}: [{self.impact.code}] "
            f"{self.impact.message}"
        )


def unapproved(
    policies: Policies, actions: Iterable[Action], allowed: Iterable[str]
) -> list[Unapproved]:
    """The impacts of ``actions`` that an ``approve`` rule names and ``allowed`` does not."""
    given = set(allowed)
    found: list[Unapproved] = []
    for action in actions:
        for impact in action.impacts:
            if impact.code in given:
                continue
            for policy in policies.approvals():
                if policy.applies_to(action.resource_kind) and impact.code in policy.impacts:
                    found.append(Unapproved(policy=policy, action=action, impact=impact))
                    break
    return found


def approved(
    policies: Policies, actions: Iterable[Action], allowed: Iterable[str]
) -> list[dict[str, str]]:
    """The approvals ``allowed`` gave this plan: one record per impact an ``approve`` rule
    names, for the audit log."""
    given = set(allowed)
    records: list[dict[str, str]] = []
    for action in actions:
        for impact in action.impacts:
            if impact.code not in given:
                continue
            for policy in policies.approvals():
                if policy.applies_to(action.resource_kind) and impact.code in policy.impacts:
                    records.append(
                        {
                            "code": impact.code,
                            "kind": action.resource_kind,
                            "name": action.name,
                            "id": action.channel_id or "",
                            "policy": policy.label,
                        }
                    )
                    break
    return records
