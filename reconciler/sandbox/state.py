"""The emulated org: its channels, kept as the contract's channel objects, and their file.

The file is JSON, written atomically (temp file in the same folder, then ``os.replace``), so a
crash never leaves half a state behind. A missing file is an empty org; a file that is not a
state document is a ConfigError naming it, never a traceback. Read-only runs (``plan``,
``drift``) load with ``check_bodies=False``: the document's shape, ids and names are still
checked, but not every stored body against the contract again (the emulator checked each one
when it stored it).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from reconciler.durable import replace_atomically
from reconciler.errors import ConfigError
from reconciler.sandbox.validation import check_channel

DEFAULT_STATE_PATH = Path(".reconciler/sandbox.json")
STATE_FORMAT = "reconciler-sandbox-state"
STATE_VERSION = 1

_SERVER_KEYS = ("id", "version", "dateCreated", "dateModified", "selfUri")


class SandboxState:
    """Channels by id. The app mutates it under its lock and indexes it when it is given the
    state; other code treats it as read-only (to replace the org, assign ``app.state``)."""

    __slots__ = ("channels",)

    def __init__(self, channels: Iterable[Mapping[str, Any]] = ()) -> None:
        self.channels: dict[str, dict[str, Any]] = {}
        for channel in channels:
            self.channels[str(channel["id"])] = dict(channel)

    def __len__(self) -> int:
        return len(self.channels)

    def __repr__(self) -> str:
        return f"SandboxState(channels={len(self.channels)})"

    def clear(self) -> None:
        self.channels.clear()

    def to_json(self) -> dict[str, Any]:
        """The state document: channels sorted by id, so saves are byte-stable."""
        return {
            "format": STATE_FORMAT,
            "version": STATE_VERSION,
            "channels": [self.channels[key] for key in sorted(self.channels)],
        }

    @classmethod
    def from_json(
        cls, document: Any, *, source: str = "sandbox state", check_bodies: bool = True
    ) -> SandboxState:
        """Check a state document and build the state; ConfigError naming ``source`` if bad.
        ``check_bodies=False`` skips checking each body against the contract."""

        def bad(why: str) -> ConfigError:
            return ConfigError(
                f"{source} is not a valid sandbox state ({why}); "
                "run 'reconciler sandbox reset' to start over"
            )

        if not isinstance(document, dict) or document.get("format") != STATE_FORMAT:
            raise bad(f"expected a JSON object with format {STATE_FORMAT!r}")
        if document.get("version") != STATE_VERSION:
            raise bad(f"unsupported version {document.get('version')!r}")
        channels = document.get("channels")
        if not isinstance(channels, list):
            raise bad("channels must be a list")
        state = cls()
        names: set[str] = set()
        for index, channel in enumerate(channels):
            where = f"channels[{index}]"
            if not isinstance(channel, dict):
                raise bad(f"{where} must be an object")
            problem = _server_fields_problem(channel)
            if problem:
                raise bad(f"{where}.{problem}")
            if check_bodies:
                body = {k: v for k, v in channel.items() if k not in _SERVER_KEYS}
                details = check_channel(body)
                if details:
                    raise bad(f"{where}.{details[0].reason}")
            elif not isinstance(channel.get("name"), str):
                raise bad(f"{where}.name must be a string")
            key = str(channel["name"]).casefold()
            if channel["id"] in state.channels or key in names:
                raise bad(f"{where} repeats an id or a name")
            names.add(key)
            state.channels[channel["id"]] = channel
        return state

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, check_bodies: bool = True) -> SandboxState:
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
        return cls.from_json(document, source=f"sandbox state {path}", check_bodies=check_bodies)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write atomically: a temp file next to ``path``, then ``os.replace``."""
        path = Path(path)
        data = json.dumps(self.to_json(), ensure_ascii=False, indent=1, sort_keys=False)
        try:
            replace_atomically(path, (data + "\n").encode("utf-8"))
        except OSError as exc:
            raise ConfigError(f"cannot write sandbox state {path}: {exc.strerror}") from exc


def _server_fields_problem(channel: dict[str, Any]) -> str:
    """Why the server-set fields of a stored channel are wrong, or ""."""
    if not isinstance(channel.get("id"), str) or not channel["id"]:
        return "id must be a non-empty string"
    version = channel.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        return "version must be an integer >= 1"
    for key in ("dateCreated", "dateModified"):
        if not isinstance(channel.get(key), str):
            return f"{key} must be a string"
    if channel.get("selfUri") != f"/api/v2/webmessaging/channels/{channel['id']}":
        return "selfUri does not match the id"
    return ""
