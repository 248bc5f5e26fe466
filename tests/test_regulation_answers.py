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


# A decree as published: its number only in its head ("Số: …"), its title without it, a definitions
# article of terms alike in their words, and a clause on when something may be done.
RECEPTION = """---
title: "Quy định chi tiết một số điều của Luật Tiếp công dân"
---

CHÍNH PHỦ

Số: 154/2026/NĐ-CP Hà Nội, ngày 15 tháng 5 năm 2026

NGHỊ ĐỊNH

### Điều 2. Giải thích từ ngữ

Trong Nghị định này, các từ ngữ dưới đây được hiểu như sau:
1. Người tiếp công dân là người có thẩm quyền, trách nhiệm đón tiếp, lắng nghe, tiếp nhận khiếu nại, tố cáo, kiến nghị, phản ánh của công dân.
2. Địa điểm tiếp công dân là nơi người tiếp công dân đón tiếp công dân tại cơ quan, đơn vị.
3. Tiếp công dân định kỳ là việc người đứng đầu cơ quan trực tiếp tiếp công dân theo lịch đã công bố.
4. Tiếp công dân đột xuất là việc người đứng đầu cơ quan tiếp công dân ngoài lịch khi có vụ việc phức tạp.
5. Hồ sơ tiếp công dân là tập hợp tài liệu, sổ sách, dữ liệu về các buổi tiếp công dân.
6. Tiếp công dân trực tuyến là hình thức tiếp công dân được thực hiện thông qua môi trường điện tử giữa người tiếp công dân và công dân.

### Điều 9. Tiếp nhận đơn

Đơn nộp sau 15 giờ mà không thể xử lý trong ngày thì được xử lý vào ngày làm việc tiếp theo.

### Điều 12. Trách nhiệm tiếp nhận

1. Ban Tiếp công dân tỉnh (sau đây gọi tắt là Ban Tiếp dân):
a) Tiếp nhận đơn của công dân tại trụ sở tiếp công dân cấp tỉnh;
b) Phân loại đơn và chuyển đến cơ quan có thẩm quyền giải quyết trong thời hạn 03 ngày làm việc.
2. Văn phòng Ủy ban nhân dân cấp xã:
a) Tiếp nhận đơn của công dân tại địa điểm tiếp công dân cấp xã;
b) Báo cáo Chủ tịch Ủy ban nhân dân cấp xã hằng tháng.

### Điều 30. Hiệu lực thi hành

Nghị định này có hiệu lực thi hành từ ngày 01 tháng 7 năm 2026.
"""


def _with_reception(engine):
    if not any(d["source"] == "nd-154-tiep-cong-dan.md" for d in engine.documents()):
        engine.ingest_bytes(RECEPTION.encode(), "nd-154-tiep-cong-dan.md", actor="test")
    return engine


@pytest.mark.parametrize("question", ["Nghị định 154/2026 có hiệu lực từ ngày nào?", "nd 154 hieu luc tu ngay nao"])
def test_a_decree_named_by_its_number_is_answered_from_a_clause_that_says_nghi_dinh_nay(regulation_engine, question):
    answer = _with_reception(regulation_engine).ask(question)
    assert not answer.refused, answer.answer
    assert answer.fact == "01 tháng 7 năm 2026"
    assert answer.citations[0].source == "nd-154-tiep-cong-dan.md" and answer.citations[0].location == "Điều 30"


@pytest.mark.parametrize("question", ["Tiếp công dân trực tuyến được hiểu là gì?",
                                      "the nao la tiep cong dan truc tuyen"])
def test_a_definition_asked_is_the_clause_that_defines_the_term(regulation_engine, question):
    answer = _with_reception(regulation_engine).ask(question)
    assert not answer.refused, answer.answer
    assert "thông qua môi trường điện tử" in answer.answer
    assert answer.citations[0].location == "Điều 2, khoản 6"
    assert not answer.answer.startswith("Tiếp công dân trực tuyến —")  # no lead that repeats the term


def test_when_in_a_regulation_may_ask_for_a_condition_not_a_date(regulation_engine):
    answer = _with_reception(regulation_engine).ask("don nop sau 15 gio thi khi nao duoc xu ly")
    assert not answer.refused, answer.answer
    assert "ngày làm việc tiếp theo" in answer.answer and answer.citations[0].location == "Điều 9"


def test_a_lettered_item_is_quoted_with_the_lead_in_that_names_whom_it_is_about(regulation_engine):
    answer = _with_reception(regulation_engine).ask("Cơ quan nào phân loại đơn và chuyển đến cơ quan có thẩm quyền giải quyết?")
    assert not answer.refused, answer.answer
    assert answer.citations[0].location.startswith("Điều 12, khoản 1")
    # the item alone ("b) Phân loại đơn …") does not say who; its lead-in does
    assert "Ban Tiếp công dân tỉnh" in answer.citations[0].quote and "b) Phân loại đơn" in answer.citations[0].quote


def test_a_clause_is_quoted_without_the_number_of_the_clause_after_it(regulation_engine):
    answer = _with_reception(regulation_engine).ask("Địa điểm tiếp công dân được hiểu là gì?")
    assert not answer.refused, answer.answer
    assert answer.citations[0].quote.endswith("tại cơ quan, đơn vị."), answer.citations[0].quote  # not "… đơn vị. 3."
