"""Records that flow through the reconciler: specs, live channels, diagnostics.

Pure: no I/O, no clock, no third-party I/O libraries. JSON-like payloads (``body``) are plain
dicts and lists that nobody mutates after construction; functions that need a changed copy make
one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: customAttributes key the reconciler writes on every channel it manages (its ownership marker).
#: It counts against the API's 20 pairs, so a spec may carry at most 19.
MANAGED_BY_KEY = "x-managed-by"

#: Fields of the contract's create body (api-contract.md §3), in the contract's order.
CHANNEL_FIELDS: tuple[str, ...] = (
    "name",
    "description",
    "webMessagingWidgetConfiguration",
    "securityPolicy",
    "routingConfiguration",
)

#: Fields the server sets; never sent on create, never compared.
SERVER_FIELDS: tuple[str, ...] = ("id", "version", "dateCreated", "dateModified", "selfUri")


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceRef:
    """A place in a spec file; line and column are 1-based."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Diagnostic:
    """One problem found in the specs.

    ``path`` is the JSON path inside the channel document, dotted with ``[i]`` for list items
    (``securityPolicy.allowedOrigins[2]``), or ``$`` for the document as a whole.
    ``rule`` is a short stable identifier of the check that failed (``schema.maxLength``,
    ``yaml.duplicate-key``, ``unique-name``...), for machines and tests.
    """

    file: str
    line: int
    col: int
    path: str
    message: str
    rule: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.path}: {self.message}"

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.file, self.line, self.col, self.path, self.message)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelSpec:
    """One desired channel, as loaded from a YAML document.

    ``body`` is exactly the contract's create body (the ``CHANNEL_FIELDS``). ``source`` is where
    the document starts; ``positions`` maps JSON paths inside it to their places, so later stages
    (plan, apply) can point a person at the line that asked for a change.
    """

    name: str
    body: dict[str, Any]
    source: SourceRef
    positions: dict[str, SourceRef] = field(default_factory=dict, compare=False, repr=False)

    @property
    def key(self) -> str:
        """The identity of the channel: its name, compared case-insensitively as the API does."""
        return channel_key(self.name)


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveChannel:
    """One channel as the API returned it.

    ``body`` holds the contract's create-body fields as stored (ownership marker included);
    server-set fields are kept apart.
    """

    id: str
    version: int
    body: dict[str, Any]
    date_created: str = ""
    date_modified: str = ""

    @property
    def name(self) -> str:
        return str(self.body.get("name", ""))

    @property
    def key(self) -> str:
        return channel_key(self.name)

    @property
    def managed_by(self) -> str | None:
        """The owner id in the ownership marker, or None for an unmanaged channel."""
        widget = self.body.get("webMessagingWidgetConfiguration") or {}
        attributes = widget.get("customAttributes") or {}
        value = attributes.get(MANAGED_BY_KEY)
        return value if isinstance(value, str) else None

    @classmethod
    def from_api(cls, payload: dict[str, Any]) -> LiveChannel:
        """Build from a contract §3 channel object (already checked to be a JSON object)."""
        body = {k: v for k, v in payload.items() if k not in SERVER_FIELDS}
        return cls(
            id=str(payload["id"]),
            version=int(payload["version"]),
            body=body,
            date_created=str(payload.get("dateCreated", "")),
            date_modified=str(payload.get("dateModified", "")),
        )


def channel_key(name: str) -> str:
    """Case-insensitive identity of a channel name (Unicode casefold, as the API compares)."""
    return name.casefold()
