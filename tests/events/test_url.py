"""WEBHOOK_URL rules and redaction: https, or http to loopback only; credentials never shown."""

from __future__ import annotations

import pytest

from reconciler.errors import WebhookError
from reconciler.webhooks import redact_url, validate_webhook_url


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/reconciler",
        "http://127.0.0.1:8080/hook",
        "http://127.8.9.10/hook",
        "http://localhost:9000/",
        "http://LOCALHOST/x",
        "http://[::1]:8000/hook",
        "https://user:pass@hooks.example.com/x?token=abc",
    ],
)
def test_accepted_urls(url: str) -> None:
    assert validate_webhook_url(url) == url


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example.com/x", "must use https"),
        ("http://localhost.evil.example/x", "must use https"),
        ("http://10.0.0.1/x", "must use https"),
        ("http://[::2]/x", "must use https"),
        ("ftp://hooks.example.com/x", "must be an https:// URL"),
        ("hooks.example.com/x", "must be an https:// URL"),
        ("https:///nohost", "must be an https:// URL"),
        ("https://hooks.example.com:99999/x", "not a valid URL"),
    ],
)
def test_rejected_urls_name_the_variable(url: str, why: str) -> None:
    with pytest.raises(WebhookError, match=why) as info:
        validate_webhook_url(url)
    assert "WEBHOOK_URL" in str(info.value)


def test_rejection_message_does_not_echo_credentials() -> None:
    with pytest.raises(WebhookError) as info:
        validate_webhook_url("http://alice:hunter2@hooks.example.com/x?token=s3cr3t")
    message = str(info.value)
    assert "hunter2" not in message
    assert "s3cr3t" not in message
    assert "alice" not in message
    assert "hooks.example.com" in message


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.example.com/a/b", "https://hooks.example.com/a/b"),
        ("https://alice:hunter2@hooks.example.com/x", "https://***@hooks.example.com/x"),
        ("https://tokenonly@hooks.example.com:8443/x", "https://***@hooks.example.com:8443/x"),
        (
            "https://hooks.example.com/x?token=s3cr3t&sig=abc",
            "https://hooks.example.com/x?token=***&sig=***",
        ),
        ("https://hooks.example.com/x#frag-secret", "https://hooks.example.com/x"),
        ("https://[::1", "<unparseable URL>"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown
