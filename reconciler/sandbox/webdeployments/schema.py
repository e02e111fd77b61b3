"""The writable fields of a configuration version and a deployment (the SDK's
models), and the server defaults filled in on create.

Written from the contract, not from the client's JSON Schema: the emulator is the oracle. One
field here is beyond the contract on purpose: ``FUTURE_FIELD``, a setting from a server release
newer than any client's schema, filled in on create, kept through a PUT only if the PUT sends it
back (a PUT is a full replace).
"""

from __future__ import annotations

import copy
from typing import Any

from reconciler.sandbox.webdeployments.fields import (
    DOMAIN,
    HEX_COLOUR,
    Bool,
    Enum,
    Int,
    List,
    Obj,
    Opaque,
    Str,
    flag,
)

LABEL_KEYS = (
    "MessengerHomeHeaderTitle",
    "MessengerHomeHeaderSubTitle",
    "PushNotificationTitle",
    "PushNotificationBody",
    "MessengerLauncherButtonText",
)
STATUSES = ("Pending", "Active", "Inactive", "Error", "Deleting")
#: Deployment statuses a client may write (``Pending``, ``Error`` and ``Deleting`` are the
#: server's).
WRITABLE_STATUSES = ("Active", "Inactive")
#: (path, value): the live field no client models.
FUTURE_FIELD = (("messenger", "apps", "conversations", "futureFeature"), {"enabled": True})

_EVENT = Obj({"selector": Str(1), "eventName": Str(1)}, required=("selector", "eventName"))
_CONVERSATIONS = Obj(
    {
        "enabled": Bool(),
        "showAgentTypingIndicator": Bool(),
        "showUserTypingIndicator": Bool(),
        "autoStart": flag(),
        "markdown": flag(),
        "conversationDisconnect": Obj({"enabled": Bool(), "type": Enum(("Send", "ReadOnly"))}),
        "conversationClear": flag(),
        "humanize": Obj({"enabled": Bool(), "bot": Obj({"name": Str(), "avatarUrl": Str()})}),
        "notifications": Obj(
            {
                "enabled": Bool(),
                "notificationContentType": Enum(
                    ("IncludeMessagesContent", "ExcludeMessagesContent")
                ),
            }
        ),
        "sessionDurationSeconds": Int(low=0),
        FUTURE_FIELD[0][-1]: flag(),
    }
)
_MESSENGER = Obj(
    {
        "enabled": Bool(),
        "styles": Obj({"primaryColor": Str(pattern=HEX_COLOUR, what="a hex colour (#RRGGBB)")}),
        "launcherButton": Obj(
            {
                "visibility": Enum(("On", "Off", "OnDemand")),
                "displayType": Enum(("Icon", "Text", "IconAndText")),
                "icon": Obj({"url": Str()}),
            }
        ),
        "fileUpload": Obj(
            {
                "enableAttachments": Bool(),
                "modes": List(
                    Obj({"fileTypes": List(Str(1)), "maxFileSizeKB": Int(low=0, high=10240)})
                ),
            }
        ),
        "apps": Obj(
            {
                "conversations": _CONVERSATIONS,
                "knowledge": Obj(
                    {"enabled": Bool(), "knowledgeBase": Obj({"id": Str(1), "selfUri": Str()})}
                ),
            }
        ),
        "homeScreen": Obj({"enabled": Bool(), "logoUrl": Str()}),
        "sessionPersistenceType": Enum(("AcrossSubdomains", "DomainOrSubdomainOnly")),
    }
)
_BROWSER_FLAGS = {name: Bool() for name in ("allowCamera", "allowScreenShare", "allowMicrophone")}

CONFIGURATION = Obj(
    {
        "name": Str(1, 100),
        "description": Str(0, 1000),
        "headlessMode": flag(),
        "languages": List(Str(1, 20)),
        "defaultLanguage": Str(1, 20),
        "customI18nLabels": List(
            Obj(
                {
                    "language": Str(1, 20),
                    "localizedLabels": List(
                        Obj({"key": Enum(LABEL_KEYS), "value": Str()}, required=("key",))
                    ),
                },
                required=("language",),
            )
        ),
        "messenger": _MESSENGER,
        "position": Obj(
            {
                "alignment": Enum(("Auto", "Left", "Right")),
                "sideSpace": Int(low=0),
                "bottomSpace": Int(low=0),
            }
        ),
        "supportCenter": Opaque(),
        "cobrowse": Obj(
            {
                "enabled": Bool(),
                "allowAgentControl": Bool(),
                "allowAgentNavigation": Bool(),
                "allowDraw": Bool(),
                "maskSelectors": List(Str()),
                "readonlySelectors": List(Str()),
                "channels": List(Enum(("Webmessaging", "Voice"))),
                "pauseCriteria": List(
                    Obj(
                        {
                            "urlFragment": Str(),
                            "condition": Enum(
                                ("Includes", "DoesNotInclude", "StartsWith", "EndsWith", "Equals"),
                                any_case=True,
                            ),
                        }
                    )
                ),
            }
        ),
        "journeyEvents": Obj(
            {
                "enabled": Bool(),
                "pageviewConfig": Enum(("Auto", "Once", "Off")),
                "clickEvents": List(_EVENT),
                "inViewportEvents": List(_EVENT),
                "formsTrackEvents": List(
                    Obj(
                        {
                            "selector": Str(1),
                            "formName": Str(1),
                            "captureDataOnFormAbandon": Bool(),
                            "captureDataOnFormSubmit": Bool(),
                        }
                    )
                ),
                "idleEvents": List(
                    Obj(
                        {"eventName": Str(1), "idleAfterSeconds": Int(low=0)},
                        required=("eventName",),
                    )
                ),
                "scrollDepthEvents": List(
                    Obj(
                        {"percentage": Int(low=0, high=100), "eventName": Str(1)},
                        required=("percentage", "eventName"),
                    )
                ),
                "trackingSettings": Obj(
                    {
                        "excludedQueryParameters": List(Str(), high=50),
                        "shouldKeepUrlFragment": Bool(),
                        "searchQueryParameters": List(Str(), high=50),
                        "ipFilters": List(Obj({"ipAddress": Str(1), "name": Str()}), high=10),
                    }
                ),
                "excludedQueryParameters": List(Str()),
                "shouldKeepUrlFragment": Bool(),
                "searchQueryParameters": List(Str()),
            }
        ),
        "authenticationSettings": Obj(
            {"enabled": Bool(), "integrationId": Str(1), "allowSessionUpgrade": Bool()},
            required=("enabled",),
        ),
        "video": Obj(
            {
                "enabled": Bool(),
                "channels": List(Str(1)),
                "agent": Obj(
                    {
                        **_BROWSER_FLAGS,
                        "background": Enum(("BLUR", "NONE", "IMAGE")),
                        "backgroundImage": Obj({"url": Str()}),
                    }
                ),
                "user": Obj(dict(_BROWSER_FLAGS)),
            }
        ),
    },
    required=("name",),
    read_only=(
        "id",
        "version",
        "status",
        "dateCreated",
        "dateModified",
        "datePublished",
        "lastModifiedUser",
        "createdUser",
        "publishedUser",
        "selfUri",
    ),
)

_REF_READ_ONLY = ("name", "selfUri")
DEPLOYMENT = Obj(
    {
        "name": Str(1, 200),
        "description": Str(0, 1000),
        "allowAllDomains": Bool(),
        "allowedDomains": List(
            Str(1, 253, pattern=DOMAIN, what="a bare host name (no scheme, port or path)")
        ),
        "supportedContent": Obj(
            {"id": Str(1)}, required=("id",), read_only=(*_REF_READ_ONLY, "mediaTypes")
        ),
        "flow": Obj(
            {"id": Str(1)},
            required=("id",),
            read_only=(*_REF_READ_ONLY, "flowDescription", "publishVersion"),
        ),
        "status": Enum(STATUSES),
        "pushIntegrations": List(
            Obj({"id": Str(1), "provider": Enum(("APNS", "FCM"))}, required=("id",))
        ),
        "configuration": Obj(
            {"id": Str(1), "version": Str(1)}, required=("id", "version"), read_only=_REF_READ_ONLY
        ),
    },
    required=("name", "configuration"),
    read_only=("id", "snippet", "dateCreated", "dateModified", "lastModifiedUser", "selfUri"),
)

CONFIGURATION_DEFAULTS: dict[str, Any] = {
    "messenger": {
        "enabled": True,
        "styles": {"primaryColor": "#0D6EFD"},
        "launcherButton": {"visibility": "On"},
        "fileUpload": {
            "modes": [
                {"fileTypes": ["image/jpeg", "image/gif", "image/png"], "maxFileSizeKB": 10240}
            ]
        },
        "apps": {
            "conversations": {
                "enabled": True,
                "showAgentTypingIndicator": True,
                "showUserTypingIndicator": True,
                "autoStart": {"enabled": False},
                "markdown": {"enabled": True},
                "conversationDisconnect": {"enabled": False, "type": "Send"},
                "conversationClear": {"enabled": False},
                "humanize": {"enabled": False},
                "sessionDurationSeconds": 259200,
                FUTURE_FIELD[0][-1]: FUTURE_FIELD[1],
            }
        },
    },
    "position": {"alignment": "Auto", "sideSpace": 20, "bottomSpace": 12},
    "cobrowse": {"enabled": False},
    "journeyEvents": {"enabled": False},
    "headlessMode": {"enabled": False},
    "authenticationSettings": {"enabled": False},
}


def with_defaults(
    body: dict[str, Any], defaults: dict[str, Any] = CONFIGURATION_DEFAULTS
) -> dict[str, Any]:
    """``body`` with every default it leaves out filled in, recursively (objects only)."""
    out = copy.deepcopy(body)
    for key, value in defaults.items():
        if key not in out:
            out[key] = copy.deepcopy(value)
        elif isinstance(value, dict) and isinstance(out[key], dict):
            out[key] = with_defaults(out[key], value)
    return out
