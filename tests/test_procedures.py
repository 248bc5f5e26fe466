"""Procedures as records: one record per procedure document, whatever its form, and field answers
from the record (the right procedure among near-twins, a choice list when the question names
neither, a refusal with leads when it names one that is not held)."""
from __future__ import annotations

import pytest

from knowledge.loaders import load_bytes, load_file
from knowledge.procedures import extract_procedure
from vietnamese.text import strip_diacritics
from training.render_procedures import cells, render_docx, render_glued, render_html, render_pdf


def _procedure(code: str, level: str, deadline: str, fee: str, agency: str) -> dict:
    """A procedure as procedures-dev scrapes it (cells glued), two of them differing in one phrase."""
    return {
        "ma_thu_tuc": code,
        "ten_thu_tuc": f"Giải quyết tố cáo tại cấp {level}",
        "so_quyet_dinh": "123/QĐ-BQP",
        "cap_thuc_hien": "Cấp bộ",
        "loai_thu_tuc": "TTHC được luật giao quy định chi tiết",
        "linh_vuc": "Khiếu nại, tố cáo",
        "doi_tuong_thuc_hien": "Công dân Việt Nam",
        "co_quan_co_tham_quyen": f"Thủ trưởng cơ quan {level}",
        "dia_chi_tiep_nhan": f"Trụ sở tiếp công dân của {level}",
        "co_quan_duoc_uy_quyen": "",
        "co_quan_phoi_hop": "",
        "co_quan_thuc_hien": agency,
        "trinh_tu_thuc_hien": "Bước 1: Tiếp nhận đơn tố cáo.\nBước 2: Thụ lý và xác minh nội dung tố cáo.\n"
                              "Bước 3: Kết luận nội dung tố cáo.",
        "cach_thuc_thuc_hien": f"Hình thức nộpThời gianPhí, lệ phíMô tảTrực tiếp{deadline}{fee}"
                               f"Dịch vụ bưu chính{deadline}{fee}",
        "thanh_phan_ho_so": "--Tên giấy tờMẫu đơn, tờ khaiSố lượngĐơn tố cáo ghi rõ họ tên, địa chỉ người tố cáo."
                            "1 bản chínhTài liệu, chứng cứ liên quan đến nội dung tố cáo.0 bản chính,1 bản sao",
        "can_cu_phap_ly": "Tên văn bản pháp lýMã văn bảnLuật Tố cáo 25/2018/QH1425/2018/QH14"
                          "Nghị định31/2019/NĐ-CP",
        "yeu_cau_dieu_kien": "Người tố cáo phải cung cấp thông tin cá nhân.",
        "ket_qua_xu_ly": "Kết luận nội dung tố cáo.Mã: KQ.G01.000001Từ khóaKhông có thông tin",
    }


TWIN_A = _procedure("1.009001", "Quân đoàn", "30 Ngày", "Miễn phí", "Thanh tra Quân đoàn")
TWIN_B = _procedure("1.009002", "Bộ Quốc phòng", "60 Ngày", "Miễn phí", "Thanh tra Bộ Quốc phòng")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("procedures")
    paths = {}
    c = cells(TWIN_A)
    paths["docx"] = folder / "to-cao-quan-doan.docx"
    render_docx(TWIN_A, c, paths["docx"], numbered=False)
    paths["docx-numbered"] = folder / "to-cao-quan-doan-2.docx"
    render_docx(TWIN_A, c, paths["docx-numbered"], numbered=True)
    paths["html"] = folder / "to-cao-quan-doan.html"
    render_html(TWIN_A, c, paths["html"])
    paths["pdf"] = folder / "to-cao-quan-doan.pdf"
    render_pdf(TWIN_A, c, paths["pdf"])
    paths["glued"] = folder / "to-cao-quan-doan.txt"
    render_glued(TWIN_A, paths["glued"])
    return paths


@pytest.mark.parametrize("form", ["docx", "docx-numbered", "html", "pdf", "glued"])
def test_one_record_per_procedure_document_whatever_its_form(rendered, form):
    record = extract_procedure(load_file(rendered[form]))
    assert record is not None
    assert record.code == "1.009001"
    assert record.name == "Giải quyết tố cáo tại cấp Quân đoàn"
    assert [(s.way, s.deadline, s.fee) for s in record.submissions] == [
        ("Trực tiếp", "30 Ngày", "Miễn phí"), ("Dịch vụ bưu chính", "30 Ngày", "Miễn phí")]
    assert [d.name for d in record.dossier] == ["Đơn tố cáo ghi rõ họ tên, địa chỉ người tố cáo",
                                                "Tài liệu, chứng cứ liên quan đến nội dung tố cáo"]
    assert [d.count for d in record.dossier] == ["1 bản chính", "0 bản chính,1 bản sao"]
    assert [s.text[:6] for s in record.steps] == ["Bước 1", "Bước 2", "Bước 3"]
    assert any("25/2018/QH14" in v.text for v in record.basis)
    assert any("31/2019/NĐ-CP" in v.text for v in record.basis)
    assert record.fields["agency"].text == "Thanh tra Quân đoàn"
    assert record.fields["decision"].text == "123/QĐ-BQP"  # glued, the value starts with a digit: "Số quyết định123/QĐ-BQP"
    assert record.fields["address"].text == "Trụ sở tiếp công dân của Quân đoàn"
    assert record.fields["result"].text.startswith("Kết luận nội dung tố cáo")
    # every value keeps the line or cell it came from
    assert "30 Ngày" in record.submissions[0].source
    assert "Thanh tra Quân đoàn" in record.fields["agency"].source


def test_prose_is_not_a_procedure():
    text = ("Hội nghị Ngoại vụ toàn quốc lần thứ 21 diễn ra tại Hà Nội. Thời hạn giải quyết hồ sơ là vấn đề "
            "được nhiều đại biểu nêu.\nCơ quan thực hiện: Bộ Ngoại giao.")
    assert extract_procedure(load_bytes(text.encode(), "bai-viet.txt")) is None


@pytest.fixture(scope="module")
def twin_engine(tmp_path_factory, seed_data_dir):
    import shutil

    from config.settings import Settings
    from retrieval.engine import AnswerEngine

    target = tmp_path_factory.mktemp("twins") / "data"
    shutil.copytree(seed_data_dir, target)
    engine = AnswerEngine.open(Settings(data_dir=target))
    folder = tmp_path_factory.mktemp("twin-files")
    for r, kind in ((TWIN_A, "docx"), (TWIN_B, "html")):
        path = folder / f"{r['ma_thu_tuc']}.{kind}"
        (render_docx(r, cells(r), path, numbered=False) if kind == "docx" else render_html(r, cells(r), path))
        engine.ingest(path)
    return engine


def test_near_twins_each_get_their_own_value(twin_engine):
    a = twin_engine.ask("Thủ tục giải quyết tố cáo tại cấp Quân đoàn mất bao lâu?")
    b = twin_engine.ask("giai quyet to cao cap bo quoc phong mat bao lau")
    assert not a.refused and a.answer.startswith("30 Ngày") and a.fact == "30 Ngày"
    assert a.citations[0].source == "1.009001.docx" and a.citations[0].location == "Thời hạn giải quyết"
    assert not b.refused and b.answer.startswith("60 Ngày")
    assert b.citations[0].source == "1.009002.html"
    agency = twin_engine.ask("cơ quan nào thực hiện giải quyết tố cáo cấp Bộ Quốc phòng?")
    assert "Thanh tra Bộ Quốc phòng" in agency.answer and "Quân đoàn" not in agency.answer.split("—")[0]


def test_a_question_naming_neither_gets_the_choice_list(twin_engine):
    answer = twin_engine.ask("thủ tục giải quyết tố cáo mất bao lâu?")
    assert answer.refused and "Ngày" not in answer.answer  # no value is stated
    assert {c["code"] for c in answer.choices} == {"1.009001", "1.009002"}
    assert "1.009001" in answer.answer and "1.009002" in answer.answer
    picked = twin_engine.ask(f"thủ tục {answer.choices[1]['code']} mất bao lâu?")
    assert not picked.refused and picked.citations[0].doc_id == answer.choices[1]["doc_id"]


def test_a_procedure_not_held_is_refused_with_leads(twin_engine):
    answer = twin_engine.ask("Thủ tục giải quyết tố cáo tại cấp Sư đoàn mất bao lâu?")
    assert answer.refused and "Ngày" not in answer.answer
    assert answer.choices and answer.choices[0]["code"] in {"1.009001", "1.009002"}
    unknown_code = twin_engine.ask("lệ phí thủ tục 2.000999?")
    assert unknown_code.refused


@pytest.mark.parametrize("question,fields", [
    ("Các địa phương vận động được bao nhiêu viện trợ phi chính phủ nước ngoài?", []),  # "phi" is non-, not a fee
    ("Bao nhiêu phóng viên nước ngoài được tạo điều kiện tác nghiệp?", []),  # "tạo điều kiện": to facilitate
    ("phí cấp thẻ ABTC bao nhiêu", ["fee"]),
    ("phi cap the abtc bao nhieu", ["fee"]),  # typed without accents, "phi" may well be the fee
    ("điều kiện cấp thẻ ABTC", ["conditions"]),
])
def test_field_cues_read_with_their_accents(question, fields):
    from retrieval.answering.procedures import read_question

    assert read_question(question).fields == fields


@pytest.mark.parametrize("question,expect", [
    ("Hồ sơ giải quyết tố cáo tại cấp Quân đoàn gồm những gì?", "1. Đơn tố cáo ghi rõ họ tên"),
    ("nộp hồ sơ giải quyết tố cáo cấp Quân đoàn ở đâu?", "Trụ sở tiếp công dân của Quân đoàn"),
    ("giải quyết tố cáo cấp quân đoàn căn cứ văn bản nào", "25/2018/QH14"),
    ("trình tự giải quyết tố cáo tại cấp Quân đoàn", "Bước 2: Thụ lý"),
    ("lệ phí giải quyết tố cáo cấp Quân đoàn", "Miễn phí"),
])
def test_field_answers_lead_with_the_value(twin_engine, question, expect):
    for asked in (question, strip_diacritics(question)):
        answer = twin_engine.ask(asked)
        assert not answer.refused, asked
        assert expect in answer.answer, (asked, answer.answer)
        assert answer.citations[0].source == "1.009001.docx"
        assert len(answer.answer) <= 700


def test_conference_series_still_answered_from_event_records(twin_engine):
    answer = twin_engine.ask("Liệt kê các Hội nghị Ngoại vụ toàn quốc và chủ đề của từng hội nghị")
    assert not answer.refused and answer.records and "series" in answer.records[0]


# ---- the dialogue: follow-ups keep the procedure; numbers and buttons pick ----------------------

@pytest.fixture
def dialogue(twin_engine, tmp_path):
    from bot.dialogue import Dialogue
    from config.settings import Settings

    d = Dialogue(twin_engine, Settings(data_dir=tmp_path, rate_limit_questions=100))
    yield d
    d.close()


def _ask(dialogue, text, chat=7):
    import asyncio

    return asyncio.run(dialogue.ask("telegram", chat, 70, text))


def test_a_follow_up_keeps_the_procedure_of_the_previous_turn(dialogue):
    first = _ask(dialogue, "Thủ tục giải quyết tố cáo tại cấp Bộ Quốc phòng mất bao lâu?")
    assert first.answer.answer.startswith("60 Ngày")
    fee = _ask(dialogue, "còn lệ phí?")
    assert fee.rewritten and fee.answer.citations[0].source == "1.009002.html"
    assert fee.answer.citations[0].location == "Phí, lệ phí" and fee.answer.answer.startswith("Miễn phí")
    dossier = _ask(dialogue, "1")  # Zalo's numbered follow-up: 1 = Hồ sơ
    assert dossier.answer.citations[0].location == "Thành phần hồ sơ"
    assert dossier.answer.citations[0].source == "1.009002.html"


def test_a_number_picks_from_the_choice_list_and_the_pick_is_answered(dialogue):
    listed = _ask(dialogue, "thủ tục giải quyết tố cáo mất bao lâu?", chat=8)
    assert listed.refused and len(listed.answer.choices) == 2
    assert dialogue.questions.unanswered() == [], listed.answer.choices  # asking back is not a question left unanswered
    second = listed.answer.choices[1]
    picked = _ask(dialogue, "2", chat=8)
    assert not picked.refused and picked.answer.citations[0].doc_id == second["doc_id"]
    assert picked.answer.citations[0].location == "Thời hạn giải quyết"
    # a button under the list does the same for any answer of the chat, not just the last one
    again = dialogue.pick("telegram", 8, 70, listed.answer_id, 1)
    assert again.answer.citations[0].doc_id == listed.answer.choices[0]["doc_id"]


def test_buttons_and_numbers_under_a_procedure_answer(dialogue):
    from bot.telegram.format import answer_keyboard
    from bot.zalo.format import reply_text

    reply = _ask(dialogue, "lệ phí giải quyết tố cáo tại cấp Quân đoàn", chat=9)
    rows = answer_keyboard(reply.answer_id, reply.answer.citations, reply.answer).inline_keyboard
    labels = [b.text for row in rows for b in row]
    assert labels[:5] == ["Hồ sơ", "Thời hạn", "Trình tự", "Cơ quan", "Căn cứ"]  # not "Lệ phí" again
    assert all(b.callback_data.startswith("pick:") for row in rows[:2] for b in row)
    assert "gửi số: 1. Hồ sơ · 2. Thời hạn · 4. Trình tự · 5. Cơ quan · 6. Căn cứ" in reply_text(reply)
    listed = _ask(dialogue, "thủ tục giải quyết tố cáo mất bao lâu?", chat=9)
    rows = answer_keyboard(listed.answer_id, listed.answer.citations, listed.answer).inline_keyboard
    assert [b.text for b in rows[0]] == [f"1. {listed.answer.choices[0]['code']}", f"2. {listed.answer.choices[1]['code']}"]


# ---- lists across procedures (issue 20, part 4) -------------------------------------------------

def _listed(answer) -> set[str]:
    return {r["code"] for r in answer.records if "list" in r}


def test_lists_across_procedures_filter_the_held_records(twin_engine):
    from bot.followup import procedure_of

    for asked in ("Các thủ tục lĩnh vực Khiếu nại, tố cáo", "cac thu tuc linh vuc khieu nai to cao"):
        answer = twin_engine.ask(asked)
        assert not answer.refused and _listed(answer) == {"1.009001", "1.009002"}, answer.answer
        lines = answer.answer.split("\n")[1:]
        assert [line.split("(mã ")[1][:8] for line in lines] == ["1.009001", "1.009002"]
        assert [line.rsplit(" ", 1)[1] for line in lines] == ["[1]", "[2]"]  # a citation per line
        assert [c.source for c in answer.citations] == ["1.009001.docx", "1.009002.html"]
        assert procedure_of(answer) is None  # no field buttons of one procedure under a list
    quick = twin_engine.ask("Thủ tục nào giải quyết dưới 45 ngày?")
    assert _listed(quick) == {"1.009001"} and "30 Ngày" in quick.answer
    assert quick.citations[0].location == "Tên thủ tục, Thời hạn giải quyết"
    counted = twin_engine.ask("Có bao nhiêu thủ tục cấp bộ không mất phí?")
    assert counted.fact == "2 thủ tục" and _listed(counted) == {"1.009001", "1.009002"}
    none = twin_engine.ask("Thủ tục nào phải nộp lệ phí?")
    assert none.refused and not none.records and "không có thủ tục nào" in none.answer
    one = twin_engine.ask("Thủ tục giải quyết tố cáo tại cấp Quân đoàn thuộc lĩnh vực nào?")
    assert not one.refused and "list" not in one.records[0] and one.answer.startswith("Khiếu nại, tố cáo")


def test_a_long_list_is_cut_at_the_reply_limit_with_a_count_of_the_rest(tmp_path):
    from vietnamese.text import fold
    from retrieval.answering.procedure_lists import procedure_list
    from retrieval.answering.procedures import Held, _tokens

    held = []
    for i in range(40):
        r = _procedure(f"1.0091{i:02d}", f"Sư đoàn {i}", "10 Ngày", "Miễn phí", f"Thanh tra Sư đoàn {i}")
        path = tmp_path / f"{i}.txt"
        render_glued(r, path)
        record = extract_procedure(load_file(path))
        held.append(Held(record, {"source": path.name, "title": record.name}, set(_tokens(record.name))))
    answer = procedure_list("thủ tục nào không mất phí", held)
    shown = [line for line in answer.answer.split("\n") if "(mã " in line]
    assert len(answer.answer) <= 700 and 3 <= len(shown) < 40
    assert answer.answer.endswith(f"(còn {40 - len(shown)} thủ tục nữa; hỏi hẹp hơn, ví dụ thêm lĩnh vực hoặc cấp "
                                  f"thực hiện)")
    assert len(answer.records) == 40 and len(answer.citations) == len(shown)
    assert fold(answer.answer.split("\n")[0]) == "tai lieu hien co 40 thu tuc khong mat phi, le phi:"


def test_how_is_a_question_word_and_a_card_is_a_name_word():
    from retrieval.answering.procedures import read_question

    assert "the" not in read_question("Các bước gia hạn tạm trú cho người nước ngoài thế nào?").words
    assert "the" not in read_question("dang ky tai khoan dien tu le phi the nao",
                                      accented="đăng ký tài khoản điện tử lệ phí thế nào").words
    assert "the" in read_question("Cấp thẻ thường trú cần giấy tờ gì?").words  # "thẻ": a card, part of the name
    assert "the" in read_question("Được cấp thẻ nào?").words
