"""Rules a JSON Schema cannot express, checked across every loaded spec.

Pure: specs in, diagnostics out. The rules tolerate bodies that failed the schema (a name that
is not a string, attributes that are not a mapping) so that one run reports everything.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.model import MANAGED_BY_KEY, ChannelSpec, Diagnostic, channel_key
from reconciler.spec.schema import json_path

ATTRIBUTES_PATH = ("webMessagingWidgetConfiguration", "customAttributes")


def check_rules(specs: Sequence[ChannelSpec]) -> list[Diagnostic]:
    """Every cross-file problem of ``specs`` (in load order), sorted."""
    found = [*unique_names(specs), *reserved_keys(specs)]
    return sorted(found, key=Diagnostic.sort_key)


def unique_names(specs: Sequence[ChannelSpec]) -> list[Diagnostic]:
    """Each repeat of a name (compared as the API does, case-insensitively) after its first."""
    first: dict[str, tuple[str, ChannelSpec]] = {}
    found: list[Diagnostic] = []
    for spec in specs:
        name = spec.body.get("name")
        if not isinstance(name, str) or not name:
            continue
        key = channel_key(name)
        if key not in first:
            first[key] = (name, spec)  # positions are looked up only for a repeat: they may
            continue  # be composed on demand (spec/loader.py)
        here = spec.positions.get("name", spec.source)
        earlier_name, earlier = first[key]
        there = earlier.positions.get("name", earlier.source)
        same = "" if earlier_name == name else f" as {earlier_name!r}"
        message = (
            f"channel name {name!r} is already used{same} at {there} "
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


def reserved_keys(specs: Sequence[ChannelSpec]) -> list[Diagnostic]:
    """Specs that set the reconciler's ownership marker themselves, in any letter case."""
    found: list[Diagnostic] = []
    reserved = MANAGED_BY_KEY.casefold()
    for spec in specs:
        widget = spec.body.get(ATTRIBUTES_PATH[0])
        attributes = widget.get(ATTRIBUTES_PATH[1]) if isinstance(widget, dict) else None
        if not isinstance(attributes, dict):
            continue
        for key in attributes:
            if isinstance(key, str) and key.casefold() == reserved:
                path = json_path([*ATTRIBUTES_PATH, key])
                here = spec.positions.get(path, spec.source)
                spelled = "" if key == MANAGED_BY_KEY else f" (as {MANAGED_BY_KEY!r}, in any case)"
                message = (
                    f"the key {key!r} is reserved{spelled}: the reconciler sets it to mark "
                    "the channels it manages"
                )
                found.append(
                    Diagnostic(
                        file=here.file,
                        line=here.line,
                        col=here.col,
                        path=path,
                        message=message,
                        rule="reserved-key",
                    )
                )
    return found
