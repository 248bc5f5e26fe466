"""Read .txt, .md, .html, .pdf, .docx, .doc, .odt, .xlsx, .ods files and JPEG/PNG/TIFF/WebP
images into Documents.

The file type is sniffed from the content, not the name. PDF pages without a usable text layer
and images are read by OCR (knowledge/ocr.py); what the reading found (pages, mean confidence)
travels with the Document for the upload report. Every refusal is an `IngestError` whose message
is Vietnamese and says what to do.
"""
from __future__ import annotations

import io
import logging
import re
import zipfile
from pathlib import Path

from knowledge import ocr
from knowledge.clean import clean_text
from knowledge.errors import IngestError
from knowledge.markup import list_counter, read_markup
from knowledge.models import Document
from knowledge.office import OLE_MAGIC, doc_text, ods_text, odt_text, ole_kind, xlsx_text, zip_kind
from knowledge.tables import table_lines, tables_in_text
from vietnamese.dates import DOCUMENT_DATE, as_document_date, parts_of
from vietnamese.text import normalize

MAX_FILE_BYTES = 20 * 1024 * 1024  # the Bot API's download limit
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024  # a DOCX that inflates beyond this is a zip bomb
MAX_ZIP_ENTRIES = 5000  # a real DOCX has dozens of parts; thousands is an attack or not a DOCX
MAX_SOURCE_CHARS = 255  # a file system's longest name: the uploaded name is shown whole
MIN_TEXT_CHARS = 20
SUPPORTED = "PDF (cả bản quét), DOCX, DOC, ODT, XLSX, ODS, TXT, MD, HTML, ảnh JPG/PNG"
SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".doc", ".odt",
                                ".xlsx", ".ods", ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp"})
MAX_OCR_PAGES = 50  # pages read by OCR in one file (about 3 s a page on a busy core)
LOW_CONFIDENCE = 70.0  # mean OCR confidence (0-100) under which the report warns
MIN_PAGE_LETTERS = 25  # a PDF page with fewer letters in its text layer is read by OCR
# Put between pages while reading; found again after cleaning to know where each page starts.
_PAGE_MARK = "\u27e6trang {n}\u27e7"
_PAGE_MARK_LINE = re.compile(r"^\u27e6trang (\d+)\u27e7$", re.MULTILINE)
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*")
# A name ending like a file type (".csv", ".json", ".rtf"), not like a number (".2020") or a code.
_TYPE_SUFFIX = re.compile(r"\.[a-z][a-z0-9]{0,4}")

# Characters that TCVN3 (ABC) and VNI text shows when decoded as Latin-1 / cp1252: none of them
# is a Vietnamese letter ("Héi nghÞ" is TCVN3, "Hoäi nghò", "ñaõ", "phöông" are VNI).
_LEGACY_MARKERS = re.compile(r"[¸¹¶·Þ®¬©¨ª«¯°±²³µ½¾ÆÇÏÑÖ×ØÛÜßäåæçëîïñöøûüþÿ¤¦§]")
# Vietnamese letters outside Latin-1: legacy text shown as Latin-1 can never contain them.
_VIETNAMESE_LETTERS = re.compile(r"[ăđơưĂĐƠƯạảấầẩẫậắằẳẵặẹẻẽếềểễệỉĩịọỏốồổỗộớờởỡợụủũứừửữựỳỷỹỵ]")
# Page furniture of HTML pages that have no <article>/<main> (class or id names).
_HTML_FURNITURE = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|navigation|menu|breadcrumbs?|sidebar|footer|header|share|social|"
    r"related|comments?|advert|ads|banner|cookie|popup|subscribe)(?:$|[\s_-])", re.IGNORECASE)
log = logging.getLogger(__name__)
_HTML_FURNITURE_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search"}


def sniff(data: bytes) -> str:
    """The kind of file from its first bytes: pdf, docx, xlsx, odt, ods, doc, image, html or text."""
    head = data[:2048].lstrip()
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        _check_zip(data)
        kind = zip_kind(data)
        if not kind:
            raise IngestError(f"Tệp nén không phải DOCX, XLSX, ODT hay ODS. Định dạng được hỗ trợ: {SUPPORTED}.")
        return kind
    if data.startswith(OLE_MAGIC):
        kind = ole_kind(data)
        if kind == "encrypted":
            raise IngestError("Tệp Word/Excel được đặt mật khẩu; hãy gửi bản không khóa.")
        if kind == "xls":
            raise IngestError("Tệp Excel 97-2003 (.xls) chưa đọc được; hãy mở bằng Excel và lưu thành .xlsx rồi gửi lại.")
        if kind == "doc":
            return "doc"
        raise IngestError(f"Tệp Office cũ này không đọc được. Định dạng được hỗ trợ: {SUPPORTED}.")
    if data.startswith(_IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return "image"
    lowered = head.lower()
    if lowered.startswith(b"\xef\xbb\xbf"):
        lowered = lowered[3:]
    if lowered.startswith((b"<!doctype html", b"<html", b"<?xml")) or re.search(rb"<(body|article|p|div|h1)\b", lowered):
        return "html"
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise IngestError(f"Tệp không phải văn bản được hỗ trợ ({SUPPORTED}).")
    return "text"


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise IngestError(
            "Tệp văn bản không ở mã UTF-8. Nếu tệp dùng bảng mã cũ (TCVN3/VNI), hãy chuyển sang "
            "Unicode (ví dụ bằng Unikey: Công cụ chuyển mã) rồi gửi lại."
        ) from None


def _reject_legacy_encoding(text: str) -> None:
    """TCVN3/VNI text decodes to Latin-1 look-alikes ("Héi nghÞ"); refuse it with the fix."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 200:
        return
    legacy = len(_LEGACY_MARKERS.findall(text))
    proper = len(_VIETNAMESE_LETTERS.findall(text))
    if legacy > 20 and legacy > proper:
        raise IngestError(
            "Văn bản có vẻ dùng bảng mã cũ (TCVN3/ABC hoặc VNI), không đọc đúng được tiếng Việt. "
            "Hãy chuyển sang Unicode (Unikey: Công cụ chuyển mã) rồi gửi lại."
        )


class Reading:
    """What reading a file found besides its text: its pages, and what OCR made of them."""

    def __init__(self, pages: list[str], ocr_result: ocr.OcrResult | None = None, ocr_pages: int = 0) -> None:
        self.pages = pages  # each page's text ("" for a blank one)
        self.ocr = ocr_result
        self.ocr_pages = ocr_pages

    def facts(self) -> dict:
        """For the upload report: {} when no page was read by OCR."""
        if self.ocr is None:
            return {}
        confidence = round(self.ocr.confidence, 1)
        return {"ocr": True, "pages": len(self.pages), "ocr_pages": self.ocr_pages, "confidence": confidence,
                "low_confidence": confidence < LOW_CONFIDENCE, "seconds": round(self.ocr.seconds, 1)}


def _pdf_pages(data: bytes, on_page=None) -> Reading:
    """Each page's text: from the text layer, or by OCR where the page has too little of one."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise IngestError("Tệp PDF được đặt mật khẩu; hãy gửi bản không khóa.")
        pages = [page.extract_text() or "" for page in reader.pages]
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as error:
        raise IngestError(f"Tệp PDF bị hỏng hoặc không đọc được ({type(error).__name__}).") from None
    scanned = [i for i, text in enumerate(pages) if sum(c.isalpha() for c in text) < MIN_PAGE_LETTERS]
    if scanned:  # refused before any page is read when there are too many
        _check_ocr(len(scanned), "Tệp PDF có {n} trang là ảnh quét")
    if len(scanned) < len(pages):
        pages = _pdf_tables(data, pages, skip=set(scanned))
    if not scanned:
        return Reading([_join_wrapped_lines(p.strip()) for p in pages])
    result = ocr.OcrResult()
    for done, i in enumerate(scanned):
        page = _read_page(_render_pdf_page(data, i), ocr.TARGET_DPI)
        result.pages.append(page)
        pages[i] = tables_in_text(page.text)
        if on_page:
            on_page(done + 1, len(scanned))
    if len(scanned) == len(pages):  # a PDF of text pages with a blank one (a cover, a back) stands
        _refuse_unreadable(result, "Tệp PDF không có lớp văn bản và")
    if not result.sure_words:  # those pages were blank: nothing was read by OCR, nothing to report
        return Reading([_join_wrapped_lines(p.strip()) for p in pages])
    return Reading([_join_wrapped_lines(p.strip()) for p in pages], result, len(scanned))


def _render_pdf_page(data: bytes, index: int):
    """Page `index` as a grey image at OCR's resolution."""
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    try:
        page = document[index]
        # Scale down pages far larger than A4 (a poster) so the image stays within OCR's limits.
        width, height = page.get_size()
        scale = min(ocr.TARGET_DPI / 72, (ocr.MAX_PIXELS / max(1.0, width * height)) ** 0.5)
        return page.render(scale=scale, grayscale=True).to_pil()
    except pypdfium2.PdfiumError as error:
        raise IngestError(f"Không dựng được trang {index + 1} của tệp PDF để nhận dạng chữ ({error}).") from None
    finally:
        document.close()


def _pdf_tables(data: bytes, pages: list[str], skip: set[int]) -> list[str]:
    """Pages with ruled tables read again with pdfplumber: the text around the tables as before,
    each table row with its column headers. Other pages keep the text layer's text."""
    import pdfplumber

    out = list(pages)
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for i, page in enumerate(pdf.pages):
                if i >= len(out) or i in skip or not page.rects and not page.lines:
                    continue  # no ruling: no table pdfplumber can see
                tables = page.find_tables()
                if not tables:
                    continue
                outside = page
                for table in tables:
                    outside = outside.outside_bbox(table.bbox)
                # Text lines and tables in the order they stand on the page (by their top edge).
                placed = [(line["top"], line["text"]) for line in outside.extract_text_lines()]
                placed += [(table.bbox[1], "\n".join(table_lines([[c or "" for c in row] for row in table.extract()])))
                           for table in tables]
                out[i] = "\n".join(text for _, text in sorted(placed, key=lambda item: item[0]))
    except Exception:  # noqa: BLE001 - tables are a refinement; the text layer still stands
        log.warning("could not read the tables of a PDF; using its text layer", exc_info=True)
        return pages
    return out


def _read_page(image, dpi: float | None) -> ocr.OcrPage:
    try:
        return ocr.read_page(image, dpi)
    except ocr.OcrUnavailable as error:
        raise IngestError(f"Không nhận dạng được chữ: {error}. Kho tài liệu không thay đổi.") from None


def _check_ocr(pages: int, what: str) -> None:
    if pages > MAX_OCR_PAGES:
        raise IngestError(f"{what.format(n=pages)}, quá giới hạn nhận dạng chữ {MAX_OCR_PAGES} trang một tệp; "
                          "hãy tách thành các tệp nhỏ hơn rồi gửi lần lượt.")
    reason = ocr.missing()
    if reason:
        raise IngestError(f"{what.format(n=pages)} cần nhận dạng chữ (OCR), nhưng máy chủ {reason}.")


def _refuse_unreadable(result: ocr.OcrResult, what: str) -> None:
    """A blank scan, a photo of something that is not a text, or one too blurred to read."""
    if result.sure_words < ocr.MIN_SURE_WORDS:
        raise IngestError(
            f"{what} không nhận dạng được chữ nào đủ rõ (trang trắng, ảnh không phải văn bản, hoặc ảnh quá mờ). "
            "Hãy chụp/quét lại thẳng trang, đủ sáng, độ phân giải 300 dpi.")


def _image_pages(images: list[bytes], on_page=None) -> Reading:
    """Photos or scanned images (each frame of a TIFF a page) read by OCR."""
    frames = []
    for data in images:
        try:
            image = ocr.open_image(data)
            for n in range(getattr(image, "n_frames", 1)):
                image.seek(n)
                frames.append(image.copy())
                if len(frames) > MAX_OCR_PAGES:
                    break
        except Exception as error:  # noqa: BLE001 - Pillow raises many kinds on a broken image
            raise IngestError(f"Ảnh bị hỏng hoặc không đọc được ({type(error).__name__}).") from None
    _check_ocr(len(frames), "Có {n} ảnh/trang")
    result = ocr.OcrResult()
    pages = []
    for done, frame in enumerate(frames):
        dpi = frame.info.get("dpi", (None,))[0] if isinstance(frame.info.get("dpi"), tuple) else None
        page = _read_page(frame, float(dpi) if dpi and dpi >= 100 else None)
        result.pages.append(page)
        pages.append(_join_wrapped_lines(tables_in_text(page.text).strip()))
        if on_page:
            on_page(done + 1, len(frames))
    _refuse_unreadable(result, "Ảnh")
    return Reading(pages, result, len(frames))


# What opens a block of its own: a capital, "(" (a note: "(Điều 16 Luật số …)"), a clause "1. ",
# a point "a) " or a bullet.
_OPENS_BLOCK = re.compile(r"^(?:\(|\d{1,2}[.)]\s|[a-zđ]\)\s|[-–•]\s)")


def _join_wrapped_lines(page: str) -> str:
    """PDF lines wrap inside paragraphs: join a line to the next unless it ends a sentence, or it
    is clearly shorter than the page's lines and the next opens a block (a heading or a
    paragraph's last line; a wrapped line is nearly full width)."""
    lines = [line.strip() for line in page.split("\n")]
    width = max((len(line) for line in lines), default=0)
    out: list[str] = []
    for line, following in zip(lines, lines[1:] + [""]):
        out.append(line)
        if (not following or not line or re.search(r"[.!?:;”\"]$", line)
                or (len(line) < 0.85 * width and (following[:1].isupper() or _OPENS_BLOCK.match(following)))):
            out.append("\n")
        else:
            out.append(" ")
    return "".join(out).strip()


def _check_zip(data: bytes) -> None:
    """A package (DOCX, XLSX, ODT, ODS) that inflates beyond reason is refused before it is read."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        raise IngestError("Tệp nén bị hỏng hoặc không đọc được.") from None
    # Declared sizes bound what zipfile will inflate (it stops there and checks the CRC).
    if len(entries) > MAX_ZIP_ENTRIES or sum(info.file_size for info in entries) > MAX_UNZIPPED_BYTES:
        raise IngestError("Tệp DOCX/XLSX/ODT giải nén quá lớn (nghi là tệp độc hại); không nhận.")


def _docx_text(data: bytes) -> tuple[str, dict[str, int]]:
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
    except IngestError:
        raise
    except Exception as error:  # python-docx raises many kinds on a broken package
        raise IngestError(f"Tệp DOCX bị hỏng hoặc không đọc được ({type(error).__name__}).") from None
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    from knowledge.docx_numbering import BULLET, Numbering

    lines: list[str] = []
    headings: dict[str, int] = {}
    numbering = Numbering(document)
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = Paragraph(block, document)
            text = paragraph.text.strip()
            if not text:
                continue
            style = (paragraph.style.name or "").lower() if paragraph.style is not None else ""
            label = numbering.label(paragraph)  # "2.", "Điều 3.", "b)": Word draws it, the text lacks it
            if label == BULLET or (not label and "list" in style):
                text = "- " + text
            elif label:
                text = f"{label} {text}"
            level = re.match(r"^(?:heading|title)\s*(\d?)", style)
            if level:
                headings.setdefault(text, int(level.group(1) or 1))
            lines.append(text)
        elif tag == "tbl":
            rows = []
            for row in Table(block, document).rows:
                cells: list[str] = []
                for cell in row.cells:
                    value = " ".join(cell.text.split())
                    cells.append("" if cells and cells[-1] == value else value)  # merged cells repeat
                rows.append(cells)
            lines.extend(table_lines(rows))
    return "\n".join(lines), headings


def _list_label(item, position: int) -> str:
    """What a browser draws before a list item, the `position`th of its list counting from 0: "3."
    in an ordered list (its start, type and value honoured; letters as legal points are written,
    "b)"), "-" otherwise."""
    parent = item.parent
    if parent is None or parent.name != "ol":
        return "-"
    start = str(parent.get("start") or "1")
    number = (int(start) if start.lstrip("-").isdigit() else 1) + position
    value = str(item.get("value") or "")
    if value.isdigit():
        number = int(value)
    kind = str(parent.get("type") or "1")
    if kind in ("a", "A") and 1 <= number <= 26:
        return list_counter(number, "upperLetter" if kind == "A" else "lowerLetter") + ")"
    return f"{number}."


def _html_text(data: bytes) -> tuple[str, str, dict[str, int]]:
    from bs4 import BeautifulSoup

    try:  # UTF-8 when it decodes as such: left to guess, bs4 may read Vietnamese as Shift-JIS
        markup: str | bytes = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        markup = data  # bs4 honours a declared charset (e.g. windows-1258) or guesses
    soup = BeautifulSoup(markup, "html.parser")
    title = ""
    if soup.title and soup.title.string:
        title = soup.title.string.strip()
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer", "aside", "form",
                     "iframe", "button", "svg", "template"]):
        tag.decompose()
    main = soup.find("article") or soup.find("main")
    if main is None:  # no semantic markup: drop blocks that name themselves as furniture
        for tag in soup.find_all(True):
            if tag.decomposed or tag.name in ("html", "body") or tag.find("h1") is not None:
                continue
            names = " ".join(tag.get("class") or []) + " " + str(tag.get("id") or "")  # an id is one value
            if _HTML_FURNITURE.search(names) or (tag.get("role") or "").lower() in _HTML_FURNITURE_ROLES:
                tag.decompose()
        main = soup.body or soup
    heading = main.find("h1")
    if heading and heading.get_text(strip=True):
        title = heading.get_text(" ", strip=True)
    blocks = []
    headings: dict[str, int] = {}
    counted: dict[int, int] = {}  # an ordered list's items seen so far, by the list
    for element in main.find_all(["h1", "h2", "h3", "h4", "p", "li", "tr", "figcaption", "blockquote", "pre"]):
        container = element.find_parent(["p", "li", "tr", "blockquote"])
        # A list inside a list item ("1. Hồ sơ gồm:" then "a) …", "b) …") keeps its items as lines of
        # their own, as the page shows them; anything else inside a block is part of its text.
        if container is not None and not (element.name == "li" and container.name == "li"):
            continue
        if element.name == "tr":
            text = " | ".join(c.get_text(" ", strip=True) for c in element.find_all(["td", "th"]))
            text = text + "." if text else text
        elif element.name == "li":
            # its own text: a nested list's items are blocks of their own (a string's name is None)
            text = " ".join(part for part in (child.get_text(" ", strip=True) for child in element.children
                                              if getattr(child, "name", None) not in ("ol", "ul")) if part)
        else:
            text = element.get_text(" ", strip=True)
        if element.name == "li":
            # counted by position, not looked up: bs4 tags with the same content compare equal
            position = counted[id(element.parent)] = counted.get(id(element.parent), -1) + 1
            if text:
                text = f"{_list_label(element, position)} {text}"
        if element.name in ("h1", "h2", "h3", "h4") and text:
            headings.setdefault(text, int(element.name[1]))
        if text:
            blocks.append(text)
    if not blocks:
        blocks = [main.get_text("\n", strip=True)]
    return "\n".join(blocks), title, headings


_PUBLISHER = re.compile(r"^\s*([A-ZĐ][A-Za-z0-9Đ&.]*\.(?:VN|vn|COM|com))\s*[-–—]")


def guess_metadata(text: str, fallback_title: str) -> dict:
    """Title, publisher and date as the text itself gives them (first lines only)."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    title = fallback_title
    if lines and len(lines[0]) <= 200 and not lines[0].endswith((".", ":", ";")):
        title = lines[0]
    date = ""
    for line in lines[:6]:
        match = DOCUMENT_DATE.search(line)
        if match:
            date = as_document_date(parts_of(match))
            break
    publisher = ""
    for line in lines[:4]:
        match = _PUBLISHER.match(line)
        if match:
            publisher = match.group(1)
            break
    return {"title": title, "publisher": publisher, "date": date}


def clean_source_name(name: str, fallback: str = "tai-lieu") -> str:
    """A file name fit to show in citations: no folders, no control characters, not too long."""
    name = re.split(r"[\\/]", name or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().strip(".") or fallback
    if len(name) > MAX_SOURCE_CHARS:
        suffix = Path(name).suffix[:10]
        name = name[:MAX_SOURCE_CHARS - len(suffix)].rstrip() + suffix
    return name


def load_bytes(data: bytes, source: str, on_page=None, **metadata: str) -> Document:
    """A Document from a file's bytes; `source` is the file name citations will show.
    `on_page(done, total)` is told after each page read by OCR (a scan takes seconds a page)."""
    source = clean_source_name(source)
    if not data or not data.strip():
        raise IngestError(f"Tệp “{source}” trống.")
    if len(data) > MAX_FILE_BYTES:
        raise IngestError(f"Tệp “{source}” lớn hơn giới hạn {MAX_FILE_BYTES // (1024 * 1024)} MB.")
    kind = sniff(data)
    if kind in ("text", "html"):  # read as prose: only for the types we list (a CSV is a table)
        _refuse_unlisted_type(source)
    stated: dict[str, str] = {}  # what the file itself says it is (front matter, <h1>)
    headings: dict[str, int] = {}
    reading: Reading | None = None
    if kind == "pdf":
        reading = _pdf_pages(data, on_page)
    elif kind == "image":
        reading = _image_pages([data], on_page)
    elif kind == "docx":
        raw, headings = _docx_text(data)
    elif kind == "xlsx":
        raw, headings = xlsx_text(data)
    elif kind == "ods":
        raw, headings = ods_text(data)
    elif kind == "odt":
        raw, headings = odt_text(data)
    elif kind == "doc":
        raw = doc_text(data)
    elif kind == "html":
        raw, html_title, headings = _html_text(data)
        stated["title"] = html_title
    else:
        markup = read_markup(normalize(_decode(data)))
        raw, headings = markup.text, markup.headings
        stated = {"title": markup.title, "date": markup.date}
    if reading is not None:
        return _document(reading, source, metadata)
    return _document_from(normalize(raw), source, stated, headings, metadata)


def load_images(images: list[bytes], source: str, on_page=None, **metadata: str) -> Document:
    """One Document from photos of its pages, in order (an album sent in chat)."""
    source = clean_source_name(source)
    if not images or not all(images):
        raise IngestError(f"Ảnh “{source}” trống.")
    if sum(len(image) for image in images) > MAX_FILE_BYTES * 5:
        raise IngestError(f"Các ảnh “{source}” cộng lại quá lớn; hãy gửi ít ảnh hơn mỗi lần.")
    for image in images:
        if sniff(image) != "image":
            raise IngestError("Chỉ ghép được các tệp ảnh (JPG, PNG) thành một tài liệu.")
    return _document(_image_pages(images, on_page), source, metadata)


def _document(reading: Reading, source: str, metadata: dict) -> Document:
    """A Document from pages: the citations can name the page a passage stands on."""
    raw, first = "", 0
    for n, page in enumerate(reading.pages, 1):
        if page.strip():
            raw += ("\n\n" + _PAGE_MARK.format(n=n) + "\n\n" if raw else "") + page.strip()
            first = first or n
    if not raw:
        raise IngestError("Tệp PDF không có lớp văn bản. Hãy gửi bản PDF có chữ, hoặc bản DOCX/TXT.")
    document = _document_from(normalize(raw), source, {}, {}, metadata, first_page=first)
    if len(reading.pages) < 2:
        document.pages = []  # "trang 1" of a one-page file says nothing
    document.reading = reading.facts()
    return document


def _document_from(raw: str, source: str, stated: dict, headings: dict[str, int], metadata: dict,
                   first_page: int = 0) -> Document:
    _reject_legacy_encoding(raw)
    plain = _PAGE_MARK_LINE.sub("", raw) if first_page else raw
    guessed = guess_metadata(plain, Path(source).stem)
    fields = {**guessed, **{k: v for k, v in stated.items() if v}, **{k: v for k, v in metadata.items() if v}}
    text = clean_text(raw, fields["title"])
    pages: list[tuple[int, int]] = [(0, first_page)] if first_page else []
    while first_page and (mark := _PAGE_MARK_LINE.search(text)):  # take the marks out, noting where pages start
        cut = mark.start() - 2 if text[:mark.start()].endswith("\n\n") else mark.start()
        text = text[:cut] + text[mark.end():]
        start = cut
        while start < len(text) and text[start] in "\n ":
            start += 1
        pages.append((start, int(mark.group(1))))
    text = text.strip()
    pages = [(start, n) for start, n in pages if start < len(text)]
    if len(text.strip()) < MIN_TEXT_CHARS:
        raise IngestError(f"Tệp “{source}” không có đủ nội dung văn bản để lưu.")
    return Document(source=source, text=text, title=fields["title"], publisher=fields["publisher"],
                    date=fields["date"], headings={_line(h): level for h, level in headings.items()},
                    pages=pages)


def _line(text: str) -> str:
    """A heading as it reads in the cleaned text."""
    return re.sub(r"[ \t\u00a0]+", " ", normalize(text)).strip()


def _refuse_unlisted_type(source: str) -> None:
    suffix = Path(source).suffix.lower()
    if _TYPE_SUFFIX.fullmatch(suffix) and suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(
            f"Định dạng {suffix} chưa được hỗ trợ (chỉ nhận {SUPPORTED}); bảng tính CSV không được đọc "
            "như văn bản. Hãy lưu bảng thành XLSX, hoặc nội dung thành DOCX, PDF, TXT rồi gửi lại."
        )


def load_file(path: str | Path, on_page=None, **metadata: str) -> Document:
    """A Document from a file on disk."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise IngestError(f"Không đọc được tệp “{path.name}”: {error.strerror or error}.") from None
    return load_bytes(data, path.name, on_page, **metadata)
