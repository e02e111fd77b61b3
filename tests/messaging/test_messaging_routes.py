"""The messaging routes of the emulator, in process: listing with page numbers, create, get,
PATCH, delete, the defaults and the threading timeline, validation, the cap on profiles, and
a deployment that names a deleted profile."""

from __future__ import annotations

from typing import Any

from reconciler.sandbox import SandboxApp, SandboxConfig
from reconciler.sandbox.messaging_knobs import MessagingKnobs
from reconciler.sandbox.webdeployments.supported_content import DEFAULT_PROFILE_ID

SC = "/api/v2/conversations/messaging/supportedcontent"
SETTINGS = "/api/v2/conversations/messaging/settings"
TIMELINE = "/api/v2/conversations/messaging/threadingtimeline"


def app(cap: int = 50) -> SandboxApp:
    return SandboxApp(SandboxConfig(seed=3, messaging=MessagingKnobs(max_supported_content=cap)))


def profile(name: str, *types: str) -> dict[str, Any]:
    allowed = [{"type": t} for t in types]
    return {"name": name, "mediaTypes": {"allow": {"inbound": allowed, "outbound": allowed}}}


def test_profiles_are_listed_by_page_number_created_patched_and_deleted() -> None:
    api = app()
    created = api.direct("POST", SC, profile("Pictures", "image/*"))
    assert created.status == 200
    profile_id = created.payload["id"]
    assert created.payload["version"] == 1
    page = api.direct("GET", f"{SC}?pageSize=2&pageNumber=2")
    assert page.status == 200
    assert page.payload["pageNumber"] == 2
    assert page.payload["pageCount"] == 2
    assert [p["name"] for p in page.payload["entities"]] == ["Pictures"]
    patched = api.direct("PATCH", f"{SC}/{profile_id}", {"name": "Pictures and PDF"})
    assert patched.status == 200
    assert patched.payload["name"] == "Pictures and PDF"
    assert patched.payload["mediaTypes"]["allow"]["inbound"] == [{"type": "image/*"}]
    assert patched.payload["version"] == 2
    assert api.direct("DELETE", f"{SC}/{profile_id}").status == 204
    assert api.direct("GET", f"{SC}/{profile_id}").status == 404


def test_profiles_are_validated_and_capped() -> None:
    api = app(cap=3)
    bad = api.direct("POST", SC, profile("Bad", "not a type"))
    assert bad.status == 400
    assert "mediaTypes.allow.inbound[0].type" in bad.payload["message"]
    assert api.direct("POST", SC, {"mediaTypes": {"allow": {}}}).status == 400  # no name
    assert api.direct("POST", SC, profile("Third", "text/plain")).status == 200
    refused = api.direct("POST", SC, profile("Fourth", "text/plain"))
    assert refused.status == 400
    assert "limit of 3 supported content profiles" in refused.payload["message"]


def test_the_default_profile_is_set_by_id_and_cannot_be_deleted() -> None:
    api = app()
    assert api.direct("GET", f"{SC}/default").payload["id"] == DEFAULT_PROFILE_ID
    other = api.direct("POST", SC, profile("Pictures", "image/*")).payload["id"]
    assert api.direct("PUT", f"{SC}/default", {"id": "nope"}).status == 400
    assert api.direct("PUT", f"{SC}/default", {"id": other}).status == 200
    assert api.direct("GET", f"{SC}/default").payload["id"] == other
    assert api.direct("DELETE", f"{SC}/{other}").status == 409
    assert api.direct("DELETE", f"{SC}/{DEFAULT_PROFILE_ID}").status == 204  # no longer default


def test_messaging_settings_defaults_and_the_threading_timeline() -> None:
    api = app()
    body = {"name": "Standard", "event": {"typing": {"on": {"inbound": "Enabled"}}}}
    created = api.direct("POST", SETTINGS, body)
    assert created.status == 200
    assert created.payload["version"] == "1"
    setting_id = created.payload["id"]
    bad = api.direct(
        "POST", SETTINGS, {"name": "x", "event": {"typing": {"on": {"inbound": "On"}}}}
    )
    assert bad.status == 400
    assert api.direct("GET", f"{SETTINGS}/default").status == 404
    assert api.direct("PUT", f"{SETTINGS}/default", {"settingId": setting_id}).status == 200
    assert api.direct("GET", f"{SETTINGS}/default").payload["id"] == setting_id
    assert api.direct("DELETE", f"{SETTINGS}/{setting_id}").status == 409
    patched = api.direct(
        "PATCH",
        f"{SETTINGS}/{setting_id}",
        {"content": {"story": {"reply": {"inbound": "Disabled"}}}},
    )
    assert patched.payload["version"] == "2"
    assert patched.payload["event"] == body["event"]
    timeline = api.direct("GET", TIMELINE).payload
    assert timeline["settings"] == []
    sent = {
        "defaultTimeoutMinutes": 60,
        "settings": [{"messengerType": "sms", "timeoutInMinutes": 5}],
    }
    assert api.direct("PUT", TIMELINE, sent).payload["settings"] == sent["settings"]
    twice = {"settings": [{"messengerType": "sms", "timeoutInMinutes": 5}] * 2}
    assert api.direct("PUT", TIMELINE, twice).status == 400
    unknown = {"settings": [{"messengerType": "pager", "timeoutInMinutes": 5}]}
    assert api.direct("PUT", TIMELINE, unknown).status == 400


def test_a_deployment_naming_a_deleted_profile_keeps_its_bare_reference() -> None:
    from reconciler.sandbox.webdeployments.seeding import seed_pair

    api = app()
    profile_id = api.direct("POST", SC, profile("Pictures", "image/*")).payload["id"]
    _, deployment_id = seed_pair(api, "Shop", deployment={"supportedContent": {"id": profile_id}})
    assert api.direct("DELETE", f"{SC}/{profile_id}").status == 204
    read = api.direct(
        "GET", f"/api/v2/webdeployments/deployments/{deployment_id}?expand=supportedContent"
    ).payload
    assert read["supportedContent"]["id"] == profile_id
    assert "mediaTypes" not in read["supportedContent"]
    rewritten = {k: v for k, v in read.items() if k not in ("id", "selfUri", "dateCreated")}
    answer = api.direct("PUT", f"/api/v2/webdeployments/deployments/{deployment_id}", rewritten)
    assert answer.status == 400
