"""Settings from the environment: regions, URL overrides, the sandbox, one-line errors."""

from __future__ import annotations

import pytest

from reconciler.errors import ConfigError
from reconciler.genesys.settings import REGIONS, Secret, resolve_settings

CREDS = {"GENESYS_CLIENT_ID": "cid-QUOKKA", "GENESYS_CLIENT_SECRET": "sek-PANGOLIN-77"}


@pytest.mark.parametrize(
    ("environment", "api", "login"),
    [
        ("eu-west-1", "https://api.mypurecloud.ie", "https://login.mypurecloud.ie"),
        ("US-EAST-1", "https://api.mypurecloud.com", "https://login.mypurecloud.com"),
        ("ap-southeast-2", "https://api.mypurecloud.com.au", "https://login.mypurecloud.com.au"),
        ("euc2.pure.cloud", "https://api.euc2.pure.cloud", "https://login.euc2.pure.cloud"),
    ],
)
def test_region_or_domain_gives_both_bases(environment: str, api: str, login: str) -> None:
    settings = resolve_settings({**CREDS, "GENESYS_ENVIRONMENT": environment})
    assert (settings.api_url, settings.login_url) == (api, login)
    assert settings.environment == environment.lower()
    assert settings.token_url == f"{login}/oauth/token"
    assert not settings.is_sandbox


def test_region_table_matches_the_contract() -> None:
    assert len(REGIONS) == 18
    assert REGIONS["eu-central-1"] == "mypurecloud.de"
    assert REGIONS["us-east-2"] == "use2.us-gov-pure.cloud"


def test_both_urls_make_the_environment_unnecessary() -> None:
    settings = resolve_settings(
        {
            **CREDS,
            "GENESYS_API_URL": "http://127.0.0.1:8080/",
            "GENESYS_LOGIN_URL": "http://localhost:8081",
        }
    )
    assert settings.api_url == "http://127.0.0.1:8080"
    assert settings.login_url == "http://localhost:8081"
    assert settings.environment == "127.0.0.1"


def test_one_url_overrides_the_region() -> None:
    settings = resolve_settings(
        {**CREDS, "GENESYS_ENVIRONMENT": "eu-west-1", "GENESYS_API_URL": "https://private.ie"}
    )
    assert settings.api_url == "https://private.ie"
    assert settings.login_url == "https://login.mypurecloud.ie"


@pytest.mark.parametrize("flag", [True, False])
def test_sandbox_needs_no_credentials(flag: bool) -> None:
    env = {} if flag else {"GENESYS_ENVIRONMENT": "sandbox"}
    settings = resolve_settings(env, sandbox=flag)
    assert settings.is_sandbox
    assert settings.environment == "sandbox"
    assert settings.client_secret


def test_missing_credentials_is_one_line_naming_them_and_suggesting_sandbox() -> None:
    with pytest.raises(ConfigError) as info:
        resolve_settings({"GENESYS_ENVIRONMENT": "eu-west-1", "GENESYS_CLIENT_ID": "x"})
    message = str(info.value)
    assert "\n" not in message
    assert "GENESYS_CLIENT_SECRET" in message
    assert "GENESYS_CLIENT_ID" not in message
    assert "--sandbox" in message


def test_nothing_set_names_every_missing_variable() -> None:
    with pytest.raises(ConfigError) as info:
        resolve_settings({})
    message = str(info.value)
    for name in ("GENESYS_CLIENT_ID", "GENESYS_CLIENT_SECRET", "GENESYS_ENVIRONMENT"):
        assert name in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"GENESYS_ENVIRONMENT": "mars-north-1"}, "GENESYS_ENVIRONMENT"),
        ({"GENESYS_ENVIRONMENT": "https://api.mypurecloud.ie"}, "GENESYS_ENVIRONMENT"),
        (
            {"GENESYS_API_URL": "http://api.example.com", "GENESYS_LOGIN_URL": "https://l.ex.com"},
            "GENESYS_API_URL",
        ),
        (
            {"GENESYS_API_URL": "https://a.example.com", "GENESYS_LOGIN_URL": "ftp://l.ex.com"},
            "GENESYS_LOGIN_URL",
        ),
        (
            {"GENESYS_API_URL": "https://a.example.com?x=1", "GENESYS_LOGIN_URL": "https://l.c"},
            "GENESYS_API_URL",
        ),
        (
            {"GENESYS_API_URL": "https://a.example.com:99999", "GENESYS_LOGIN_URL": "https://l.c"},
            "GENESYS_API_URL",
        ),
        (
            {"GENESYS_API_URL": "http://127.0.0.1.evil.com", "GENESYS_LOGIN_URL": "https://l.c"},
            "GENESYS_API_URL",
        ),
        ({"GENESYS_ENVIRONMENT": "eu-west-1", "RECONCILER_MAX_ATTEMPTS": "x"}, "MAX_ATTEMPTS"),
        ({"GENESYS_ENVIRONMENT": "eu-west-1", "RECONCILER_HTTP_TIMEOUT": "0"}, "HTTP_TIMEOUT"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as info:
        resolve_settings({**CREDS, **env})
    assert variable in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.3.4.5", "[::1]", "localhost"])
def test_plain_http_is_fine_for_loopback(host: str) -> None:
    url = f"http://{host}:8000"
    settings = resolve_settings({**CREDS, "GENESYS_API_URL": url, "GENESYS_LOGIN_URL": url})
    assert settings.api_url == url


def test_tunables_from_env_and_keywords() -> None:
    env = {**CREDS, "GENESYS_ENVIRONMENT": "eu-west-1", "RECONCILER_RATE_PER_MINUTE": "120"}
    settings = resolve_settings(env, max_attempts=3)
    assert (settings.rate_per_minute, settings.max_attempts) == (120, 3)
    assert settings.timeout_seconds == 30.0


def test_secrets_never_show() -> None:
    settings = resolve_settings({**CREDS, "GENESYS_ENVIRONMENT": "eu-west-1"})
    for text in (repr(settings), str(settings), f"{settings.client_secret}", repr(Secret("x1"))):
        assert "PANGOLIN" not in text
        assert "QUOKKA" not in text
    assert settings.client_secret.reveal() == "sek-PANGOLIN-77"
