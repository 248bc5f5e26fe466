"""Documents in, clean chunks out: cleaning, loaders for every format, chunking."""
import io
import zipfile

import pytest

from knowledge.chunking import MAX_CHARS, chunk_document
from knowledge.clean import clean_text
from knowledge.loaders import IngestError, load_bytes
from knowledge.models import Document
from knowledge.seeds import seed_documents
from tests.admin_files import docx_bytes, pdf_bytes

ARTICLE = ("Hội nghị Ngoại vụ toàn quốc lần thứ 99 khai mạc tại Cần Thơ ngày 5/9/2031. "
           "Chủ đề của Hội nghị là “Đối ngoại địa phương vì tăng trưởng xanh”. "
           "Có 63 tỉnh, thành phố tham dự.")


def test_seeds_keep_their_file_names_and_metadata():
    documents = {d.source: d for d in seed_documents()}
    assert sorted(documents) == ["000_0ddbb26273df8b98.txt", "001_77e8788b0c305808.txt", "002_8b352d2e7897d8d0.txt",
                                 "003_0c43224a5ea66088.txt", "004_33eb26a82bd3da21.txt"]
    first = documents["000_0ddbb26273df8b98.txt"]
    assert first.title == "Tăng cường hiệu quả công tác đối ngoại địa phương"
    assert first.date == "03/01/2020" and "TG&VN" in first.publisher
    assert documents["001_77e8788b0c305808.txt"].publisher == "VOV.VN"


def test_cleaning_removes_furniture_but_keeps_facts():
    raw = ("Tiêu đề bài\n📞\nTIN LIÊN QUAN\n"
           "tang cuong hieu qua cong tac doi ngoai dia phuong Nâng cao hiệu quả đối ngoại trong tình hình mới\n"
           "tang cuong hieu qua cong tac doi ngoai dia phuong\n"
           "Cục trưởng Cục Ngoại vụ Nguyễn Hoàng Long. (Ảnh: Tuấn Anh)\n"
           "Bạn muốn trở thành VIP/PRO trên 24HMONEY?\nLiên hệ 24HMONEY ngay\nBình luận\n")
    text = clean_text(raw)
    assert "Cục trưởng Cục Ngoại vụ Nguyễn Hoàng Long." in text  # the caption states who attended
    assert "Nâng cao hiệu quả đối ngoại trong tình hình mới" in text  # the teaser stays
    for furniture in ("Ảnh:", "Tuấn Anh", "TIN LIÊN QUAN", "tang cuong", "24HMONEY", "Bình luận", "📞"):
        assert furniture not in text


def test_seed_cleaning_drops_ads_and_credits():
    text = next(d.text for d in seed_documents() if d.source.startswith("002"))
    assert "24HMONEY" not in text and "Bình luận" not in text
    assert "119 thỏa thuận được ký mới" in text


def test_txt_and_markdown_load():
    document = load_bytes(ARTICLE.encode("utf-8"), "tin.txt")
    assert document.source == "tin.txt" and "Cần Thơ" in document.text
    markdown = load_bytes(("# Thông báo\n\n" + ARTICLE).encode("utf-8-sig"), "tb.md")
    assert "63 tỉnh" in markdown.text


def test_html_keeps_the_article_only():
    html = f"""<html><head><title>Trang</title><script>var x=1;</script></head><body>
    <nav><a href="/">Trang chủ</a> <a href="/tin">Tin tức</a></nav>
    <article><h1>Hội nghị 99</h1><p>{ARTICLE}</p><ul><li>Mục một của danh sách</li></ul></article>
    <footer>Bản quyền thuộc về tòa soạn</footer></body></html>"""
    document = load_bytes(html.encode(), "trang.html")
    assert document.title == "Hội nghị 99"
    assert "Cần Thơ" in document.text and "Mục một của danh sách" in document.text
    assert "Trang chủ" not in document.text and "Bản quyền" not in document.text and "var x" not in document.text


def test_pdf_with_text_layer_loads():
    document = load_bytes(pdf_bytes([ARTICLE]), "tin.pdf")
    assert "Cần Thơ" in document.text and "5/9/2031" in document.text


def test_docx_headings_and_tables_come_through():
    document = load_bytes(docx_bytes("Hướng dẫn đón đoàn", [ARTICLE], [["Đoàn", "Số người"], ["Nhật Bản", "12"]]), "hd.docx")
    assert "Hướng dẫn đón đoàn" in document.text
    assert "Đoàn: Nhật Bản | Số người: 12 người." in document.text  # each row with its headers, the count its unit


def test_type_is_sniffed_from_content_not_name():
    document = load_bytes(pdf_bytes([ARTICLE]), "misnamed.txt")
    assert "Cần Thơ" in document.text


@pytest.mark.parametrize("data, message", [
    (b"", "trống"),
    (b"   \n\t ", "trống"),
    (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage", "PDF"),
    (b"\x00\x01\x02\x03binary" * 50, "không phải văn bản"),
    ("Héi nghÞ Ngo¹i vô toµn quèc lÇn thø 19 ®· diÔn ra t¹i Hµ Néi. ".encode("latin-1") * 20, "TCVN3"),
])
def test_bad_files_get_a_clear_reason(data, message):
    with pytest.raises(IngestError) as error:
        load_bytes(data, "x.txt")
    assert message in str(error.value)


def test_pdf_without_text_layer_is_named_as_such():
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(10, 10, 100, 100, style="F")  # a "scan": marks, no text
    with pytest.raises(IngestError, match="không có lớp văn bản"):
        load_bytes(bytes(pdf.output()), "scan.pdf")


def test_docx_zip_bomb_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<a>" + b"0" * (150 * 1024 * 1024) + b"</a>")
    with pytest.raises(IngestError, match="quá lớn"):
        load_bytes(buffer.getvalue(), "bomb.docx")


def test_chunks_are_whole_sentences_with_true_offsets():
    for document in seed_documents():
        chunks = chunk_document(document)
        assert chunks
        for chunk in chunks:
            assert document.text[chunk.start:chunk.end] == chunk.text
            assert len(chunk.text) <= MAX_CHARS
            assert chunk.chunk_id.startswith(document.doc_id + ":")
            for start, end in chunk.sentences:
                assert chunk.start <= start < end <= chunk.end


def test_sentence_splitter_respects_abbreviations():
    document = Document(source="t.txt", text="Phó Chủ tịch UBND TP. Đà Nẵng đưa ra 5 kiến nghị. Ông Minh nhấn mạnh điều đó.")
    sentences = [document.text[a:b] for c in chunk_document(document) for a, b in c.sentences]
    assert sentences == ["Phó Chủ tịch UBND TP. Đà Nẵng đưa ra 5 kiến nghị.", "Ông Minh nhấn mạnh điều đó."]


def _auto_numbered_docx() -> bytes:
    """A guidance note typed in Word: its articles, clauses and points numbered by Word's lists
    (numbering.xml), so "Điều 2.", "1." and "b)" are nowhere in the paragraphs' text."""
    import io

    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    document = docx.Document()
    numbering = document.part.numbering_part.element
    numbering.insert(0, parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90">'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="Điều %1."/></w:lvl>'
        '</w:abstractNum>'))
    numbering.insert(1, parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="91">'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="%2)"/></w:lvl>'
        '</w:abstractNum>'))
    for num_id, abstract in ((90, 90), (91, 91), (92, 91)):
        numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="{num_id}"><w:abstractNumId w:val="{abstract}"/></w:num>'))

    def numbered(text: str, num_id: int, level: int = 0, style: str | None = None) -> None:
        paragraph = document.add_paragraph(text, style=style)
        paragraph._p.get_or_add_pPr().insert(0, parse_xml(
            f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/></w:numPr>'))

    document.add_paragraph("Hướng dẫn đón đoàn khách nước ngoài", style="Title")
    numbered("Phạm vi áp dụng", 90, style="Heading 2")
    document.add_paragraph("Hướng dẫn này áp dụng cho các sở, ban, ngành của tỉnh.")
    numbered("Hồ sơ đề nghị đón đoàn", 90, style="Heading 2")
    numbered("Hồ sơ gồm:", 91)
    numbered("Công văn đề nghị của cơ quan chủ trì;", 91, 1)
    numbered("Danh sách thành viên đoàn.", 91, 1)
    numbered("Hồ sơ gửi Sở Ngoại vụ trước 10 ngày làm việc.", 91)
    numbered("Hiệu lực", 90, style="Heading 2")
    numbered("Hướng dẫn có hiệu lực từ ngày ký.", 92)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_word_auto_numbering_is_read_as_the_page_shows_it():
    from knowledge.chunking import chunk_document
    from knowledge.structure import location

    document = load_bytes(_auto_numbered_docx(), "huong-dan.docx")
    for line in ("Điều 2. Hồ sơ đề nghị đón đoàn", "1. Hồ sơ gồm:", "a) Công văn đề nghị", "b) Danh sách thành viên",
                 "2. Hồ sơ gửi Sở Ngoại vụ", "Điều 3. Hiệu lực", "1. Hướng dẫn có hiệu lực"):
        assert line in document.text, line  # a new list instance counts from its start again
    chunks = chunk_document(document)
    deadline = next(c for c in chunks if "10 ngày làm việc" in c.text)
    assert location(deadline.heading, deadline.text[:deadline.text.index("10 ngày")]) == "Điều 2, khoản 2"


def test_an_html_ordered_list_keeps_the_numbers_a_browser_shows():
    from knowledge.chunking import chunk_document
    from knowledge.structure import location

    page = """<html><body><article><h1>Quy chế đón đoàn</h1><h2>Điều 4. Hồ sơ</h2>
    <ol><li>Hồ sơ gồm:<ol type="a"><li>Công văn đề nghị;</li><li>Danh sách đoàn.</li></ol></li>
    <li>Hồ sơ gửi Sở Ngoại vụ trước 10 ngày làm việc.</li></ol><ul><li>Ghi chú.</li></ul></article></body></html>"""
    document = load_bytes(page.encode(), "quy-che.html")
    lines = document.text.split("\n")
    for line in ("1. Hồ sơ gồm:", "a) Công văn đề nghị;", "b) Danh sách đoàn.", "- Ghi chú."):
        assert line in lines, line  # a nested list's items are lines of their own, not run into "1."
    assert any(line.startswith("2. Hồ sơ gửi Sở Ngoại vụ") for line in lines)
    dossier = next(c for c in chunk_document(document) if "Danh sách đoàn" in c.text)
    assert location(dossier.heading, dossier.text[:dossier.text.index("Danh sách đoàn")]) == "Điều 4, khoản 1"
    deadline = next(c for c in chunk_document(document) if "10 ngày" in c.text)
    assert location(deadline.heading, deadline.text[:deadline.text.index("10 ngày")]) == "Điều 4, khoản 2"
    # Items that read alike are still numbered by their place ("Có" twice: 1. and 3.).
    same = load_bytes("<html><body><ol start='1'><li>Có</li><li>Không</li><li>Có</li></ol></body></html>".encode(), "x.html")
    assert [line for line in same.text.split("\n") if line] == ["1. Có", "2. Không", "3. Có"]


def test_odt_numbered_lists_keep_their_numbers():
    import io

    from odf.opendocument import OpenDocumentText
    from odf.text import H, List, ListItem, ListLevelStyleBullet, ListLevelStyleNumber, ListStyle, P

    from knowledge.chunking import chunk_document
    from knowledge.structure import location

    document = OpenDocumentText()
    numbered = ListStyle(name="L1")
    numbered.addElement(ListLevelStyleNumber(level=1, numformat="1", numsuffix="."))
    numbered.addElement(ListLevelStyleNumber(level=2, numformat="a", numsuffix=")"))
    bullets = ListStyle(name="L2")
    bullets.addElement(ListLevelStyleBullet(level=1, bulletchar="•"))
    document.automaticstyles.addElement(numbered)
    document.automaticstyles.addElement(bullets)
    document.text.addElement(H(outlinelevel=1, text="Quy chế đón đoàn"))
    document.text.addElement(P(text="Điều 4. Hồ sơ"))
    clauses = List(stylename="L1")
    first = ListItem()
    first.addElement(P(text="Hồ sơ gồm:"))
    points = List()
    for text in ("Công văn đề nghị;", "Danh sách đoàn."):
        point = ListItem()
        point.addElement(P(text=text))
        points.addElement(point)
    first.addElement(points)
    clauses.addElement(first)
    second = ListItem()
    second.addElement(P(text="Hồ sơ gửi Sở Ngoại vụ trước 10 ngày làm việc."))
    clauses.addElement(second)
    document.text.addElement(clauses)
    notes = List(stylename="L2")
    note = ListItem()
    note.addElement(P(text="Ghi chú."))
    notes.addElement(note)
    document.text.addElement(notes)
    buffer = io.BytesIO()
    document.write(buffer)
    loaded = load_bytes(buffer.getvalue(), "quy-che.odt")
    for line in ("1. Hồ sơ gồm:", "a) Công văn đề nghị;", "b) Danh sách đoàn.", "2. Hồ sơ gửi Sở Ngoại vụ", "- Ghi chú."):
        assert line in loaded.text, line
    deadline = next(c for c in chunk_document(loaded) if "10 ngày" in c.text)
    assert location(deadline.heading, deadline.text[:deadline.text.index("10 ngày")]) == "Điều 4, khoản 2"
