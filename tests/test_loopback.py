"""The one rule for "this machine": plain http and the sandbox's listening address use it."""

from __future__ import annotations

import pytest

from reconciler.genesys.settings import resolve_settings
from reconciler.loopback import is_loopback_host
from reconciler.webhooks import validate_webhook_url


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("localhost", True),
        ("LocalHost", True),
        ("localhost.", True),
        ("127.0.0.1", True),
        ("127.10.20.30", True),
        ("::1", True),
        ("[::1]", True),
        ("10.0.0.1", False),
        ("192.168.1.10", False),
        ("example.com", False),
        ("localhost.example.com", False),
        ("127.0.0.1.nip.io", False),
        ("", False),
    ],
)
def test_is_loopback_host(host: str, expected: bool) -> None:
    assert is_loopback_host(host) is expected


@pytest.mark.parametrize("host", ["localhost.", "LOCALHOST", "127.0.0.2"])
def test_api_and_webhook_urls_agree_on_loopback(host: str) -> None:
    url = f"http://{host}:8080"
    settings = resolve_settings(
        {
            "GENESYS_CLIENT_ID": "id",
            "GENESYS_CLIENT_SECRET": "not-a-real-secret",
            "GENESYS_API_URL": url,
            "GENESYS_LOGIN_URL": url,
        }
    )
    assert settings.api_url.startswith("http://")
    validate_webhook_url(url + "/hook")  # no WebhookError
