"""The emulator over real HTTP/1.1 on a loopback socket (stdlib ThreadingHTTPServer).

``serve_in_thread`` runs it in a background thread for tests and for ``sandbox serve``.
A response's ``delay`` is a real wait (cut short when the server stops); ``drop`` closes the
connection without a byte of response. Only loopback hosts are accepted: the sandbox accepts
any credentials by default and must never face a network.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import sys
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from reconciler.errors import ConfigError
from reconciler.loopback import is_loopback_host
from reconciler.sandbox.app import SandboxApp
from reconciler.sandbox.wire import (
    CORRELATION_HEADER,
    JSON_TYPE,
    MAX_BODY_BYTES,
    SandboxRequest,
    SandboxResponse,
    all_values,
    encode,
    first_values,
)

#: Bodies above this are refused unread (the API's own 413 limit is far lower).
MAX_READ_BYTES = 16 * MAX_BODY_BYTES
_STOP_TIMEOUT = 5.0


def _error(status: int, code: str, message: str) -> SandboxResponse:
    correlation_id = str(uuid.uuid4())
    body = {
        "message": message,
        "code": code,
        "status": status,
        "contextId": correlation_id,
        "details": [],
        "errors": [],
    }
    headers = {CORRELATION_HEADER: correlation_id, "Content-Type": JSON_TYPE}
    return SandboxResponse(status=status, headers=headers, body=encode(body))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer
    timeout = 30  # idle keep-alive connections close after this

    def setup(self) -> None:
        super().setup()
        # Headers and body are separate writes: without this, Nagle's algorithm meets the
        # client's delayed ACK and every response stalls about 40 ms.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: nothing below the CLI prints."""

    def _read_body(self) -> bytes | SandboxResponse:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        raw = self.headers.get("Content-Length", "0").strip() or "0"
        if not raw.isdigit():
            return _error(400, "bad.request", "Invalid Content-Length.")
        length = int(raw)
        if length > MAX_READ_BYTES:
            return _error(413, "request.entity.too.large", "The request body is too large.")
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes | SandboxResponse:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024).split(b";")[0].strip()
            try:
                size = int(line, 16)
            except ValueError:
                return _error(400, "bad.request", "Invalid chunked body.")
            if size == 0:
                while self.rfile.readline(1024).strip():
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > MAX_READ_BYTES:
                return _error(413, "request.entity.too.large", "The request body is too large.")
            chunks.append(self.rfile.read(size))
            self.rfile.readline(8)

    def _serve(self) -> None:
        body = self._read_body()
        if isinstance(body, SandboxResponse):
            self.close_connection = True
            self._write(body)
            return
        parts = urlsplit(self.path)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        request = SandboxRequest(
            method=self.command.upper(),
            path=unquote(parts.path),
            query=first_values(pairs),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
            query_all=all_values(pairs),
        )
        try:
            response = self.server.app.handle(request)
        except Exception:
            response = _error(500, "internal.server.error", "The sandbox failed to answer.")
        if response.delay > 0 and self.server.stopping.wait(response.delay):
            self.close_connection = True
            return
        if response.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._write(response)

    def _write(self, response: SandboxResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.status not in (204, 304):
            self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if response.body and self.command != "HEAD":
            self.wfile.write(response.body)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], app: SandboxApp) -> None:
        self.app = app
        self.stopping = threading.Event()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-answer (a cancelled request, a killed run) is normal for
        a server: not a traceback on stderr. Anything else is reported as socketserver does."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


class SandboxServer:
    """A running server: ``url`` (``http://127.0.0.1:PORT``), ``host``, ``port``, ``app``."""

    def __init__(self, app: SandboxApp, host: str, port: int) -> None:
        bind_host = _loopback(host)
        server_class = _HTTPServer6 if ":" in bind_host else _HTTPServer
        try:
            self._server = server_class((bind_host, port), app)
        except OSError as exc:
            raise ConfigError(
                f"cannot listen on {bind_host}:{port}: {exc.strerror or exc}"
            ) from exc
        self.app = app
        self.host = bind_host
        self.port = int(self._server.server_address[1])
        shown = f"[{bind_host}]" if ":" in bind_host else bind_host
        self.url = f"http://{shown}:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"sandbox-{self.port}",
            daemon=True,
        )

    def __repr__(self) -> str:
        return f"SandboxServer(url={self.url!r})"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, wake delayed answers, close the socket; bounded."""
        self._server.stopping.set()
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(_STOP_TIMEOUT)
        self._server.server_close()


def _loopback(host: str) -> str:
    """The address to bind for a loopback ``host``; ConfigError for any other host."""
    if not is_loopback_host(host):
        raise ConfigError(
            f"the sandbox serves only on a loopback address (127.0.0.1, ::1), not {host!r}"
        )
    name = host.strip().strip("[]").rstrip(".").lower()
    return "127.0.0.1" if name == "localhost" else str(ipaddress.ip_address(name))


@contextlib.contextmanager
def serve_in_thread(
    app: SandboxApp, host: str = "127.0.0.1", port: int = 0
) -> Iterator[SandboxServer]:
    """Serve ``app`` on ``host:port`` (0 = a free port) while the block runs."""
    server = SandboxServer(app, host, port)
    server.start()
    try:
        yield server
    finally:
        server.stop()
