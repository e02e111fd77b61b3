"""The fast path of the spec loader: plain values straight from libyaml's events.

libyaml (the C parser PyYAML ships in its wheels) parses a spec file twenty-odd times faster
than ruamel's pure-Python parser. It does not produce the same errors, and it marks a few nodes
elsewhere (an empty value at the end of its line, ruamel at the next token), so it is trusted
only with what both parsers read alike: this module accepts the common case and answers
``None`` for everything else, and the loader then reads the file with the reference parser as
if this module did not exist. Not the common case: a libyaml error; a tab, NEL, LS, PS or
byte-order mark anywhere in the text; a ``...`` document end marker; a ``%YAML``/``%TAG``
directive; an anchor, alias or tag; an empty plain scalar; a key that is not a string, is
repeated or is ``<<``; a document that is not a mapping or is empty; a file with no document;
more nodes or deeper nesting than the loader's limits.

Without libyaml (PyYAML missing or built without it), ``available()`` is false.
"""

from __future__ import annotations

import re
from typing import Any

try:  # PyYAML's C extension; imports the PyYAML package around it
    from yaml import YAMLError as _LibYAMLError
    from yaml._yaml import CParser as _CParser
    from yaml.events import (
        DocumentEndEvent,
        DocumentStartEvent,
        MappingEndEvent,
        MappingStartEvent,
        ScalarEvent,
        SequenceEndEvent,
        SequenceStartEvent,
        StreamEndEvent,
        StreamStartEvent,
    )
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    _CParser = None  # PyYAML without libyaml, or no PyYAML

#: Set to False to read every file with the reference parser (tests compare the two paths).
ENABLED = True

Document = tuple[dict[str, Any], int, int]  # body, 1-based line and column of its mapping

_NO_KEY = object()

#: Characters the two parsers read differently: libyaml allows tabs where ruamel refuses them,
#: and YAML 1.1 (libyaml) breaks lines at NEL, LS and PS where YAML 1.2 (ruamel) does not.
_DIVERGENT = ("\t", "\x85", "\u2028", "\u2029", "\ufeff")
#: A document end marker: ruamel refuses some sequences of them that libyaml reads.
_DOCUMENT_END = re.compile(r"^\.\.\.", re.MULTILINE)


def available() -> bool:
    """Whether the fast path runs: libyaml is importable and it is enabled."""
    return ENABLED and _CParser is not None


def load_documents(text: str, *, max_nodes: int, max_depth: int) -> list[Document] | None:
    """Every document of ``text`` as (body, line, col), or None when the reference parser must
    read the file (see the module docstring)."""
    from reconciler.spec.loader import plain_value  # the one core-schema resolver

    if any(character in text for character in _DIVERGENT) or _DOCUMENT_END.search(text):
        return None
    try:
        parser = _CParser(text)
    except (_LibYAMLError, ValueError):  # text libyaml cannot take (a lone surrogate)
        return None
    documents: list[Document] = []
    stack: list[Any] = []  # open collections, innermost last
    keys: list[Any] = []  # per open collection: the pending key of a mapping, or _NO_KEY
    resolved: dict[str, Any] = {}  # plain scalar text -> value: keys repeat in every document
    get_event = parser.get_event
    nodes = 0
    root: Any = _NO_KEY
    line = col = 0
    try:
        while True:
            event = get_event()
            cls = type(event)
            if cls is ScalarEvent:
                if event.anchor is not None or event.tag is not None or len(stack) >= max_depth:
                    return None
                value: Any = event.value
                plain = not event.style
                if plain:
                    if not value:
                        return None
                    text = value
                    value = resolved.get(text, _NO_KEY)
                    if value is _NO_KEY:
                        value = resolved[text] = plain_value(text)
            elif cls is MappingStartEvent or cls is SequenceStartEvent:
                if event.anchor is not None or event.tag is not None or len(stack) >= max_depth:
                    return None
                nodes += 1
                if not stack:
                    line, col = event.start_mark.line + 1, event.start_mark.column + 1
                stack.append({} if cls is MappingStartEvent else [])
                keys.append(_NO_KEY)
                continue
            elif cls is MappingEndEvent or cls is SequenceEndEvent:
                value = stack.pop()
                if keys.pop() is not _NO_KEY:  # a key without a value: not well formed
                    return None
                nodes -= 1  # counted at its start
                plain = False
            elif cls is DocumentStartEvent:
                if event.version is not None or event.tags:
                    return None
                root = _NO_KEY
                continue
            elif cls is DocumentEndEvent:
                if not isinstance(root, dict):
                    return None
                documents.append((root, line, col))
                continue
            elif cls is StreamEndEvent:
                return documents or None
            elif cls is StreamStartEvent:
                continue
            else:  # AliasEvent, or anything this module does not know
                return None
            nodes += 1
            if nodes > max_nodes:
                return None
            if not stack:
                root = value
                continue
            top = stack[-1]
            if type(top) is list:
                top.append(value)
                continue
            key = keys[-1]
            if key is _NO_KEY:
                if type(value) is not str or value in top or (plain and value == "<<"):
                    return None
                keys[-1] = value
            else:
                top[key] = value
                keys[-1] = _NO_KEY
    except _LibYAMLError:
        return None
    finally:
        parser.dispose()
