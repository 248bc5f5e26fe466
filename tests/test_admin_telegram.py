"""Document administration in Telegram, end to end: the real app under uvicorn, real
python-telegram-bot talking to the fake Bot API (getFile and the file download included), the
real engine on a private copy of the seeded index.

Uploads are handled after the webhook has answered (an ingest takes seconds), so the tests wait,
bounded, for the bot's reply."""
from __future__ import annotations

import itertools

import pytest

from bot import texts
from config.settings import Settings
from retrieval.engine import AnswerEngine
from tests import admin_files as files
from tests.telegram_fixtures import (  # noqa: F401 - fixtures
    callback_update, fake_api, message_update, new_chat_id, serve_app,
)

ADMIN = 880_000_001
_file_ids = itertools.count(1)


def document_update(chat_id: int, name: str, size: int, file_id: str, caption: str = "",
                    user_id: int | None = None) -> dict:
    """A private message carrying a file, as Telegram posts it."""
    update = message_update(chat_id, "x", user_id=user_id)
    message = update["message"]
    del message["text"]
    message["document"] = {"file_id": file_id, "file_unique_id": f"u-{file_id}", "file_name": name,
                           "mime_type": "application/octet-stream", "file_size": size}
    if caption:
        message["caption"] = caption
    return update


@pytest.fixture(scope="module")
def engine(seed_data_dir, tmp_path_factory) -> AnswerEngine:
    """This module's own copy of the seeded index (uploads must not touch the shared one)."""
    data = files.copy_data_dir(seed_data_dir, tmp_path_factory.mktemp("admin-telegram") / "data")
    return AnswerEngine.open(Settings(data_dir=data))


@pytest.fixture(scope="module")
def bot(serve_app, engine):
    return serve_app(engine, telegram_admin_ids=frozenset({str(ADMIN)}))


def send_file(bot, name: str, data: bytes, *, user_id: int = ADMIN, caption: str = "",
              declared_size: int | None = None) -> str:
    """Post a file message from a user's private chat; returns the file id."""
    file_id = f"f{next(_file_ids)}"
    bot.api.add_file(file_id, data, f"documents/{file_id}_{name}")
    update = document_update(user_id, name, len(data) if declared_size is None else declared_size,
                             file_id, caption=caption, user_id=user_id)
    assert bot.post_update(update).status_code == 200
    return file_id


def wait_replies(bot, chat_id: int, count: int) -> list[str]:
    """The chat's replies once there are `count` of them (uploads finish in the background)."""
    return files.wait_for(lambda: (r := bot.replies(chat_id)) and len(r) >= count and r,
                          message=f"{count} replies in chat {chat_id}")


def ask(bot, chat_id: int, question: str) -> str:
    bot.say(chat_id, question)
    return bot.replies(chat_id)[-1]


def sources_shown(bot, chat_id: int) -> str:
    """/nguon: the last answer's sources in full, file names included."""
    bot.say(chat_id, "/nguon")
    return bot.replies(chat_id)[-1]


def buttons(call) -> dict[str, str]:
    markup = call.params.get("reply_markup") or {"inline_keyboard": []}
    return {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}


def test_admin_uploads_a_docx_asks_about_it_then_deletes_it_with_confirmation(bot, engine):
    bot.api.reset()
    file_id = send_file(bot, "phien-dich-son-la.docx", files.docx_bytes())
    received, reply = wait_replies(bot, ADMIN, 2)[-2:]
    assert received == texts.UPLOAD_RECEIVED.format(name="phien-dich-son-la.docx")
    assert [c.params["file_id"] for c in bot.api.calls_of("getFile")] == [file_id]
    doc = next(d for d in engine.documents() if d["source"] == "phien-dich-son-la.docx")
    assert reply.startswith(texts.UPLOAD_ADDED.format(title=files.DOCX_TITLE))
    assert f"Số đoạn: {doc['chunks']}" in reply and f"Mã: {doc['doc_id']}" in reply
    assert f"Ngày: {texts.UPLOAD_NO_DATE}" in reply  # the document states no date
    sample = reply.split("Có thể hỏi ngay, ví dụ:\n", 1)[1].strip()
    assert "bao nhiêu" in sample
    files.assert_consistent(engine)

    answer = ask(bot, ADMIN, files.DOCX_QUESTION)
    assert files.DOCX_FACT in answer and files.DOCX_TITLE in answer
    assert "Tệp: phien-dich-son-la.docx" in sources_shown(bot, ADMIN)
    ask(bot, ADMIN, sample)  # the example the reply suggested is answered from the upload
    assert "Tệp: phien-dich-son-la.docx" in sources_shown(bot, ADMIN)

    bot.say(ADMIN, "/tailieu")
    listing = bot.replies(ADMIN)[-1]
    assert f"mã {doc['doc_id']}" in listing and "phien-dich-son-la.docx" in listing

    bot.say(ADMIN, f"/xoa {doc['doc_id']}")
    confirm = bot.last_sent(ADMIN)
    assert confirm.shown_text.startswith(f"Xóa tài liệu “{files.DOCX_TITLE}” (mã {doc['doc_id']}")
    assert engine.documents() and doc["doc_id"] in [d["doc_id"] for d in engine.documents()]  # not yet
    tap = callback_update(confirm.result, buttons(confirm)[texts.BUTTON_DELETE], user_id=ADMIN)
    assert bot.post_update(tap).status_code == 200
    done = bot.api.calls_of("editMessageText", ADMIN)[-1]
    assert done.shown_text == texts.DELETE_DONE.format(title=files.DOCX_TITLE, doc_id=doc["doc_id"])
    assert not done.params.get("reply_markup", {}).get("inline_keyboard")
    assert doc["doc_id"] not in [d["doc_id"] for d in engine.documents()]
    files.assert_consistent(engine)

    after = ask(bot, ADMIN, files.DOCX_QUESTION)
    assert files.DOCX_FACT not in after
    assert "phien-dich-son-la.docx" not in sources_shown(bot, ADMIN)
    audit = engine.audit_log(2)
    assert [(a["actor"], a["action"]) for a in audit] == [(f"telegram:{ADMIN}", "remove"),
                                                          (f"telegram:{ADMIN}", "add")]

    bot.say(ADMIN, "/tailieu")  # the deleted version shows in the history
    assert f"(v1, {texts.STATUS_DELETED}) — mã {doc['doc_id']}" in bot.replies(ADMIN)[-1]


def test_a_new_version_by_caption_replaces_the_old_in_answers(bot, engine):
    count = len(bot.replies(ADMIN))
    send_file(bot, "xe-kon-tum.txt", files.txt_bytes(4))
    first = wait_replies(bot, ADMIN, count + 2)[-1]
    assert first.startswith("✅")
    old = next(d for d in engine.documents() if d["source"] == "xe-kon-tum.txt")
    assert "4 xe đưa đón" in ask(bot, ADMIN, files.TXT_QUESTION)
    count = len(bot.replies(ADMIN))

    send_file(bot, "xe-kon-tum-moi.txt", files.txt_bytes(7), caption=f"Bản sửa đổi, thay {old['doc_id']}")
    reply = wait_replies(bot, ADMIN, count + 2)[-1]
    assert reply.startswith(texts.UPLOAD_REPLACED.format(version=2, title=files.TXT_TITLE, replaced=old["doc_id"]))
    answer = ask(bot, ADMIN, files.TXT_QUESTION)
    assert "7 xe đưa đón" in answer and "4 xe đưa đón" not in answer
    sources = sources_shown(bot, ADMIN)
    assert "Tệp: xe-kon-tum-moi.txt" in sources and "Tệp: xe-kon-tum.txt" not in sources
    bot.say(ADMIN, "/tailieu")
    assert f"(v1, {texts.STATUS_SUPERSEDED}) — mã {old['doc_id']}" in bot.replies(ADMIN)[-1]

    count = len(bot.replies(ADMIN))
    send_file(bot, "xe-kon-tum-moi-ban-sao.txt", files.txt_bytes(7))  # identical content
    assert wait_replies(bot, ADMIN, count + 2)[-1].startswith("ℹ️ Tài liệu")
    files.assert_consistent(engine)


def test_a_non_admin_file_is_refused_politely_and_never_downloaded(bot, engine):
    stranger = new_chat_id()
    before = files.index_state(engine)
    bot.api.reset()
    send_file(bot, "bao-cao.pdf", files.pdf_bytes(), user_id=stranger)
    assert wait_replies(bot, stranger, 1) == [texts.UPLOAD_NOT_ADMIN]
    assert bot.api.calls_of("getFile") == []
    assert files.index_state(engine) == before

    bot.say(stranger, "/xoa " + engine.documents()[0]["doc_id"])
    assert bot.replies(stranger)[-1] == texts.ADMIN_ONLY
    bot.say(stranger, "/tailieu")  # the public list: titles, no ids
    assert engine.documents()[0]["doc_id"] not in bot.replies(stranger)[-1]

    # A stranger tapping an admin's delete button (e.g. a forwarded message) deletes nothing.
    bot.say(ADMIN, "/xoa " + engine.documents()[0]["doc_id"])
    confirm = bot.last_sent(ADMIN)
    tap = callback_update(confirm.result, buttons(confirm)[texts.BUTTON_DELETE], user_id=stranger)
    bot.post_update(tap)
    assert bot.api.calls_of("answerCallbackQuery")[-1].params["text"] == texts.ADMIN_ONLY
    cancel = callback_update(confirm.result, buttons(confirm)[texts.BUTTON_CANCEL], user_id=ADMIN)
    bot.post_update(cancel)
    assert bot.api.calls_of("editMessageText", ADMIN)[-1].shown_text.startswith("Đã hủy")
    assert files.index_state(engine) == before


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("hong.pdf", files.CORRUPT_PDF, "PDF bị hỏng"),
    ("bom.docx", files.zip_bomb_docx(), "quá lớn"),
    ("trong.txt", b"   ", "trống"),
])
def test_a_bad_file_gets_a_clear_reason_and_changes_nothing(bot, engine, name, data, reason):
    before = files.index_state(engine)
    count = len(bot.replies(ADMIN))
    send_file(bot, name, data)
    reply = wait_replies(bot, ADMIN, count + 2)[-1]
    assert reply.startswith(f"❌ Không nạp được tệp “{name}”:") and reason in reply
    assert files.index_state(engine) == before


def test_a_file_over_20_mb_is_refused_without_downloading(bot, engine):
    bot.api.reset()
    count = len(bot.replies(ADMIN))
    send_file(bot, "lon.pdf", b"%PDF-1.4 tiny", declared_size=25 * 1024 * 1024)
    assert wait_replies(bot, ADMIN, count + 1)[-1] == texts.UPLOAD_TOO_LARGE.format(name="lon.pdf", limit=20)
    assert bot.api.calls_of("getFile") == []


def test_admin_help_and_delete_usage(bot, engine):
    bot.say(ADMIN, "/help")
    assert "/xoa MÃ" in bot.replies(ADMIN)[-1]
    bot.say(ADMIN, "/xoa")
    assert bot.replies(ADMIN)[-1].startswith("Xin ghi mã tài liệu sau lệnh")
    bot.say(ADMIN, "/xoa ffffffffffff")
    assert bot.replies(ADMIN)[-1] == texts.DELETE_UNKNOWN.format(doc_id="ffffffffffff")
    stranger = new_chat_id()
    bot.say(stranger, "/help")
    assert "/xoa" not in bot.replies(stranger)[-1]
