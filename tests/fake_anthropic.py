"""A loopback fake of the Anthropic Messages API, for driving the real SDK in tests.

A real HTTP server on 127.0.0.1 answers POST /v1/messages from a per-test FIFO
script, with bodies shaped like the real API's, and records every request so tests
can assert on what the SDK actually sent (model, cache_control, headers...).
"""

from __future__ import annotations

import itertools
import json
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

MESSAGES = "/v1/messages"
COUNT_TOKENS = "/v1/messages/count_tokens"
CHARS_PER_TOKEN = 4


@dataclass
class Scripted:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    hold: threading.Event | None = None
    """The answer is sent only once the test sets it: a condition, not a delay."""


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


def error_body(error_type: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": error_type, "message": message}}


def approximate_tokens(body: dict[str, Any]) -> int:
    """Not a tokenizer: a labelled len/4 approximation over system and messages text."""
    return max(1, len(json.dumps([body.get("system"), body.get("messages")])) // CHARS_PER_TOKEN)


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up mid-delay (a cancelled activity) is not a test failure."""
        if not isinstance(sys.exception(), ConnectionError):
            super().handle_error(request, client_address)


class FakeAnthropic:
    def __init__(self) -> None:
        self.script: deque[Scripted] = deque()
        self.responder: Callable[[dict[str, Any]], None] | None = None
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._received = threading.Condition(self._lock)
        self._ids = itertools.count(1)
        self._stopping = threading.Event()
        self._server = QuietServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def messages(self) -> list[Recorded]:
        """Requests to POST /v1/messages only, in arrival order."""
        return [request for request in self.requests if request.path == MESSAGES]

    def wait_for_messages(self, count: int = 1) -> None:
        """Block until `count` Messages requests have arrived (run it in a thread)."""
        with self._received:
            self._received.wait_for(lambda: len(self.messages) >= count)

    def __enter__(self) -> FakeAnthropic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def ok(
        self,
        text: str,
        usage: dict[str, int] | None = None,
        delay_s: float = 0.0,
        stop_reason: str = "end_turn",
        hold: threading.Event | None = None,
    ) -> None:
        """Queue a successful message; the model is echoed from the request."""
        tokens = {
            "input_tokens": 100,
            "output_tokens": 50,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            **(usage or {}),
        }
        body = {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "text", "text": text}],
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": {
                **tokens,
                "cache_creation": {
                    "ephemeral_5m_input_tokens": tokens["cache_creation_input_tokens"],
                    "ephemeral_1h_input_tokens": 0,
                },
                "service_tier": "standard",
            },
        }
        self.script.append(Scripted(200, body, delay_s=delay_s, hold=hold))

    def error(
        self,
        status: int,
        type: str,
        message: str,
        headers: dict[str, str] | None = None,
        delay_s: float = 0.0,
    ) -> None:
        self.script.append(Scripted(status, error_body(type, message), headers or {}, delay_s))

    def _next(self, request: Recorded) -> Scripted:
        with self._lock:
            self.requests.append(request)
            self._received.notify_all()
            if request.path == COUNT_TOKENS:
                return Scripted(200, {"input_tokens": approximate_tokens(request.body)})
            if request.path != MESSAGES:
                return Scripted(404, error_body("not_found_error", f"fake: no {request.path}"))
            if not self.script and self.responder is not None:
                self.responder(request.body)
            if not self.script:
                return Scripted(
                    500,
                    error_body(
                        "api_error",
                        f"fake_anthropic: the script is empty; request #{len(self.messages)} "
                        "to POST /v1/messages was not expected by the test",
                    ),
                )
            scripted = self.script.popleft()
            if scripted.status == 200:
                body = {
                    "id": f"msg_fake_{next(self._ids):06d}",
                    "model": request.body.get("model"),
                    **scripted.body,
                }
                return Scripted(200, body, scripted.headers, scripted.delay_s, scripted.hold)
            return scripted

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b"{}"
                request = Recorded(
                    path=urlsplit(self.path).path,
                    headers={name.lower(): value for name, value in self.headers.items()},
                    body=json.loads(raw or b"{}"),
                )
                scripted = fake._next(request)
                if scripted.delay_s and fake._stopping.wait(scripted.delay_s):
                    return
                while scripted.hold is not None and not scripted.hold.wait(0.05):
                    if fake._stopping.is_set():
                        return
                try:
                    self.reply(scripted)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def reply(self, scripted: Scripted) -> None:
                payload = json.dumps(scripted.body).encode()
                self.send_response(scripted.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.send_header("request-id", f"req_fake_{len(fake.requests):06d}")
                for name, value in scripted.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the recorded requests are the log."""

        return Handler


@pytest.fixture(name="fake_anthropic")
def fake_anthropic_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAnthropic]:
    """The fake, with the SDK pointed at it through the environment a worker reads."""
    with FakeAnthropic() as fake:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
        yield fake
