"""Deciding which fault, if any, a request meets: the script first, then seeded draws."""

from __future__ import annotations

import enum
import random

from reconciler.sandbox.config import FaultPlan

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Fault(enum.Enum):
    NONE = "ok"
    BAD_GATEWAY = "502"
    UNAVAILABLE = "503"
    GATEWAY_TIMEOUT = "504"
    RATE_LIMIT = "429"
    UNAUTHORIZED = "401"
    DROP = "drop"
    SLOW = "slow"


class TokenFault(enum.Enum):
    NONE = "ok"
    RATE_LIMIT = "rate_limit"
    INVALID_CLIENT = "invalid_client"


_5XX = (Fault.BAD_GATEWAY, Fault.UNAVAILABLE, Fault.GATEWAY_TIMEOUT)


class FaultInjector:
    """Stateful cursor over a FaultPlan. Not thread-safe: the app calls it under its lock."""

    def __init__(self, plan: FaultPlan) -> None:
        self.plan = plan
        # Repeatable by design: the same seed gives the same faults (not for security).
        self._rng = random.Random(f"api-faults:{plan.seed}")  # noqa: S311
        self._token_rng = random.Random(f"token-faults:{plan.seed}")  # noqa: S311
        self._cursor = 0
        self._write_cursor = 0
        self._token_cursor = 0

    def next_api(self, method: str) -> Fault:
        """The fault for the next API request with this method."""
        plan = self.plan
        if plan.only_methods and method not in plan.only_methods:
            return Fault.NONE
        if method in WRITE_METHODS and self._write_cursor < len(plan.write_script):
            entry = plan.write_script[self._write_cursor]
            self._write_cursor += 1
            return Fault(entry)
        if self._cursor < len(plan.script):
            entry = plan.script[self._cursor]
            self._cursor += 1
            return Fault(entry)
        # Always the same five draws, so the sequence depends only on the seed and the
        # number of eligible requests, not on which probabilities are set.
        u_5xx, pick, u_429, u_drop, u_slow = (self._rng.random() for _ in range(5))
        if u_5xx < plan.error_5xx:
            return _5XX[min(int(pick * 3), 2)]
        if u_429 < plan.rate_limit_429:
            return Fault.RATE_LIMIT
        if method in WRITE_METHODS and u_drop < plan.drop_after_commit:
            return Fault.DROP
        if u_slow < plan.slow:
            return Fault.SLOW
        return Fault.NONE

    def next_token(self) -> TokenFault:
        """The fault for the next token request."""
        plan = self.plan
        if self._token_cursor < len(plan.token_script):
            entry = plan.token_script[self._token_cursor]
            self._token_cursor += 1
            return TokenFault(entry)
        if self._token_rng.random() < plan.token_rate_limit:
            return TokenFault.RATE_LIMIT
        return TokenFault.NONE
