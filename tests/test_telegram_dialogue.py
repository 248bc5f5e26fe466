"""The platform-neutral dialogue core: follow-ups, context expiry, rate limit, dedupe, input."""
from __future__ import annotations

import asyncio

import pytest

from bot import texts
from bot.dialogue import Dialogue, InvalidQuestion, clean_question
from bot.followup import looks_like_follow_up, resolve
from config.settings import Settings

Q2020 = "Năm 2020 các địa phương ký bao nhiêu thỏa thuận quốc tế?"
Q21 = "Hội nghị Ngoại vụ toàn quốc lần thứ 21 có chủ đề gì?"


@pytest.mark.parametrize(
    ("previous", "text", "understood"),
    [
        (Q2020, "còn năm 2019 thì sao?", "Năm 2019 các địa phương ký bao nhiêu thỏa thuận quốc tế?"),
        (Q2020, "Còn 2019?", "Năm 2019 các địa phương ký bao nhiêu thỏa thuận quốc tế?"),
        ("nam 2020 cac dia phuong ky bao nhieu thoa thuan quoc te", "con nam 2019 thi sao",
         "Nam 2019 cac dia phuong ky bao nhieu thoa thuan quoc te?"),
        (Q21, "ai chủ trì hội nghị đó?", "Ai chủ trì Hội nghị Ngoại vụ toàn quốc lần thứ 21?"),
        (Q21, "còn lần thứ 18 thì sao?", "Hội nghị Ngoại vụ toàn quốc lần thứ 18 có chủ đề gì?"),
        (Q21, "hội nghị này khai mạc khi nào?", "Hội nghị Ngoại vụ toàn quốc lần thứ 21 khai mạc khi nào?"),
        ("hoi nghi ngoai vu toan quoc lan thu 21 co chu de gi", "ai chu tri hoi nghi do",
         "Ai chu tri hoi nghi ngoai vu toan quoc lan thu 21?"),
        ("Tỉnh Quảng Ninh ký bao nhiêu thỏa thuận?", "còn tỉnh Lào Cai thì sao?",
         "Tỉnh Lào Cai ký bao nhiêu thỏa thuận?"),
        ("Hà Nội đã làm gì để thu hút đầu tư?", "còn Đà Nẵng thì sao?",
         "Đà Nẵng đã làm gì để thu hút đầu tư?"),
        ("Bộ trưởng Bùi Thanh Sơn nói gì về đối ngoại địa phương?", "ông ấy giữ chức vụ gì?",
         "Ông Bùi Thanh Sơn giữ chức vụ gì?"),
        (Q2020, "năm đó có bao nhiêu chuyến thăm?", "Năm 2020 có bao nhiêu chuyến thăm?"),
    ],
)
def test_follow_ups_are_rewritten_with_the_previous_question(previous, text, understood):
    reading = resolve(previous, text)
    assert reading.follow_up and reading.rewritten
    assert reading.question == understood


@pytest.mark.parametrize(
    "text",
    [
        "Hội nghị Ngoại vụ toàn quốc lần thứ 18 có chủ đề gì?",
        "Tháng này có hội nghị nào?",  # "này" of time: a new question
        "hoi nghi do ai chu tri?",  # unaccented "do" = "by"
        "Còn bao nhiêu dự án chưa triển khai?",  # "còn" = "remain"
        "Các địa phương đã làm gì để thu hút đầu tư nước ngoài trong giai đoạn dịch bệnh "
        "Covid-19 và thiên tai nghiêm trọng trong nước đó?",  # long: carries its own context
    ],
)
def test_new_questions_are_left_alone(text):
    assert not looks_like_follow_up(text)
    assert resolve(Q2020, text).question == text


def test_a_follow_up_without_context_is_asked_as_typed():
    reading = resolve(None, "còn năm 2019 thì sao?")
    assert reading.follow_up and not reading.rewritten
    assert reading.question == "còn năm 2019 thì sao?"


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "empty"), (None, "empty"), (" \n\t\u200b ", "empty"), ("\x00\x01", "empty"),
     ("😀🙏🇻🇳", "no_words"), ("?!…", "no_words"), ("a" * 1001, "too_long")],
)
def test_bad_input_gets_a_reason(text, reason):
    with pytest.raises(InvalidQuestion) as raised:
        clean_question(text, 1000)
    assert raised.value.reason == reason
    assert raised.value.message  # a Vietnamese sentence for the user


def test_control_characters_are_removed():
    assert clean_question("\x00Năm\u200b 2020\x1b  ký\r\nbao nhiêu?", 1000) == "Năm 2020 ký bao nhiêu?"


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def dialogue(engine, tmp_path):
    clock = Clock()
    settings = Settings(data_dir=tmp_path, context_ttl_seconds=600, rate_limit_questions=3,
                        rate_limit_seconds=60)
    core = Dialogue(engine, settings, clock=clock)
    core.test_clock = clock
    yield core
    core.close()


def test_context_expires_after_its_ttl(dialogue):
    ask = lambda text: asyncio.run(dialogue.ask("zalo", "c1", "u1", text))  # noqa: E731
    ask(Q2020)
    dialogue.test_clock.now += 599
    assert ask("còn năm 2019 thì sao?").rewritten
    dialogue.test_clock.now += 601
    late = ask("còn năm 2019 thì sao?")
    assert not late.rewritten
    assert late.question == "còn năm 2019 thì sao?"
    if late.refused:
        assert late.note == texts.FOLLOW_UP_WITHOUT_CONTEXT


def test_rate_limit_is_per_user_and_recovers(dialogue):
    ask = lambda user, text: asyncio.run(dialogue.ask("zalo", "c2", user, text))  # noqa: E731
    assert [ask("u2", Q2020).kind for _ in range(3)] == ["answer"] * 3
    limited = ask("u2", Q2020)
    assert limited.kind == "rate_limited"
    assert limited.text == texts.RATE_LIMITED.format(seconds=60)
    assert ask("u3", Q2020).kind == "answer"  # another user is not held up
    dialogue.test_clock.now += 61
    assert ask("u2", Q2020).kind == "answer"


def test_deliveries_are_seen_once_even_by_another_process(dialogue, engine):
    assert dialogue.first_delivery("telegram", 1)
    assert not dialogue.first_delivery("telegram", 1)
    assert dialogue.first_delivery("zalo", 1)
    other_process = Dialogue(engine, dialogue.settings)  # same data dir, its own connection
    assert not other_process.first_delivery("telegram", 1)
    other_process.close()


def test_answers_and_votes_are_kept_per_chat(dialogue):
    reply = asyncio.run(dialogue.ask("zalo", "c4", "u4", Q2020))
    assert dialogue.last_answer("zalo", "c4").answer.answer == reply.answer.answer
    assert dialogue.vote("zalo", "other-chat", "u4", reply.answer_id, up=True) is None
    assert dialogue.vote("zalo", "c4", "u4", reply.answer_id, up=True) is not None
    [row] = dialogue.store.feedback()
    assert (row["vote"], row["question"]) == (1, Q2020)
    assert row["user_id"] == dialogue.questions.pseudonyms.of("zalo", "u4") != "u4"  # a pseudonym
