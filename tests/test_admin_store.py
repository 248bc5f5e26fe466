"""What the admin channels rely on below them: a killed ingest leaves nothing half-done, history
keeps every version, legacy encodings and page furniture are dealt with, and the example question
an upload suggests is one the engine answers from it."""
from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import threading

import pytest

from bot.admin import DocumentAdmin, candidate_questions
from knowledge.loaders import IngestError, clean_source_name, load_bytes
from knowledge.answers import Answer
from tests import admin_files as files
from tests.admin_crash import SOURCE
from tests.conftest import ROOT


def _child(mode: str, data_dir) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tests.admin_crash", mode, str(data_dir)], cwd=ROOT,
                          capture_output=True, text=True, encoding="utf-8", timeout=600)


def _state(mode: str, data_dir) -> dict:
    result = _child(mode, data_dir)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_process_killed_half_way_through_an_ingest_loses_nothing_and_leaves_nothing(fresh_data_dir):
    before = _state("state", fresh_data_dir)
    assert before["live_chunks"] == before["vectors"]

    crashed = _child("crash", fresh_data_dir)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr

    found = _state("raw", fresh_data_dir)  # as the next process finds it, before any repair
    stray = set(found["vectors"]) - set(before["vectors"])
    assert stray  # the first batch of the dead ingest did reach Chroma …
    assert {k: found[k] for k in ("generation", "documents", "live_chunks")} == \
        {k: before[k] for k in ("generation", "documents", "live_chunks")}  # … the registry never knew

    after = _state("state", fresh_data_dir)  # start-up repair
    assert after["vectors"] == before["vectors"] == after["live_chunks"]
    assert after["documents"] == before["documents"]
    assert SOURCE not in after["cited"]


def test_deleted_content_uploaded_again_gets_a_new_id_and_the_history_stays(fresh_engine):
    admin = DocumentAdmin(fresh_engine)
    first = admin.upload_sync(files.txt_bytes(3), "xe.txt", "test")
    assert fresh_engine.remove(first.document["doc_id"], actor="test")
    again = admin.upload_sync(files.txt_bytes(3), "xe-lai.txt", "test")
    assert again.status == "added" and again.document["doc_id"] != first.document["doc_id"]
    rows = {d["doc_id"]: (d["status"], d["source"]) for d in fresh_engine.documents(include_history=True)}
    assert rows[first.document["doc_id"]] == ("deleted", "xe.txt")
    assert rows[again.document["doc_id"]] == ("active", "xe-lai.txt")
    assert files.cited_sources(fresh_engine.ask(files.TXT_QUESTION)) == ["xe-lai.txt"]
    unchanged = admin.upload_sync(files.txt_bytes(3), "xe-ban-sao.txt", "test")
    assert unchanged.status == "unchanged" and unchanged.document["doc_id"] == again.document["doc_id"]
    files.assert_consistent(fresh_engine)


def _vni(text: str) -> str:
    """Vietnamese as VNI-Windows fonts store it, read as Latin-1 ("Hội" -> "Hoäi")."""
    import unicodedata

    tones = {"\u0301": "ù", "\u0300": "ø", "\u0309": "û", "\u0303": "õ", "\u0323": "ï"}
    hat_tones = {"\u0301": "á", "\u0300": "à", "\u0309": "å", "\u0303": "ã", "\u0323": "ä"}
    out = []
    for ch in text:
        if ch in "đĐ":
            out.append("ñ" if ch == "đ" else "Ñ")
            continue
        base, *marks = unicodedata.normalize("NFD", ch)
        tone = next((m for m in marks if m in tones), None)
        if "\u0302" in marks:
            out.append(base + (hat_tones[tone] if tone else "â"))
        elif "\u031b" in marks:
            out.append(("ô" if base in "oO" else "ö") + (tones[tone] if tone else ""))
        else:
            out.append(base + (tones[tone] if tone else ""))
    return "".join(out)


def test_vni_text_inside_html_or_docx_is_refused_with_the_fix():
    sentence = ("Hội nghị Ngoại vụ toàn quốc lần thứ 19 đã diễn ra tại Hà Nội với sự tham dự của "
                "đại diện các địa phương và các cơ quan đối ngoại. ")
    legacy = _vni(sentence) * 6
    html = f"<html><body><article><p>{legacy}</p></article></body></html>".encode()
    for name, data in (("vni.html", html), ("vni.docx", files.docx_bytes("Hoäi nghò", [legacy], [["a", "b"]]))):
        with pytest.raises(IngestError, match="TCVN3/ABC hoặc VNI"):
            load_bytes(data, name)
    assert load_bytes((sentence * 6).encode(), "unicode.txt").text.startswith("Hội nghị")


def test_html_without_article_markup_drops_navigation_sidebars_and_footers():
    page = """<html><body><div class="top-menu"><ul><li>Trang chủ</li><li>Thời sự</li></ul></div>
    <div id="content"><h1>Thông báo lịch tiếp công dân</h1>
    <p>Sở Ngoại vụ tỉnh Hà Nam tiếp công dân vào ngày 15 hằng tháng tại trụ sở số 9 đường Trần Phú.</p>
    <div class="share-buttons">Chia sẻ Facebook Zalo</div></div>
    <div role="complementary"><p>Tin đọc nhiều: giá vàng</p></div>
    <div class="site-footer">Bản quyền Cổng thông tin Hà Nam</div></body></html>"""
    document = load_bytes(page.encode(), "lich.html")
    assert document.title == "Thông báo lịch tiếp công dân"
    assert "ngày 15 hằng tháng" in document.text
    for furniture in ("Trang chủ", "Chia sẻ", "giá vàng", "Bản quyền"):
        assert furniture not in document.text


def test_pdf_headings_stay_apart_from_the_paragraph_after_them():
    document = load_bytes(files.pdf_bytes(), "bc.pdf")
    assert document.title == files.PDF_TITLE
    assert document.text.split("\n")[0] == files.PDF_TITLE
    assert "đến làm việc tại tỉnh." in document.text  # the wrapped line was joined back


def test_file_names_are_cleaned_for_citations():
    assert clean_source_name("../../etc/passwd") == "passwd"
    assert clean_source_name("C:\\Users\\lan\\Báo cáo.pdf") == "Báo cáo.pdf"
    assert clean_source_name("a\x00b\nc.txt") == "abc.txt"
    assert clean_source_name("") == "tai-lieu"
    assert len(clean_source_name("x" * 500 + ".docx")) <= 255
    long_name = "huong-dan-" * 14 + "giao-dich-doi-ngoai.md"  # 162 characters: shown whole
    assert clean_source_name(long_name) == long_name
    assert clean_source_name("x" * 500 + ".docx").endswith(".docx")


def test_example_questions_ask_about_a_figure_or_a_date():
    text = ("Kế hoạch đối ngoại năm 2031\n"
            "Năm 2031, tỉnh Quảng Trị đã ký 42 thỏa thuận hợp tác quốc tế với các đối tác châu Âu.\n"
            "Hội nghị Ngoại vụ toàn quốc lần thứ 99 khai mạc tại Cần Thơ ngày 5/9/2031.\n"
            "Theo Quyết định 272-QĐ/TW, kim ngạch xuất khẩu qua cửa khẩu tăng 20% so với năm 2030.\n"
            "Đoàn | Số người.\nNhật Bản | 12 người của Bộ Ngoại giao Nhật Bản.")
    assert candidate_questions(text) == [
        "Năm 2031, tỉnh Quảng Trị đã ký bao nhiêu thỏa thuận hợp tác quốc tế với các đối tác châu Âu?",
        "Theo Quyết định 272-QĐ/TW, kim ngạch xuất khẩu qua cửa khẩu tăng bao nhiêu phần trăm so với năm 2030?",
        "Hội nghị Ngoại vụ toàn quốc lần thứ 99 khai mạc tại Cần Thơ ngày nào?",
        "Nhật Bản: bao nhiêu người của Bộ Ngoại giao Nhật Bản?",  # table rows come last
    ]
    assert candidate_questions("Quy chế số 272 gồm 5 chương và các điều khoản thi hành chung.") == [
        "Quy chế số 272 gồm bao nhiêu chương và các điều khoản thi hành chung?"]
    assert candidate_questions("Văn bản này không có con số nào cả, chỉ có lời văn.") == []


class SlowIngestEngine:
    """An engine whose ingests wait until released (a long embedding), answering at once."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Semaphore(0)

    def ingest_bytes(self, data, source, actor, replaces="", **metadata):
        self.started.release()
        self.release.wait(timeout=120)
        raise IngestError("thử")

    def ask(self, question):
        return Answer(question, "trả lời", refused=True)

    def remove(self, doc_id, actor="cli"):
        return False

    def documents(self, include_history=False):
        return []


def test_questions_are_answered_while_many_uploads_wait_their_turn():
    engine = SlowIngestEngine()
    admin = DocumentAdmin(engine)

    async def scenario() -> str:
        uploads = [asyncio.ensure_future(admin.upload(b"x", f"{i}.txt", "test")) for i in range(12)]
        await asyncio.to_thread(engine.started.acquire, True, 60)  # the first ingest is running
        # More waiting uploads than the default thread pool has threads: a question still goes through.
        answer = await asyncio.wait_for(asyncio.to_thread(engine.ask, "Câu hỏi?"), timeout=60)
        engine.release.set()
        outcomes = await asyncio.gather(*uploads, return_exceptions=True)
        assert all(isinstance(o, IngestError) for o in outcomes)
        return answer.answer

    assert asyncio.run(scenario()) == "trả lời"
