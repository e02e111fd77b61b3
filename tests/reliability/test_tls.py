"""TLS: verification is always on, and a custom CA bundle works through ``SSL_CERT_FILE``.

A test CA and a server certificate for 127.0.0.1 and localhost, made afresh by ``trustme`` for
each test session (no key is committed), let a TLS server run on 127.0.0.1 with no network:
the sandbox API and a webhook receiver are wrapped in TLS, and the reconciler reaches them
only when ``SSL_CERT_FILE`` names the CA.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trustme
from reliability_helpers import HookReceiver, serve_hooks, write_specs
from support import CREDENTIALS

from reconciler.cli import run
from reconciler.errors import ConfigError, TransportError
from reconciler.genesys.client import GenesysBackend
from reconciler.genesys.settings import resolve_settings
from reconciler.sandbox import SandboxApp, SandboxConfig, SandboxServer

pytestmark = pytest.mark.socket

_CA = trustme.CA()
_SERVER = _CA.issue_cert("127.0.0.1", "localhost")
SECRET = "whsec_dGxzLXRscy10bHMtdGxzLXRscy10bHMtdGxzLXRscw=="


def server_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    _SERVER.configure_cert(context)
    return context


@pytest.fixture(scope="module")
def ca_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test CA as a PEM bundle, for SSL_CERT_FILE."""
    path = tmp_path_factory.mktemp("tls") / "ca.pem"
    _CA.cert_pem.write_to_path(str(path))
    return path


def inner_ssl_context(client: GenesysBackend) -> ssl.SSLContext:
    """The SSL context of the client's real network transport (private attributes of httpx
    0.28 and httpcore: this test pins what they hold)."""
    transport = client.session._http._transport._inner  # type: ignore[attr-defined]
    assert isinstance(transport, httpx.AsyncHTTPTransport)
    context = transport._pool._ssl_context
    assert isinstance(context, ssl.SSLContext)
    return context


@contextlib.contextmanager
def tls_sandbox() -> Iterator[str]:
    app = SandboxApp(SandboxConfig(credentials=CREDENTIALS, rate_limit_per_minute=0))
    server = SandboxServer(app, "127.0.0.1", 0)
    raw = server._server  # the socketserver: wrap its listening socket in TLS
    raw.socket = server_context().wrap_socket(raw.socket, server_side=True)
    server.start()
    try:
        yield f"https://127.0.0.1:{server.port}"
    finally:
        server.stop()


def test_a_real_org_client_verifies_certificates_and_host_names() -> None:
    settings = resolve_settings(
        {"GENESYS_ENVIRONMENT": "eu-west-1", "GENESYS_CLIENT_ID": "c", "GENESYS_CLIENT_SECRET": "s"}
    )
    assert settings.api_url.startswith("https://")

    async def check() -> None:
        async with GenesysBackend(settings) as client:
            context = inner_ssl_context(client)
            assert context.verify_mode == ssl.CERT_REQUIRED
            assert context.check_hostname is True

    asyncio.run(check())


@pytest.mark.parametrize(
    "url", ["http://api.example.com", "http://10.0.0.5:8080", "http://[2001:db8::1]"]
)
def test_plain_http_to_a_non_loopback_host_is_refused(url: str) -> None:
    env = {
        "GENESYS_API_URL": url,
        "GENESYS_LOGIN_URL": url,
        "GENESYS_CLIENT_ID": "c",
        "GENESYS_CLIENT_SECRET": "s",
    }
    with pytest.raises(ConfigError, match="plain http"):
        resolve_settings(env)


def get_one(url: str) -> object:
    env = {
        "GENESYS_API_URL": url,
        "GENESYS_LOGIN_URL": url,
        "GENESYS_CLIENT_ID": CREDENTIALS[0],
        "GENESYS_CLIENT_SECRET": CREDENTIALS[1],
        "RECONCILER_MAX_ATTEMPTS": "1",
    }

    async def main() -> object:
        async with GenesysBackend(resolve_settings(env)) as client:
            return await client.adapter("channel").list()

    return asyncio.run(main())


def test_an_unknown_ca_is_refused_and_ssl_cert_file_makes_it_known(
    monkeypatch: pytest.MonkeyPatch, ca_file: Path
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with tls_sandbox() as url:
        with pytest.raises(TransportError, match="ConnectError"):
            get_one(url)
        monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
        assert get_one(url) == []
        # The name is checked too: the certificate is for 127.0.0.1 and localhost only.
        wrong_name = url.replace("127.0.0.1", "127.0.0.2")
        with pytest.raises(TransportError):
            get_one(wrong_name)


def test_apply_over_tls_with_a_custom_ca_for_api_and_webhooks(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    ca_file: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    write_specs(tmp_path / "channels", {"Alpha": "q-1"})
    receiver = HookReceiver(SECRET)
    with tls_sandbox() as api_url, serve_hooks(receiver, server_context()) as hook_url:
        for key, value in {
            "GENESYS_API_URL": api_url,
            "GENESYS_LOGIN_URL": api_url,
            "GENESYS_CLIENT_ID": CREDENTIALS[0],
            "GENESYS_CLIENT_SECRET": CREDENTIALS[1],
            "RECONCILER_MAX_ATTEMPTS": "1",
            "WEBHOOK_URL": hook_url,
            "WEBHOOK_SECRET": SECRET,
            "SSL_CERT_FILE": str(ca_file),
        }.items():
            monkeypatch.setenv(key, value)
        assert run(["apply", "--yes"]) == 0, capsys.readouterr().err
    assert receiver.hooks, "no webhook reached the TLS receiver"
    assert all(h.verified and h.status == 204 for h in receiver.hooks)
