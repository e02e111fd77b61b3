"""Shared pieces of the reliability tests: spec files, a scriptable webhook receiver and raw
socket servers on 127.0.0.1 (a uniquely named module, importable from this folder)."""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from reconciler.kinds.channel import MANAGED_BY_KEY


def channel_body(name: str, queue: str = "q-1", *, owner: str | None = None) -> dict[str, Any]:
    widget: dict[str, Any] = {"widgetId": "w-1", "theme": "default"}
    if owner is not None:
        widget["customAttributes"] = {MANAGED_BY_KEY: owner}
    return {
        "name": name,
        "description": f"channel {name}",
        "webMessagingWidgetConfiguration": widget,
        "securityPolicy": {
            "enabled": True,
            "allowedOrigins": ["https://www.example.com"],
            "requireConsent": True,
        },
        "routingConfiguration": {"queueId": queue},
    }


def write_specs(folder: Path, specs: dict[str, str]) -> None:
    """One JSON-as-YAML file per channel, ``{name: queue}``."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.yaml"):
        old.unlink()
    for index, (name, queue) in enumerate(sorted(specs.items())):
        text = json.dumps(channel_body(name, queue)) + "\n"
        (folder / f"c{index:03d}.yaml").write_text(text, encoding="utf-8")


@dataclass
class Hook:
    webhook_id: str
    event_type: str
    body: bytes
    verified: bool
    status: int


@dataclass
class HookReceiver:
    """Verifies each delivery with standardwebhooks. ``hold_types``: events of these types are
    held (``arrived`` is set) until ``release`` is set, then answered 204."""

    secret: str
    hold_types: frozenset[str] = frozenset()
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    hooks: list[Hook] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        try:
            Webhook(self.secret).verify(body, headers)
            verified = True
        except WebhookVerificationError:
            verified = False
        event_type = str(json.loads(body).get("type", ""))
        if event_type in self.hold_types and not self.release.is_set():
            self.arrived.set()
            self.release.wait(30)
        status = 204 if verified else 401
        with self.lock:
            self.hooks.append(
                Hook(headers.get("webhook-id", ""), event_type, body, verified, status)
            )
        return status

    def accepted_ids(self) -> set[str]:
        with self.lock:
            return {h.webhook_id for h in self.hooks if 200 <= h.status < 300}


class _QuietServer(ThreadingHTTPServer):
    request_queue_size = 64
    daemon_threads = True
    block_on_close = False


@contextlib.contextmanager
def serve_hooks(receiver: HookReceiver, tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """Serve ``receiver`` on 127.0.0.1 (over TLS with ``tls``); yields its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            status = receiver.handle({k.lower(): v for k, v in self.headers.items()}, body)
            with contextlib.suppress(OSError):
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = _QuietServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    scheme = "https" if tls is not None else "http"
    try:
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}/hooks"
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


@dataclass
class RawRequest:
    """What a raw server saw: the request line and the headers (lower-cased names)."""

    line: str
    headers: dict[str, str]


@dataclass
class RawServer:
    """A TCP listener on 127.0.0.1 whose answers ``respond(request, sock)`` writes by hand."""

    respond: Callable[[RawRequest, socket.socket], None]
    seen: list[RawRequest] = field(default_factory=list)
    port: int = 0
    url: str = ""


def _read_request(conn: socket.socket) -> RawRequest | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    return RawRequest(lines[0], headers)


@contextlib.contextmanager
def raw_server(
    respond: Callable[[RawRequest, socket.socket], None], host: str = "127.0.0.1"
) -> Iterator[RawServer]:
    """Serve each connection in a thread: read one request, let ``respond`` answer, close."""
    server = RawServer(respond)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, 0))
    listener.listen(64)
    listener.settimeout(0.05)
    server.port = listener.getsockname()[1]
    server.url = f"http://{host}:{server.port}"
    stop = threading.Event()

    def serve_one(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            with contextlib.suppress(OSError):
                request = _read_request(conn)
                if request is None:
                    return
                server.seen.append(request)
                respond(request, conn)

    def accept_loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=serve_one, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept_loop, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def http_response(
    status: int, body: bytes = b"", headers: dict[str, str] | None = None, *, length: bool = True
) -> bytes:
    reason = {200: "OK", 302: "Found", 307: "Temporary Redirect", 429: "Too Many Requests"}
    lines = [f"HTTP/1.1 {status} {reason.get(status, 'Whatever')}"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if length:
        lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


TOKEN_BODY = json.dumps(
    {"access_token": "tok-HOSTILE-BEARER-9f2c", "token_type": "bearer", "expires_in": 86400}
).encode()
