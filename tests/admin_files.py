"""Fixture files for the document-administration tests, generated here (nothing is shipped):
a PDF with a text layer, a DOCX with a table, an HTML page with navigation around the article,
plain text, and the bad files (zip bomb, corrupt PDF, empty). Each states facts that no shipped
article holds, so a question about them is answered from the upload or not at all."""
from __future__ import annotations

import io
import os
import shutil
import time
import zipfile
from pathlib import Path
from typing import Callable

from langchain_core.embeddings import Embeddings

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

PDF_TITLE = "Báo cáo công tác đón tiếp khách quốc tế của tỉnh Hà Giang năm 2031"
PDF_LINES = [
    PDF_TITLE,
    "Năm 2031, Sở Ngoại vụ tỉnh Hà Giang đã đón 347 đoàn khách quốc tế đến làm việc tại tỉnh.",
    "Các đoàn chủ yếu đến từ Hàn Quốc, Nhật Bản và Liên minh châu Âu.",
]
PDF_QUESTION = "Năm 2031 Sở Ngoại vụ tỉnh Hà Giang đã đón bao nhiêu đoàn khách quốc tế?"
PDF_FACT = "347"

DOCX_TITLE = "Hướng dẫn phân bổ phiên dịch viên cho đoàn ra năm 2031"
DOCX_PARAGRAPHS = ["Bảng sau quy định số phiên dịch viên bố trí cho mỗi đoàn ra của tỉnh Sơn La năm 2031."]
DOCX_TABLE = [
    ["Ngôn ngữ", "Số phiên dịch viên cho mỗi đoàn ra của tỉnh Sơn La"],
    ["Tiếng Lào", "6 phiên dịch viên tiếng Lào cho mỗi đoàn ra của tỉnh Sơn La"],
    ["Tiếng Thái", "2 phiên dịch viên tiếng Thái cho mỗi đoàn ra của tỉnh Sơn La"],
]
DOCX_QUESTION = "Mỗi đoàn ra của tỉnh Sơn La được bố trí bao nhiêu phiên dịch viên tiếng Lào?"
DOCX_FACT = "6 phiên dịch viên"

HTML_TITLE = "Cao Bằng tổ chức Diễn đàn hợp tác biên giới lần thứ 7"
HTML_NAVIGATION = ["Trang chủ", "Chuyên mục Thời sự", "Liên hệ tòa soạn"]
HTML_FOOTER = "Bản quyền thuộc Cổng thông tin điện tử tỉnh Cao Bằng"
HTML_QUESTION = "Diễn đàn hợp tác biên giới lần thứ 7 tại Cao Bằng có bao nhiêu doanh nghiệp tham dự?"
HTML_FACT = "215"

TXT_TITLE = "Quy định bố trí xe đưa đón đoàn khách cấp tỉnh của tỉnh Kon Tum"
TXT_QUESTION = "Mỗi đoàn khách cấp tỉnh của tỉnh Kon Tum được bố trí bao nhiêu xe đưa đón?"


def pdf_bytes(lines: list[str] = PDF_LINES) -> bytes:
    """A PDF with a real text layer (DejaVu: Vietnamese glyphs)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("DejaVu", fname=FONT)
    pdf.set_font("DejaVu", size=12)
    for line in lines:
        pdf.multi_cell(0, 8, line)
        pdf.ln(4)
    return bytes(pdf.output())


def long_pdf_bytes(pages: int, facts: dict[int, str]) -> bytes:
    """A PDF of `pages` pages of guidance text; facts[page] is one sentence placed on that page."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("DejaVu", fname=FONT)
    pdf.set_font("DejaVu", size=11)
    for page in range(1, pages + 1):
        pdf.add_page()
        pdf.multi_cell(0, 7, new_x="LMARGIN", new_y="NEXT", text=f"Mục {page}. Hướng dẫn nghiệp vụ đối ngoại địa phương, phần {page}")
        for n in range(1, 9):
            pdf.multi_cell(0, 6, new_x="LMARGIN", new_y="NEXT", text=(
                f"Khoản {page}.{n}: Cơ quan chủ trì của tỉnh cần phối hợp với các sở, ngành liên quan "
                f"để chuẩn bị nội dung làm việc, bố trí lịch tiếp và báo cáo kết quả hoạt động đối ngoại "
                f"trong thời hạn {n + 4} ngày làm việc kể từ khi kết thúc chương trình số {page * 10 + n}."))
        if page in facts:
            pdf.multi_cell(0, 6, new_x="LMARGIN", new_y="NEXT", text=facts[page])
    return bytes(pdf.output())


def docx_bytes(title: str = DOCX_TITLE, paragraphs: list[str] = DOCX_PARAGRAPHS,
               table: list[list[str]] = DOCX_TABLE) -> bytes:
    """A DOCX with a heading, a paragraph and a table."""
    import docx

    document = docx.Document()
    document.add_heading(title, level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    grid = document.add_table(rows=len(table), cols=len(table[0]))
    for r, row in enumerate(table):
        for c, value in enumerate(row):
            grid.cell(r, c).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def html_bytes() -> bytes:
    """A news page: navigation, a sidebar and a footer around the article."""
    links = "".join(f'<li><a href="/{i}">{text}</a></li>' for i, text in enumerate(HTML_NAVIGATION))
    return f"""<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Tin tức | Cao Bằng</title>
<script>window.dataLayer = [];</script></head><body>
<header><nav><ul>{links}</ul></nav></header>
<aside><h3>Tin đọc nhiều</h3><p>Giá vàng hôm nay tăng mạnh.</p></aside>
<article><h1>{HTML_TITLE}</h1>
<p>Ngày 14/3/2031, tỉnh Cao Bằng tổ chức Diễn đàn hợp tác biên giới lần thứ 7 với 215 doanh nghiệp tham dự.</p>
<p>Diễn đàn tập trung vào thương mại cửa khẩu và logistics xuyên biên giới.</p>
</article>
<footer><p>{HTML_FOOTER}</p></footer></body></html>""".encode("utf-8")


def txt_bytes(cars: int) -> bytes:
    return (f"{TXT_TITLE}\n\nTheo quy định mới, mỗi đoàn khách cấp tỉnh của tỉnh Kon Tum được bố trí "
            f"{cars} xe đưa đón trong suốt thời gian làm việc.\n").encode("utf-8")


def zip_bomb_docx() -> bytes:
    """A DOCX-shaped zip whose document.xml inflates to 150 MB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<a>" + b"0" * (150 * 1024 * 1024) + b"</a>")
    return buffer.getvalue()


CORRUPT_PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nstream\n\x00\x9f garbage"


class CrashingEmbeddings(Embeddings):
    """The embedding backend, failing on a given call of embed_documents (a model server that
    went away half-way through a document). Earlier calls are served with copies of one real
    vector: cheap, and those vectors must be thrown away anyway."""

    def __init__(self, inner: Embeddings, fail_on_call: int = 2) -> None:
        self.inner, self.fail_on_call, self.calls, self.name = inner, fail_on_call, 0, inner.name
        self.armed = True

    def embed_documents(self, texts):
        if not self.armed:
            return self.inner.embed_documents(texts)
        self.calls += 1
        if self.calls >= self.fail_on_call:
            raise RuntimeError("embedding backend went away")
        return [self.inner.embed_query("đoạn")] * len(texts)

    def embed_query(self, text):
        return self.inner.embed_query(text)


def many_paragraphs(count: int, topic: str) -> bytes:
    """A text file with `count` paragraphs (so more than one embedding batch)."""
    lines = [topic, ""] + [f"Đoạn {i}: nội dung hướng dẫn số {i} về {topic.lower()} cho các địa phương, "
                           f"kèm yêu cầu báo cáo định kỳ." for i in range(count)]
    return "\n\n".join(lines).encode("utf-8")


def index_state(engine) -> tuple:
    """What is searchable: the registry's documents and generation, and Chroma's vector ids."""
    kb = engine.kb
    return (kb.registry.generation(),
            sorted((d["doc_id"], d["status"]) for d in kb.documents(include_history=True)),
            sorted(kb.vectors.get(include=[])["ids"]))


def assert_consistent(engine) -> None:
    """The registry's live chunks and Chroma's vectors are the same set."""
    kb = engine.kb
    live = {row["chunk_id"] for row in kb.registry.active_chunks()}
    stored = set(kb.vectors.get(include=[])["ids"])
    assert live == stored, (sorted(live - stored)[:5], sorted(stored - live)[:5])


def cited_sources(answer) -> list[str]:
    """The file names an answer (an Answer or its JSON) cites."""
    citations = answer["citations"] if isinstance(answer, dict) else answer.citations
    return [c["source"] if isinstance(c, dict) else c.source for c in citations]


def copy_data_dir(seed_data_dir: Path, target: Path) -> Path:
    shutil.copytree(seed_data_dir, target)
    return target


def wait_for(condition: Callable[[], object], timeout: float = 180, message: str = "") -> object:
    """Poll until `condition()` is truthy (work done in the background); fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting: {message}")
        time.sleep(0.05)


def have_font() -> bool:
    return os.path.exists(FONT)
