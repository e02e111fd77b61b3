"""The small interface every channels backend implements.

Today there is one backend, ``reconciler.genesys.client.GenesysChannelsClient`` (the contract's
``/api/v2/webmessaging/channels``, served for real or by the sandbox emulator). A second one, the
real Genesys Cloud Web Deployments API, will implement the same protocol, so the planner and the
executor never learn which one they talk to.

Pure: this module imports no I/O library.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from reconciler.model import LiveChannel


class ChannelsBackend(Protocol):
    """Async CRUD on channels. Every method raises only ``reconciler.errors`` types."""

    #: Human-readable name of the environment (``sandbox``, ``mypurecloud.ie``...), for reports.
    environment: str

    async def list_channels(self) -> list[LiveChannel]:
        """Every channel of the org; may lag recent writes (an eventually consistent listing)."""
        ...

    async def get_channel(self, channel_id: str) -> LiveChannel:
        """One channel by id, reflecting every completed write. NotFoundError if absent."""
        ...

    async def find_by_name(self, name: str) -> LiveChannel | None:
        """The channel with this name (case-insensitive), from the listing, or None."""
        ...

    async def create_channel(self, body: Mapping[str, Any]) -> LiveChannel:
        """Create from a create body. OutcomeUnknownError when the answer was lost."""
        ...

    async def update_channel(
        self, channel_id: str, body: Mapping[str, Any], *, version: int
    ) -> LiveChannel:
        """Replace the channel's fields; ``version`` is the version the caller read."""
        ...

    async def delete_channel(self, channel_id: str) -> None:
        """Delete by id. NotFoundError if it is already gone."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
