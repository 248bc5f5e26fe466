"""A local stand-in for the Zalo endpoints the bot uses, for tests: a real HTTP server on 127.0.0.1.

- `POST /v3.0/oa/message/cs` (OA API v3, customer-service message): header `access_token`, JSON
  `{"recipient": {"user_id"}, "message": {"text"}}`; answers `{"error": 0, "message": "Success",
  "data": {"message_id", "user_id"}}`, or `{"error": -216, "message": "Access token is invalid"}`
  for an unknown or expired token, or `{"error": -201, ...}` for a text over 2,000 characters.
- `POST /v4/oa/access_token` (OAuth v4): header `secret_key`, form `refresh_token`, `app_id`,
  `grant_type=refresh_token`; issues a new pair with `expires_in` as a string, as Zalo does. A
  refresh token works once.
- `GET /files/<name>`: attachment downloads.

Every call is recorded; `fail_next` scripts failures (an HTTP status or a Zalo error code).
"""
from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import parse_qs, unquote, urlparse

from ngoaivu.testing.fake_bot_api import QuietHandler, QuietServer

APP_ID = "1234567890123456789"
APP_SECRET = "test-app-secret-key"
OA_SECRET_KEY = "test-oa-secret-key"
TEXT_LIMIT = 2000
ACCESS_TOKEN_SECONDS = 90000  # 25 hours, as Zalo issues them


@dataclass
class Call:
    """One request the fake received."""

    kind: str  # "send", "refresh" or "download"
    headers: dict
    params: dict
    status: int = 200
    answer: dict = field(default_factory=dict)
    done: bool = False  # the fake has decided its answer: before that, a call is never "ok"

    @property
    def user_id(self) -> str:
        return str((self.params.get("recipient") or {}).get("user_id", ""))

    @property
    def text(self) -> str:
        return str((self.params.get("message") or {}).get("text", ""))

    @property
    def token(self) -> str:
        return self.headers.get("access_token", "")

    @property
    def ok(self) -> bool:
        return self.done and self.status == 200 and self.answer.get("error", 0) == 0


class FakeZaloApi:
    """The fake server; use as a context manager."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.files: dict[str, bytes] = {}
        self.access_tokens: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self._failures: dict[str, list[tuple[int, dict]]] = {"send": [], "refresh": [], "download": []}
        self._serial = itertools.count(1)
        self._lock = threading.Lock()
        self.on_send: Callable[[Call], None] | None = None  # runs before a send is answered
        self.server = QuietServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeZaloApi":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- scripting and inspection ---------------------------------------------------------
    def issue_tokens(self) -> tuple[str, str]:
        """A new valid pair, as after authorizing the OA."""
        n = next(self._serial)
        access, refresh = f"access-{n}-{time.time_ns()}", f"refresh-{n}-{time.time_ns()}"
        with self._lock:
            self.access_tokens.add(access)
            self.refresh_tokens.add(refresh)
        return access, refresh

    def expire(self, access_token: str) -> None:
        """The access token stops working (its 25 hours are over)."""
        with self._lock:
            self.access_tokens.discard(access_token)

    def fail_next(self, kind: str, *, status: int = 200, error: int = 0, message: str = "") -> None:
        """The next `kind` call fails with this HTTP status, or with this Zalo error code."""
        with self._lock:
            self._failures[kind].append((status, {"error": error, "message": message}))

    def add_file(self, name: str, content: bytes) -> str:
        self.files[name] = content
        return f"{self.url}/files/{name}"

    def calls_of(self, kind: str, user_id: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self.calls
                    if c.kind == kind and (user_id is None or c.user_id == str(user_id))]

    def delivered(self, user_id: str) -> list[str]:
        """The texts the user received, in order."""
        return [c.text for c in self.calls_of("send", user_id) if c.ok]

    # -- the endpoints --------------------------------------------------------------------
    def _scripted(self, kind: str) -> tuple[int, dict] | None:
        with self._lock:
            return self._failures[kind].pop(0) if self._failures[kind] else None

    def send(self, call: Call) -> tuple[int, dict]:
        if self.on_send is not None:
            self.on_send(call)
        scripted = self._scripted("send")
        if scripted is not None:
            return scripted
        with self._lock:
            valid = call.token in self.access_tokens
        if not valid:
            return 200, {"error": -216, "message": "Access token is invalid"}
        text = (call.params.get("message") or {}).get("text")
        if not call.user_id or not isinstance(text, str) or not text.strip():
            return 200, {"error": -201, "message": "message is invalid"}
        if len(text) > TEXT_LIMIT:
            return 200, {"error": -201, "message": "text is too long"}
        return 200, {"error": 0, "message": "Success",
                     "data": {"message_id": f"m{next(self._serial)}", "user_id": call.user_id}}

    def refresh(self, call: Call) -> tuple[int, dict]:
        scripted = self._scripted("refresh")
        if scripted is not None:
            return scripted
        form = call.params
        if call.headers.get("secret_key") != APP_SECRET or form.get("app_id") != APP_ID:
            return 200, {"error": -14002, "error_name": "Invalid app", "error_reason": "",
                         "error_description": "app_id or secret_key is invalid"}
        if form.get("grant_type") != "refresh_token":
            return 200, {"error": -14001, "error_description": "grant_type is invalid"}
        with self._lock:
            known = form.get("refresh_token") in self.refresh_tokens
            self.refresh_tokens.discard(form.get("refresh_token"))  # single-use
        if not known:
            return 200, {"error": -14014, "error_name": "Invalid refresh token",
                         "error_description": "refresh_token is invalid or expired"}
        access, refresh = self.issue_tokens()
        return 200, {"access_token": access, "refresh_token": refresh,
                     "expires_in": str(ACCESS_TOKEN_SECONDS)}

    # -- HTTP -----------------------------------------------------------------------------
    def _handler_class(self):
        api = self

        class Handler(QuietHandler):
            def _record(self, kind: str, params: dict) -> Call:
                call = Call(kind, {k.lower(): v for k, v in self.headers.items()}, params)
                with api._lock:
                    api.calls.append(call)
                return call

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = urlparse(self.path).path
                if path == "/v3.0/oa/message/cs":
                    call = self._record("send", json.loads(body or b"{}"))
                    call.status, call.answer = api.send(call)
                    call.done = True
                elif path == "/v4/oa/access_token":
                    form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8")).items()}
                    call = self._record("refresh", form)
                    call.status, call.answer = api.refresh(call)
                    call.done = True
                else:
                    self._reply(404, b'{"error": 404, "message": "not found"}')
                    return
                self._reply(call.status, json.dumps(call.answer).encode("utf-8"))

            def do_GET(self) -> None:
                path = unquote(urlparse(self.path).path)
                if not path.startswith("/files/"):
                    self._reply(404, b"Not Found", "text/plain")
                    return
                call = self._record("download", {"name": path[len("/files/"):]})
                scripted = api._scripted("download")
                content = api.files.get(call.params["name"])
                call.status = scripted[0] if scripted is not None else 200 if content is not None else 404
                call.done = True
                if scripted is not None:
                    self._reply(call.status, b"error", "text/plain")
                    return
                if content is None:
                    self._reply(404, b"Not Found", "text/plain")
                    return
                self._reply(200, content, "application/octet-stream")

        return Handler
