"""Token endpoint and bearer checks (docs/api-notes.md#oauth)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from reconciler.sandbox import FaultPlan, SandboxApp, SandboxConfig, SandboxRequest

from .helpers import COLLECTION, Api, FakeClock, basic

FORM = b"grant_type=client_credentials"


def test_token_response_shape(api: Api) -> None:
    response = api.token_request(basic("anyone", "anything"), FORM)
    assert response.status == 200
    document = response.json()
    assert set(document) == {"access_token", "token_type", "expires_in"}
    assert document["token_type"] == "bearer"
    assert document["expires_in"] == 86400
    assert response.headers["ININ-Correlation-Id"]
    # The token endpoint is not an API call: no rate-limit headers.
    assert "inin-ratelimit-count" not in response.headers


def test_token_ttl_is_configurable(make_api: Callable[..., Api]) -> None:
    api = make_api(token_ttl_seconds=300)
    assert api.token_request(basic("a", "b"), FORM).json()["expires_in"] == 300


@pytest.mark.parametrize(
    ("auth", "form", "status", "error"),
    [
        (None, FORM, 401, "invalid_client"),
        ("Bearer abc", FORM, 401, "invalid_client"),
        ("Basic not-base64!", FORM, 401, "invalid_client"),
        (basic("client", "wrong"), FORM, 401, "invalid_client"),
        (basic("other", "s3cr3t"), FORM, 401, "invalid_client"),
        (basic("client", "s3cr3t"), b"grant_type=password", 400, "unsupported_grant_type"),
        (basic("client", "s3cr3t"), b"", 400, "unsupported_grant_type"),
    ],
)
def test_token_refusals(
    make_api: Callable[..., Api], auth: str | None, form: bytes, status: int, error: str
) -> None:
    api = make_api(credentials=("client", "s3cr3t"))
    response = api.token_request(auth, form)
    assert response.status == status
    body = response.json()
    assert body["error"] == error
    assert body["description"]
    assert body["error_description"]
    assert "s3cr3t" not in response.body.decode()


def test_configured_credentials_are_accepted(make_api: Callable[..., Api]) -> None:
    api = make_api(credentials=("client", "s3cr3t"))
    assert api.login(basic("client", "s3cr3t"))


def test_token_rate_limit_signal_is_400_invalid_request(clock: FakeClock) -> None:
    app = SandboxApp(
        SandboxConfig(faults=FaultPlan(token_script=("rate_limit", "ok"))), clock=clock
    )
    api_first = Api(app, login=False)
    refused = api_first.token_request(basic("a", "b"), FORM)
    assert refused.status == 400
    assert refused.json()["error"] == "invalid_request"
    assert refused.json()["description"].startswith("rate limit exceeded")
    assert api_first.token_request(basic("a", "b"), FORM).status == 200


def test_token_rate_limit_probability(clock: FakeClock) -> None:
    app = SandboxApp(SandboxConfig(faults=FaultPlan(token_rate_limit=1.0)), clock=clock)
    probe = Api(app, login=False)
    assert probe.token_request(basic("a", "b"), FORM).status == 400
    assert app.stats.faults["token:rate_limit"] == 1


@pytest.mark.parametrize(
    ("token", "code"),
    [
        (None, "authentication.required"),
        ("unknown-token", "bad.credentials"),
    ],
)
def test_api_401_codes(api: Api, token: str | None, code: str) -> None:
    response = api.call("GET", COLLECTION, token=token)
    assert response.status == 401
    assert response.json()["code"] == code
    assert response.json()["contextId"] == response.headers["ININ-Correlation-Id"]


def test_wrong_scheme_is_authentication_required(api: Api) -> None:
    request = SandboxRequest(
        method="GET", path=COLLECTION, headers={"authorization": f"Basic {api.token}"}
    )
    response = api.app.handle(request)
    assert response.json()["code"] == "authentication.required"


def test_token_expires_after_ttl(make_api: Callable[..., Api], clock: FakeClock) -> None:
    api = make_api(token_ttl_seconds=300)
    assert api.call("GET", COLLECTION).status == 200
    clock.advance(299)
    assert api.call("GET", COLLECTION).status == 200
    clock.advance(1)
    expired = api.call("GET", COLLECTION)
    assert expired.status == 401
    assert expired.json()["code"] == "credentials.expired"
    api.token = api.login()
    assert api.call("GET", COLLECTION).status == 200


def test_revoke_tokens_invalidates_every_token(api: Api) -> None:
    second = api.login()
    api.app.revoke_tokens()
    for token in (api.token, second):
        response = api.call("GET", COLLECTION, token=token)
        assert response.status == 401
        assert response.json()["code"] == "bad.credentials"
    assert api.call("GET", COLLECTION, token=api.login()).status == 200
