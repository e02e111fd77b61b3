"""The HTTP adapter of each kind, by the kind's name.

A new kind adds its adapter module here and one ``register_adapter`` line (or calls it from
its own module); ``GenesysBackend.adapter(kind)`` builds adapters on first use, all sharing
the backend's one ``GenesysSession``.
"""

from __future__ import annotations

from collections.abc import Callable

from reconciler.backend import ResourceAdapter
from reconciler.genesys.adapters.channel import ChannelAdapter
from reconciler.genesys.adapters.messagingdefaults import MessagingDefaultsAdapter
from reconciler.genesys.adapters.messagingsetting import MessagingSettingAdapter
from reconciler.genesys.adapters.supportedcontent import SupportedContentAdapter
from reconciler.genesys.adapters.webdeployment import WebDeploymentAdapter
from reconciler.genesys.session import GenesysSession

#: Builds a kind's adapter on a session; ``max_pages`` caps its listings.
AdapterFactory = Callable[[GenesysSession, int], ResourceAdapter]

_FACTORIES: dict[str, AdapterFactory] = {}


def register_adapter(kind: str, factory: AdapterFactory) -> None:
    _FACTORIES[kind] = factory


def unregister_adapter(kind: str) -> None:
    _FACTORIES.pop(kind, None)


def adapter_factory(kind: str) -> AdapterFactory | None:
    return _FACTORIES.get(kind)


register_adapter("channel", lambda session, max_pages: ChannelAdapter(session, max_pages=max_pages))
register_adapter(
    "webDeployment", lambda session, max_pages: WebDeploymentAdapter(session, max_pages=max_pages)
)
register_adapter(
    "supportedContent",
    lambda session, max_pages: SupportedContentAdapter(session, max_pages=max_pages),
)
register_adapter(
    "messagingSetting",
    lambda session, max_pages: MessagingSettingAdapter(session, max_pages=max_pages),
)
register_adapter("messagingDefaults", lambda session, max_pages: MessagingDefaultsAdapter(session))
