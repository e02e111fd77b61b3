"""The client against hostile servers on real sockets (127.0.0.1): garbage and truncated
answers, redirects to another listener (credentials must not follow), bytes trickled slowly,
and a storm of 429s. Each ends in a clean ``ReconcilerError`` within a bounded time."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeClock
from reliability_helpers import TOKEN_BODY, RawRequest, http_response, raw_server

from reconciler.cli import run
from reconciler.errors import ReconcilerError, TransportError
from reconciler.genesys.client import GenesysBackend
from reconciler.genesys.settings import Secret, Settings

pytestmark = pytest.mark.socket

SECRET = "sek-HOSTILE-CLIENT-SECRET-77aa"
BEARER = json.loads(TOKEN_BODY)["access_token"]


def settings(url: str, *, timeout: float = 2.0, attempts: int = 2) -> Settings:
    return Settings(
        environment="hostile",
        api_url=url,
        login_url=url,
        client_id=Secret("cid-hostile"),
        client_secret=Secret(SECRET),
        timeout_seconds=timeout,
        max_attempts=attempts,
        rate_per_minute=60000,
    )


async def no_sleep(seconds: float) -> None:
    return None


def call(
    url: str, operation: Callable[[GenesysBackend], Any], **kwargs: Any
) -> tuple[BaseException | Any, float]:
    """One call with real sockets and the real clock (backoff sleeps skipped); the outcome
    (a result or the ReconcilerError) and the seconds it took. Anything else propagates."""

    async def main() -> Any:
        client = GenesysBackend(settings(url, **kwargs), sleep=no_sleep)
        async with client:
            return await asyncio.wait_for(operation(client), timeout=30)

    started = time.monotonic()
    try:
        outcome: Any = asyncio.run(main())
    except ReconcilerError as exc:
        outcome = exc
    return outcome, time.monotonic() - started


def api(answer: bytes) -> Callable[[RawRequest, socket.socket], None]:
    """A server that hands out tokens and answers every API request with ``answer``."""

    def respond(request: RawRequest, conn: socket.socket) -> None:
        if request.line.startswith("POST /oauth/token"):
            conn.sendall(http_response(200, TOKEN_BODY, {"Content-Type": "application/json"}))
        else:
            conn.sendall(answer)

    return respond


GARBAGE = {
    "not-json": http_response(200, b"<html>hello</html>", {"Content-Type": "text/html"}),
    "binary": http_response(200, bytes(range(256)) * 4),
    "json-array": http_response(200, b"[1, 2, 3]", {"Content-Type": "application/json"}),
    "truncated": http_response(200, b'{"id": "x"', {"Content-Length": "500"}, length=False),
    "not-http": b"SSH-2.0-OpenSSH_9.0\r\n\r\n",
    "bad-status-line": b"HTTP/1.1 ninety-nine\r\n\r\n",
    "bad-chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
    "header-garbage": b"HTTP/1.1 200 OK\r\nX: \x00\x01\r\nContent-Length: 2\r\n\r\n{}",
    "close-without-answer": b"",
    "error-not-json": http_response(500, b"Internal Server Error"),
    "409-garbage": http_response(409, b'{"details": "nope", "code": 5}'),
}


@pytest.mark.parametrize("name", sorted(GARBAGE))
@pytest.mark.parametrize("operation", ["get", "create"])
def test_garbage_answers_give_a_clean_error(name: str, operation: str) -> None:
    ops: dict[str, Callable[[GenesysBackend], Any]] = {
        "get": lambda c: c.adapter("channel").get("id-1"),
        "create": lambda c: c.adapter("channel").create({"name": "x"}),
    }
    with raw_server(api(GARBAGE[name])) as server:
        outcome, seconds = call(server.url, ops[operation])
    assert isinstance(outcome, ReconcilerError), f"{name}: {outcome!r}"
    assert BEARER not in str(outcome)
    assert SECRET not in str(outcome)
    assert seconds < 10


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("target_host", ["127.0.0.1", "127.0.0.2"])
def test_a_redirect_never_carries_the_token_or_the_secret_elsewhere(
    status: int, target_host: str
) -> None:
    try:
        elsewhere_cm = raw_server(lambda r, c: c.sendall(http_response(200, b"{}")), target_host)
        elsewhere = elsewhere_cm.__enter__()
    except OSError:
        pytest.skip(f"cannot listen on {target_host} here")
    try:
        location = f"{elsewhere.url}/api/v2/webmessaging/channels/id-1"
        moved = http_response(status, b"", {"Location": location})
        with raw_server(api(moved)) as server:
            outcome, _ = call(server.url, lambda c: c.adapter("channel").get("id-1"))
        assert isinstance(outcome, TransportError)
        assert "redirect not followed" in str(outcome)
        # The token endpoint redirecting: the Basic credentials must not follow either.
        with raw_server(lambda r, c: c.sendall(moved)) as login:
            outcome, _ = call(login.url, lambda c: c.adapter("channel").get("id-1"))
        assert isinstance(outcome, ReconcilerError)
        time.sleep(0.1)
        assert elsewhere.seen == [], "a request followed the redirect"
    finally:
        elsewhere_cm.__exit__(None, None, None)


def trickle(delay: float, total: int) -> Callable[[RawRequest, socket.socket], None]:
    """Token at once; API answers 200 with ``total`` body bytes, one every ``delay`` s."""

    def respond(request: RawRequest, conn: socket.socket) -> None:
        if request.line.startswith("POST /oauth/token"):
            conn.sendall(http_response(200, TOKEN_BODY, {"Content-Type": "application/json"}))
            return
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {total}\r\n\r\n".encode())
        for _ in range(total):
            time.sleep(delay)
            conn.sendall(b" ")

    return respond


def test_a_server_slower_than_the_read_timeout_times_out() -> None:
    with raw_server(trickle(delay=2.0, total=5)) as server:
        outcome, seconds = call(server.url, lambda c: c.adapter("channel").get("id-1"), timeout=0.5)
    assert isinstance(outcome, TransportError)
    assert "ReadTimeout" in str(outcome)
    assert seconds < 0.5 * 2 + 2  # two attempts of one read timeout each, plus setup


def test_a_server_trickling_just_inside_the_read_timeout_is_cut_off() -> None:
    """One byte every 0.1 s never trips a 0.3 s per-read timeout; a 100,000-byte answer would
    take hours. The whole exchange has a deadline too (4 x the timeout, per attempt)."""
    with raw_server(trickle(delay=0.1, total=100_000)) as server:
        outcome, seconds = call(server.url, lambda c: c.adapter("channel").get("id-1"), timeout=0.3)
    assert isinstance(outcome, TransportError)
    assert "ReadTimeout" in str(outcome)
    assert seconds < 2 * (4 * 0.3 + 0.3) + 1, f"took {seconds:.1f} s"


def test_a_trickled_write_answer_is_an_unknown_outcome_not_a_repeat() -> None:
    with raw_server(trickle(delay=0.1, total=100_000)) as server:
        outcome, seconds = call(
            server.url, lambda c: c.adapter("channel").create({"name": "x"}), timeout=0.3
        )
        posts = [r for r in server.seen if r.line.startswith("POST /api")]
    assert type(outcome).__name__ == "OutcomeUnknownError"
    assert len(posts) == 1, "a POST whose answer was lost was sent again"
    assert seconds < 5


def storm(retry_after: str) -> Callable[[RawRequest, socket.socket], None]:
    body = json.dumps(
        {
            "message": "Rate limit exceeded the maximum",
            "code": "too.many.requests.retry.after",
            "status": 429,
        }
    ).encode()
    return api(
        http_response(429, body, {"Retry-After": retry_after, "Content-Type": "application/json"})
    )


def test_a_429_storm_ends_with_a_clear_error_in_bounded_time(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    virtual_clock: FakeClock,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "channels").mkdir()
    (tmp_path / "channels" / "a.yaml").write_text(
        "name: A\nwebMessagingWidgetConfiguration: {widgetId: w, theme: default}\n"
        "securityPolicy: {enabled: false, allowedOrigins: [], requireConsent: false}\n"
        "routingConfiguration: {queueId: q}\n",
        encoding="utf-8",
    )
    with raw_server(storm("1")) as server:
        for key, value in {
            "GENESYS_API_URL": server.url,
            "GENESYS_LOGIN_URL": server.url,
            "GENESYS_CLIENT_ID": "cid",
            "GENESYS_CLIENT_SECRET": SECRET,
            "RECONCILER_MAX_ATTEMPTS": "3",
        }.items():
            monkeypatch.setenv(key, value)
        monkeypatch.delenv("GENESYS_ENVIRONMENT", raising=False)
        started, virtual_started = time.monotonic(), virtual_clock()
        code = run(["plan"])
        seconds = time.monotonic() - started
        waited = virtual_clock() - virtual_started
        api_requests = [r for r in server.seen if "/api/" in r.line]
    err = capsys.readouterr().err
    assert code == 1
    assert "429" in err
    assert "too.many.requests" in err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert len(api_requests) == 3, "the attempts are bounded by RECONCILER_MAX_ATTEMPTS"
    # Two waits of Retry-After (1 s) between three attempts, on the client's (virtual) clock;
    # no endless wait, in real time either.
    assert 1.9 <= waited < 6, f"waited {waited:.1f} s"
    assert seconds < 6, f"took {seconds:.1f} s"
    print(f"429 storm: {len(api_requests)} requests, error after {waited:.2f} s of waits")


def test_a_429_storm_with_a_huge_retry_after_waits_at_most_the_cap_per_attempt() -> None:
    from reconciler.genesys.retry import MAX_RETRY_AFTER_SECONDS

    clock = FakeClock()

    async def main() -> None:
        with raw_server(storm("999999999")) as server:
            client = GenesysBackend(
                settings(server.url, attempts=5), clock=clock, sleep=clock.sleep
            )
            async with client:
                await client.adapter("channel").get("id-1")

    with pytest.raises(ReconcilerError, match="429"):
        asyncio.run(main())
    waits = [s for s in clock.slept if s > 0]
    assert len(waits) == 4
    assert max(waits) <= MAX_RETRY_AFTER_SECONDS
    print(f"429 storm, Retry-After 999999999: {len(waits)} waits, {sum(waits):.0f} s in total")
