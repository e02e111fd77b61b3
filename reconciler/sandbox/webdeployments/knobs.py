"""The Web Deployments emulator's behaviours: timers, and switches for what orgs may answer
differently (docs/api-notes.md#webdeployments).

Every timer runs on the app's injected monotonic clock, so tests move time by hand and nothing
sleeps. The listing lag of the configurations and deployments listings is the shared
``SandboxConfig.listing_lag_seconds``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from reconciler.errors import ConfigError

DELETE_IN_USE = ("refuse", "allow")
#: How the flows listing's ``name`` filter may match (an org's answer is not documented).
FLOW_NAME_FILTERS = ("substring", "prefix", "exact")
#: Top-level configuration blocks whose ``enabled: true`` an org may lack (a 400 "feature is not
#: yet implemented").
FEATURES = ("journeyEvents", "cobrowse", "video", "supportCenter", "authenticationSettings")
_TIMERS = (
    "config_draft_activate_s",
    "config_get_404_after_create_s",
    "deployment_activate_s",
    "deployment_get_404_after_create_s",
    "delete_visible_s",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class WebDeploymentKnobs:
    """How the emulated Web Deployments API behaves; defaults are the contract's.

    Timers (seconds): ``config_draft_activate_s`` draft Pending -> Active after a
    configuration create or draft write;
    ``config_get_404_after_create_s`` version and draft reads answer 404 right after a create;
    ``deployment_activate_s`` deployment Pending -> Active after a create or replace;
    ``deployment_get_404_after_create_s`` a deployment's read answers 404 right after its create;
    ``delete_visible_s`` reads still answer (status ``Deleting``) after a delete.

    Switches: ``publish_400_while_pending`` publish refuses (400) while the draft is Pending;
    ``follow_latest_on_publish`` deployments move to each new version (default: pinned);
    ``sticky_last_cursor`` the last cursor page repeats its ``after`` in ``nextUri``;
    ``delete_in_use`` ``refuse`` (409) or ``allow`` (dependent deployments turn ``Error``);
    ``unique_names`` duplicate names get 409; ``inactive_deactivates`` a deployment written
    with status ``Inactive`` goes Inactive at once and its Messenger is no longer served;
    otherwise the server ignores the written Inactive and keeps its status (left open);
    ``strict_fields`` unknown or read-only body fields get 400 instead of being ignored;
    ``unavailable_features`` configuration blocks (``FEATURES``) the org lacks: enabling one
    is a 400 "feature is not yet implemented".

    What a read settles (``reconciler doctor`` asks): ``max_page_size`` the cap of a cursor
    page's ``pageSize`` (larger values are served at the cap); ``versions_list_draft`` whether
    the versions listing includes the ``DRAFT`` entry; ``flows_name_filter`` how the flows
    listing's ``name`` filter matches (``FLOW_NAME_FILTERS``: a case-insensitive substring, a
    case-insensitive prefix, or the exact name).
    """

    config_draft_activate_s: float = 2.0
    config_get_404_after_create_s: float = 1.0
    publish_400_while_pending: bool = True
    deployment_activate_s: float = 12.0
    deployment_get_404_after_create_s: float = 2.0
    delete_visible_s: float = 3.0
    follow_latest_on_publish: bool = False
    sticky_last_cursor: bool = False
    delete_in_use: str = "refuse"
    unique_names: bool = False
    inactive_deactivates: bool = True
    strict_fields: bool = False
    unavailable_features: frozenset[str] = field(default_factory=frozenset)
    max_page_size: int = 300
    versions_list_draft: bool = True
    flows_name_filter: str = "substring"

    def __post_init__(self) -> None:
        for name in _TIMERS:
            value = getattr(self, name)
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not (ok and math.isfinite(value) and value >= 0):
                raise ConfigError(f"sandbox setting {name} must be a number >= 0, got {value!r}")
        if self.delete_in_use not in DELETE_IN_USE:
            raise ConfigError(
                f"sandbox setting delete_in_use must be one of {', '.join(DELETE_IN_USE)}, "
                f"got {self.delete_in_use!r}"
            )
        if not isinstance(self.max_page_size, int) or not 1 <= self.max_page_size <= 10000:
            raise ConfigError(
                f"sandbox setting max_page_size must be an integer from 1 to 10000, got "
                f"{self.max_page_size!r}"
            )
        if self.flows_name_filter not in FLOW_NAME_FILTERS:
            raise ConfigError(
                f"sandbox setting flows_name_filter must be one of "
                f"{', '.join(FLOW_NAME_FILTERS)}, got {self.flows_name_filter!r}"
            )
        features = frozenset(self.unavailable_features)
        unknown = sorted(features - set(FEATURES))
        if unknown:
            raise ConfigError(
                f"unknown sandbox feature {unknown[0]!r}; use one of {', '.join(FEATURES)}"
            )
        object.__setattr__(self, "unavailable_features", features)

    @classmethod
    def instant(cls, **changes: object) -> WebDeploymentKnobs:
        """Every timer at 0: objects are readable and Active at once (other knobs as given)."""
        return cls().scaled(0).replace(**changes)

    def scaled(self, factor: float) -> WebDeploymentKnobs:
        """Every timer multiplied by ``factor`` (0 = instant), switches unchanged."""
        if not (isinstance(factor, (int, float)) and math.isfinite(factor) and factor >= 0):
            raise ConfigError(f"sandbox time scale must be a number >= 0, got {factor!r}")
        timers: dict[str, object] = {name: getattr(self, name) * factor for name in _TIMERS}
        return self.replace(**timers)

    def replace(self, **changes: object) -> WebDeploymentKnobs:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]
