"""A local stand-in for the Telegram Bot API, for tests: a real HTTP server on 127.0.0.1.

It answers the methods the bot uses with the Bot API's published shapes
(`{"ok": true, "result": ...}`, Message objects for sendMessage/editMessageText, errors as
`{"ok": false, "error_code": 400, "description": "Bad Request: ..."}`), parses HTML parse mode
the way Telegram does (rejecting unsupported tags, unescaped `<`/`&` and texts over 4,096
characters), and records every call for assertions.
"""
from __future__ import annotations

import email.parser
import email.policy
import json
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

BOT_ID = 7_000_000_001
BOT_USERNAME = "ngoaivu_test_bot"
TOKEN = "7000000001:TEST-token_for-the-fake-api"
TEXT_LIMIT = 4096

# Tag -> entity type, as in https://core.telegram.org/bots/api#html-style
_HTML_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "tg-spoiler": "spoiler", "span": "spoiler", "a": "text_link", "code": "code", "pre": "pre",
    "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class QuietHandler(BaseHTTPRequestHandler):
    """A stand-in's request handler: HTTP/1.1 keep-alive, no request log, one way to reply."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def _reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class QuietServer(ThreadingHTTPServer):
    """A test server that does not print a traceback when a client hangs up (a request cancelled
    at shutdown, a timed-out call): a clean run prints no tracebacks."""

    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


class BadRequest(Exception):
    """A Bot API error answer."""

    def __init__(self, description: str, code: int = 400) -> None:
        super().__init__(description)
        self.description, self.code = description, code


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str) -> tuple[str, list[dict]]:
    """Telegram's HTML parse mode: the plain text the phone shows, and its entities."""
    out: list[str] = []
    entities: list[dict] = []
    stack: list[tuple[str, int, dict]] = []
    offset = 0  # in UTF-16 code units, as Telegram counts
    i = 0
    while i < len(source):
        ch = source[i]
        if ch == "<":
            end = source.find(">", i)
            if end < 0:
                raise BadRequest(f"Bad Request: can't parse entities: Unclosed start tag at byte offset {i}")
            tag = source[i + 1:end].strip()
            if tag.startswith("/"):
                name = tag[1:].strip().lower()
                if not stack or stack[-1][0] != name:
                    raise BadRequest(
                        f"Bad Request: can't parse entities: Unmatched end tag at byte offset {i}, "
                        f"expected \"</{stack[-1][0] if stack else ''}>\", found \"</{name}>\""
                    )
                open_name, start, attrs = stack.pop()
                if offset > start:
                    entity = {"type": _HTML_TAGS[open_name], "offset": start, "length": offset - start}
                    if open_name == "a":
                        entity["url"] = attrs.get("href", "")
                    if open_name == "blockquote" and "expandable" in attrs:
                        entity["type"] = "expandable_blockquote"
                    entities.append(entity)
            else:
                name, _, rest = tag.partition(" ")
                name = name.lower()
                if name not in _HTML_TAGS:
                    raise BadRequest(
                        f"Bad Request: can't parse entities: Unsupported start tag \"{name}\" "
                        f"at byte offset {i}"
                    )
                attrs = dict(
                    (m.group(1).lower(), m.group(3) or "")
                    for m in re.finditer(r'([\w-]+)(="([^"]*)")?', rest)
                )
                stack.append((name, offset, attrs))
            i = end + 1
        elif ch == "&":
            match = _ENTITY.match(source, i)
            if not match:
                raise BadRequest(
                    f"Bad Request: can't parse entities: Character '&' is reserved and must be "
                    f"escaped with the preceding '\\\\' at byte offset {i}"
                )
            code = match.group(1)
            if code in _NAMED:
                text = _NAMED[code]
            elif code.startswith("#x"):
                text = chr(int(code[2:], 16))
            else:
                text = chr(int(code[1:]))
            out.append(text)
            offset += utf16_len(text)
            i = match.end()
        elif ch == ">":
            raise BadRequest(f"Bad Request: can't parse entities: Character '>' is reserved at byte offset {i}")
        else:
            out.append(ch)
            offset += utf16_len(ch)
            i += 1
    if stack:
        raise BadRequest(
            f"Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"{stack[-1][0]}\""
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


@dataclass
class Call:
    """One Bot API request as the fake server received it."""

    method: str
    params: dict
    at: float = field(default_factory=time.perf_counter)  # when it arrived (for the benchmark)
    shown_text: str | None = None  # sendMessage/editMessageText: the text as the phone shows it
    entities: list = field(default_factory=list)
    result: object = None  # what the fake answered (e.g. the Message sent)
    error: str = ""  # the error description, when it answered with an error


# Values that stay strings even when they look like JSON numbers.
_STRING_PARAMS = {"text", "caption", "callback_query_id", "secret_token", "url", "action",
                  "parse_mode", "file_id", "inline_message_id"}


def _decode(params: dict) -> dict:
    """python-telegram-bot sends form fields; non-strings arrive JSON-encoded."""
    decoded = {}
    for key, value in params.items():
        if key not in _STRING_PARAMS and isinstance(value, str):
            try:
                decoded[key] = json.loads(value)
                continue
            except ValueError:
                pass
        decoded[key] = value
    return decoded


class FakeBotApi:
    """Run with `with FakeBotApi() as api:`; point the bot at `api.base_url`/`api.file_base_url`."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id -> (file_path, content)
        self.updates: list[dict] = []  # for getUpdates
        self._messages: dict[tuple[int, int], dict] = {}
        self._next_message_id = 1000
        self._lock = threading.Condition()
        self._server = QuietServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- lifecycle ------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def file_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    def start(self) -> "FakeBotApi":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "FakeBotApi":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- what tests look at ---------------------------------------------------------------
    def reset(self) -> None:
        with self._lock:
            self.calls.clear()

    def calls_of(self, method: str, chat_id: int | None = None) -> list[Call]:
        with self._lock:
            return [
                c for c in self.calls
                if c.method == method and (chat_id is None or c.params.get("chat_id") == chat_id)
            ]

    def sent_texts(self, chat_id: int | None = None) -> list[str]:
        """What the phone shows for each sendMessage to the chat, in order."""
        return [c.shown_text or "" for c in self.calls_of("sendMessage", chat_id)]

    def add_file(self, file_id: str, content: bytes, file_path: str | None = None) -> None:
        self.files[file_id] = (file_path or f"documents/{file_id}.txt", content)

    def queue_update(self, update: dict) -> None:
        with self._lock:
            self.updates.append(update)
            self._lock.notify_all()

    # -- the Bot API ----------------------------------------------------------------------
    def _bot_user(self) -> dict:
        return {"id": BOT_ID, "is_bot": True, "first_name": "Ngoại vụ", "username": BOT_USERNAME}

    def _message(self, params: dict, text: str, entities: list[dict], message_id: int) -> dict:
        chat_id = int(params["chat_id"])
        chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
        if chat_id > 0:
            chat["first_name"] = "Cán bộ"
        else:
            chat["title"] = "Nhóm ngoại vụ"
        message = {"message_id": message_id, "from": self._bot_user(), "chat": chat,
                   "date": int(time.time()), "text": text}
        if entities:
            message["entities"] = entities
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    def _text(self, params: dict) -> tuple[str, list[dict]]:
        raw = params.get("text", "")
        if params.get("parse_mode") == "HTML":
            text, entities = parse_html(raw)
        else:
            text, entities = raw, []
        if not text.strip():
            raise BadRequest("Bad Request: message text is empty")
        if utf16_len(text) > TEXT_LIMIT:
            raise BadRequest("Bad Request: message is too long")
        return text, entities

    def dispatch(self, method: str, params: dict, call: Call):
        """The result of one Bot API method, or BadRequest."""
        if method == "getMe":
            return {**self._bot_user(), "can_join_groups": True,
                    "can_read_all_group_messages": False, "supports_inline_queries": False,
                    "can_connect_to_business": False, "has_main_web_app": False}
        if method == "sendMessage":
            text, entities = self._text(params)
            call.shown_text, call.entities = text, entities
            with self._lock:
                self._next_message_id += 1
                message_id = self._next_message_id
                message = self._message(params, text, entities, message_id)
                self._messages[(int(params["chat_id"]), message_id)] = message
            return message
        if method == "editMessageText":
            text, entities = self._text(params)
            call.shown_text, call.entities = text, entities
            key = (int(params["chat_id"]), int(params["message_id"]))
            with self._lock:
                old = self._messages.get(key)
                if old is None:
                    raise BadRequest("Bad Request: message to edit not found")
                new = self._message(params, text, entities, key[1])
                if old.get("text") == text and old.get("entities") == new.get("entities") and \
                        old.get("reply_markup") == new.get("reply_markup"):
                    raise BadRequest(
                        "Bad Request: message is not modified: specified new message content "
                        "and reply markup are exactly the same as a current content and reply "
                        "markup of the message"
                    )
                self._messages[key] = new
            return new
        if method == "answerCallbackQuery":
            if len(params.get("text", "")) > 200:
                raise BadRequest("Bad Request: MESSAGE_TOO_LONG")
            return True
        if method in ("sendChatAction", "setWebhook", "deleteWebhook", "setMyCommands"):
            return True
        if method == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        if method == "getFile":
            file_id = params.get("file_id", "")
            if file_id not in self.files:
                raise BadRequest("Bad Request: invalid file_id")
            path, content = self.files[file_id]
            return {"file_id": file_id, "file_unique_id": f"u{file_id}",
                    "file_size": len(content), "file_path": path}
        if method == "getUpdates":
            return self._get_updates(params)
        raise BadRequest("Not Found", code=404)

    def _get_updates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 2.0)
        with self._lock:
            while True:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
                if self.updates or time.monotonic() >= deadline:
                    return list(self.updates)
                self._lock.wait(timeout=max(0.0, deadline - time.monotonic()))

    # -- HTTP -----------------------------------------------------------------------------
    def _handler_class(self):
        api = self

        class Handler(QuietHandler):
            def _params(self) -> dict:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                query = {k: v[-1] for k, v in parse_qs(urlparse(self.path).query).items()}
                ctype = self.headers.get("Content-Type", "")
                if ctype.startswith("application/json") and body:
                    return {**query, **json.loads(body)}
                if ctype.startswith("multipart/form-data"):
                    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                        b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body
                    )
                    fields: dict = {}
                    for part in message.iter_parts():
                        name = part.get_param("name", header="content-disposition")
                        fields[name] = part.get_content() if part.get_content_maintype() == "text" \
                            else part.get_payload(decode=True)
                    return {**query, **_decode(fields)}
                form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8")).items()}
                return {**query, **_decode(form)}

            def _handle(self) -> None:
                path = unquote(urlparse(self.path).path)
                file_prefix = f"/file/bot{api.token}/"
                if path.startswith(file_prefix):
                    self._download(path[len(file_prefix):])
                    return
                match = re.fullmatch(r"/bot([^/]+)/(\w+)", path)
                if not match:
                    self._reply(404, json.dumps({"ok": False, "error_code": 404,
                                                 "description": "Not Found"}).encode())
                    return
                token, method = match.groups()
                params = self._params()
                if token != api.token:
                    self._reply(401, json.dumps({"ok": False, "error_code": 401,
                                                 "description": "Unauthorized"}).encode())
                    return
                call = Call(method, params)
                try:
                    result = api.dispatch(method, params, call)
                    call.result = result
                    status, payload = 200, {"ok": True, "result": result}
                except BadRequest as error:
                    call.error = error.description
                    status = error.code
                    payload = {"ok": False, "error_code": error.code, "description": error.description}
                finally:  # recorded once complete: a test polling the calls never sees one half-read
                    with api._lock:
                        api.calls.append(call)
                self._reply(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"))

            def _download(self, file_path: str) -> None:
                for path, content in api.files.values():
                    if path == file_path:
                        self._reply(200, content, "application/octet-stream")
                        return
                self._reply(404, b"Not Found", "text/plain")

            do_GET = _handle
            do_POST = _handle

        return Handler
