"""Telegram as the tests and the bench meet it: the real app under real uvicorn on a loopback port,
Updates shaped the way Telegram posts them, and a client that posts them."""
from __future__ import annotations

import itertools
import socket
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import uvicorn

from config.settings import Settings
from ngoaivu.testing.fake_bot_api import BOT_ID, BOT_USERNAME, TOKEN, FakeBotApi
from webhook.app import SECRET_HEADER, WEBHOOK_PATH

SECRET = "test-webhook-secret_0123456789"
PUBLIC_URL = "https://ngoaivu.example.test"

_update_ids = itertools.count(500_000)
_chat_ids = itertools.count(10_001)
_message_ids = itertools.count(1)


class LiveServer:
    """A FastAPI app served by uvicorn in a background thread on 127.0.0.1 (free port)."""

    def __init__(self, app) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the app did not start (see the log above)")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()


def new_chat_id(group: bool = False) -> int:
    chat = next(_chat_ids)
    return -(1_000_000_000_000 + chat) if group else chat


def message_update(
    chat_id: int, text: str, *, user_id: int | None = None, entities: list | None = None,
    reply_to: dict | None = None, update_id: int | None = None,
) -> dict:
    """A Telegram Update with a text message, as Telegram posts it."""
    user_id = user_id or (chat_id if chat_id > 0 else 42)
    chat = ({"id": chat_id, "type": "private", "first_name": "Lan"} if chat_id > 0
            else {"id": chat_id, "type": "supergroup", "title": "Phòng Ngoại vụ"})
    message = {
        "message_id": next(_message_ids),
        "from": {"id": user_id, "is_bot": False, "first_name": "Lan", "language_code": "vi"},
        "chat": chat,
        "date": int(time.time()),
        "text": text,
    }
    if text.startswith("/"):
        command = text.split()[0]
        entities = [{"type": "bot_command", "offset": 0, "length": len(command)}] + (entities or [])
    if entities:
        message["entities"] = entities
    if reply_to:
        message["reply_to_message"] = reply_to
    return {"update_id": update_id or next(_update_ids), "message": message}


def callback_update(sent: dict, data: str, *, user_id: int) -> dict:
    """A tap on an inline button under a message the bot sent (`sent` is that Message)."""
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": str(next(_update_ids)),
            "from": {"id": user_id, "is_bot": False, "first_name": "Lan"},
            "message": sent,
            "chat_instance": "-1234567890",
            "data": data,
        },
    }


def bot_message(chat_id: int, message_id: int, text: str) -> dict:
    """A message the bot sent earlier (for replies to it)."""
    return {"message_id": message_id, "date": int(time.time()), "text": text,
            "chat": {"id": chat_id, "type": "supergroup", "title": "Phòng Ngoại vụ"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Ngoại vụ",
                     "username": BOT_USERNAME}}


@dataclass
class Served:
    """The running app, its settings, the fake Bot API it talks to, and an HTTP client."""

    url: str
    settings: Settings
    api: FakeBotApi
    client: httpx.Client

    def post_update(self, update: dict, secret: str | None = SECRET) -> httpx.Response:
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        return self.client.post(self.url + WEBHOOK_PATH, json=update, headers=headers)

    def say(self, chat_id: int, text: str, **kwargs) -> httpx.Response:
        response = self.post_update(message_update(chat_id, text, **kwargs))
        assert response.status_code == 200, response.text
        return response

    def replies(self, chat_id: int) -> list[str]:
        return self.api.sent_texts(chat_id)

    def last_sent(self, chat_id: int):
        calls = self.api.calls_of("sendMessage", chat_id)
        assert calls, f"nothing was sent to chat {chat_id}"
        return calls[-1]

    @property
    def feedback_db(self) -> Path:
        return self.settings.data_dir / "conversation.sqlite3"


def app_settings(data_dir: Path, api: FakeBotApi, **overrides) -> Settings:
    settings = Settings(
        data_dir=data_dir,
        public_url=PUBLIC_URL,
        telegram_bot_token=TOKEN,
        telegram_webhook_secret=SECRET,
        telegram_api_base_url=api.base_url,
        telegram_file_base_url=api.file_base_url,
        rate_limit_questions=1000,  # the rate limit has its own test
    )
    return replace(settings, **overrides)
