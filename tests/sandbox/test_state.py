"""State persistence: round trip, atomic save, missing and corrupt files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.errors import ConfigError
from reconciler.sandbox import SandboxApp, SandboxState

from .helpers import COLLECTION, Api, channel_body


def test_round_trip_through_a_file(api: Api, tmp_path: Path) -> None:
    first = api.create(channel_body("One"))
    api.create(channel_body("Two", description="second"))
    api.call("PUT", first["selfUri"], json_body=channel_body("One", version=1))
    path = tmp_path / "nested" / "sandbox.json"
    api.app.state.save(path)
    loaded = SandboxState.load(path)
    assert loaded.channels == api.app.state.channels
    # A second app on the loaded state serves the same org and keeps the versions.
    again = Api(SandboxApp(state=loaded))
    assert again.listing() == api.listing()
    assert again.call("GET", first["selfUri"]).json()["version"] == 2
    assert again.call("POST", COLLECTION, json_body=channel_body("one")).status == 409


def test_save_is_byte_stable_and_leaves_no_temp_files(api: Api, tmp_path: Path) -> None:
    api.create(channel_body("B"))
    api.create(channel_body("A"))
    path = tmp_path / "state.json"
    api.app.state.save(path)
    first = path.read_bytes()
    SandboxState.load(path).save(path)
    assert path.read_bytes() == first
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_missing_file_is_an_empty_org(tmp_path: Path) -> None:
    assert len(SandboxState.load(tmp_path / "absent.json")) == 0


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"{not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[]", "expected a JSON object"),
        (b'{"format": "other", "version": 1, "channels": []}', "expected a JSON object"),
        (b'{"format": "reconciler-sandbox-state", "version": 9, "channels": []}', "version"),
        (b'{"format": "reconciler-sandbox-state", "version": 1, "channels": {}}', "list"),
        (b'{"format": "reconciler-sandbox-state", "version": 1, "channels": [1]}', "object"),
    ],
)
def test_corrupt_file_is_a_clear_config_error(tmp_path: Path, content: bytes, why: str) -> None:
    path = tmp_path / "sandbox.json"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        SandboxState.load(path)
    message = str(info.value)
    assert str(path) in message
    assert why in message
    assert "reconciler sandbox reset" in message


def valid_doc(api: Api) -> dict[str, object]:
    api.create(channel_body("One"))
    return api.app.state.to_json()


@pytest.mark.parametrize(
    ("mutate", "why"),
    [
        (lambda c: c.update(version="1"), "version"),
        (lambda c: c.update(id=""), "id"),
        (lambda c: c.update(selfUri="/elsewhere"), "selfUri"),
        (lambda c: c.pop("dateCreated"), "dateCreated"),
        (lambda c: c.update(name=""), "name"),
        (lambda c: c.update(extra=1), "extra"),
    ],
)
def test_channels_in_the_file_are_checked(api: Api, tmp_path: Path, mutate, why: str) -> None:  # type: ignore[no-untyped-def]
    document = valid_doc(api)
    mutate(document["kinds"]["channel"][0])  # type: ignore[index]
    path = tmp_path / "s.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ConfigError, match=why):
        SandboxState.load(path)


def test_duplicate_names_in_the_file_are_refused(api: Api, tmp_path: Path) -> None:
    document = valid_doc(api)
    twin = dict(document["kinds"]["channel"][0])  # type: ignore[index]
    twin["id"] = "other"
    twin["selfUri"] = f"{COLLECTION}/other"
    twin["name"] = "ONE"
    document["kinds"]["channel"].append(twin)  # type: ignore[attr-defined,index]
    path = tmp_path / "s.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ConfigError, match="repeats"):
        SandboxState.load(path)


def test_unwritable_location_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="cannot write sandbox state"):
        SandboxState().save(blocker / "sandbox.json")


def test_on_commit_sees_every_successful_write(tmp_path: Path) -> None:
    path = tmp_path / "live.json"
    app = SandboxApp(on_commit=lambda state: state.save(path))
    api = Api(app)
    created = api.create(channel_body())
    assert len(SandboxState.load(path)) == 1
    api.call("POST", COLLECTION, json_body={"bad": True})
    api.call("DELETE", created["selfUri"])
    assert len(SandboxState.load(path)) == 0


def test_seed_channels_refuses_invalid_bodies() -> None:
    app = SandboxApp()
    with pytest.raises(ConfigError, match="#1"):
        app.seed_channels([{"name": "ok"}, {"name": ""}])
    with pytest.raises(ConfigError, match="taken"):
        app.seed_channels([{"name": "OK"}])


def test_a_version_1_file_is_migrated_with_its_channels_under_the_channel_kind(
    api: Api, tmp_path: Path
) -> None:
    created = api.create(channel_body("Old"))
    path = tmp_path / "v1.json"
    v1 = {"format": "reconciler-sandbox-state", "version": 1, "channels": [created]}
    path.write_text(json.dumps(v1))
    loaded = SandboxState.load(path)
    assert loaded.channels == {created["id"]: created}
    again = Api(SandboxApp(state=loaded))
    assert [c["name"] for c in again.listing()["entities"]] == ["Old"]
    loaded.save(path)
    saved = json.loads(path.read_text())
    assert saved["version"] == 2
    assert saved["kinds"]["channel"] == [created]


def test_a_version_1_file_with_a_bad_channel_names_it_in_the_old_terms(tmp_path: Path) -> None:
    path = tmp_path / "v1.json"
    v1 = {"format": "reconciler-sandbox-state", "version": 1, "channels": [{"id": "x"}]}
    path.write_text(json.dumps(v1))
    with pytest.raises(ConfigError, match=r"channels\[0\]\.version"):
        SandboxState.load(path)


@pytest.mark.parametrize(
    ("document", "why"),
    [
        ({"format": "reconciler-sandbox-state", "version": 2, "kinds": []}, "kinds must be"),
        (
            {"format": "reconciler-sandbox-state", "version": 2, "kinds": {"gadget": []}},
            "unknown kind 'gadget'",
        ),
        ({"format": "reconciler-sandbox-state", "version": 2, "kinds": {"channel": {}}}, "list"),
        ({"name": "Support", "version": 1}, "expected a JSON object with format"),
        ({"format": "reconciler-sandbox-state", "version": 3, "kinds": {}}, "version 3"),
    ],
)
def test_files_that_are_not_this_state_are_refused_in_one_line(
    tmp_path: Path, document: object, why: str
) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ConfigError, match=why) as info:
        SandboxState.load(path)
    assert "\n" not in str(info.value)


def test_read_only_loading_skips_the_body_checks_but_not_the_shape(
    api: Api, tmp_path: Path
) -> None:
    document = valid_doc(api)
    channels = document["kinds"]["channel"]  # type: ignore[index]
    channels[0]["extra"] = 1
    path = tmp_path / "s.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ConfigError, match="extra"):
        SandboxState.load(path)
    assert len(SandboxState.load(path, check_bodies=False)) == 1  # plan and drift read it
    channels[0]["version"] = "1"
    path.write_text(json.dumps(document))
    with pytest.raises(ConfigError, match="version"):
        SandboxState.load(path, check_bodies=False)
    del channels[0]["name"]
    channels[0]["version"] = 1
    path.write_text(json.dumps(document))
    with pytest.raises(ConfigError, match="name"):
        SandboxState.load(path, check_bodies=False)
