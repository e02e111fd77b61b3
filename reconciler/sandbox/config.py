"""Knobs of the sandbox emulator: rate limit, latency, listing lag, tokens, fault injection, and
the Web Deployments behaviours (``webdeployments/knobs.py``).

Records only; the app reads them. Invalid values raise ConfigError at construction, so a bad
knob fails where it is set, not at the first request.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from reconciler.errors import ConfigError
from reconciler.sandbox.messaging_knobs import MessagingKnobs
from reconciler.sandbox.webdeployments.knobs import WebDeploymentKnobs

#: Entries a FaultPlan.script may hold, one consumed per eligible API request, in order.
#: ``ok`` no fault; ``502``/``503``/``504`` a transient error, not applied; ``429`` a spurious
#: rate limit with Retry-After; ``401`` credentials.expired, not applied (the client refreshes);
#: ``drop`` the request is applied, then the connection closes with no response; ``slow`` the
#: request is applied and its response delayed by ``slow_seconds``.
SCRIPT_ENTRIES: frozenset[str] = frozenset(
    {"ok", "502", "503", "504", "429", "401", "drop", "slow"}
)

#: Entries a FaultPlan.token_script may hold, one consumed per token request, in order.
#: ``rate_limit`` is the token endpoint's own rate-limit answer (400 invalid_request);
#: ``invalid_client`` refuses the credentials (401).
TOKEN_SCRIPT_ENTRIES: frozenset[str] = frozenset({"ok", "rate_limit", "invalid_client"})

#: Methods a FaultPlan.only_methods may name.
FAULT_METHODS: frozenset[str] = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})


def _check_probability(name: str, value: float) -> None:
    if not (isinstance(value, (int, float)) and 0.0 <= value <= 1.0):
        raise ConfigError(f"sandbox fault {name} must be a probability from 0 to 1, got {value!r}")


def _check_non_negative(name: str, value: float) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
        raise ConfigError(f"sandbox setting {name} must be a number >= 0, got {value!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultPlan:
    """Seedable fault injection.

    Only API requests (``/api/v2/...``) whose method is in ``only_methods`` (empty = all) are
    eligible. For each eligible request the next ``script`` entry is consumed first; once the
    script is used up, the probabilities apply, drawn from a RNG seeded with ``seed``, the same
    number of draws per request, so one seed and one request sequence give the same faults.
    ``drop_after_commit`` applies to writes only (POST, PUT, DELETE); the script's ``drop`` to
    any request. Token requests draw from a separate RNG (``token_rate_limit``) and consume
    ``token_script``, so a token refresh never shifts the API fault sequence.
    """

    seed: int = 0
    error_5xx: float = 0.0
    rate_limit_429: float = 0.0
    drop_after_commit: float = 0.0
    slow: float = 0.0
    slow_seconds: float = 30.0
    token_rate_limit: float = 0.0
    script: tuple[str, ...] = ()
    #: Extension: the faults of the first writes (POST, PUT, DELETE), consumed by writes only and
    #: before ``script`` and the draws, so a test can be sure a write meets one whatever the
    #: interleaving of concurrent reads.
    write_script: tuple[str, ...] = ()
    only_methods: frozenset[str] = frozenset()
    #: Extension: token requests' scripted faults (TOKEN_SCRIPT_ENTRIES).
    token_script: tuple[str, ...] = ()
    #: Extension: the Retry-After (seconds) of a spurious 429 and of a faulted 503.
    retry_after_seconds: int = 1

    def __post_init__(self) -> None:
        for name in (
            "error_5xx",
            "rate_limit_429",
            "drop_after_commit",
            "slow",
            "token_rate_limit",
        ):
            _check_probability(name, getattr(self, name))
        _check_non_negative("slow_seconds", self.slow_seconds)
        if not isinstance(self.retry_after_seconds, int) or self.retry_after_seconds < 0:
            raise ConfigError("sandbox fault retry_after_seconds must be an integer >= 0")
        object.__setattr__(self, "script", tuple(self.script))
        object.__setattr__(self, "write_script", tuple(self.write_script))
        object.__setattr__(self, "token_script", tuple(self.token_script))
        object.__setattr__(self, "only_methods", frozenset(m.upper() for m in self.only_methods))
        unknown = [e for e in (*self.script, *self.write_script) if e not in SCRIPT_ENTRIES]
        if unknown:
            raise ConfigError(
                f"unknown sandbox fault script entry {unknown[0]!r}; "
                f"use one of {', '.join(sorted(SCRIPT_ENTRIES))}"
            )
        unknown = [entry for entry in self.token_script if entry not in TOKEN_SCRIPT_ENTRIES]
        if unknown:
            raise ConfigError(
                f"unknown sandbox token script entry {unknown[0]!r}; "
                f"use one of {', '.join(sorted(TOKEN_SCRIPT_ENTRIES))}"
            )
        bad = sorted(self.only_methods - FAULT_METHODS)
        if bad:
            raise ConfigError(f"sandbox fault only_methods has unknown method {bad[0]!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class SandboxConfig:
    """How the emulated org behaves.

    ``rate_limit_per_minute`` is per token (0 disables limiting, and the ``inin-ratelimit-*``
    headers are then left out: there is no limit to announce). ``latency_ms`` is added to
    every response as its delay. ``listing_lag_seconds``: the listing shows the org as it was
    that long ago. ``credentials`` None accepts any Basic credentials. ``seed`` (an extension)
    makes ids, correlation ids and tokens repeatable; None draws them at random.
    """

    rate_limit_per_minute: int = 300
    latency_ms: float = 0.0
    listing_lag_seconds: float = 0.0
    token_ttl_seconds: int = 86400
    credentials: tuple[str, str] | None = None
    faults: FaultPlan = field(default_factory=FaultPlan)
    seed: int | None = None
    #: Extension: the Web Deployments behaviours; defaults are the most likely answers
    #: (docs/api-notes.md#webdeployments).
    webdeployments: WebDeploymentKnobs = field(default_factory=WebDeploymentKnobs)
    #: Extension: the messaging routes' behaviours (supported content, settings, defaults).
    messaging: MessagingKnobs = field(default_factory=MessagingKnobs)
    #: Extension: serve the tutorial channels API. False: a real org's shape (its paths 404).
    channels_api: bool = True
    #: Extension: permissions the emulated client's role lacks (``sandbox/permissions.py``):
    #: a route that needs one answers 403 ``missing.permissions``.
    denied_permissions: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not isinstance(self.rate_limit_per_minute, int) or self.rate_limit_per_minute < 0:
            raise ConfigError("sandbox rate_limit_per_minute must be an integer >= 0")
        _check_non_negative("latency_ms", self.latency_ms)
        _check_non_negative("listing_lag_seconds", self.listing_lag_seconds)
        if not isinstance(self.token_ttl_seconds, int) or self.token_ttl_seconds < 1:
            raise ConfigError("sandbox token_ttl_seconds must be an integer >= 1")
        if self.credentials is not None and (
            len(self.credentials) != 2 or not all(self.credentials)
        ):
            raise ConfigError("sandbox credentials must be a non-empty (client_id, secret) pair")
        object.__setattr__(self, "denied_permissions", frozenset(self.denied_permissions))

    def __repr__(self) -> str:
        # The client secret never appears in a repr.
        creds = "None" if self.credentials is None else f"({self.credentials[0]!r}, '***')"
        return (
            f"SandboxConfig(rate_limit_per_minute={self.rate_limit_per_minute}, "
            f"latency_ms={self.latency_ms}, listing_lag_seconds={self.listing_lag_seconds}, "
            f"token_ttl_seconds={self.token_ttl_seconds}, credentials={creds}, "
            f"faults={self.faults!r}, seed={self.seed!r}, "
            f"webdeployments={self.webdeployments!r}, channels_api={self.channels_api!r}, "
            f"denied_permissions={sorted(self.denied_permissions)!r})"
        )
