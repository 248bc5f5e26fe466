"""Real office files, end to end through the real engine: scanned regulations (image-only PDFs read
by Tesseract) against the same regulations uploaded as text, a phone photo of a page, a legacy
.doc (antiword), .odt, .xlsx, .ods and a PDF table; bad files leave the store as it was.

The scans and the photo are made here from text (printed with fpdf2, rasterised at 150 dpi, grey,
tilted, noisy); tests/data/ke-hoach-don-doan-lao.doc was saved by LibreOffice (soffice --headless
--convert-to doc) from a DOCX written with python-docx."""
from __future__ import annotations

import io
import shutil
import time
from pathlib import Path

import pytest

from knowledge import ocr
from knowledge.loaders import MAX_OCR_PAGES, IngestError, load_bytes
from config.settings import Settings
from retrieval.engine import AnswerEngine
from tests.office_documents import DOCUMENTS, QUESTIONS, as_text
from tests.scans import photo_jpeg, printed_pdf, scanned_pdf

DATA = Path(__file__).parent / "data"
needs_ocr = pytest.mark.skipif(bool(ocr.missing()), reason=f"OCR unavailable: {ocr.missing()}")


@pytest.fixture(scope="module")
def engine(seed_data_dir, tmp_path_factory) -> AnswerEngine:
    """This module's own copy of the seeded index."""
    directory = tmp_path_factory.mktemp("office") / "data"
    shutil.copytree(seed_data_dir, directory)
    return AnswerEngine.open(Settings(data_dir=directory))


def right(answer, document: str, expected: str) -> bool:
    return (not answer.refused and expected in answer.answer and bool(answer.citations)
            and answer.citations[0].source.startswith(document))


def score(engine: AnswerEngine) -> tuple[int, list]:
    answers = [(q, engine.ask(q), doc, expected) for q, doc, expected in QUESTIONS]
    return sum(right(a, doc, expected) for _, a, doc, expected in answers), answers


@needs_ocr
def test_scanned_regulations_answer_as_well_as_the_same_text(engine):
    text_ids = [engine.ingest_bytes(as_text(text).encode(), f"{name}.txt", actor="test").document.doc_id
                for name, text in DOCUMENTS.items()]
    text_right, _ = score(engine)
    for doc_id in text_ids:
        engine.remove(doc_id)

    readings, seconds, pages = [], 0.0, 0
    for name, text in DOCUMENTS.items():
        scan = scanned_pdf(text, dpi=150, tilt=1.0, noise=12.0)
        assert len(load_bytes_text_layer(scan)) == 0  # image-only: no text layer at all
        result = engine.ingest_bytes(scan, f"{name}.pdf", actor="test")
        reading = result.document.reading
        readings.append(reading)
        seconds += reading["seconds"]
        pages += reading["ocr_pages"]
    scan_right, answers = score(engine)
    print(f"\nOCR: {pages} pages in {seconds:.1f} s ({seconds / pages:.1f} s a page); "
          f"right: text {text_right}/{len(QUESTIONS)}, scans {scan_right}/{len(QUESTIONS)}")
    assert text_right >= len(QUESTIONS) * 0.75  # the questions are answerable at all
    assert scan_right >= 0.9 * text_right
    for reading in readings:
        assert reading["ocr"] and reading["confidence"] >= 80 and not reading["low_confidence"]
    # The citation of a two-page scan names the page the clause stands on.
    located = [a.citations[0].location for _, a, doc, _ in answers if doc == "quy-che-doan-ra" and not a.refused]
    assert any(location.endswith("trang 1") for location in located)
    assert any(location.endswith("trang 2") for location in located)


def load_bytes_text_layer(pdf: bytes) -> str:
    from pypdf import PdfReader

    return "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages).strip()


PHOTO_PAGE = """# SỞ NGOẠI VỤ
# THÔNG BÁO LỊCH TIẾP CÔNG DÂN VỀ LÃNH SỰ
Bộ phận một cửa của Sở Ngoại vụ tiếp nhận hồ sơ hợp pháp hóa lãnh sự vào sáng thứ Ba và thứ Năm hằng tuần.
Thời hạn trả kết quả hợp pháp hóa lãnh sự là 03 ngày làm việc kể từ ngày nhận đủ hồ sơ.
Lệ phí chứng nhận lãnh sự là 30.000 đồng cho mỗi bản giấy tờ.
"""


@needs_ocr
def test_a_phone_photo_of_a_page_answers_its_questions(engine):
    photo = photo_jpeg(PHOTO_PAGE, angle=3.0, quality=70)
    result = engine.ingest_bytes(photo, "anh-thong-bao.jpg", actor="test")
    assert result.document.reading["ocr"] and result.document.reading["pages"] == 1
    answer = engine.ask("Hợp pháp hóa lãnh sự mất bao nhiêu ngày?")
    assert right(answer, "anh-thong-bao", "03 ngày làm việc"), answer.answer
    answer = engine.ask("Lệ phí chứng nhận lãnh sự là bao nhiêu?")
    assert right(answer, "anh-thong-bao", "30.000 đồng"), answer.answer


def test_a_legacy_doc_answers_from_its_text_and_its_table(engine):
    if shutil.which("antiword") is None:
        pytest.skip("antiword is not installed")
    result = engine.ingest_bytes((DATA / "ke-hoach-don-doan-lao.doc").read_bytes(), "ke-hoach.doc", actor="test")
    assert result.document.title == "Kế hoạch đón đoàn khách Lào năm 2026"
    assert "Ngày: 13/5/2026 | Nội dung: Thăm khu kinh tế cửa khẩu" in result.document.text
    answer = engine.ask("Đoàn khách tỉnh Luang Prabang gồm bao nhiêu thành viên?")
    assert right(answer, "ke-hoach", "15 thành viên"), answer.answer


def odt_bytes() -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.table import Table, TableCell, TableRow
    from odf.text import H, P

    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text="Báo cáo công tác lãnh sự quý I năm 2026"))
    document.text.addElement(P(text="Trong quý I năm 2026, Sở Ngoại vụ đã cấp 412 hộ chiếu công vụ cho cán bộ của tỉnh."))
    table = Table()
    for cells in (["Loại việc", "Số hồ sơ"], ["Hợp pháp hóa lãnh sự", "156"], ["Chứng nhận lãnh sự", "98"]):
        row = TableRow()
        for value in cells:
            cell = TableCell()
            cell.addElement(P(text=value))
            row.addElement(cell)
        table.addElement(row)
    document.text.addElement(table)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def test_an_odt_answers_from_its_content(engine):
    result = engine.ingest_bytes(odt_bytes(), "bao-cao-lanh-su.odt", actor="test")
    assert result.document.title == "Báo cáo công tác lãnh sự quý I năm 2026"
    assert "Loại việc: Chứng nhận lãnh sự | Số hồ sơ: 98 hồ sơ." in result.document.text
    answer = engine.ask("Quý I năm 2026 Sở Ngoại vụ cấp bao nhiêu hộ chiếu công vụ?")
    assert right(answer, "bao-cao-lanh-su", "412 hộ chiếu"), answer.answer


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Đoàn vào 2026"
    sheet.append(["Thống kê đoàn khách nước ngoài đến các tỉnh biên giới năm 2026"])
    sheet.append(["Tỉnh", "Số đoàn", "Số lượt khách", "Kinh phí đón tiếp (triệu đồng)"])
    for row in (["Lào Cai", 12, 340, 415.5], ["Hà Giang", 7, 95, 120], ["Điện Biên", 5, 61, 88]):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_row_is_read_with_its_headers_and_answers(engine):
    result = engine.ingest_bytes(xlsx_bytes(), "thong-ke-doan-vao.xlsx", actor="test")
    text = result.document.text
    assert "Tỉnh: Lào Cai | Số đoàn: 12 đoàn | Số lượt khách: 340 lượt khách" in text
    assert "Kinh phí đón tiếp (triệu đồng): 415,5 triệu đồng" in text
    answer = engine.ask("Năm 2026 tỉnh Hà Giang đón bao nhiêu đoàn khách nước ngoài?")
    assert right(answer, "thong-ke-doan-vao", "7 đoàn"), answer.answer


def ods_bytes() -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    table = Table(name="Hiệp định")
    for cells in (["Đối tác", "Số thỏa thuận quốc tế"], ["Lào", "9"], ["Trung Quốc", "4"]):
        row = TableRow()
        for value in cells:
            cell = TableCell(valuetype="float", value=value) if value.isdigit() else TableCell()
            cell.addElement(P(text=value))
            row.addElement(cell)
        table.addElement(row)
    table.addElement(TableRow(numberrowsrepeated=1_048_000))  # a sheet's blank rows are not expanded
    document.spreadsheet.addElement(table)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def test_an_ods_is_read_by_row_with_headers():
    document = load_bytes(ods_bytes(), "thoa-thuan.ods")
    assert "Đối tác: Lào | Số thỏa thuận quốc tế: 9 thỏa thuận quốc tế." in document.text
    assert "Đối tác: Trung Quốc" in document.text


def test_a_table_inside_a_pdf_is_read_by_row_and_answers(engine):
    text = """# BÁO CÁO HỢP TÁC GIÁO DỤC VỚI CÁC ĐỊA PHƯƠNG NƯỚC NGOÀI
Năm 2026, các trường của tỉnh tiếp nhận lưu học sinh từ các địa phương đối tác như sau.
Địa phương đối tác | Số lưu học sinh | Số giảng viên trao đổi
Tỉnh Bokeo | 126 | 8
Tỉnh Vân Nam | 48 | 3
"""
    result = engine.ingest_bytes(printed_pdf(text), "hop-tac-giao-duc.pdf", actor="test")
    assert "Địa phương đối tác: Tỉnh Bokeo | Số lưu học sinh: 126 lưu học sinh" in result.document.text
    answer = engine.ask("Năm 2026 tỉnh tiếp nhận bao nhiêu lưu học sinh của tỉnh Bokeo?")
    assert right(answer, "hop-tac-giao-duc", "126 lưu học sinh"), answer.answer


# -- bad files: a clear message, and the store as it was ------------------------------------------

def blank_scan() -> bytes:
    from PIL import Image

    page = Image.new("L", (1240, 1754), 250)  # A4 at 150 dpi, nothing on it
    return image_pdf([page])


def image_pdf(images) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(unit="pt")
    for image in images:
        pdf.add_page(format=(image.width * 72 / 150, image.height * 72 / 150))
        pdf.image(image, x=0, y=0, w=image.width * 72 / 150, h=image.height * 72 / 150)
    return bytes(pdf.output())


def cat_photo() -> bytes:
    """A furry, striped animal-ish picture: shapes and texture, no writing."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter

    rng = np.random.default_rng(5)
    fur = rng.normal(150, 40, (900, 1200)).clip(0, 255).astype(np.uint8)
    image = Image.fromarray(fur).filter(ImageFilter.GaussianBlur(2)).convert("RGB")
    draw = ImageDraw.Draw(image)
    draw.ellipse((300, 200, 900, 800), fill=(200, 140, 60))
    draw.polygon([(330, 330), (380, 80), (520, 250)], fill=(190, 130, 50))
    draw.polygon([(870, 330), (820, 80), (680, 250)], fill=(190, 130, 50))
    for y in range(260, 780, 45):
        draw.arc((320, y, 880, y + 120), 200, 340, fill=(90, 60, 20), width=9)
    draw.ellipse((450, 420, 520, 480), fill=(30, 160, 60))
    draw.ellipse((680, 420, 750, 480), fill=(30, 160, 60))
    buffer = io.BytesIO()
    image.filter(ImageFilter.GaussianBlur(1)).save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def locked_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(printed_pdf(as_text(DOCUMENTS["huong-dan-hoi-nghi"])))))
    writer.encrypt("mat-khau")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def long_scan(pages: int) -> bytes:
    from PIL import Image, ImageDraw

    page = Image.new("L", (620, 877), 255)
    ImageDraw.Draw(page).text((40, 40), "Trang quét", fill=0)
    return image_pdf([page] * pages)


@pytest.mark.parametrize("make, name, message", [
    pytest.param(blank_scan, "scan-trang.pdf", "không nhận dạng được chữ", marks=needs_ocr),
    pytest.param(cat_photo, "con-meo.jpg", "không nhận dạng được chữ", marks=needs_ocr),
    pytest.param(locked_pdf, "khoa.pdf", "mật khẩu"),
    pytest.param(lambda: long_scan(200), "200-trang.pdf", f"giới hạn nhận dạng chữ {MAX_OCR_PAGES} trang"),
])
def test_a_bad_file_gets_a_clear_message_and_changes_nothing(engine, make, name, message):
    before = engine.documents(include_history=True)
    started = time.perf_counter()
    with pytest.raises(IngestError, match=message):
        engine.ingest_bytes(make(), name, actor="test")
    assert engine.documents(include_history=True) == before
    if name.startswith("200"):
        assert time.perf_counter() - started < 30  # refused before any page is read


def test_ocr_progress_is_told_page_by_page():
    if ocr.missing():
        pytest.skip(ocr.missing())
    from PIL import Image, ImageDraw

    pages = []
    for n in range(2):
        page = Image.new("L", (1240, 600), 255)
        ImageDraw.Draw(page).text((60, 60), f"Trang so {n + 1} cua ban quet thu nghiem co du chu de doc", fill=0)
        pages.append(page)
    seen = []
    try:  # tiny default-font lines: read or refused, the pages are told either way
        load_bytes(image_pdf(pages), "hai-trang.pdf", on_page=lambda done, total: seen.append((done, total)))
    except IngestError:
        pass
    assert seen == [(1, 2), (2, 2)]


@needs_ocr
def test_a_text_pdf_with_a_blank_page_is_read_and_not_reported_as_ocr():
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("DejaVu", "", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    pdf.set_font("DejaVu", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 7, as_text(DOCUMENTS["huong-dan-hoi-nghi"]))
    pdf.add_page()  # the blank back of the last sheet
    document = load_bytes(bytes(pdf.output()), "huong-dan.pdf")
    assert "200 triệu đồng" in document.text and document.reading == {}
