"""Knobs of the messaging routes (supported content, messaging settings, defaults).

``max_supported_content``: the org's cap on the number of supported-content profiles; a create
beyond it is a 400 (``--sc-max-profiles``). The real cap is not documented in the SDK; 50 is
this emulator's default, set lower in tests.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from reconciler.errors import ConfigError


@dataclass(frozen=True, slots=True, kw_only=True)
class MessagingKnobs:
    max_supported_content: int = 50

    def __post_init__(self) -> None:
        cap = self.max_supported_content
        if not isinstance(cap, int) or isinstance(cap, bool) or cap < 1:
            raise ConfigError(
                f"sandbox setting max_supported_content must be an integer >= 1, got {cap!r}"
            )

    def replace(self, **changes: object) -> MessagingKnobs:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]
