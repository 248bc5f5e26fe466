"""Telegram HTML: escaping, the fact in bold, and splitting below the message limit. Every
text is checked with the fake Bot API's parser, which rejects what Telegram rejects."""
from __future__ import annotations

import pytest

from bot.telegram.format import answer_html, quote_html, sources_html, split_message
from knowledge.answers import Answer, Citation
from ngoaivu.testing.fake_bot_api import BadRequest, parse_html, utf16_len


def _citation(n: int, **kw) -> Citation:
    base = dict(n=n, source=f"00{n}_x.txt", title=f"Tài liệu {n}", publisher="VOV.VN",
                date="21/08/2017", quote=f"Đoạn trích {n}.", doc_id=f"d{n}")
    base.update(kw)
    return Citation(**base)


def test_answer_escapes_document_text_and_bolds_the_fact():
    answer = Answer(
        question="q", refused=False, fact="232 thỏa thuận",
        answer="Các địa phương <đã> ký 232 thỏa thuận & hơn thế [1]",
        citations=[_citation(1, title="Báo TG&VN <số 1>", publisher="TG&VN", date="")],
    )
    text, entities = parse_html(answer_html(answer))
    assert text == (
        "Các địa phương <đã> ký 232 thỏa thuận & hơn thế [1]\n\n"
        "Nguồn:\n[1] Báo TG&VN <số 1> — TG&VN"
    )
    bold = [text[e["offset"]:e["offset"] + e["length"]] for e in entities if e["type"] == "bold"]
    assert bold == ["232 thỏa thuận", "Nguồn:"]


def test_the_sources_command_names_the_place_in_each_document():
    citations = [_citation(1, location="Điều 5, khoản 2", title="Nghị định 244"), _citation(2)]
    text, _ = parse_html(sources_html("ai cấp phép?", citations))
    assert "[1] Điều 5, khoản 2 — Nghị định 244" in text
    assert "[2] Tài liệu 2\n" in text and "Tệp: 002_x.txt" in text


def test_a_fact_not_in_the_answer_leads_it_in_bold():
    answer = Answer(question="q", refused=False, fact="18/12/2023", answer="Khai mạc sáng 18/12.")
    text, entities = parse_html(answer_html(answer, question="Khi nào?", rewritten=True))
    assert text == "Hiểu câu hỏi là: Khi nào?\n\n18/12/2023\nKhai mạc sáng 18/12."
    assert {"type": "bold", "offset": 27, "length": 10} in entities


def test_quote_keeps_long_passages_readable():
    citation = _citation(1, quote="Câu trích & dài. " * 400)
    text, entities = parse_html(quote_html(citation))
    assert text.startswith("Đoạn trích nguồn [1]\n[1] Tài liệu 1 — VOV.VN, 21/08/2017\n\nCâu trích & dài.")
    assert text.endswith(" …")
    assert utf16_len(text) < 4096
    assert any(e["type"] == "blockquote" for e in entities)


def test_long_reply_splits_on_paragraph_boundaries_below_the_limit():
    paragraphs = [f"Đoạn {i}: " + "công tác đối ngoại địa phương &amp; hội nhập. " * 20 for i in range(40)]
    html = "\n\n".join(f"<b>{i}</b> {p}" for i, p in enumerate(paragraphs))
    parts = split_message(html)
    assert len(parts) > 1
    shown = [parse_html(part)[0] for part in parts]  # every part is valid Telegram HTML
    assert all(utf16_len(s) < 4096 for s in shown)
    # no paragraph is cut: each part is a run of whole paragraphs
    expected = [parse_html(f"<b>{i}</b> {p}")[0] for i, p in enumerate(paragraphs)]
    assert [p for s in shown for p in s.split("\n\n")] == expected


def test_a_paragraph_longer_than_a_message_is_cut_at_spaces_with_tags_balanced():
    html = "<blockquote>" + "trích dẫn &amp; nguồn " * 900 + "</blockquote>"
    parts = split_message(html)
    assert len(parts) >= 4
    for part in parts:
        text, entities = parse_html(part)
        assert utf16_len(text) < 4096
        assert entities[0]["type"] == "blockquote"
    joined = " ".join(parse_html(p)[0] for p in parts)
    assert joined.split() == ("trích dẫn & nguồn " * 900).split()


def test_emoji_count_double_toward_the_limit():
    html = "😀" * 5000  # 10,000 UTF-16 units, no spaces to cut at
    parts = split_message(html)
    assert all(utf16_len(parse_html(p)[0]) <= 4096 for p in parts)
    assert "".join(parts) == html


def test_the_fake_api_rejects_what_telegram_rejects():
    for bad in ("a < b", "AT&T", "<div>x</div>", "<b>x", "<b>x</i>"):
        with pytest.raises(BadRequest):
            parse_html(bad)
