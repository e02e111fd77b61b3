"""``reconciler import``: write one spec file per live channel, to bootstrap an existing org.

Each file holds one channel, normalised the way the planner compares (server fields and the
ownership marker stripped, ``allowedOrigins`` sorted and in lower case, an empty description
or attribute mapping left out), keys in the contract's order, block style, with a header
comment naming the source environment, the channel id and the date, under a first line
``# yaml-language-server: $schema=<path>`` that points editors at the kind's schema in a
``schemas/`` folder of the current directory (``reconciler schema KIND --out schemas/...``
writes it), as a path relative to the file. Every ``${`` of a live
value is written ``$${``, so variables never change an imported value. File names are slugs of
the channel names (``Sales EU`` -> ``sales-eu.yaml``), made unique with ``-2``, ``-3``... when
names slug alike.

Decisions:

- A channel another owner manages (an ``x-managed-by`` marker that is not ours) is skipped with a
  note: importing it would make two owners fight over it.
- A channel already described by a spec under ``--out-dir`` (same name, any case) is skipped,
  unless ``--overwrite`` and that spec is the only document of its file: then that file is
  refreshed. Running import twice therefore writes nothing the second time.
- A new file never replaces an existing one: when ``<slug>.yaml`` exists (or another channel of
  the run took it) the next free ``<slug>-2.yaml``... is used. So no existing file is ever
  overwritten without ``--overwrite``, and ``--overwrite`` only replaces the one-document file of
  the same channel. Every file is rendered before the first is written.
- ``--adopt`` is done by the CLI through the audited apply path (plan with ``--adopt`` over the
  files just written, then execute), so the next plan is empty.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from reconciler import kinds
from reconciler.artifacts import write_atomic
from reconciler.errors import UsageError
from reconciler.model import LiveResource
from reconciler.planner.targets import matches
from reconciler.spec.loader import load_specs

if TYPE_CHECKING:
    import httpx

    from reconciler.genesys.settings import Settings

DEFAULT_IMPORT_DIR = Path("channels")
MAX_SLUG = 60


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportRequest:
    """What ``import`` was asked to do."""

    out_dir: Path = DEFAULT_IMPORT_DIR
    names: tuple[str, ...] = ()  # --name globs; none: every channel
    owner: str = "reconciler"
    overwrite: bool = False
    environment_name: str | None = None  # --env, for the header
    kinds: frozenset[str] = frozenset()  # the --env file's kinds: (none: every kind)


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportedFile:
    name: str
    channel_id: str
    path: Path
    replaced: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportResult:
    environment: str
    written: tuple[ImportedFile, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()  # (channel name, why)
    considered: int = 0

    @property
    def paths(self) -> tuple[Path, ...]:
        return tuple(item.path for item in self.written)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Existing:
    """Specs already under the output folder: which file holds each name, documents per file."""

    files_of: Mapping[tuple[str, str], str] = field(default_factory=dict)
    documents: Mapping[str, int] = field(default_factory=dict)


def slug(name: str) -> str:
    """A file-name stem from a channel name: ASCII lower case, digits and single dashes."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return text[:MAX_SLUG].rstrip("-") or "channel"


def escape_references(value: Any) -> Any:
    """Every ``${`` in strings written ``$${``, so loading gives the value back unchanged."""
    if isinstance(value, str):
        return value.replace("${", "$${")
    if isinstance(value, dict):
        return {k: escape_references(v) for k, v in value.items()}
    if isinstance(value, list):
        return [escape_references(v) for v in value]
    return value


def channel_document(resource: LiveResource) -> CommentedMap:
    """The spec document of a live object: normalised, escaped, in its kind's key order
    (``kind:`` first, for any kind but the default)."""
    kind = kinds.get(resource.kind)
    body = escape_references(kind.import_document(resource.body))
    order = dict(kind.import_order)
    if resource.kind != kinds.DEFAULT_KIND:
        body = {"kind": resource.kind, **body}
        order[""] = ("kind", *order.get("", ()))
    return _ordered(body, "", order)


def _ordered(
    mapping: Mapping[str, Any], section: str, orders: Mapping[str, tuple[str, ...]]
) -> CommentedMap:
    order = orders.get(section)
    if order is None:  # customAttributes: free-form, sorted for stable files
        keys = sorted(mapping)
    else:
        keys = [k for k in order if k in mapping] + sorted(k for k in mapping if k not in order)
    result = CommentedMap()
    for key in keys:
        value = mapping[key]
        if isinstance(value, dict):
            result[_text(key)] = _ordered(
                value, key if section == "" else f"{section}.{key}", orders
            )
        elif isinstance(value, list):
            items = CommentedSeq([_text(item) for item in value])
            if not value:
                items.fa.set_flow_style()
            result[_text(key)] = items
        else:
            result[_text(key)] = _text(value)
    return result


#: Unicode categories ruamel may write raw, where YAML reads them otherwise (NEL and the
#: Unicode line and paragraph separators are line breaks; controls and format characters are
#: invisible). Strings holding one are double-quoted, where the emitter escapes them.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cn"})


#: Plain scalars that YAML 1.1 readers (many editors and linters) take for booleans; written
#: quoted so that every reader sees the string ("On" is a launcher button visibility).
_YAML11_BOOLEANS = frozenset(
    f(word)
    for word in ("y", "yes", "n", "no", "true", "false", "on", "off")
    for f in (str.lower, str.title, str.upper)
)


def _text(value: Any) -> Any:
    if isinstance(value, str) and (
        value in _YAML11_BOOLEANS
        or any(unicodedata.category(ch) in _UNSAFE_CATEGORIES for ch in value)
    ):
        return DoubleQuotedScalarString(value)
    return value


def render_document(document: CommentedMap, header: Sequence[str]) -> str:
    """YAML text of one document: the header comment lines, then block-style fields."""
    yaml = YAML(typ="rt", pure=True)
    yaml.default_flow_style = False
    yaml.width = 4096  # never fold a long value over lines
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.allow_unicode = True
    stream = io.StringIO()
    yaml.dump(document, stream)
    comment = "".join(f"# {line}\n" for line in header)
    return comment + stream.getvalue()


def header_lines(resource: LiveResource, environment: str, now: datetime) -> list[str]:
    """The header comment: source environment, object id, date (UTC)."""
    day = now.astimezone(timezone.utc).strftime("%Y-%m-%d")
    label = kinds.get(resource.kind).label
    return [
        f"Imported by 'reconciler import' from environment {environment}",
        f"{label} id {resource.id}, on {day}.",
        f"Edit freely: this file is now the {label}'s spec.",
    ]


SCHEMAS_DIR = Path("schemas")


def schema_line(kind: str, path: Path) -> str:
    """``yaml-language-server: $schema=../schemas/channel.schema.json``: the kind's schema in
    ``schemas/`` of the current directory, relative to the file at ``path``."""
    target = SCHEMAS_DIR / kinds.get(kind).schema_resource
    try:
        reference = Path(os.path.relpath(target.absolute(), path.absolute().parent)).as_posix()
    except ValueError:  # Windows: another drive has no relative path
        reference = target.absolute().as_uri()
    return f"yaml-language-server: $schema={reference}"


def _existing(out_dir: Path) -> _Existing:
    if not out_dir.is_dir():
        return _Existing()
    loaded = load_specs([out_dir])
    files_of: dict[tuple[str, str], str] = {}
    documents: dict[str, int] = {}
    for spec in loaded.specs:
        documents[spec.source.file] = documents.get(spec.source.file, 0) + 1
        kind = spec.body.get("kind", kinds.DEFAULT_KIND)
        if spec.name and isinstance(kind, str) and kinds.known(kind):
            # as written: import escaped every '${' of a name as '$${'
            name = spec.name.replace("$${", "${")
            files_of.setdefault((kind, kinds.get(kind).identity(name)), spec.source.file)
    return _Existing(files_of=files_of, documents=documents)


def decide(
    live: Sequence[LiveResource], request: ImportRequest
) -> tuple[list[tuple[LiveResource, Path, bool]], list[tuple[str, str]], int]:
    """(channel, file, replaces that file) to write, (name, why) skipped, channels considered.

    Pure apart from looking at the output folder. A new file never lands on an existing one:
    its name takes the next free suffix. Only ``--overwrite`` replaces a file, and only the
    one-document file that already describes the channel.
    """
    if request.out_dir.exists() and not request.out_dir.is_dir():
        raise UsageError(f"--out-dir {request.out_dir}: not a folder")
    existing = _existing(request.out_dir)
    chosen = sorted(
        (ch for ch in live if matches(ch.name, request.names)),
        key=lambda ch: (ch.kind, ch.key, ch.id),
    )
    taken: set[str] = set()
    planned: list[tuple[LiveResource, Path, bool]] = []
    skipped: list[tuple[str, str]] = []
    for channel in chosen:
        owner = channel.managed_by
        if owner is not None and owner != request.owner:
            skipped.append((channel.name, f"managed by another owner ({owner!r})"))
            continue
        described = existing.files_of.get((channel.kind, channel.key))
        if described is not None:
            single = existing.documents.get(described, 0) == 1
            if request.overwrite and single:
                taken.add(described.casefold())
                planned.append((channel, Path(described), True))
            else:
                hint = " (--overwrite re-imports it)" if single else ""
                skipped.append((channel.name, f"already described in {described}{hint}"))
            continue
        stem = slug(channel.name)
        path, number = request.out_dir / f"{stem}.yaml", 1
        while path.as_posix().casefold() in taken or path.exists():
            number += 1
            path = request.out_dir / f"{stem}-{number}.yaml"
        taken.add(path.as_posix().casefold())
        planned.append((channel, path, False))
    return planned, skipped, len(chosen)


def write_files(
    planned: Sequence[tuple[LiveResource, Path, bool]], environment: str, now: datetime
) -> list[ImportedFile]:
    """Render every file first, then write them (atomically, one by one)."""
    texts = [
        (
            ch,
            path,
            replaced,
            render_document(
                channel_document(ch),
                [schema_line(ch.kind, path), *header_lines(ch, environment, now)],
            ),
        )
        for ch, path, replaced in planned
    ]
    written = []
    for channel, path, replaced, text in texts:
        write_atomic(path, text)
        written.append(
            ImportedFile(name=channel.name, channel_id=channel.id, path=path, replaced=replaced)
        )
    return written


def run_import(
    request: ImportRequest,
    settings: Settings,
    *,
    now: datetime | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ImportResult:
    """List the org once, decide, then write the files."""
    from reconciler.genesys.factory import open_backend
    from reconciler.planning import list_all

    # The environment's kinds: when it declares them, no other API is asked.
    chosen = request.kinds or frozenset(kinds.names())

    async def fetch() -> tuple[str, list[LiveResource]]:
        async with open_backend(settings, transport=transport) as backend:
            return backend.environment, (await list_all(backend, chosen)).live

    label, live = asyncio.run(fetch())
    name = request.environment_name
    environment = label if name is None or name == label else f"{name} ({label})"
    planned, skipped, considered = decide(live, request)
    moment = datetime.now(timezone.utc) if now is None else now
    written = write_files(planned, environment, moment)
    return ImportResult(
        environment=environment,
        written=tuple(written),
        skipped=tuple(skipped),
        considered=considered,
    )
