"""What a kind of resource declares: the one class the planner, spec checks and import consult.

A kind is a module that subclasses ``ResourceKind`` and registers an instance
(``reconciler.kinds.register``). Everything that differs by kind on the pure side lives here:
its schema, identity, normalisation for diffing, server-set fields, set-valued lists, how the
ownership marker is read and written, references to other objects, dependencies (for ordering)
and the key order ``import`` writes. The planner, executor and renderers never switch on a
kind's name; they ask its declaration. The HTTP side of a kind is its adapter
(``reconciler.genesys.adapters``), and its emulator route lives under ``reconciler.sandbox``.

Pure: no I/O.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from reconciler.model import Diagnostic, LiveResource, Spec


def copy_json(value: Any) -> Any:
    """A deep copy of a JSON value (dicts, lists, scalars): several times faster than deepcopy."""
    if isinstance(value, dict):
        return {k: copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_json(v) for v in value]
    return value


def canonical_json(value: Any) -> bytes:
    """The one serialisation every digest uses: sorted keys, no whitespace, UTF-8."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def identity_key(name: str) -> str:
    """The identity of a name: NFKC, then Unicode casefold (then NFKC again, as casefolding can
    undo it), so names that only look alike (full-width letters, ligatures, letter case) are one
    name. ASCII names take the short way, to the same result."""
    if name.isascii():
        return name.lower()
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


#: Unicode categories a name may not contain: controls, format characters (zero-width and
#: direction marks), line and paragraph separators, private use and unassigned code points.
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cn", "Cs"})


def printable(text: str) -> str:
    """``text`` with every character of ``UNSAFE_CATEGORIES`` written as an escape
    (``\\u200b``), so a live name can never move a terminal's cursor or hide a character."""
    if text.isprintable():
        return text
    return "".join(
        f"\\u{ord(ch):04x}" if unicodedata.category(ch) in UNSAFE_CATEGORIES else ch for ch in text
    )


def name_problem(name: str) -> str:
    """Why a spec's name is refused ('' when it is fine)."""
    if not name.strip():
        return "must not be empty or only white space"
    if name != name.strip():
        return "must not start or end with white space"
    bad = sorted({ch for ch in name if unicodedata.category(ch) in UNSAFE_CATEGORIES})
    if bad:
        listed = ", ".join(f"U+{ord(ch):04X}" for ch in bad)
        return f"must not contain control or invisible characters ({listed})"
    return ""


def scripts_of(name: str) -> list[str]:
    """The scripts of a name's letters (LATIN, CYRILLIC, GREEK...), in first-seen order."""
    found: list[str] = []
    for ch in name:
        if ch.isalpha():
            script = unicodedata.name(ch, "UNKNOWN").split(" ")[0]
            if script not in found:
                found.append(script)
    return found


@dataclass(frozen=True, slots=True, kw_only=True)
class Reference:
    """A field of a spec that names another object, resolved to its id when planning.

    ``path`` is where the reference sits in the body (``("channel",)``); its value is
    ``{"name": ...}`` or ``{"id": ...}`` in a spec, and always ``{"id": ...}`` in what is sent.
    ``target`` is the kind it refers to: a registered kind (then an object created in the same
    run is resolved from that action's result), or an external type only the adapter can list.
    """

    path: tuple[str, ...]
    target: str
    #: What the target is called in messages ("inbound message flow"); default: ``target``.
    label: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Impact:
    """What one change does to customers who are chatting now or to the websites that embed the
    object: a stable ``code`` (policies and ``--allow-impact`` name it) and a sentence saying
    what happens, for the plan, the events and the notices."""

    code: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class _Missing:
    """A field that is not there, on one side of a ``ChangeView`` field."""

    def __repr__(self) -> str:
        return "(absent)"


#: The value ``ChangeView.change_of`` gives for a side where the field is absent.
MISSING: Any = _Missing()


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeView:
    """One planned change as a kind's ``impacts`` sees it (the planner builds it; the kind needs
    no planner type).

    ``verb`` is the action (``create``, ``update``, ``adopt``, ``delete``); ``changes`` maps
    each changed dotted path to ``(before, after)`` with ``MISSING`` for an absent side, as the
    plan shows them (write-only values already redacted); ``body`` is what a create or update
    sends; ``deleted`` are the names of the objects of the same kind that this plan deletes.
    """

    verb: str
    name: str
    object_id: str | None = None
    body: Mapping[str, Any] | None = None
    changes: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)
    deleted: tuple[str, ...] = ()
    previous_name: str | None = None

    def change_of(self, path: str) -> tuple[Any, Any] | None:
        """``(before, after)`` of the field at dotted ``path`` when the plan changes it (also
        when the change is of an enclosing object, as when a whole block is added), else
        None."""
        if path in self.changes:
            return self.changes[path]
        for changed, (before, after) in self.changes.items():
            if path.startswith(changed + "."):
                rest = path[len(changed) + 1 :].split(".")
                old, new = _dig(before, rest), _dig(after, rest)
                return None if old == new else (old, new)
        return None


def _dig(value: Any, parts: Sequence[str]) -> Any:
    for part in parts:
        if not isinstance(value, Mapping) or part not in value:
            return MISSING
        value = value[part]
    return value


def likely_renamed(name: str, deleted: Sequence[str]) -> str | None:
    """The deleted name that ``name`` most likely replaces (a rename made without
    ``renamedFrom``): one whose letters and digits are alike (the same once case and
    punctuation are ignored, one inside the other, or a close spelling); None when no deleted
    name is."""
    if not deleted:
        return None

    def letters(text: str) -> str:
        return "".join(ch for ch in identity_key(text) if ch.isalnum())

    wanted = letters(name)
    best: tuple[float, str] | None = None
    for old in sorted(deleted):
        other = letters(old)
        score = difflib.SequenceMatcher(None, wanted, other).ratio()
        if wanted and other and (wanted in other or other in wanted):
            score = max(score, 0.9)
        if score >= 0.6 and (best is None or score > best[0]):
            best = (score, old)
    return best[1] if best is not None else None


class ResourceKind:
    """The declaration of one kind. Subclasses set the class attributes and may override the
    methods; the defaults suit a flat object with a ``name`` and a ``description``."""

    #: The ``kind:`` value in a spec document (``channel``, ``webDeployment``).
    name: ClassVar[str]
    #: The noun in messages and plans ("channel", "web deployment").
    label: ClassVar[str]
    #: The JSON Schema of a spec document, a resource of ``reconciler.schemas``.
    schema_resource: ClassVar[str]
    #: Fields the server sets: never sent on create, never compared, refused in a spec.
    server_fields: ClassVar[tuple[str, ...]] = ()
    #: Lists compared as sets, each a path of keys from the body's root.
    set_lists: ClassVar[tuple[tuple[str, ...], ...]] = ()
    #: Kinds whose objects must exist before this kind's (creates and updates run after theirs,
    #: deletes before theirs).
    depends_on: ClassVar[tuple[str, ...]] = ()
    #: Fields that name other objects.
    references: ClassVar[tuple[Reference, ...]] = ()
    #: Key order of the sections ``import`` writes: ``""`` is the top level.
    import_order: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    #: How a person finds the ownership marker ("x-managed-by"), for messages.
    marker_field: ClassVar[str] = "managed-by"
    #: Whether two live objects holding one spec's name fail the plan (a kind whose server does
    #: not keep names unique: never guess which is meant) instead of being a conflict.
    ambiguous_is_error: ClassVar[bool] = False
    #: Keys of a spec document that are the tool's and never part of the body sent.
    spec_only_keys: ClassVar[tuple[str, ...]] = ("kind",)
    #: The impact codes ``impacts`` may give, each with why it matters to customers (policies
    #: and ``--allow-impact`` accept these codes; docs/guardrails.md lists them).
    impact_codes: ClassVar[Mapping[str, str]] = {}
    #: Lists of domains (host names) in a spec, as paths from the body's root: the policy
    #: ``allowDomains`` checks these.
    domain_fields: ClassVar[tuple[tuple[str, ...], ...]] = ()
    #: Flags of a spec that, when true, allow every domain (``allowDomains`` refuses them).
    all_domains_fields: ClassVar[tuple[tuple[str, ...], ...]] = ()

    def schema(self) -> dict[str, Any]:
        """The JSON Schema of a spec document (by default the package resource)."""
        from reconciler.spec.schema import kind_schema  # package data, read once

        return kind_schema(self.schema_resource)

    def identity(self, name: str) -> str:
        """The key two names share when they are one object's name."""
        return identity_key(name)

    # -- ownership ------------------------------------------------------------------------

    def owner_of(self, body: Mapping[str, Any]) -> str | None:
        """The owner id in the body's ownership marker, or None when there is no marker."""
        raise NotImplementedError

    def with_owner(self, body: dict[str, Any], owner: str) -> dict[str, Any]:
        """``body`` (a fresh copy the caller owns) with this owner's marker set."""
        raise NotImplementedError

    def without_owner(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of ``body`` without the marker (for comparison and import)."""
        raise NotImplementedError

    # -- comparison -----------------------------------------------------------------------

    def normalise(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The comparable form of a body: no server fields, no marker, canonical sets.

        Used on both sides of every comparison, so an object equals its spec exactly when
        their normalised bodies are equal.
        """
        result = self.without_owner({k: v for k, v in body.items() if k not in self.server_fields})
        for path in self.set_lists:
            _canonical_set_at(result, path, self.canonical_set_item)
        return result

    def comparable(
        self, desired: Mapping[str, Any], live: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """(wanted, current): the two sides a plan diffs, for a desired body and a live one.

        By default both normalised. A kind whose spec leaves fields unmanaged projects the live
        side onto what the spec mentions, and may add derived lines (a version to publish).
        """
        return self.normalise(desired), self.normalise(live)

    def plan_problem(self, desired: Mapping[str, Any], live: LiveResource | None) -> str:
        """Why this spec cannot be planned against this live object ('' when it can); the
        planner turns it into a plan error naming the spec's file and line."""
        return ""

    def live_notes(self, resource: LiveResource) -> tuple[str, ...]:
        """Warnings about a live object for the person reading the plan (not changes)."""
        return ()

    def action_notes(self, desired: Mapping[str, Any], live: LiveResource) -> tuple[str, ...]:
        """Warnings for the plan's action on ``live`` with this desired body: by default the
        live object's own (``live_notes``); a kind whose warning depends on what the action
        will do (publish or not) overrides this."""
        return self.live_notes(live)

    def canonical_set_item(self, item: Any) -> Any:
        """How one item of a set-valued list is compared (default: as it is)."""
        return item

    def desired(self, spec_body: Mapping[str, Any], owner: str) -> dict[str, Any]:
        """The body to send for a spec: canonical sets and this owner's marker set."""
        result = {
            k: copy_json(v)
            for k, v in spec_body.items()
            if k not in self.server_fields and k not in self.spec_only_keys
        }
        for path in self.set_lists:
            _canonical_set_at(result, path, self.canonical_set_item)
        return self.with_owner(result, owner)

    def content_sha256(self, body: Mapping[str, Any]) -> str:
        """Hex sha256 of a live body exactly as stored (marker included, server fields not)."""
        stored = {k: v for k, v in body.items() if k not in self.server_fields}
        return hashlib.sha256(canonical_json(stored)).hexdigest()

    # -- specs ----------------------------------------------------------------------------

    def check_specs(self, specs: Sequence[Spec]) -> list[Diagnostic]:
        """Rules across this kind's specs that its JSON Schema cannot express (beyond the
        unique names every kind has)."""
        return []

    def impacts(self, change: ChangeView) -> tuple[Impact, ...]:
        """What this change does to live customers (none by default). Each impact's code is one
        of ``impact_codes``. Pure: it sees only the planned change."""
        return ()

    def event_details(self, resource: LiveResource) -> dict[str, Any]:
        """Facts of a written object that its webhook event carries beyond id and name."""
        return {}

    def import_document(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The spec document ``import`` writes for a live body (marker and server fields
        gone), before key ordering."""
        return self.normalise(body)


def _canonical_set_at(body: dict[str, Any], path: tuple[str, ...], item: Any) -> None:
    """Sort and de-duplicate the list at ``path`` in place, copying the containers on the way
    (the caller's dict is fresh; nested containers may be shared and are never mutated)."""
    node: Any = body
    for part in path[:-1]:
        child = node.get(part) if isinstance(node, dict) else None
        if not isinstance(child, dict):
            return
        node[part] = child = dict(child)
        node = child
    values = node.get(path[-1]) if isinstance(node, dict) else None
    if not isinstance(values, list):
        return
    items = [item(v) for v in values]
    if all(isinstance(v, str) for v in items):
        node[path[-1]] = sorted(set(items))
    # anything else is not what a schema allows: kept as it is, compared by order
