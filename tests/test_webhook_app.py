"""The HTTP face: secret check, webhook registration, /api/ask, /healthz, failures -> 200."""
from __future__ import annotations

import json
import logging
import re

import httpx
import pytest

from bot import texts
from retrieval.engine import AnswerEngine
from tests.telegram_fixtures import (  # noqa: F401 - fixtures
    PUBLIC_URL, SECRET, callback_update, fake_api, message_update, new_chat_id, serve_app, served,
)
from webhook.app import SECRET_HEADER, WEBHOOK_PATH

QUESTION = "Năm 2020 các địa phương ký bao nhiêu thỏa thuận quốc tế?"


class FailingEngine(AnswerEngine):
    """An engine whose index is gone: every question fails inside the engine."""

    def __init__(self) -> None:  # no knowledge base at all
        pass

    def ask(self, question: str):
        raise RuntimeError("the knowledge base is unavailable")


def test_startup_registers_the_webhook_with_the_secret(served):
    registered = served.api.calls_of("setWebhook")[-1].params
    assert registered["url"] == PUBLIC_URL + WEBHOOK_PATH
    assert registered["secret_token"] == SECRET
    assert registered["allowed_updates"] == ["message", "callback_query"]
    commands = served.api.calls_of("setMyCommands")[-1].params["commands"]
    assert [c["command"] for c in commands] == ["start", "help", "tailieu", "nguon", "hoi"]


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x"])
def test_forged_or_missing_secret_is_refused_before_anything_is_sent(served, secret):
    chat = new_chat_id()
    before = len(served.api.calls)
    response = served.post_update(message_update(chat, QUESTION), secret=secret)
    assert response.status_code == 403
    assert len(served.api.calls) == before


def test_forged_secret_is_refused_even_with_a_body_that_is_not_json(served):
    response = served.client.post(served.url + WEBHOOK_PATH, content=b"\x00not json",
                                  headers={SECRET_HEADER: "nope"})
    assert response.status_code == 403


@pytest.mark.parametrize("body", [
    b"{not json", b"[]", b"[1, 2]", b'"update"', b"null", b"[" * 100_000 + b"]" * 100_000,
    b'{"update_id": "1"}', b'{"update_id": 1, "message": []}', b'{"update_id": 1, "message": {"chat": "x"}}',
])
def test_a_body_that_is_not_an_update_is_logged_and_acknowledged(served, caplog, body):
    """Telegram retries anything but a 2xx forever: a malformed update is logged, then dropped."""
    before = len(served.api.calls)
    with caplog.at_level(logging.WARNING):
        response = served.client.post(served.url + WEBHOOK_PATH, content=body, headers={SECRET_HEADER: SECRET})
    assert response.status_code == 200
    assert "Acknowledged" in caplog.text
    assert len(served.api.calls) == before


@pytest.mark.parametrize("data", [
    "src:", "src:1", "src:a:b", "src:1:2:3", "src:99999999999999999999999:1", "src:١:٢", "src:1:1\n",
    "vote:1:up\n", "vote:1:sideways", "ans:", "ans:99999999999999999999999", "del:../../x", "\x00", "",
])
def test_crafted_button_data_is_answered_as_a_stale_button(served, caplog, data):
    chat = new_chat_id()
    served.say(chat, QUESTION)
    sent = served.last_sent(chat).result
    with caplog.at_level(logging.WARNING):
        response = served.post_update(callback_update(sent, data, user_id=chat))
    assert response.status_code == 200
    assert served.api.calls_of("answerCallbackQuery")[-1].params.get("text") == texts.ANSWER_GONE
    assert "Error while handling update" not in caplog.text


def test_a_button_whose_message_is_gone_is_answered_as_stale(served, caplog):
    update = callback_update({}, "src:1:1", user_id=4242)
    del update["callback_query"]["message"]
    update["callback_query"]["inline_message_id"] = "inline-1"
    with caplog.at_level(logging.WARNING):
        assert served.post_update(update).status_code == 200
    assert served.api.calls_of("answerCallbackQuery")[-1].params.get("text") == texts.ANSWER_GONE
    assert "Error while handling update" not in caplog.text


def test_engine_failure_sends_an_apology_and_returns_200(serve_app, caplog):
    broken = serve_app(FailingEngine())
    chat = new_chat_id()
    update = message_update(chat, QUESTION)
    with caplog.at_level(logging.ERROR):
        response = broken.post_update(update)
    assert response.status_code == 200
    assert broken.replies(chat) == [texts.APOLOGY]
    assert f"Error while handling update {update['update_id']}" in caplog.text
    assert "the knowledge base is unavailable" in caplog.text


def test_api_ask_returns_the_answer_json_contract(served, engine):
    response = served.client.post(served.url + "/api/ask", json={"question": QUESTION})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"answer", "refused", "citations", "fact", "confidence", "records", "choices", "degraded",
                         "latency_ms"}
    assert body["degraded"] == ""
    assert body["records"] == []  # not a question about a series of events
    assert body["choices"] == []  # nor about a procedure
    expected = engine.ask(QUESTION).to_dict()
    assert body["answer"] == expected["answer"]
    assert body["refused"] is False
    assert body["fact"] == expected["fact"]
    assert body["citations"] == expected["citations"]
    assert set(body["citations"][0]) == {"n", "source", "title", "publisher", "date", "quote", "doc_id", "location"}
    assert isinstance(body["latency_ms"], float)


def test_api_ask_refuses_unanswerable_questions(served):
    response = served.client.post(served.url + "/api/ask", json={"question": "Cách nấu phở bò ngon tại nhà?"})
    assert response.status_code == 200
    assert response.json()["refused"] is True
    assert len(response.json()["citations"]) <= 3  # the nearest passages, offered as leads


@pytest.mark.parametrize(
    ("payload", "status", "detail"),
    [
        ({"question": "   "}, 400, "Anh/chị chưa nhập câu hỏi."),
        ({"question": "🙂🙂"}, 400, "Tôi chỉ hiểu câu hỏi viết bằng chữ."),
        ({"question": "a" * 10_000}, 400, "Câu hỏi quá dài (10.000 ký tự; tối đa 1.000 ký tự)."),
        ({}, 422, None),
        ({"question": 12}, 422, None),
    ],
)
def test_api_ask_rejects_bad_input_clearly(served, payload, status, detail):
    response = served.client.post(served.url + "/api/ask", json=payload)
    assert response.status_code == status
    if detail:
        assert response.json()["detail"].startswith(detail)


def test_healthz(served):
    response = served.client.get(served.url + "/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "telegram": True, "waiting_for": ""}


def test_without_a_token_the_api_works_and_the_webhook_is_off(serve_app, engine):
    plain = serve_app(engine, telegram_bot_token="")
    assert plain.client.get(plain.url + "/healthz").json()["telegram"] is False
    assert plain.post_update(message_update(new_chat_id(), QUESTION)).status_code == 503
    answered = plain.client.post(plain.url + "/api/ask", json={"question": QUESTION})
    assert answered.status_code == 200


def test_an_unset_secret_refuses_every_webhook_request(serve_app, engine):
    open_door = serve_app(engine, telegram_webhook_secret="")
    for secret in (None, ""):
        response = open_door.post_update(message_update(new_chat_id(), QUESTION), secret=secret)
        assert response.status_code == 403


def test_bot_downloads_files_from_the_file_base_url(served, fake_api):
    """getFile and the download go to TELEGRAM_API_BASE_URL / TELEGRAM_FILE_BASE_URL."""
    fake_api.add_file("doc-1", "Quy chế 272".encode())
    bot_url = served.settings.telegram_api_base_url + served.settings.telegram_bot_token
    meta = httpx.post(f"{bot_url}/getFile", data={"file_id": "doc-1"}).json()["result"]
    assert meta["file_path"] == "documents/doc-1.txt"

    import asyncio

    from telegram import Bot

    async def download() -> bytes:
        async with Bot(served.settings.telegram_bot_token,
                       base_url=served.settings.telegram_api_base_url,
                       base_file_url=served.settings.telegram_file_base_url) as bot:
            file = await bot.get_file("doc-1")
            return bytes(await file.download_as_bytearray())

    assert asyncio.run(download()) == "Quy chế 272".encode()


def test_a_chunked_body_is_capped_while_it_is_read_and_a_small_one_is_answered(served):
    before = len(served.api.calls)
    huge = served.client.post(served.url + WEBHOOK_PATH, content=iter([b"[" + b"0," * 8192] * 128),
                              headers={SECRET_HEADER: SECRET})
    assert huge.status_code == 413
    assert len(served.api.calls) == before
    chat = new_chat_id()
    update = json.dumps(message_update(chat, QUESTION)).encode()
    small = served.client.post(served.url + WEBHOOK_PATH, content=iter([update[:50], update[50:]]),
                               headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"})
    assert small.status_code == 200 and "119" in served.replies(chat)[-1]


def test_api_ask_refuses_a_body_over_the_cap_declared_or_chunked(served):
    big = json.dumps({"question": "a" * 100_000}).encode()
    declared = served.client.post(served.url + "/api/ask", content=big, headers={"Content-Type": "application/json"})
    assert declared.status_code == 413 and "quá lớn" in declared.json()["detail"]
    chunked = served.client.post(served.url + "/api/ask", content=iter([big[:1000], big[1000:]]),
                                 headers={"Content-Type": "application/json"})
    assert chunked.status_code == 413


def test_api_ask_needs_the_token_when_one_is_set(serve_app, engine):
    guarded = serve_app(engine, api_token="api-token_0123456789")
    url = guarded.url + "/api/ask"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "api-token_0123456789"}):
        refused = guarded.client.post(url, json={"question": QUESTION}, headers=headers)
        assert refused.status_code == 401 and "NGOAIVU_API_TOKEN" in refused.json()["detail"]
    answered = guarded.client.post(url, json={"question": QUESTION},
                                   headers={"Authorization": "Bearer api-token_0123456789"})
    assert answered.status_code == 200 and not answered.json()["refused"]
    schema = guarded.client.get(guarded.url + "/openapi.json").json()
    assert "ApiToken" in schema["components"]["securitySchemes"]


def test_docs_are_served_without_a_cdn(served):
    page = served.client.get(served.url + "/docs")
    assert page.status_code == 200
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert {a.rsplit("/", 1)[-1] for a in assets} >= {"swagger-ui-bundle.js", "swagger-ui.css"}
    for asset in assets:
        assert asset.startswith("/"), asset  # served by the app itself
        fetched = served.client.get(served.url + asset)
        assert fetched.status_code == 200 and len(fetched.content) > 1000, asset
    assert "http" not in " ".join(re.findall(r"<script[^>]*>|<link[^>]*>", page.text))
    assert "/api/ask" in served.client.get(served.url + "/openapi.json").json()["paths"]


def test_an_oversized_body_is_refused(served):
    before = len(served.api.calls)
    response = served.client.post(served.url + WEBHOOK_PATH, content=b"{" + b" " * 1_100_000 + b"}",
                                  headers={SECRET_HEADER: SECRET})
    assert response.status_code == 413
    assert len(served.api.calls) == before
