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


DECREE = """# Nghị định 61/2026/NĐ-CP về phương tiện, thiết bị kỹ thuật nghiệp vụ

### Điều 3. Trang bị phương tiện, thiết bị kỹ thuật nghiệp vụ

Phương tiện, thiết bị kỹ thuật nghiệp vụ được trang bị cho lực lượng Công an nhân dân và thanh tra chuyên ngành.

### Điều 13. Yêu cầu đối với người sử dụng

1. Cán bộ, công chức khi sử dụng phương tiện, thiết bị kỹ thuật nghiệp vụ phải bảo đảm các yêu cầu sau:
a) Nắm vững chế độ quản lý phương tiện, thiết bị kỹ thuật nghiệp vụ;
b) Được tập huấn về quy trình vận hành, thao tác sử dụng, bảo quản.
2. Kết quả thu thập được bằng phương tiện, thiết bị kỹ thuật nghiệp vụ được lưu trữ trong thời hạn 05 (năm) năm.
"""


@pytest.mark.parametrize("question", ["Cán bộ sử dụng thiết bị KTNV phải đáp ứng yêu cầu gì?",
                                      "can bo su dung thiet bi ktnv phai dap ung yeu cau gi"])
def test_an_abbreviation_the_document_spells_out_finds_it_and_a_lead_in_brings_its_list(regulation_engine, question):
    if not any(d["source"] == "nd-61-ktnv.md" for d in regulation_engine.documents()):
        regulation_engine.ingest_bytes(DECREE.encode(), "nd-61-ktnv.md", actor="test")
    # The decree never writes "KTNV": the question is searched with what its words abbreviate.
    assert "thuat nghiep vu)" in regulation_engine.answerer.expanded(question).replace("thuật nghiệp vụ)", "thuat nghiep vu)")
    answer = regulation_engine.ask(question)
    assert not answer.refused, answer.answer
    assert answer.citations[0].source == "nd-61-ktnv.md" and answer.citations[0].location.startswith("Điều 13")
    assert "Được tập huấn về quy trình vận hành" in answer.answer  # the list, not only "… các yêu cầu sau:"


def test_a_figure_repeated_in_words_leads_with_its_unit(regulation_engine):
    if not any(d["source"] == "nd-61-ktnv.md" for d in regulation_engine.documents()):
        regulation_engine.ingest_bytes(DECREE.encode(), "nd-61-ktnv.md", actor="test")
    answer = regulation_engine.ask("Kết quả thu thập bằng thiết bị KTNV được lưu trữ trong bao lâu?")
    assert not answer.refused, answer.answer
    assert answer.fact == "05 (năm) năm" and answer.citations[0].location == "Điều 13, khoản 2"
