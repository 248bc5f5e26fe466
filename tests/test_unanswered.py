"""What officers asked and the bot could not answer, end to end: refusals from the JSON API,
Telegram (real python-telegram-bot against the fake Bot API) and Zalo (against the fake OA API)
are listed for admins, grouped and counted; an upload asks them again and names those now
answered; 👎 answers are listed; no user id is stored in clear; old records are deleted."""
from __future__ import annotations

import itertools
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from bot import texts
from bot.analytics import QuestionLog, question_key
from storage.conversations import ConversationStore
from config.settings import Settings
from retrieval.engine import AnswerEngine
from knowledge.answers import Answer
from tests import admin_files as files
from tests.telegram_fixtures import (  # noqa: F401 - fixtures
    callback_update, fake_api, new_chat_id, serve_app,
)
from tests.telegram_fixtures import LiveServer
from tests.test_admin_telegram import send_file, wait_replies
from tests.test_zalo import ADMIN_ID as ZALO_ADMIN, file_event, new_user, serve_zalo, zalo  # noqa: F401
from webhook.app import create_app

TOKEN = "analytics-token_0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ADMIN = 880_000_777
_officers = itertools.count(7_391_846_205)  # long ids: no chance of turning up in other bytes

# A fact no shipped document holds; the uploaded file below states it.
LAI_CHAU = "Năm 2032 tỉnh Lai Châu tiếp nhận bao nhiêu dự án viện trợ phi chính phủ nước ngoài?"
LAI_CHAU_UNACCENTED = "nam 2032,  tinh LAI CHAU tiep nhan bao nhieu du an vien tro phi chinh phu nuoc ngoai"
LAI_CHAU_FILE = ("Báo cáo viện trợ phi chính phủ nước ngoài của tỉnh Lai Châu năm 2032\n\n"
                 "Năm 2032, tỉnh Lai Châu đã tiếp nhận 23 dự án viện trợ phi chính phủ nước ngoài "
                 "với tổng giá trị cam kết 4,2 triệu USD.\n").encode("utf-8")
# Nothing anyone uploads here answers this.
VISA = "Phóng viên nước ngoài xin thị thực vào Việt Nam phải nộp hồ sơ trước bao nhiêu ngày?"
ANSWERED = "Năm 2020 các địa phương ký bao nhiêu thỏa thuận quốc tế?"


def _private_engine(seed_data_dir, tmp_path_factory, name: str) -> AnswerEngine:
    data = files.copy_data_dir(seed_data_dir, tmp_path_factory.mktemp(name) / "data")
    return AnswerEngine.open(Settings(data_dir=data))


def _stored_bytes(data_dir: Path) -> bytes:
    """Everything the app keeps on disk (SQLite files with their write-ahead logs, the key, …)."""
    return b"".join(p.read_bytes() for p in sorted(data_dir.iterdir()) if p.is_file())


# ---- grouping and retention (no server) ------------------------------------------------------

def test_spellings_of_one_question_are_one_group():
    assert question_key("Năm 2020 các địa phương ký bao nhiêu thỏa thuận?") == question_key(
        "  nam 2020 CAC dia-phuong   ky bao nhieu thoa thuan")
    assert question_key("Hội nghị lần thứ 21?") != question_key("Hội nghị lần thứ 18?")
    assert question_key("?!…") == ""


def test_records_older_than_the_retention_period_are_deleted(tmp_path, monkeypatch):
    monkeypatch.setenv("NGOAIVU_ANALYTICS_DAYS", "30")
    assert Settings.from_env().analytics_days == 30
    monkeypatch.delenv("NGOAIVU_ANALYTICS_DAYS")
    assert Settings.from_env().analytics_days == 180

    now = [1_900_000_000.0]
    conversation = ConversationStore.in_dir(tmp_path)
    log = QuestionLog.in_dir(tmp_path, conversation, retention_days=30, clock=lambda: now[0])
    log.record_refusal("telegram", 1, "Câu hỏi cũ về thị thực?")
    now[0] += 20 * 86400
    log.record_refusal("zalo", 2, "Câu hỏi mới về thị thực?")
    log.prune(now[0])
    assert [q.question for q in log.unanswered()] == ["Câu hỏi mới về thị thực?", "Câu hỏi cũ về thị thực?"]
    now[0] += 11 * 86400  # the first is 31 days old, the second 11
    log.prune(now[0])
    assert [q.question for q in log.unanswered()] == ["Câu hỏi mới về thị thực?"]
    assert len(log.store.all_rows()) == 1  # deleted, not hidden
    log.close()
    conversation.close()


# ---- the JSON API and the admin API ------------------------------------------------------------

@pytest.fixture(scope="module")
def api(seed_data_dir, tmp_path_factory):
    engine = _private_engine(seed_data_dir, tmp_path_factory, "unanswered-api")
    settings = Settings(data_dir=tmp_path_factory.mktemp("unanswered-api-app"), admin_token=TOKEN,
                        rate_limit_questions=1000)
    with LiveServer(create_app(settings, engine)) as live, httpx.Client(base_url=live.url, timeout=120) as client:
        yield client, settings


def _ask(client: httpx.Client, question: str) -> dict:
    response = client.post("/api/ask", json={"question": question})
    assert response.status_code == 200, response.text
    return response.json()


def test_refused_questions_are_counted_and_leave_the_list_once_a_document_answers_them(api):
    client, settings = api
    assert _ask(client, LAI_CHAU_UNACCENTED)["refused"]
    assert _ask(client, VISA)["refused"]
    assert _ask(client, LAI_CHAU)["refused"]
    assert not _ask(client, ANSWERED)["refused"]  # answered questions are not listed

    listed = client.get("/admin/api/unanswered", headers=AUTH).json()
    assert [(q["question"], q["count"], q["channels"]) for q in listed] == [
        (LAI_CHAU, 2, ["api"]), (VISA, 1, ["api"])]  # the latest wording, most asked first
    assert listed[0]["last_asked"] >= listed[1]["last_asked"]

    upload = client.post("/admin/api/documents", headers=AUTH,
                         files={"file": ("vien-tro-lai-chau-2032.txt", LAI_CHAU_FILE)})
    assert upload.status_code == 201, upload.text
    assert upload.json()["now_answered"] == [LAI_CHAU]
    assert [(q["question"], q["count"]) for q in
            client.get("/admin/api/unanswered", headers=AUTH).json()] == [(VISA, 1)]
    answer = _ask(client, LAI_CHAU_UNACCENTED)
    assert not answer["refused"] and "23" in answer["answer"]  # really answered now, in any spelling

    same = client.post("/admin/api/documents", headers=AUTH,
                       files={"file": ("vien-tro-lai-chau-2032.txt", LAI_CHAU_FILE)})
    assert same.status_code == 200 and same.json()["now_answered"] == []  # nothing changed

    again = client.post("/admin/api/unanswered/ask", headers=AUTH, json={"question": VISA})
    assert again.status_code == 200
    assert again.json()["refused"] and not again.json()["now_answered"]
    assert [q["question"] for q in client.get("/admin/api/unanswered", headers=AUTH).json()] == [VISA]
    assert client.post("/admin/api/unanswered/ask", headers=AUTH, json={"question": "   "}).status_code == 400


@pytest.mark.parametrize("path", ["/admin/api/unanswered", "/admin/api/feedback"])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}])
def test_without_the_admin_token_nothing_is_shown(api, path, headers):
    client, _ = api
    response = client.get(path, headers=headers)
    assert response.status_code == 401
    assert "question" not in response.text
    assert client.post("/admin/api/unanswered/ask", headers=headers, json={"question": VISA}).status_code == 401


# ---- Telegram -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def telegram(serve_app, seed_data_dir, tmp_path_factory):
    engine = _private_engine(seed_data_dir, tmp_path_factory, "unanswered-telegram")
    return serve_app(engine, telegram_admin_ids=frozenset({str(ADMIN)}), admin_token=TOKEN)


def _buttons(call) -> dict[str, str]:
    markup = call.params.get("reply_markup") or {"inline_keyboard": []}
    return {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}


def test_telegram_refusals_and_thumbs_down_reach_the_admins_without_user_ids(telegram):
    officer, other = next(_officers), next(_officers)
    telegram.say(officer, VISA)
    telegram.say(other, VISA.upper())
    telegram.say(officer, LAI_CHAU)
    assert "không có thông tin" in telegram.replies(officer)[-1]

    telegram.say(officer, ANSWERED)
    answer_call = telegram.last_sent(officer)
    vote = callback_update(answer_call.result, _buttons(answer_call)["👎"], user_id=officer)
    assert telegram.post_update(vote).status_code == 200
    assert telegram.api.calls_of("answerCallbackQuery")[-1].params["text"] == texts.THANKS_DOWN

    client = telegram.client
    listed = client.get(telegram.url + "/admin/api/unanswered", headers=AUTH).json()
    assert [(q["question"], q["count"], q["channels"], q["users"]) for q in listed] == [
        (VISA.upper(), 2, ["telegram"], 2), (LAI_CHAU, 1, ["telegram"], 1)]
    [judged] = client.get(telegram.url + "/admin/api/feedback", headers=AUTH).json()
    assert judged["question"] == ANSWERED and judged["votes"] == 1 and judged["channel"] == "telegram"
    assert "119" in judged["answer"]
    assert judged["citations"][0]["title"] and judged["citations"][0]["quote"]
    assert str(officer) not in str(judged)

    # Nothing stored names the officers: no chat or user id in any file of the data directory.
    rows = sqlite3.connect(telegram.settings.data_dir / "analytics.sqlite3").execute(
        "SELECT user_key FROM refused_questions").fetchall()
    assert len(rows) == 3 and all(len(key) == 32 for (key,) in rows)
    stored = _stored_bytes(telegram.settings.data_dir)
    assert str(officer).encode() not in stored and str(other).encode() not in stored


def test_telegram_admins_list_the_unanswered_and_hear_which_an_upload_answers(telegram):
    officer = new_chat_id()
    telegram.say(officer, LAI_CHAU)
    telegram.say(officer, "/chuatraloi")
    assert telegram.replies(officer)[-1] == texts.ADMIN_ONLY  # officers do not see the list

    telegram.say(officer, LAI_CHAU.lower())
    telegram.say(ADMIN, "/chuatraloi")
    listing = telegram.replies(ADMIN)[-1]
    assert listing.startswith(texts.UNANSWERED_HEADING.split("(")[0])
    assert f". {LAI_CHAU.lower()} — " in listing  # the latest wording, with its count

    before = len(telegram.replies(ADMIN))
    send_file(telegram, "vien-tro-lai-chau-2032.txt", LAI_CHAU_FILE, user_id=ADMIN)
    reply = wait_replies(telegram, ADMIN, before + 2)[-1]  # "received", then the result
    assert reply.startswith("✅ Đã nạp tài liệu")
    assert texts.NOW_ANSWERED.format(count=1) in reply and f"• {LAI_CHAU.lower()}" in reply

    telegram.say(ADMIN, "/chuatraloi")
    listing = telegram.replies(ADMIN)[-1]
    assert LAI_CHAU.lower() not in listing


# ---- Zalo -----------------------------------------------------------------------------------------

def test_zalo_refusals_are_listed_and_an_admins_file_names_those_now_answered(
    serve_zalo, zalo, seed_data_dir, tmp_path_factory
):
    engine = _private_engine(seed_data_dir, tmp_path_factory, "unanswered-zalo")
    served = serve_zalo(engine, zalo_admin_ids=frozenset({ZALO_ADMIN}), admin_token=TOKEN)
    officer = new_user()
    served.say(officer, LAI_CHAU)
    [refusal] = served.wait_delivered(officer)
    assert "không có thông tin" in refusal
    listed = served.client.get(served.live.url + "/admin/api/unanswered", headers=AUTH).json()
    assert [(q["question"], q["count"], q["channels"]) for q in listed] == [(LAI_CHAU, 1, ["zalo"])]
    # The event (which names the sender) is kept until its reply has gone out, then deleted: wait for that.
    files.wait_for(lambda: served.live.server.config.app.state.zalo.outbox.count() == 0, message="the event done")
    assert officer.encode() not in _stored_bytes(served.settings.data_dir)

    url = zalo.add_file("vien-tro-lai-chau-2032.txt", LAI_CHAU_FILE)
    served.post(file_event(ZALO_ADMIN, url, "vien-tro-lai-chau-2032.txt", len(LAI_CHAU_FILE)))
    [confirmation] = served.wait_delivered(ZALO_ADMIN)
    assert confirmation.startswith("Đã thêm tài liệu")
    assert f"{texts.NOW_ANSWERED.format(count=1)}\n• {LAI_CHAU}" in confirmation
    assert served.client.get(served.live.url + "/admin/api/unanswered", headers=AUTH).json() == []


def test_re_asking_stops_at_its_time_budget(tmp_path):
    conversation = ConversationStore.in_dir(tmp_path)
    log = QuestionLog.in_dir(tmp_path, conversation)
    for n in range(5):
        log.record_refusal("api", None, f"Câu hỏi số {n} về thị thực?")
    asked: list[str] = []

    def slow_answer(question: str) -> Answer:
        asked.append(question)
        time.sleep(0.2)
        return Answer(question=question, answer="…", refused=False)

    answered = log.reask(slow_answer, budget_seconds=0.3)
    assert answered == asked and 1 <= len(asked) <= 2  # the third would start after 0.4 s
    assert len(log.unanswered()) == 5 - len(asked)  # the rest wait for the next upload
    log.close()
    conversation.close()
