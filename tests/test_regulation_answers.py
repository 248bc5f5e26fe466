"""A regulation uploaded as published (markdown with front matter) is answered at once: the fact
with its unit, the list when a list is asked for, the article and clause in the citation."""
from __future__ import annotations

import pytest

from tests.test_structure import REGULATION


@pytest.fixture(scope="module")
def regulation_engine(tmp_path_factory, seed_data_dir):
    import shutil

    from config.settings import Settings
    from retrieval.engine import AnswerEngine

    directory = tmp_path_factory.mktemp("regulation") / "data"
    shutil.copytree(seed_data_dir, directory)
    engine = AnswerEngine.open(Settings(data_dir=directory))
    engine.ingest_bytes(REGULATION.encode(), "qd-12-don-doan.md", actor="test")
    return engine


@pytest.mark.parametrize("question", [
    "Hồ sơ đề nghị đón đoàn gồm những giấy tờ gì?",
    "ho so de nghi don doan gom nhung gi",
])
def test_a_list_question_gets_the_list(regulation_engine, question):
    answer = regulation_engine.ask(question)
    assert not answer.refused, answer.answer
    assert "Công văn đề nghị của cơ quan chủ trì" in answer.answer
    assert "Danh sách thành viên đoàn" in answer.answer
    assert len(answer.answer) <= 700
    first = answer.citations[0]
    assert first.source == "qd-12-don-doan.md" and first.location == "Điều 5, khoản 1"


def test_a_figure_comes_with_its_unit(regulation_engine):
    answer = regulation_engine.ask("Hồ sơ đón đoàn phải gửi Sở Ngoại vụ trước bao nhiêu ngày?")
    assert not answer.refused, answer.answer
    assert answer.fact == "10 ngày làm việc"
    assert answer.answer.startswith("10 ngày làm việc")
    assert answer.citations[0].location == "Điều 5, khoản 2"


@pytest.mark.parametrize("question", ["Quy chế đón đoàn có hiệu lực từ ngày nào?", "quy che don doan co hieu luc tu ngay nao"])
def test_a_date_written_out_is_the_lead_whole(regulation_engine, question):
    answer = regulation_engine.ask(question)
    assert not answer.refused, answer.answer
    assert answer.fact == "15 tháng 4 năm 2026"  # not "tháng 4"
    assert answer.citations[0].source == "qd-12-don-doan.md" and answer.citations[0].location == "Điều 6"


def test_one_citation_per_passage(regulation_engine):
    for question in ("Hồ sơ đề nghị đón đoàn gồm những giấy tờ gì?", "Quy chế đón đoàn nước ngoài áp dụng cho ai?"):
        answer = regulation_engine.ask(question)
        places = [(c.doc_id, c.location, c.quote) for c in answer.citations]
        assert len(set(places)) == len(places)
