"""The pytest fixtures of the Telegram and webhook tests: the fake Bot API and the real app under
real uvicorn (the pieces themselves live in ngoaivu.testing, which the bench and scripts use too)."""
from __future__ import annotations

from typing import Callable, Iterator

import httpx
import pytest

from ngoaivu.testing.fake_bot_api import FakeBotApi
from ngoaivu.testing.telegram import (  # noqa: F401 - the tests import these from here
    PUBLIC_URL, SECRET, LiveServer, Served, app_settings, bot_message, callback_update, message_update,
    new_chat_id,
)
from webhook.app import create_app


@pytest.fixture(scope="session")
def fake_api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as api:
        yield api


@pytest.fixture(scope="module")
def serve_app(fake_api, tmp_path_factory) -> Iterator[Callable[..., Served]]:
    """Start the real app (create_app) under uvicorn: serve_app(engine, **settings_overrides)."""
    servers: list[LiveServer] = []
    clients: list[httpx.Client] = []

    def start(engine, **overrides) -> Served:
        settings = app_settings(tmp_path_factory.mktemp("app-data"), fake_api, **overrides)
        live = LiveServer(create_app(settings, engine)).__enter__()
        servers.append(live)
        client = httpx.Client(timeout=60)
        clients.append(client)
        return Served(live.url, settings, fake_api, client)

    yield start
    for client in clients:
        client.close()
    for live in servers:
        live.__exit__(None, None, None)


@pytest.fixture(scope="module")
def served(serve_app, engine) -> Served:
    """The app with the real answer engine, talking to the fake Bot API."""
    return serve_app(engine)

