"""Read channel spec files into ``ChannelSpec`` records, keeping the place of every node.

The I/O edge of ``spec/``: it finds files, reads bytes and parses YAML with ruamel.yaml. It
returns diagnostics for bad content and never raises for it, so one run reports every problem.

YAML is read from ruamel's event stream and composed here, not by ruamel's constructor, so that
nothing YAML can express beyond plain JSON-like data gets through: tags are refused (even
``!!str``), keys must be strings and unique, ``<<`` merges are refused, and aliases may add only
a small number of nodes. That bound is checked as each alias is met, against the size of the
node it names, so a "billion laughs" file fails after a few hundred events without expanding
anything. Past a limit (alias expansion, node count, nesting depth) the rest of the file is not
read: ruamel's pure-Python scanner slows down with nesting, and a hostile file must stay cheap.
Plain scalars resolve by the YAML 1.2 core schema (``yes`` is a string).

Two parsers, one answer. ruamel's pure-Python parser is the reference: its events, marks and
error messages define every diagnostic. When libyaml is installed (PyYAML's C extension), a
file is first read by a fast path that builds plain values straight from libyaml's events and
accepts only the common case: no anchors, aliases, tags, directives, empty plain scalars,
non-string, merge or duplicate keys, within the limits, every document a mapping. Anything else,
and any libyaml error, sends the whole file to the reference path, which reads it as if the fast
path did not exist; so every message and ``file:line:col`` is the reference parser's. Node
positions of fast-path documents are made lazily, by the reference parser, only when something
asks for one (a diagnostic about the spec); a valid file never pays for them.

The loader does not validate against the schema: ``reconciler.spec.validate`` does that after
loading, so a later step that rewrites bodies (variables, environments) fits in between.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.model import ChannelSpec, Diagnostic, SourceRef
from reconciler.spec import fastyaml
from reconciler.spec.schema import json_path

if TYPE_CHECKING:  # imported when first needed: a valid file read by libyaml never needs it
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.events import Event

#: Largest spec file read; checked before reading it whole.
MAX_FILE_BYTES = 1024 * 1024
#: Nodes that aliases may add to one document (a channel has about 100 nodes at most).
MAX_ALIAS_NODES = 1000
#: Nodes in one file, aliases included (200 channels of the largest kind). Parsing costs up to
#: ~50 µs a node in deeply nested flow style, so this bounds the time a hostile file can take.
MAX_NODES = 20_000
#: Nesting depth of one document (a channel needs 4).
MAX_DEPTH = 32

SPEC_SUFFIXES = (".yaml", ".yml")  # compared in lower case: A.YAML is a spec too

_STOPPED = "; the rest of the file is not read"

#: ruamel events that start a node (matched by class name: ruamel is imported only when used).
_NODE_EVENTS = frozenset({"ScalarEvent", "AliasEvent", "MappingStartEvent", "SequenceStartEvent"})

_NULL = re.compile(r"~|null|Null|NULL|")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadResult:
    """What a set of paths held: the channel documents, the problems, the files read."""

    specs: tuple[ChannelSpec, ...]
    diagnostics: tuple[Diagnostic, ...]
    files: tuple[str, ...]


def load_specs(paths: Iterable[str | os.PathLike[str]]) -> LoadResult:
    """Load every spec document under ``paths`` (files, or folders searched for *.yaml/*.yml).

    Files come in a sorted, deterministic order; paths in diagnostics are spelled as given
    (``channels/a.yaml`` for ``channels/``). A path that does not exist is a diagnostic.
    """
    specs: list[ChannelSpec] = []
    diagnostics: list[Diagnostic] = []
    files, found = discover(paths)
    diagnostics.extend(found)
    for shown, path in files:
        file_specs, file_diagnostics = load_file(path, shown)
        specs.extend(file_specs)
        diagnostics.extend(file_diagnostics)
    return LoadResult(
        specs=tuple(specs),
        diagnostics=tuple(diagnostics),
        files=tuple(shown for shown, _ in files),
    )


def discover(
    paths: Iterable[str | os.PathLike[str]],
) -> tuple[list[tuple[str, Path]], list[Diagnostic]]:
    """The spec files named by ``paths`` as (shown path, path), each file once."""
    files: list[tuple[str, Path]] = []
    diagnostics: list[Diagnostic] = []
    seen: set[str] = set()
    for given in paths:
        root = Path(given)
        shown = root.as_posix()
        if root.is_dir():
            found, problems = _walk(root)
            diagnostics.extend(problems)
            if not found and not problems:
                message = "no .yaml or .yml files in this folder"
                diagnostics.append(_file_diagnostic(shown, message, "file.no-specs"))
        elif root.exists() or root.is_symlink():
            problem = _not_a_spec_file(root)
            if problem:
                diagnostics.append(_file_diagnostic(shown, problem, "file.not-regular"))
                continue
            found = [root]
        else:
            diagnostics.append(_file_diagnostic(shown, "no such file or folder", "file.not-found"))
            continue
        for path in found:
            real = os.path.realpath(path)
            if real not in seen:
                seen.add(real)
                files.append((path.as_posix(), path))
    return files, diagnostics


def _walk(root: Path) -> tuple[list[Path], list[Diagnostic]]:
    """Every spec file under ``root``: symbolic links to folders are followed (a loop is refused
    by name), suffixes match in any letter case, and anything that is not a regular file (a
    FIFO, a device, a link to nothing) is refused by name instead of being skipped or read."""
    problems: list[Diagnostic] = []

    def unreadable(exc: OSError) -> None:
        where = Path(exc.filename).as_posix() if exc.filename else root.as_posix()
        problems.append(_file_diagnostic(where, _os_reason(exc), "file.unreadable"))

    found: list[Path] = []
    for folder, dirs, names in os.walk(root, onerror=unreadable, followlinks=True):
        dirs.sort()
        here = os.path.realpath(folder)
        for name in list(dirs):
            target = os.path.realpath(os.path.join(folder, name))
            if here == target or here.startswith(target + os.sep):
                dirs.remove(name)  # a link back up the tree: walking it would never end
                where = Path(folder, name).as_posix()
                message = "a symbolic link to a folder that contains it (a loop); not read"
                problems.append(_file_diagnostic(where, message, "file.link-loop"))
        for name in names:
            if not name.lower().endswith(SPEC_SUFFIXES):
                continue
            path = Path(folder, name)
            problem = _not_a_spec_file(path)
            if problem:
                problems.append(_file_diagnostic(path.as_posix(), problem, "file.not-regular"))
            else:
                found.append(path)
    found.sort(key=lambda path: path.as_posix())  # the order diagnostics are sorted in
    return found, problems


def _not_a_spec_file(path: Path) -> str:
    """Why ``path`` (named like a spec) cannot be read as one, or '' for a regular file."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "a symbolic link to nothing (its target does not exist); not read"
    except OSError as exc:
        return _os_reason(exc)
    if stat.S_ISREG(mode):
        return ""
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO), not a file; not read (reading it could wait forever)"
    if stat.S_ISDIR(mode):
        return ""  # a folder named like a spec: os.walk lists it among the folders
    return "not a regular file (a device or a socket); not read"


def load_file(path: Path, shown: str) -> tuple[list[ChannelSpec], list[Diagnostic]]:
    """Read one file (refusing it unread when it is over the size limit) and load it."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return [], [_too_large(shown)]
        with path.open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return [], [_file_diagnostic(shown, _os_reason(exc), "file.unreadable")]
    if len(data) > MAX_FILE_BYTES:
        return [], [_too_large(shown)]
    return load_bytes(data, shown)


def load_bytes(data: bytes, shown: str) -> tuple[list[ChannelSpec], list[Diagnostic]]:
    """Load the channel documents in ``data``, the content of the file shown as ``shown``."""
    if len(data) > MAX_FILE_BYTES:
        return [], [_too_large(shown)]
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        start = data.rfind(b"\n", 0, exc.start) + 1
        col = len(data[start : exc.start].decode("utf-8", errors="replace")) + 1
        message = f"not valid UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}"
        return [], [_at(shown, line, col, "$", message, "file.encoding")]
    return load_text(text, shown)


def load_text(text: str, shown: str) -> tuple[list[ChannelSpec], list[Diagnostic]]:
    """Load the channel documents of a YAML text (libyaml's fast path when it applies)."""
    if fastyaml.available():
        documents = fastyaml.load_documents(text, max_nodes=MAX_NODES, max_depth=MAX_DEPTH)
        if documents is not None:
            positions = _FilePositions(text, shown)
            return [
                ChannelSpec(
                    name=name if isinstance(name := body.get("name"), str) else "",
                    body=body,
                    source=SourceRef(file=shown, line=line, col=col),
                    positions=_LazyPositions(positions, index),
                )
                for index, (body, line, col) in enumerate(documents)
            ], []
    return load_text_pure(text, shown)


def load_text_pure(text: str, shown: str) -> tuple[list[ChannelSpec], list[Diagnostic]]:
    """Load the channel documents of a YAML text with ruamel's pure-Python parser."""
    composer = _compose(text, shown)
    return composer.specs, composer.diagnostics


def _compose(text: str, shown: str) -> _Composer:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    composer = _Composer(shown)
    try:
        for event in YAML(typ="safe", pure=True).parse(text):
            composer.feed(event)
            if composer.aborted:  # stop reading: what follows may be built to be slow
                composer.diagnostics.extend(composer.problems)
                break
    except YAMLError as exc:
        composer.fail(_syntax_error(exc, text, shown))
    return composer


class _FilePositions:
    """The node positions of every document of one file, composed on first need."""

    __slots__ = ("_documents", "_shown", "_text")

    def __init__(self, text: str, shown: str) -> None:
        self._text: str | None = text
        self._shown = shown
        self._documents: dict[int, dict[str, SourceRef]] = {}

    def document(self, index: int) -> dict[str, SourceRef]:
        """Positions of the document ``index`` (0-based); empty if it did not compose."""
        if self._text is not None:
            self._documents = _compose(self._text, self._shown).positions
            self._text = None
        return self._documents.get(index, {})


class _LazyPositions(dict[str, SourceRef]):
    """``ChannelSpec.positions`` of a document read by the fast path: filled by the reference
    parser the first time anything reads it."""

    __slots__ = ("_file", "_index")

    def __init__(self, file: _FilePositions, index: int) -> None:
        super().__init__()
        self._file: _FilePositions | None = file
        self._index = index

    def _fill(self) -> None:
        if self._file is not None:
            file, self._file = self._file, None
            super().update(file.document(self._index))

    def get(self, key: str, default: Any = None) -> Any:
        self._fill()
        return super().get(key, default)

    def __getitem__(self, key: str) -> SourceRef:
        self._fill()
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self._fill()
        return super().__contains__(key)

    def __iter__(self) -> Iterator[str]:
        self._fill()
        return super().__iter__()

    def __len__(self) -> int:
        self._fill()
        return super().__len__()

    def __eq__(self, other: object) -> bool:
        self._fill()
        return super().__eq__(other)

    def __repr__(self) -> str:
        self._fill()
        return super().__repr__()

    def keys(self) -> Any:
        self._fill()
        return super().keys()

    def values(self) -> Any:
        self._fill()
        return super().values()

    def items(self) -> Any:
        self._fill()
        return super().items()

    def copy(self) -> dict[str, SourceRef]:
        self._fill()
        return dict(self)


# --- composing events into nodes ------------------------------------------------------------


@dataclass(slots=True, kw_only=True)
class _Node:
    """A composed YAML node: a scalar's text, or a collection's children (mappings: k, v, ...)."""

    kind: str  # "scalar", "sequence" or "mapping"
    line: int
    col: int
    text: str = ""
    plain: bool = False
    children: list[_Node] = field(default_factory=list)
    size: int = 1  # nodes in the expanded subtree
    height: int = 1


class _Abort(Exception):
    """Stop reading the file: a limit was passed (and is already reported)."""


class _Composer:
    """Turns ruamel events into channel specs and diagnostics, one document at a time."""

    def __init__(self, shown: str) -> None:
        self.shown = shown
        self.specs: list[ChannelSpec] = []
        self.diagnostics: list[Diagnostic] = []
        self.documents = 0
        self.positions: dict[int, dict[str, SourceRef]] = {}  # by 0-based document
        self.nodes = 0
        self.aborted = False
        self._reset(line=1, col=1)

    def _reset(self, *, line: int, col: int) -> None:
        self.start = (line, col)
        self.stack: list[tuple[_Node, str | None]] = []
        self.anchors: dict[str, _Node] = {}
        self.root: _Node | None = None
        self.problems: list[Diagnostic] = []
        self.alias_nodes = 0

    def feed(self, event: Event) -> None:
        kind = type(event).__name__
        if kind == "DocumentStartEvent":
            self.documents += 1
            self._reset(line=event.start_mark.line + 1, col=event.start_mark.column + 1)
        elif kind == "DocumentEndEvent":
            self._finish_document()
        elif kind == "StreamEndEvent":
            if self.documents == 0:
                message = "the file holds no channel document"
                self.diagnostics.append(_at(self.shown, 1, 1, "$", message, "yaml.empty-document"))
        elif kind != "StreamStartEvent":
            try:
                self._node_event(event, kind)
            except _Abort:
                self.aborted = True

    def fail(self, diagnostic: Diagnostic) -> None:
        """A syntax error: the documents before it stand, the rest of the file is lost."""
        self.diagnostics.append(diagnostic)

    def _problem(self, line: int, col: int, message: str, rule: str) -> None:
        self.problems.append(_at(self.shown, line, col, json_path(self._parts()), message, rule))

    def _parts(self) -> list[str | int]:
        """The JSON path of the node being started (a key's path is its mapping's)."""
        parts: list[str | int] = []
        for node, _ in self.stack:
            if node.kind == "sequence":
                parts.append(len(node.children))
            elif len(node.children) % 2 == 1 and node.children[-1].kind == "scalar":
                parts.append(node.children[-1].text)
            else:
                break
        return parts

    def _node_event(self, event: Any, kind: str) -> None:
        if kind not in _NODE_EVENTS:
            if kind in ("MappingEndEvent", "SequenceEndEvent"):
                node, anchor = self.stack.pop()
                node.size = 1 + sum(child.size for child in node.children)
                node.height = 1 + max((child.height for child in node.children), default=0)
                self._attach(node, anchor)
            return
        line, col = event.start_mark.line + 1, event.start_mark.column + 1
        depth = len(self.stack) + 1
        if kind == "AliasEvent":
            target = self.anchors.get(str(event.anchor))
            if target is None:
                message = f"alias *{event.anchor} names no anchor defined before it"
                self._problem(line, col, message, "yaml.undefined-alias")
                self._attach(_Node(kind="scalar", line=line, col=col), None)
                return
            self.alias_nodes += target.size
            if self.alias_nodes > MAX_ALIAS_NODES:
                message = f"aliases expand to more than {MAX_ALIAS_NODES} nodes{_STOPPED}"
                self._problem(line, col, message, "yaml.alias-limit")
                raise _Abort
            self._count(line, col, target.size)
            self._check_depth(line, col, depth + target.height - 1)
            self._attach(target, None)
            return
        if event.tag is not None:
            tag = str(event.tag).replace("tag:yaml.org,2002:", "!!")
            message = f"YAML tags are not allowed ({tag}); write plain values"
            self._problem(line, col, message, "yaml.tag")
        self._count(line, col, 1)
        self._check_depth(line, col, depth)
        anchor = None if event.anchor is None else str(event.anchor)
        if kind == "ScalarEvent":
            plain = event.style is None and bool(event.implicit and event.implicit[0])
            node = _Node(kind="scalar", line=line, col=col, text=str(event.value), plain=plain)
            self._attach(node, anchor)
        else:
            collection = "mapping" if kind == "MappingStartEvent" else "sequence"
            self.stack.append((_Node(kind=collection, line=line, col=col), anchor))

    def _count(self, line: int, col: int, added: int) -> None:
        self.nodes += added
        if self.nodes > MAX_NODES:
            message = f"the file has more than {MAX_NODES} YAML nodes{_STOPPED}"
            self._problem(line, col, message, "yaml.too-many-nodes")
            raise _Abort

    def _check_depth(self, line: int, col: int, depth: int) -> None:
        if depth > MAX_DEPTH:
            message = f"nesting is deeper than {MAX_DEPTH} levels{_STOPPED}"
            self._problem(line, col, message, "yaml.nesting")
            raise _Abort

    def _attach(self, node: _Node, anchor: str | None) -> None:
        if anchor is not None:
            self.anchors[anchor] = node
        if self.stack:
            self.stack[-1][0].children.append(node)
        else:
            self.root = node

    def _finish_document(self) -> None:
        if self.root is None:
            message = "empty document"
            self.diagnostics.append(
                _at(self.shown, *self.start, "$", message, "yaml.empty-document")
            )
        else:
            self.diagnostics.extend(self._build(self.root, self.problems))

    def _build(self, root: _Node, problems: list[Diagnostic]) -> list[Diagnostic]:
        """The document's problems; a spec is kept only when there are none."""
        line, col = self.start
        if root.kind == "scalar" and root.plain and root.text.strip() == "":
            message = "the document is empty; each document must be one channel (an extra '---'?)"
            return [*problems, _at(self.shown, line, col, "$", message, "yaml.empty-document")]
        if root.kind != "mapping":
            kind = "a list" if root.kind == "sequence" else _scalar_kind(_scalar(root))
            message = f"a channel document must be a mapping of fields, not {kind}"
            return [
                *problems,
                _at(self.shown, root.line, root.col, "$", message, "yaml.not-mapping"),
            ]
        builder = _Builder(self.shown)
        body = builder.value(root, [])
        if problems or builder.problems:
            return [*problems, *builder.problems]
        source = SourceRef(file=self.shown, line=root.line, col=root.col)
        builder.positions["$"] = source
        self.positions[self.documents - 1] = builder.positions
        name = body.get("name")
        self.specs.append(
            ChannelSpec(
                name=name if isinstance(name, str) else "",
                body=body,
                source=source,
                positions=builder.positions,
            )
        )
        return []


class _Builder:
    """Turns a composed node into plain values, recording positions and key problems."""

    def __init__(self, shown: str) -> None:
        self.shown = shown
        self.positions: dict[str, SourceRef] = {}
        self.problems: list[Diagnostic] = []

    def value(self, node: _Node, parts: list[str | int]) -> Any:
        if node.kind == "scalar":
            return _scalar(node)
        if node.kind == "sequence":
            items = []
            for index, child in enumerate(node.children):
                self._place([*parts, index], child)
                items.append(self.value(child, [*parts, index]))
            return items
        mapping: dict[str, Any] = {}
        first_seen: dict[str, _Node] = {}
        for key_node, child in _pairs(node.children):
            key = self._key(key_node, parts)
            if key is None:
                continue
            where = [*parts, key]
            if key in first_seen:
                first = first_seen[key]
                message = f"duplicate key {key!r} (first at line {first.line}, column {first.col})"
                self._problem(key_node, where, message, "yaml.duplicate-key")
                continue
            first_seen[key] = key_node
            self._place(where, key_node)
            mapping[key] = self.value(child, where)
        return mapping

    def _key(self, node: _Node, parts: list[str | int]) -> str | None:
        if node.kind == "scalar" and node.plain and node.text == "<<":
            message = "merge keys ('<<') are not supported; write the fields out"
            self._problem(node, parts, message, "yaml.merge-key")
            return None
        value = _scalar(node) if node.kind == "scalar" else None
        if isinstance(value, str):
            return value
        if node.kind == "scalar":
            message = f"keys must be strings, not {_scalar_kind(value)}; quote it: '{node.text}'"
        else:
            message = f"keys must be strings, not a {node.kind}"
        self._problem(node, parts, message, "yaml.key-type")
        return None

    def _place(self, parts: list[str | int], node: _Node) -> None:
        self.positions[json_path(parts)] = SourceRef(file=self.shown, line=node.line, col=node.col)

    def _problem(self, node: _Node, parts: list[str | int], message: str, rule: str) -> None:
        self.problems.append(_at(self.shown, node.line, node.col, json_path(parts), message, rule))


def _pairs(children: list[_Node]) -> Iterator[tuple[_Node, _Node]]:
    return zip(children[0::2], children[1::2], strict=False)


def _scalar(node: _Node) -> Any:
    """A scalar's value by the YAML 1.2 core schema (quoted and block scalars are strings)."""
    return plain_value(node.text) if node.plain else node.text


def plain_value(text: str) -> Any:
    """A plain scalar's value by the YAML 1.2 core schema."""
    if _NULL.fullmatch(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.fullmatch(text):
        try:
            if text.startswith(("0o", "0x")):
                return int(text[2:], 8 if text[1] == "o" else 16)
            return int(text)
        except ValueError:  # more digits than Python converts
            return float(text.replace("0o", "").replace("0x", ""))
    if _FLOAT.fullmatch(text):
        if text.lstrip("+-").lower() == ".nan":  # .nan, .NaN, .NAN (never signed in YAML 1.2)
            return float("nan")
        return float(text.replace(".inf", "inf").replace(".Inf", "inf").replace(".INF", "inf"))
    return text


def _scalar_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "a string"


def _syntax_error(exc: YAMLError, text: str, shown: str) -> Diagnostic:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        line, col = mark.line + 1, mark.column + 1
    else:  # ReaderError: a character YAML does not allow, by offset
        offset = int(getattr(exc, "position", 0) or 0)
        line = text.count("\n", 0, offset) + 1
        col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc)
    context = getattr(exc, "context", None)
    character = getattr(exc, "character", None)
    detail = f"{context}: {problem}" if context else str(problem)
    if isinstance(character, int):
        detail = f"character U+{character:04X} is not allowed in YAML ({detail})"
    words = _in_words(detail)
    message = f"{words} (YAML: {detail})" if words else f"YAML syntax error: {detail}"
    return _at(shown, line, col, "$", message, "yaml.syntax")


#: What the parser's messages mean for a person, by a piece of their text (first match).
_SYNTAX_WORDS = (
    ("'\\t' that cannot start any token", "a tab here: YAML indents with spaces only"),
    (
        "expected <block end>",
        "wrong indentation: this line does not line up with the keys above it (the keys of "
        "one mapping start in the same column, with spaces)",
    ),
    (
        "mapping values are not allowed here",
        "a ':' where YAML did not expect a key: the indentation is wrong, or a value that "
        "holds ': ' needs quotes",
    ),
    (
        "could not find expected ':'",
        "a line that is neither 'key: value' nor a list item: a missing ':', or wrong indentation",
    ),
    ("expected ',' or '}'", "a { } mapping is not closed: a missing '}' or ','"),
    ("expected ',' or ']'", "a [ ] list is not closed: a missing ']' or ','"),
)


def _in_words(detail: str) -> str:
    """The plain-words reading of a YAML syntax message ('' for one without)."""
    return next((words for piece, words in _SYNTAX_WORDS if piece in detail), "")


def _os_reason(exc: OSError) -> str:
    return f"cannot read: {exc.strerror or type(exc).__name__}"


def _too_large(shown: str) -> Diagnostic:
    message = f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB; split it up"
    return _file_diagnostic(shown, message, "file.too-large")


def _file_diagnostic(shown: str, message: str, rule: str) -> Diagnostic:
    return _at(shown, 1, 1, "$", message, rule)


def _at(shown: str, line: int, col: int, path: str, message: str, rule: str) -> Diagnostic:
    return Diagnostic(file=shown, line=line, col=col, path=path, message=message, rule=rule)
