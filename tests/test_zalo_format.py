"""How replies look in Zalo (plain text, split below 2,000 characters); tokens: tests/test_zalo_tokens.py."""
from __future__ import annotations

from bot import texts
from bot.zalo.format import MESSAGE_LIMIT, answer_text, source_line, split_text, text_length, welcome_text
from knowledge.answers import Answer, Citation


def _citation(n: int, **fields) -> Citation:
    values = {"source": f"00{n}_abc.txt", "title": f"Bài {n}", "publisher": "Báo TG&VN",
              "date": "03/01/2020", "quote": "…", **fields}
    return Citation(n=n, **values)


def test_a_source_line_has_number_title_publisher_date_and_file():
    assert source_line(_citation(1)) == "[1] Bài 1 — Báo TG&VN, 03/01/2020 (001_abc.txt)"
    assert source_line(_citation(2, title="", publisher="", date="")) == "[2] 002_abc.txt"


def test_an_answer_is_plain_text_with_the_fact_the_note_and_the_sources():
    answer = Answer(question="q", answer="Theo tài liệu, <b> & 119 thỏa thuận [1].", refused=False,
                    citations=[_citation(1), _citation(2)], fact="119 thỏa thuận")
    text = answer_text(answer, question="Năm 2019 thì sao?", rewritten=True, note="Lưu ý.")
    blocks = text.split("\n\n")
    assert blocks[0] == texts.UNDERSTOOD_AS.format(question="Năm 2019 thì sao?")
    assert blocks[1] == "Theo tài liệu, <b> & 119 thỏa thuận [1]."  # nothing escaped
    assert blocks[2] == "Lưu ý."
    assert blocks[3].splitlines() == [texts.SOURCES_HEADING, source_line(_citation(1)),
                                      source_line(_citation(2))]


def test_a_fact_missing_from_the_body_leads_it():
    answer = Answer(question="q", answer="“…ký 119 thỏa thuận…” [1]", refused=False,
                    citations=[_citation(1)], fact="119")
    assert answer_text(answer).startswith("“…ký 119")
    answer.fact = "25/7/2018"
    assert answer_text(answer).startswith("25/7/2018\n“…ký 119")


def test_the_welcome_lists_the_example_questions():
    text = welcome_text()
    assert text.startswith(texts.WELCOME)
    assert all(f"• {q}" in text for q in texts.EXAMPLE_QUESTIONS)


def test_short_text_is_one_message():
    assert split_text("  Xin chào  ") == ["Xin chào"]
    assert split_text("   ") == []


def test_long_text_splits_between_paragraphs():
    paragraphs = [f"Đoạn {i}: " + "chữ " * 150 for i in range(10)]
    parts = split_text("\n\n".join(paragraphs))
    assert len(parts) > 1
    assert all(text_length(p) <= MESSAGE_LIMIT for p in parts)
    assert "\n\n".join(parts) == "\n\n".join(p.strip() for p in paragraphs)


def test_a_paragraph_longer_than_a_message_is_cut_between_words():
    words = [f"từ{i}" for i in range(1500)]
    parts = split_text(" ".join(words))
    assert len(parts) >= 3
    assert all(text_length(p) <= MESSAGE_LIMIT for p in parts)
    assert " ".join(parts).split() == words


def test_characters_outside_the_bmp_count_double():
    parts = split_text("😀" * 1500)  # 3,000 UTF-16 units, no spaces to cut at
    assert [text_length(p) for p in parts] == [2000, 1000]
