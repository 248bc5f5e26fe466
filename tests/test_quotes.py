"""What an answer quotes: each sentence of a document once, however the quotes are put together."""
from __future__ import annotations

import re

import pytest

QUESTIONS = [
    # the best sentence ("Kết quả này …") refers back to the one before it, which also ranks high
    "Năm 2020 các địa phương ký bao nhiêu thỏa thuận quốc tế?",
    "Kết luận 33-KL/TW về tiếp tục thực hiện Quy chế 272 được ban hành ngày nào?",
    "Công tác đối ngoại địa phương năm 2020 đạt kết quả gì?",
]


def _sentences(answer_text: str) -> list[str]:
    quoted = " ".join(re.findall(r"“(.*?)”", answer_text, flags=re.S))
    return [s.strip() for part in quoted.split(" … ") for s in re.split(r"(?<=[.!?])\s+", part) if len(s.strip()) > 20]


@pytest.mark.parametrize("question", QUESTIONS)
def test_no_sentence_is_quoted_twice(engine, question):
    answer = engine.ask(question)
    assert not answer.refused
    sentences = _sentences(answer.answer)
    repeated = {s for s in sentences if sentences.count(s) > 1}
    assert not repeated, answer.answer
