"""Hostile and unusual requests against a real `ngoaivu serve` (its own process, uvicorn, the real
engine, Telegram and Zalo wired to the local fakes): malformed JSON, arrays and wrong types, huge
and chunked bodies, odd Unicode, crafted callback data, forged, stale and replayed Zalo events.
None may get a 5xx, and the server must still answer afterwards.

The requests are generated from a fixed seed, so a failure names a request that can be replayed."""
from __future__ import annotations

import hashlib
import json
import os
import random
import socket
import subprocess
import sys
import time
from typing import Callable, Iterator

import httpx
import pytest

from ngoaivu.testing.fake_bot_api import TOKEN, FakeBotApi
from ngoaivu.testing.fake_zalo_api import APP_ID, OA_SECRET_KEY, FakeZaloApi

SECRET = "fuzz-webhook-secret_0123456789"
QUESTION = "Năm 2020 các địa phương ký bao nhiêu thỏa thuận quốc tế?"
TELEGRAM = "/telegram/webhook"
ZALO = "/zalo/webhook"
ASK = "/api/ask"
MIN_REQUESTS = 300

ODD_TEXTS = [
    "", " ", "\u200b\u200b", "\u202eđảo chiều\u202c", "😀" * 500, "a\u0301" * 300, "<b>đậm</b> & <script>x</script>",
    "\x00\x01\x02", "x" * 10_000, "\ud800 nửa cặp", "🇻🇳 " + QUESTION, "Ｑｕｙ ｃｈｅ ２７２", "ﷺ" * 50, "\n\n\n",
    "SELECT * FROM answers; --", "${jndi:ldap://x}", "{{7*7}}", "%s%s%n", "\r\nX-Injected: 1",
]
CALLBACK_DATA = [
    "src:", "src:1", "src:a:b", "src:1:2:3", "src:99999999999999999999999:1", "src:1:99999999999999999999",
    "src:-1:1", "src:١:٢", "src:1:1\n", "vote:1:up\n", "vote:1:sideways", "vote::up", "vote:1",
    "ans:", "ans:abc", "ans:99999999999999999999999", "del:../../etc", "del:", "keep:x", "del:" + "a" * 100,
    "\x00", "", ":" * 64, "src:1:1" * 9, "🙂", "stale-button-from-old-version",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _zalo_sign(body: bytes, timestamp: str) -> str:
    return "mac=" + hashlib.sha256(APP_ID.encode() + body + timestamp.encode() + OA_SECRET_KEY.encode()).hexdigest()


class Fuzzer:
    """Builds the hostile requests: each is a name and a function that sends it and returns the
    status (None when the server closed the connection instead of answering, which is fine)."""

    def __init__(self, url: str, client: httpx.Client, seed: int = 10) -> None:
        self.url, self.client, self.rng = url, client, random.Random(seed)
        self.ids = iter(range(900_000_000, 999_999_999))

    # -- senders ----------------------------------------------------------------------------
    def post(self, path: str, content: bytes | Iterator[bytes], headers: dict | None = None) -> int | None:
        try:
            return self.client.post(self.url + path, content=content, headers=headers or {}).status_code
        except (httpx.RemoteProtocolError, httpx.WriteError, httpx.ReadError):
            return None  # the server hung up on a body it refused: not an error answer

    def raw(self, data: bytes) -> int | None:
        """Bytes straight onto a socket: what no HTTP client would send."""
        host, port = self.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            try:
                sock.sendall(data)
                sock.shutdown(socket.SHUT_WR)
                reply = sock.recv(65536)
            except (ConnectionResetError, BrokenPipeError, socket.timeout):
                return None
        if not reply.startswith(b"HTTP/1.1 "):
            return None
        return int(reply.split(b" ", 2)[1])

    def telegram(self, body: bytes | Iterator[bytes], secret: str | None = SECRET) -> int | None:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret.encode("utf-8")  # may be non-ASCII
        return self.post(TELEGRAM, body, headers)

    def zalo(self, body: bytes | Iterator[bytes], signature: str | None) -> int | None:
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-ZEvent-Signature"] = signature.encode("utf-8")
        return self.post(ZALO, body, headers)

    def zalo_signed(self, event: object, timestamp: str | None = None) -> int | None:
        body = json.dumps(event, ensure_ascii=False).encode("utf-8", "surrogatepass")
        if timestamp is None:
            timestamp = str(event.get("timestamp")) if isinstance(event, dict) else ""
        return self.zalo(body, _zalo_sign(body, timestamp))

    # -- pieces -----------------------------------------------------------------------------
    def odd_value(self):
        return self.rng.choice([None, True, 0, -1, 2**70, 1.5e308, "", "x", [], [1, 2], {}, {"a": {"b": []}},
                                self.rng.choice(ODD_TEXTS)])

    def chat(self) -> dict:
        return {"id": self.rng.randint(10_000, 10_000_000), "type": "private", "first_name": "Lan"}

    def message(self, text) -> dict:
        chat = self.chat()
        return {"message_id": next(self.ids), "date": int(time.time()), "chat": chat, "text": text,
                "from": {"id": chat["id"], "is_bot": False, "first_name": "Lan"}}

    def update(self, **fields) -> bytes:
        return json.dumps({"update_id": next(self.ids), **fields}, ensure_ascii=False).encode("utf-8", "surrogatepass")

    def now_ms(self) -> str:
        return str(int(time.time() * 1000))

    def zalo_event(self, **fields) -> dict:
        user = str(self.rng.randint(10**17, 10**18))
        event = {"app_id": APP_ID, "event_name": "user_send_text", "timestamp": self.now_ms(),
                 "sender": {"id": user}, "recipient": {"id": "579745863508352884"},
                 "message": {"text": QUESTION, "msg_id": f"fuzz{next(self.ids)}"}}
        event.update(fields)
        return event

    # -- the requests -----------------------------------------------------------------------
    def requests(self) -> list[tuple[str, Callable[[], int | None]]]:
        r = self.rng
        out: list[tuple[str, Callable[[], int | None]]] = []

        def add(name: str, send: Callable[[], int | None]) -> None:
            out.append((name, send))

        # Telegram: bodies that are not Updates, with the right secret.
        for body in [b"", b"{", b"null", b"[]", b"[1, 2]", b'"update"', b"42", b"true", b"\xff\xfe\x00",
                     b"[" * 50_000 + b"]" * 50_000, b'{"update_id": "abc"}', b"{}", b'{"message": 1}',
                     b'{"update_id": 1, "message": []}', b'{"update_id": 1, "callback_query": "x"}',
                     b'{"update_id": 1, "message": {"chat": "x"}}', b'{"update_id": [], "message": {}}']:
            add(f"telegram body {body[:40]!r}", lambda body=body: self.telegram(body))
        for _ in range(40):  # Updates with fields of the wrong type
            fields = {"message": self.message(self.odd_value())}
            key = r.choice(["chat", "from", "date", "message_id", "entities", "reply_to_message", "document"])
            fields["message"][key] = self.odd_value()
            body = self.update(**fields)
            add(f"telegram wrong type {key}", lambda body=body: self.telegram(body))
        for text in ODD_TEXTS * 2:  # odd Unicode from a user
            body = self.update(message=self.message(text))
            add(f"telegram text {text[:20]!r}", lambda body=body: self.telegram(body))
        for data in CALLBACK_DATA:  # crafted button data, under a message the bot sent and under none
            for with_message in (True, False):
                query = {"id": str(next(self.ids)), "from": {"id": 4242, "is_bot": False, "first_name": "X"},
                         "chat_instance": "1", "data": data}
                if with_message:
                    query["message"] = {**self.message("câu trả lời"), "from": {"id": 1, "is_bot": True,
                                                                                   "first_name": "Bot"}}
                body = self.update(callback_query=query)
                add(f"telegram callback {data[:30]!r} message={with_message}",
                    lambda body=body: self.telegram(body))
        for secret in (None, "", "wrong", SECRET + "x", "é" * 10):
            add(f"telegram secret {secret!r}", lambda secret=secret: self.telegram(b"[]", secret))
        add("telegram 2 MB", lambda: self.telegram(b"[" + b"0," * 1_000_000 + b"0]"))
        add("telegram chunked 2 MB", lambda: self.telegram(iter([b"[" + b"0," * 4096] * 256 + [b"0]"])))
        add("telegram chunked small", lambda: self.telegram(iter([self.update(message=self.message(QUESTION))])))

        # Zalo: unsigned, forged, oversized, malformed but signed, stale, replayed.
        for _ in range(10):
            event = self.zalo_event()
            body = json.dumps(event).encode()
            add("zalo unsigned", lambda body=body: self.zalo(body, None))
            add("zalo forged", lambda body=body: self.zalo(body, "mac=" + "0" * 64))
            add("zalo forged odd", lambda body=body: self.zalo(body, r.choice(["mac=", "é", "mac=" + "g" * 64, "x" * 5000])))
        add("zalo 2 MB", lambda: self.zalo(b"{" + b" " * 2_000_000 + b"}", "mac=00"))
        add("zalo chunked 2 MB", lambda: self.zalo(iter([b" " * 65536] * 32), "mac=00"))
        for body in [b"", b"{", b"[]", b"null", b"[1]", b'"x"', b"[" * 50_000 + b"]" * 50_000]:
            add(f"zalo signed body {body[:20]!r}", lambda body=body: self.zalo(body, _zalo_sign(body, "")))
        for _ in range(40):
            key = r.choice(["event_name", "sender", "message", "timestamp", "follower", "recipient"])
            event = self.zalo_event(**{key: self.odd_value()})
            if key == "timestamp" and isinstance(event["timestamp"], (dict, list)):
                add("zalo signed odd timestamp", lambda event=event: self.zalo_signed(event, ""))
            else:
                add(f"zalo signed wrong type {key}", lambda event=event: self.zalo_signed(event))
        for _ in range(15):
            message = {"msg_id": f"fuzz{next(self.ids)}", "text": self.odd_value(),
                       "attachments": self.odd_value() if r.random() < 0.5 else [{"payload": self.odd_value()}]}
            event = self.zalo_event(event_name=r.choice(["user_send_text", "user_send_file", "follow"]), message=message)
            add("zalo signed odd message", lambda event=event: self.zalo_signed(event))
        for age_seconds in (3600, 86_400, 30 * 86_400, -3600):  # replays of old events, and the future
            event = self.zalo_event(timestamp=str(int((time.time() - age_seconds) * 1000)))
            add(f"zalo stale {age_seconds}", lambda event=event: self.zalo_signed(event))
        replayed = self.zalo_event()
        add("zalo genuine", lambda: self.zalo_signed(replayed))
        add("zalo replayed", lambda: self.zalo_signed(replayed))

        # /api/ask
        for body in [b"", b"{", b"[]", b"null", b'{"question": 12}', b'{"question": null}', b'{"question": ["a"]}',
                     b'{"question": {"$gt": ""}}', b'{"q": "x"}', b"[" * 50_000 + b"]" * 50_000,
                     b'{"question": "\\ud800"}', b'{"question": "\\u0000"}']:
            add(f"ask body {body[:30]!r}", lambda body=body: self.post(ASK, body, {"Content-Type": "application/json"}))
        for text in ODD_TEXTS:
            body = json.dumps({"question": text}).encode()
            add(f"ask text {text[:20]!r}", lambda body=body: self.post(ASK, body, {"Content-Type": "application/json"}))
        add("ask 1 MB", lambda: self.post(ASK, json.dumps({"question": "a" * 1_000_000}).encode(),
                                          {"Content-Type": "application/json"}))
        add("ask chunked 1 MB", lambda: self.post(ASK, iter([b'{"question": "'] + [b"a" * 65536] * 16 + [b'"}']),
                                                  {"Content-Type": "application/json"}))
        add("ask form", lambda: self.post(ASK, b"question=x", {"Content-Type": "application/x-www-form-urlencoded"}))

        # Below HTTP clients: broken framing.
        for raw in [b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}",
                    b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"question\"",
                    b"POST /telegram/webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\nhello",
                    b"POST /zalo/webhook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nX-ZEvent-Signature: mac=0\r\n\r\nzz\r\n",
                    b"GARBAGE\r\n\r\n", b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"]:
            add(f"raw {raw[:40]!r}", lambda raw=raw: self.raw(raw))
        for path in ["/", "/admin/api/documents", "/docs", "/openapi.json", "/nope", "/telegram/webhook?x=1"]:
            add(f"GET {path}", lambda path=path: self.client.get(self.url + path).status_code)
        return out


@pytest.fixture
def serve_process(fresh_data_dir, tmp_path) -> Iterator[tuple[str, FakeBotApi, FakeZaloApi]]:
    """`ngoaivu serve` in its own process, with Telegram and Zalo pointed at local fakes."""
    with FakeBotApi() as bot_api, FakeZaloApi() as zalo_api:
        access, refresh = zalo_api.issue_tokens()
        port = _free_port()
        env = {**os.environ, "NGOAIVU_DATA_DIR": str(fresh_data_dir), "HOST": "127.0.0.1", "PORT": str(port),
               "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET,
               "TELEGRAM_API_BASE_URL": bot_api.base_url, "TELEGRAM_FILE_BASE_URL": bot_api.file_base_url,
               "ZALO_APP_ID": APP_ID, "ZALO_OA_SECRET_KEY": OA_SECRET_KEY, "ZALO_ACCESS_TOKEN": access,
               "ZALO_REFRESH_TOKEN": refresh, "ZALO_API_BASE_URL": zalo_api.url, "ZALO_OAUTH_BASE_URL": zalo_api.url,
               "NGOAIVU_RATE_LIMIT_QUESTIONS": "1000", "PYTHONIOENCODING": "utf-8"}
        env.pop("NGOAIVU_API_TOKEN", None)
        log = tmp_path / "serve.log"
        with open(log, "wb") as output:
            process = subprocess.Popen([sys.executable, "-c", "from ngoaivu.cli import main; main()", "serve"],
                                       env=env, stdout=output, stderr=subprocess.STDOUT, cwd=tmp_path)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                assert process.poll() is None, log.read_text(errors="replace")
                try:
                    if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "ngoaivu serve did not start"
                time.sleep(0.2)
            yield url, bot_api, zalo_api, process, log
        finally:
            process.terminate()
            process.wait(timeout=60)


def test_hostile_requests_get_no_5xx_and_the_server_keeps_answering(serve_process):
    url, bot_api, zalo_api, process, log = serve_process
    with httpx.Client(timeout=30) as client:
        requests = Fuzzer(url, client).requests()
        assert len(requests) >= MIN_REQUESTS
        statuses: dict[str, int | None] = {}
        started = time.monotonic()
        for name, send in requests:
            statuses[name] = send()
        elapsed = time.monotonic() - started
        server_errors = {name: status for name, status in statuses.items() if status is not None and status >= 500}
        assert server_errors == {}, server_errors
        assert process.poll() is None, "the server died"

        # Still answering, on every face.
        assert client.get(url + "/healthz").status_code == 200
        answer = client.post(url + ASK, json={"question": QUESTION})
        assert answer.status_code == 200 and not answer.json()["refused"]
        chat = 77_000_001
        update = {"update_id": 1, "message": {"message_id": 1, "date": int(time.time()), "text": QUESTION,
                                              "chat": {"id": chat, "type": "private", "first_name": "Lan"},
                                              "from": {"id": chat, "is_bot": False, "first_name": "Lan"}}}
        sent = client.post(url + TELEGRAM, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        assert sent.status_code == 200
        assert any("119" in text for text in bot_api.sent_texts(chat))
    # Refusals are expected; the kinds of answer, for the report.
    counts: dict[str, int] = {}
    for status in statuses.values():
        counts[str(status)] = counts.get(str(status), 0) + 1
    print(f"\n{len(requests)} hostile requests in {elapsed:.1f} s: {dict(sorted(counts.items()))}")
    assert "Traceback" not in log.read_text(errors="replace"), log.read_text(errors="replace")[-5000:]
