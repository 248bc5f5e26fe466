"""The Telegram channel end to end: Updates posted to the real app under uvicorn, the real
python-telegram-bot talking to the local fake Bot API, the real answer engine."""
from __future__ import annotations

import json
import sqlite3
import time

from bot import texts
from bot.telegram.channel import TYPING_AFTER_SECONDS
from retrieval.engine import AnswerEngine
from knowledge.answers import Answer, Citation
from ngoaivu.testing.fake_bot_api import BOT_USERNAME, utf16_len
from tests.telegram_fixtures import (  # noqa: F401 - fixtures
    bot_message, callback_update, fake_api, message_update, new_chat_id, serve_app, served,
)

QUESTION = "Năm 2020 các địa phương ký bao nhiêu thỏa thuận quốc tế?"
UNANSWERABLE = "Cách nấu phở bò ngon tại nhà?"


def _bold(call) -> list[str]:
    """The bold runs of a sent message, as the phone shows them."""
    text16 = call.shown_text.encode("utf-16-le")
    return [
        text16[2 * e["offset"]:2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in call.entities if e["type"] == "bold"
    ]


def _buttons(call) -> list[tuple[str, str]]:
    markup = call.params.get("reply_markup") or {"inline_keyboard": []}
    return [(b["text"], b["callback_data"]) for row in markup["inline_keyboard"] for b in row]


def test_question_is_answered_with_the_fact_in_bold_and_its_source(served, engine):
    chat = new_chat_id()
    expected = engine.ask(QUESTION)
    assert not expected.refused and expected.citations

    served.say(chat, QUESTION)

    methods = [c.method for c in served.api.calls if c.params.get("chat_id") == chat]
    assert methods == ["sendMessage"]  # a fast answer needs no "typing…" first: one call
    sent = served.last_sent(chat)
    assert sent.params["parse_mode"] == "HTML"
    shown = sent.shown_text
    assert "119" in shown  # the figure the seed document gives for 2020
    assert expected.answer in shown
    assert _bold(sent)[0] == expected.fact
    first = expected.citations[0]
    assert "Nguồn:" in shown
    assert f"[1] {first.title} — {first.publisher}" in shown
    buttons = _buttons(sent)
    assert buttons[0][0] == "📄 Nguồn [1]" and buttons[0][1].startswith("src:")
    assert [text for text, _ in buttons[-2:]] == ["👍", "👎"]


def test_unaccented_question_is_answered(served):
    chat = new_chat_id()
    served.say(chat, "nam 2020 cac dia phuong ky bao nhieu thoa thuan quoc te")
    shown = served.replies(chat)[-1]
    assert "119" in shown
    assert "Nguồn:" in shown


def test_unanswerable_question_is_refused_with_leads_not_sources(served, engine):
    chat = new_chat_id()
    served.say(chat, UNANSWERABLE)
    sent = served.last_sent(chat)
    refusal = engine.ask(UNANSWERABLE)
    assert refusal.refused and sent.shown_text == refusal.answer
    assert "tài liệu hiện có không có thông tin" in sent.shown_text
    assert "Nguồn:" not in sent.shown_text  # the nearest passages are offered as leads, not as sources
    buttons = [text for text, _ in _buttons(sent)]
    assert buttons[-2:] == ["👍", "👎"]
    assert buttons[:-2] == [f"📄 Nguồn [{c.n}]" for c in refusal.citations]  # each lead's passage on a tap


def test_citation_button_shows_the_quote_and_back_restores_the_answer(served, engine):
    chat = new_chat_id()
    served.say(chat, QUESTION)
    answer_call = served.last_sent(chat)
    source_data = dict(_buttons(answer_call))["📄 Nguồn [1]"]

    tap = callback_update(answer_call.result, source_data, user_id=chat)
    assert served.post_update(tap).status_code == 200

    answered = served.api.calls_of("answerCallbackQuery")[-1]
    assert answered.params["callback_query_id"] == tap["callback_query"]["id"]
    edit = served.api.calls_of("editMessageText", chat)[-1]
    assert edit.params["message_id"] == answer_call.result["message_id"]
    quote = engine.ask(QUESTION).citations[0].quote
    assert edit.shown_text.startswith("Đoạn trích nguồn [1]")
    assert quote in edit.shown_text
    assert any(e["type"] == "blockquote" for e in edit.entities)
    back_data = dict(_buttons(edit))[texts.BUTTON_BACK]

    back = callback_update(edit.result, back_data, user_id=chat)
    assert served.post_update(back).status_code == 200
    restored = served.api.calls_of("editMessageText", chat)[-1]
    assert restored.shown_text == answer_call.shown_text
    assert _buttons(restored) == _buttons(answer_call)


def test_feedback_is_stored_with_question_answer_and_citations(served, engine):
    chat = new_chat_id()
    served.say(chat, QUESTION)
    answer_call = served.last_sent(chat)
    votes = dict(_buttons(answer_call))

    served.post_update(callback_update(answer_call.result, votes["👍"], user_id=chat))
    thanks = served.api.calls_of("answerCallbackQuery")[-1]
    assert thanks.params["text"] == texts.THANKS_UP
    served.post_update(callback_update(answer_call.result, votes["👎"], user_id=chat))

    with sqlite3.connect(served.feedback_db) as db:
        db.row_factory = sqlite3.Row
        answer_id = int(votes["👎"].split(":")[1])
        rows = db.execute("SELECT * FROM feedback WHERE answer_id = ?", (answer_id,)).fetchall()
    assert len(rows) == 1  # the second tap changed the vote
    row = rows[0]
    assert row["vote"] == -1
    # Kept under keyed pseudonyms: neither the user nor the chat is named in clear.
    assert len(row["user_id"]) == 32 and str(chat) not in row["user_id"] + row["chat_id"]
    assert row["question"] == QUESTION
    assert row["answer"] == engine.ask(QUESTION).answer
    citations = json.loads(row["citations"])
    assert citations[0]["source"] == engine.ask(QUESTION).citations[0].source
    assert row["created_at"]


def test_a_retried_update_is_answered_once(served):
    chat = new_chat_id()
    update = message_update(chat, QUESTION)
    assert served.post_update(update).status_code == 200
    assert served.post_update(update).status_code == 200
    assert len(served.api.calls_of("sendMessage", chat)) == 1


def test_html_in_the_question_is_shown_as_text(served):
    chat = new_chat_id()
    question = "Năm 2020 các địa phương ký bao nhiêu <b>thỏa thuận</b> quốc tế? <script> & </i>"
    served.say(chat, question)
    reply = served.last_sent(chat)
    assert reply.error == ""  # the Bot API accepted the HTML
    assert reply.shown_text != texts.APOLOGY

    served.say(chat, "/nguon")
    sources = served.last_sent(chat)
    assert sources.error == ""
    assert question in sources.shown_text  # the user's tags arrive as the characters typed
    assert "&lt;script&gt;" in sources.params["text"]


def test_document_text_is_escaped(served, engine):
    chat = new_chat_id()
    served.say(chat, "/tailieu")
    shown = served.last_sent(chat).shown_text
    documents = engine.documents()
    assert f"Tài liệu đang lưu ({len(documents)}):" in shown
    for doc in documents:
        assert doc["title"] in shown
    assert "Báo Thế giới & Việt Nam (TG&VN)" in shown  # "&" from a document, escaped and shown


def test_ten_thousand_characters_get_a_clear_reply(served):
    chat = new_chat_id()
    served.say(chat, ("Hội nghị Ngoại vụ toàn quốc " * 400)[:10_000])
    assert served.replies(chat) == [
        "Câu hỏi quá dài (10.000 ký tự; tối đa 1.000 ký tự). "
        "Xin anh/chị rút gọn, chỉ giữ phần câu hỏi chính."
    ]


def test_empty_emoji_and_control_characters(served):
    chat = new_chat_id()
    served.say(chat, "😀🎉👍")
    assert served.replies(chat)[-1].startswith("Tôi chỉ hiểu câu hỏi viết bằng chữ.")
    served.say(chat, "\u200b \u200b")
    assert served.replies(chat)[-1].startswith("Anh/chị chưa nhập câu hỏi.")
    served.say(chat, "\x00\x07" + QUESTION + "\x1b")
    assert "119" in served.replies(chat)[-1]


def test_group_message_without_mention_is_ignored(served):
    group = new_chat_id(group=True)
    served.say(group, QUESTION, user_id=77)
    assert served.api.calls_of("sendMessage", group) == []
    assert served.api.calls_of("sendChatAction", group) == []


def test_group_answers_a_mention_a_reply_and_hoi(served):
    group = new_chat_id(group=True)
    mention = f"@{BOT_USERNAME}"
    served.say(group, f"{mention} {QUESTION}", user_id=77,
               entities=[{"type": "mention", "offset": 0, "length": len(mention)}])
    first = served.last_sent(group)
    assert "119" in first.shown_text
    assert first.params["reply_parameters"]["message_id"]  # quotes the question it answers

    served.say(group, QUESTION, user_id=78, reply_to=bot_message(group, 5, "..."))
    served.say(group, f"/hoi {QUESTION}", user_id=79)
    served.say(group, "/hoi", user_id=79)
    replies = served.replies(group)
    assert len(replies) == 4
    assert "119" in replies[1] and "119" in replies[2]
    assert replies[3].startswith("Xin gõ câu hỏi sau lệnh /hoi")


def test_follow_up_is_read_with_the_previous_question(served, engine):
    chat = new_chat_id()
    served.say(chat, QUESTION)
    served.say(chat, "còn năm 2019 thì sao?")
    understood = "Năm 2019 các địa phương ký bao nhiêu thỏa thuận quốc tế?"
    shown = served.replies(chat)[-1]
    assert shown.startswith(f"Hiểu câu hỏi là: {understood}")
    assert engine.ask(understood).answer in shown

    served.say(chat, "Hội nghị Ngoại vụ toàn quốc lần thứ 21 có chủ đề gì?")
    served.say(chat, "ai chủ trì hội nghị đó?")
    assert served.replies(chat)[-1].startswith(
        "Hiểu câu hỏi là: Ai chủ trì Hội nghị Ngoại vụ toàn quốc lần thứ 21?"
    )

    other = new_chat_id()  # context belongs to its own chat
    served.say(other, "còn năm 2019 thì sao?")
    assert not served.replies(other)[-1].startswith("Hiểu câu hỏi là")


def test_start_help_and_sources_commands(served, engine):
    chat = new_chat_id()
    served.say(chat, "/nguon")
    assert served.replies(chat)[-1] == texts.NO_LAST_ANSWER
    served.say(chat, "/start")
    welcome = served.replies(chat)[-1]
    assert welcome.startswith("Xin chào!")
    for example in texts.EXAMPLE_QUESTIONS:
        assert example in welcome
    served.say(chat, "/help")
    assert f"@{BOT_USERNAME}" in served.replies(chat)[-1]
    assert "/tailieu" in served.replies(chat)[-1]

    served.say(chat, QUESTION)
    served.say(chat, "/nguon")
    full = served.replies(chat)[-1]
    citation = engine.ask(QUESTION).citations[0]
    assert full.startswith("Nguồn của câu trả lời gần nhất\n" + QUESTION)
    assert citation.quote in full
    assert f"Tệp: {citation.source}" in full


def test_non_text_message_gets_a_polite_reply(served):
    chat = new_chat_id()
    update = message_update(chat, "x")
    del update["message"]["text"]
    update["message"]["sticker"] = {
        "file_id": "s1", "file_unique_id": "us1", "type": "regular", "width": 512,
        "height": 512, "is_animated": False, "is_video": False,
    }
    assert served.post_update(update).status_code == 200
    assert served.replies(chat) == [texts.NOT_TEXT]


def test_rate_limit_answers_politely(serve_app, engine):
    limited = serve_app(engine, rate_limit_questions=2, rate_limit_seconds=3600)
    chat = new_chat_id()
    for _ in range(3):
        limited.say(chat, QUESTION)
    replies = limited.replies(chat)
    assert "119" in replies[0] and "119" in replies[1]
    assert replies[2].startswith("Anh/chị đang hỏi hơi nhanh. Xin đợi khoảng ")
    assert replies[2].endswith(" giây rồi hỏi tiếp. Xin cảm ơn!")


class LongAnswerEngine(AnswerEngine):
    """An engine that answers at length (a guidance summary of 60 paragraphs)."""

    PARAGRAPHS = [f"Mục {i}: các địa phương cần chủ động <phối hợp> & báo cáo kịp thời. " * 6
                  for i in range(60)]

    def __init__(self) -> None:  # answers without a knowledge base
        pass

    def ask(self, question: str) -> Answer:
        citations = [Citation(n, f"00{n}.txt", f"Hướng dẫn {n}", "Bộ Ngoại giao", "01/01/2024",
                              f"Trích {n}", f"d{n}") for n in (1, 2)]
        return Answer(question, "\n\n".join(self.PARAGRAPHS), False, citations, fact="Mục 0")


def test_a_long_reply_is_split_below_the_limit_on_paragraphs(serve_app):
    long = serve_app(LongAnswerEngine())
    chat = new_chat_id()
    long.say(chat, "Tóm tắt hướng dẫn về đối ngoại địa phương?")
    parts = long.api.calls_of("sendMessage", chat)
    assert len(parts) > 1
    assert all(p.error == "" and utf16_len(p.shown_text) < 4096 for p in parts)
    assert [bool(p.params.get("reply_markup")) for p in parts] == [False] * (len(parts) - 1) + [True]
    paragraphs = [para for p in parts for para in p.shown_text.split("\n\n")]
    assert [para.strip() for para in paragraphs[:60]] == [para.strip() for para in LongAnswerEngine.PARAGRAPHS]
    assert paragraphs[60] == "Nguồn:\n[1] Hướng dẫn 1 — Bộ Ngoại giao, 01/01/2024\n[2] Hướng dẫn 2 — Bộ Ngoại giao, 01/01/2024"


class SlowEngine:
    """The real engine, answering after a pause (a question that takes a while)."""

    def __init__(self, engine: AnswerEngine, seconds: float) -> None:
        self.engine, self.seconds = engine, seconds

    def ask(self, question: str) -> Answer:
        time.sleep(self.seconds)
        return self.engine.ask(question)

    def documents(self, include_history: bool = False) -> list[dict]:
        return self.engine.documents(include_history)


def test_a_slow_answer_shows_typing_first_and_never_after_the_reply(serve_app, engine):
    slow = serve_app(SlowEngine(engine, TYPING_AFTER_SECONDS + 0.8))
    chat = new_chat_id()
    slow.say(chat, QUESTION)
    calls = [c for c in slow.api.calls if c.params.get("chat_id") == chat]
    assert [c.method for c in calls] == ["sendChatAction", "sendMessage"]
    assert calls[0].params["action"] == "typing"
    assert "119" in calls[1].shown_text


def test_an_unknown_or_foreign_button_is_answered(served):
    chat = new_chat_id()
    served.say(chat, QUESTION)
    answer_call = served.last_sent(chat)
    for data in ("old-format", "src:999999:1", "vote:999999:up"):
        served.post_update(callback_update(answer_call.result, data, user_id=chat))
        answered = served.api.calls_of("answerCallbackQuery")[-1].params
        assert answered["text"] == texts.ANSWER_GONE and answered["show_alert"] is True
