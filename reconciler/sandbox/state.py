"""The emulated org: its objects per kind (each kind's route owns a slice), and their file.

The file is JSON, written atomically (temp file in the same folder, then ``os.replace``), so a
crash never leaves half a state behind. A missing file is an empty org; a file that is not a
state document is a ConfigError naming it, never a traceback. Each object is checked by the route
of its kind (``KindRoute.check_stored``); a kind no route owns is refused. Read-only runs
(``plan``, ``drift``) load with ``check_bodies=False``: the document's shape and ids are still
checked, but not every stored body against the contract again (the emulator checked each one
when it stored it).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reconciler.durable import replace_atomically
from reconciler.errors import ConfigError
from reconciler.sandbox.registry import ROUTES, stored_checks

if TYPE_CHECKING:
    from reconciler.sandbox.routing import KindRoute

DEFAULT_STATE_PATH = Path(".reconciler/sandbox.json")
STATE_FORMAT = "reconciler-sandbox-state"
#: 2: objects per kind (``{"kinds": {"channel": [...], ...}}``); 1 held only channels and is
#: migrated on load (its channels go under the channel kind).
STATE_VERSION = 2
CHANNEL_KIND = "channel"


class SandboxState:
    """Objects by kind, then by id. The app mutates it under its lock and indexes it when it is
    given the state; other code treats it as read-only (to replace the org, assign
    ``app.state``). ``channels`` is the channel kind's slice; ``len()`` counts channels (the
    tutorial kind), ``count()`` every object."""

    __slots__ = ("kinds",)

    def __init__(
        self,
        channels: Iterable[Mapping[str, Any]] = (),
        *,
        kinds: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
    ) -> None:
        self.kinds: dict[str, dict[str, dict[str, Any]]] = {}
        for kind, objects in (kinds or {}).items():
            slot = self.objects(kind)
            for obj in objects:
                slot[str(obj["id"])] = dict(obj)
        slot = self.objects(CHANNEL_KIND)
        for channel in channels:
            slot[str(channel["id"])] = dict(channel)

    @property
    def channels(self) -> dict[str, dict[str, Any]]:
        return self.objects(CHANNEL_KIND)

    def objects(self, kind: str) -> dict[str, dict[str, Any]]:
        """The slice of ``kind`` (created empty when absent)."""
        return self.kinds.setdefault(kind, {})

    def has(self, kind: str) -> bool:
        """Whether the state has a slice for ``kind``, even an empty one."""
        return kind in self.kinds

    def count(self) -> int:
        return sum(len(objects) for objects in self.kinds.values())

    def __len__(self) -> int:
        return len(self.kinds.get(CHANNEL_KIND, {}))

    def __repr__(self) -> str:
        sizes = ", ".join(f"{kind}={len(objs)}" for kind, objs in sorted(self.kinds.items()))
        return f"SandboxState({sizes})"

    def clear(self) -> None:
        self.kinds.clear()

    def to_json(self) -> dict[str, Any]:
        """The state document: kinds and their objects sorted by id, so saves are byte-stable."""
        return {
            "format": STATE_FORMAT,
            "version": STATE_VERSION,
            "kinds": {
                kind: [objects[key] for key in sorted(objects)]
                for kind, objects in sorted(self.kinds.items())
            },
        }

    @classmethod
    def from_json(
        cls,
        document: Any,
        *,
        source: str = "sandbox state",
        routes: tuple[type[KindRoute], ...] | None = None,
        check_bodies: bool = True,
    ) -> SandboxState:
        """Check a state document (migrating version 1) and build the state; ConfigError naming
        ``source`` if bad. ``routes``: the kind routes whose kinds the file may hold (default:
        the registry's). ``check_bodies=False`` checks ids but not each body."""

        def bad(why: str) -> ConfigError:
            return ConfigError(
                f"{source} is not a valid sandbox state ({why}); "
                "run 'reconciler sandbox reset' to start over"
            )

        if not isinstance(document, dict) or document.get("format") != STATE_FORMAT:
            raise bad(f"expected a JSON object with format {STATE_FORMAT!r}")
        version = document.get("version")
        if version == 1:
            channels = document.get("channels")
            if not isinstance(channels, list):
                raise bad("channels must be a list")
            kinds: Any = {CHANNEL_KIND: channels}
            where_of = {CHANNEL_KIND: "channels"}
        elif version == STATE_VERSION:
            kinds = document.get("kinds")
            if not isinstance(kinds, dict):
                raise bad("kinds must be an object")
            where_of = {}
        else:
            raise bad(f"unsupported version {version!r}")
        owners = stored_checks(ROUTES if routes is None else routes)
        state = cls()
        for kind, objects in kinds.items():
            where = where_of.get(kind, f"kinds.{kind}")
            route = owners.get(kind)
            if route is None:
                raise bad(f"{where}: unknown kind {kind!r}")
            if not isinstance(objects, list):
                raise bad(f"{where} must be a list")
            slot = state.objects(kind)
            for index, obj in enumerate(objects):
                if not isinstance(obj, dict):
                    raise bad(f"{where}[{index}] must be an object")
                check = route.check_stored if check_bodies else route.check_shape
                problem = check(kind, obj)
                if problem:
                    raise bad(f"{where}[{index}].{problem}")
                if obj["id"] in slot:
                    raise bad(f"{where}[{index}] repeats an id")
                slot[obj["id"]] = obj
            problem = route.check_slice(kind, objects)
            if problem:
                raise bad(f"{where}{problem}")
        return state

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        *,
        routes: tuple[type[KindRoute], ...] | None = None,
        check_bodies: bool = True,
    ) -> SandboxState:
        """Read a state file; a missing file is an empty org."""
        path = Path(path)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return cls()
        except OSError as exc:
            raise ConfigError(f"cannot read sandbox state {path}: {exc.strerror}") from exc
        try:
            document = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise ConfigError(
                f"sandbox state {path} is corrupt (not JSON); "
                "run 'reconciler sandbox reset' to start over"
            ) from exc
        return cls.from_json(
            document, source=f"sandbox state {path}", routes=routes, check_bodies=check_bodies
        )

    @staticmethod
    def foreign(path: str | os.PathLike[str]) -> str:
        """Why the file at ``path`` is not sandbox state, even a corrupt one ("" when it may
        be: absent, empty, ours, or a JSON object cut short). ``sandbox reset`` overwrites
        only such files, never a plan, an audit log or a spec given by mistake."""
        try:
            data = Path(path).read_bytes()
        except FileNotFoundError:
            return ""
        except OSError as exc:
            return f"it cannot be read ({exc.strerror})"
        text = data.strip()
        if not text:
            return ""
        if not text.startswith(b"{"):
            return "it is not a JSON object"
        try:
            value = json.loads(text)
        except RecursionError:
            return "it is nested too deeply"
        except (UnicodeDecodeError, ValueError):
            try:
                first = json.loads(text.split(b"\n", 1)[0])
            except (UnicodeDecodeError, ValueError, RecursionError):
                return ""  # cut short or broken: a corrupt state file is what reset is for
            if isinstance(first, dict):
                return "it is a JSON-lines file (an audit log or an outbox?)"
            return ""
        if not isinstance(value, dict) or value.get("format") != STATE_FORMAT:
            return "it is JSON without the sandbox state's format (a plan or a report?)"
        return ""

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write atomically: a temp file next to ``path``, then ``os.replace``."""
        path = Path(path)
        data = json.dumps(self.to_json(), ensure_ascii=False, indent=1, sort_keys=False)
        try:
            replace_atomically(path, (data + "\n").encode("utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot write sandbox state {path}: {exc.strerror}") from exc
