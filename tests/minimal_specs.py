"""The smallest valid spec of each kind, as YAML templates with a ``{name}`` field, for tests
that run the CLI against the sandbox with one of each; ``KINDS`` parametrizes a test by kind."""

from __future__ import annotations

import pytest

CHANNEL = """\
name: {name}
webMessagingWidgetConfiguration: {{widgetId: w-1, theme: default}}
securityPolicy: {{enabled: false, allowedOrigins: [], requireConsent: false}}
routingConfiguration: {{queueId: q-1}}
"""

WEB = """\
kind: webDeployment
name: {name}
deployment:
  allowAllDomains: true
  flow: {{name: Sales Inbound Message}}
"""

KINDS = pytest.mark.parametrize(
    ("template", "kind"), [(CHANNEL, "channel"), (WEB, "webDeployment")]
)
