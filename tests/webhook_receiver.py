"""A real webhook receiver on 127.0.0.1 that verifies every request with `standardwebhooks`.

A uniquely named helper module (not conftest) so test modules can import it by name.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes
    verified: bool
    answered: int


class Receiver:
    """Answers `fail_status` to the next `fail_next` requests and to every request whose
    webhook-id is in `fail_ids`; otherwise 204 (401 if the signature does not verify)."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.fail_next = 0
        self.fail_status = 503
        self.fail_ids: set[str] = set()
        self.deliveries: list[Delivery] = []
        self.lock = threading.Lock()
        self.url = ""

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        try:
            Webhook(self.secret).verify(body, headers)
            verified = True
        except WebhookVerificationError:
            verified = False
        with self.lock:
            if headers.get("webhook-id") in self.fail_ids:
                status = self.fail_status
            elif self.fail_next > 0:
                self.fail_next -= 1
                status = self.fail_status
            else:
                status = 204 if verified else 401
            self.deliveries.append(Delivery(headers, body, verified, status))
        return status

    def accepted(self) -> list[Delivery]:
        return [d for d in self.deliveries if 200 <= d.answered < 300]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            status = receiver.handle({k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return Handler


class _Server(ThreadingHTTPServer):
    request_queue_size = 64  # the default 5 drops concurrent connects (a 1 s SYN retry)
    daemon_threads = True


def serve(rec: Receiver) -> Iterator[Receiver]:
    server = _Server(("127.0.0.1", 0), _handler(rec))
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def no_sleep(seconds: float) -> None:
    return None
