"""A local stand-in for Slack's and Microsoft Teams' incoming webhooks on 127.0.0.1.

Every POST is checked against the format the service documents for its incoming webhooks
(a JSON Schema each, below): Slack, a message with ``text`` and Block Kit ``blocks``
(``section`` with ``mrkdwn`` text of at most 3,000 characters, ``context`` elements); Teams, a
``message`` whose attachments are Adaptive Cards (``application/vnd.microsoft.card.adaptive``,
``contentUrl`` null, a card of type ``AdaptiveCard`` with a version, ``TextBlock`` body items
and ``Action.OpenUrl`` actions). A payload that does not fit is answered 400, as the services
do (Slack: ``invalid_blocks``); the first request to each service is failed with
``first_status``, so a test sees a notice survive it.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jsonschema

TEXT = {
    "type": "object",
    "required": ["type", "text"],
    "properties": {
        "type": {"enum": ["mrkdwn", "plain_text"]},
        "text": {"type": "string", "minLength": 1, "maxLength": 3000},
    },
}
SLACK = {
    "type": "object",
    "required": ["text", "blocks"],
    "additionalProperties": False,
    "properties": {
        "text": {"type": "string", "minLength": 1},
        "blocks": {
            "type": "array",
            "minItems": 1,
            "maxItems": 50,
            "items": {
                "oneOf": [
                    {
                        "type": "object",
                        "required": ["type", "text"],
                        "additionalProperties": False,
                        "properties": {"type": {"const": "section"}, "text": TEXT},
                    },
                    {
                        "type": "object",
                        "required": ["type", "elements"],
                        "additionalProperties": False,
                        "properties": {
                            "type": {"const": "context"},
                            "elements": {
                                "type": "array",
                                "minItems": 1,
                                "maxItems": 10,
                                "items": TEXT,
                            },
                        },
                    },
                ]
            },
        },
    },
}
TEAMS = {
    "type": "object",
    "required": ["type", "attachments"],
    "properties": {
        "type": {"const": "message"},
        "attachments": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["contentType", "content"],
                "properties": {
                    "contentType": {"const": "application/vnd.microsoft.card.adaptive"},
                    "contentUrl": {"type": "null"},
                    "content": {
                        "type": "object",
                        "required": ["type", "version", "body"],
                        "properties": {
                            "$schema": {
                                "const": "http://adaptivecards.io/schemas/adaptive-card.json"
                            },
                            "type": {"const": "AdaptiveCard"},
                            "version": {"type": "string", "pattern": "^1\\.[0-5]$"},
                            "body": {
                                "type": "array",
                                "minItems": 1,
                                "items": {
                                    "type": "object",
                                    "required": ["type", "text"],
                                    "properties": {
                                        "type": {"const": "TextBlock"},
                                        "text": {"type": "string", "minLength": 1},
                                        "wrap": {"type": "boolean"},
                                        "weight": {"enum": ["Default", "Lighter", "Bolder"]},
                                        "size": {
                                            "enum": [
                                                "Default",
                                                "Small",
                                                "Medium",
                                                "Large",
                                                "ExtraLarge",
                                            ]
                                        },
                                        "isSubtle": {"type": "boolean"},
                                    },
                                    "additionalProperties": False,
                                },
                            },
                            "actions": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["type", "title", "url"],
                                    "properties": {
                                        "type": {"const": "Action.OpenUrl"},
                                        "title": {"type": "string", "minLength": 1},
                                        "url": {"type": "string", "pattern": "^https?://"},
                                    },
                                    "additionalProperties": False,
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}
SCHEMAS = {"slack": SLACK, "teams": TEAMS}


@dataclass
class Message:
    service: str
    payload: Any
    answered: int
    problem: str = ""


@dataclass
class NoticeReceiver:
    """Slack at ``/slack/...``, Teams at ``/teams/...``; ``url(service)`` is the secret URL."""

    first_status: int = 503
    token: str = "T0KEN-s3cret-PATH"
    messages: list[Message] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    base: str = ""

    def url(self, service: str) -> str:
        return f"{self.base}/{service}/T000/B000/{self.token}-{service}"

    def handle(self, path: str, body: bytes) -> int:
        service = path.strip("/").split("/", 1)[0]
        if service not in SCHEMAS or not path.endswith(f"{self.token}-{service}"):
            return 404
        try:
            payload = json.loads(body)
            jsonschema.validate(payload, SCHEMAS[service])
            problem = ""
        except (ValueError, jsonschema.ValidationError) as exc:
            payload, problem = body.decode("utf-8", "replace"), str(exc)[:300]
        with self.lock:
            if problem:
                status = 400
            elif service not in self.seen:
                self.seen.add(service)
                status = self.first_status
            else:
                status = 200
            self.messages.append(Message(service, payload, status, problem))
        return status

    def accepted(self, service: str) -> list[Any]:
        return [m.payload for m in self.messages if m.service == service and m.answered == 200]

    def problems(self) -> list[str]:
        return [m.problem for m in self.messages if m.problem]


def _handler(receiver: NoticeReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            status = receiver.handle(self.path, body)
            reply = b"ok" if status == 200 else b"invalid_payload"
            self.send_response(status)
            self.send_header("content-type", "text/plain")
            self.send_header("content-length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return Handler


@contextlib.contextmanager
def notice_receiver(first_status: int = 503) -> Iterator[NoticeReceiver]:
    receiver = NoticeReceiver(first_status=first_status)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
