"""Supported content profiles, read-only (contract S1, S2, S3): a page-number listing with no
name filter, one profile by id, and the org default. A fresh org holds ``SEED_PROFILES``: the
default profile (every media type) and "Images only"; a deployment created without
``supportedContent`` gets the default.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from reconciler.sandbox.routing import Call, Endpoint, KindRoute
from reconciler.sandbox.webdeployments.common import (
    SUPPORTED_CONTENT,
    SUPPORTED_CONTENT_KIND,
    not_found,
)
from reconciler.sandbox.webdeployments.paging import number_page
from reconciler.sandbox.wire import Reply

DEFAULT_PROFILE_ID = "3c1d6b0e-5e2a-4c7b-9f00-0000000000d1"
_SEEDED_AT = "2026-01-01T00:00:00.000Z"


def profile_object(profile_id: str, name: str, media_types: Sequence[str]) -> dict[str, Any]:
    """A supported-content profile as S2 answers it, allowing ``media_types`` both ways."""
    allowed = [{"type": media} for media in media_types]
    return {
        "id": profile_id,
        "name": name,
        "dateCreated": _SEEDED_AT,
        "dateModified": _SEEDED_AT,
        "version": 1,
        "mediaTypes": {"allow": {"inbound": allowed, "outbound": list(allowed)}},
        "selfUri": f"{SUPPORTED_CONTENT}/{profile_id}",
    }


SEED_PROFILES = (
    profile_object(DEFAULT_PROFILE_ID, "Default", ["*/*"]),
    profile_object("3c1d6b0e-5e2a-4c7b-9f00-0000000000d2", "Images only", ["image/*"]),
)


class SupportedContentRoutes(KindRoute):
    kinds: ClassVar[tuple[str, ...]] = (SUPPORTED_CONTENT_KIND,)

    def endpoints(self) -> Sequence[Endpoint]:
        return [
            Endpoint(SUPPORTED_CONTENT, {"GET": self.listing}),
            Endpoint(f"{SUPPORTED_CONTENT}/default", {"GET": self.default}),
            Endpoint(f"{SUPPORTED_CONTENT}/{{id}}", {"GET": self.get}),
        ]

    @classmethod
    def seed(cls) -> Mapping[str, Iterable[Mapping[str, Any]]]:
        return {SUPPORTED_CONTENT_KIND: SEED_PROFILES}

    @property
    def profiles(self) -> dict[str, dict[str, Any]]:
        return self.state.objects(SUPPORTED_CONTENT_KIND)

    def listing(self, call: Call) -> Reply:
        ordered = sorted(
            self.profiles.values(), key=lambda p: (str(p.get("name", "")).casefold(), p["id"])
        )
        return number_page(ordered, call.request, SUPPORTED_CONTENT, max_size=100)

    def get(self, call: Call) -> Reply:
        profile = self.profiles.get(call.params["id"])
        if profile is None:
            return not_found("supported content profile", call.params["id"])
        return Reply(status=200, payload=dict(profile))

    def default(self, call: Call) -> Reply:
        profile = self.profiles.get(DEFAULT_PROFILE_ID)
        if profile is None:
            return not_found("supported content profile", DEFAULT_PROFILE_ID)
        return Reply(status=200, payload=dict(profile))
