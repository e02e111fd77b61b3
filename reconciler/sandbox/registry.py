"""The kind routes the emulator serves: add a route class here to serve a new kind.

See ``routing.py`` for what a route declares. Order does not matter; two routes may not serve
one path template or own one kind.
"""

from __future__ import annotations

from reconciler.sandbox.channels import ChannelRoutes
from reconciler.sandbox.messaging import MessagingSettingRoutes
from reconciler.sandbox.routing import KindRoute
from reconciler.sandbox.webdeployments.configurations import ConfigurationRoutes
from reconciler.sandbox.webdeployments.deployments import DeploymentRoutes
from reconciler.sandbox.webdeployments.flows import FlowRoutes
from reconciler.sandbox.webdeployments.supported_content import SupportedContentRoutes

ROUTES: tuple[type[KindRoute], ...] = (
    ChannelRoutes,
    ConfigurationRoutes,
    DeploymentRoutes,
    FlowRoutes,
    SupportedContentRoutes,
    MessagingSettingRoutes,
)


def stored_checks(routes: tuple[type[KindRoute], ...] = ROUTES) -> dict[str, type[KindRoute]]:
    """Each kind a state file may hold, and the route that checks its objects."""
    owners: dict[str, type[KindRoute]] = {}
    for route in routes:
        for kind in route.kinds:
            if kind in owners:
                raise ValueError(f"two routes own the kind {kind!r}")
            owners[kind] = route
    return owners
