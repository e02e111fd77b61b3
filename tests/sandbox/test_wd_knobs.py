"""WebDeploymentKnobs: contract defaults, presets, and bad values refused where they are set."""

from __future__ import annotations

import pytest

from reconciler.errors import ConfigError
from reconciler.sandbox import SandboxConfig, WebDeploymentKnobs


def test_defaults_are_the_contract_table() -> None:
    knobs = SandboxConfig().webdeployments
    assert (knobs.config_draft_activate_s, knobs.config_get_404_after_create_s) == (2.0, 1.0)
    assert (knobs.deployment_activate_s, knobs.deployment_get_404_after_create_s) == (12.0, 2.0)
    assert knobs.delete_visible_s == 3.0
    assert knobs.publish_400_while_pending
    assert not knobs.follow_latest_on_publish
    assert not knobs.sticky_last_cursor
    assert (knobs.delete_in_use, knobs.unique_names, knobs.strict_fields) == (
        "refuse",
        False,
        False,
    )


def test_scaling_changes_timers_only() -> None:
    knobs = WebDeploymentKnobs(sticky_last_cursor=True).scaled(0.5)
    assert knobs.deployment_activate_s == 6.0
    assert knobs.sticky_last_cursor
    instant = WebDeploymentKnobs.instant(unique_names=True)
    assert instant.config_draft_activate_s == instant.delete_visible_s == 0.0
    assert instant.unique_names


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"deployment_activate_s": -1}, "deployment_activate_s"),
        ({"delete_visible_s": float("nan")}, "delete_visible_s"),
        ({"config_draft_activate_s": True}, "config_draft_activate_s"),
        ({"delete_in_use": "maybe"}, "delete_in_use"),
        ({"unavailable_features": {"teleport"}}, "teleport"),
    ],
)
def test_bad_knobs_are_one_line_config_errors(changes: dict[str, object], why: str) -> None:
    with pytest.raises(ConfigError, match=why) as info:
        WebDeploymentKnobs(**changes)  # type: ignore[arg-type]
    assert "\n" not in str(info.value)
    with pytest.raises(ConfigError, match="time scale"):
        WebDeploymentKnobs().scaled(-2)
