"""Read .txt, .md, .html, .pdf (text layer) and .docx files into Documents.

The file type is sniffed from the content, not the name. Every refusal is an `IngestError`
whose message is Vietnamese and says what to do.
"""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from knowledge.clean import clean_text
from knowledge.markup import read_markup
from knowledge.models import Document
from knowledge.vietnamese import normalize

MAX_FILE_BYTES = 20 * 1024 * 1024  # the Bot API's download limit
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024  # a DOCX that inflates beyond this is a zip bomb
MAX_ZIP_ENTRIES = 5000  # a real DOCX has dozens of parts; thousands is an attack or not a DOCX
MAX_SOURCE_CHARS = 255  # a file system's longest name: the uploaded name is shown whole
MIN_TEXT_CHARS = 20
SUPPORTED = "PDF, DOCX, TXT, MD, HTML"
SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"})
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
_HTML_FURNITURE_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search"}


class IngestError(ValueError):
    """A file we cannot take, with a message for the admin who sent it."""


def sniff(data: bytes) -> str:
    """The kind of file from its first bytes: pdf, docx, html or text."""
    head = data[:2048].lstrip()
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "docx"
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


def _pdf_text(data: bytes) -> str:
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
    text = "\n\n".join(_join_wrapped_lines(p.strip()) for p in pages)
    if len(text.strip()) < MIN_TEXT_CHARS:
        raise IngestError(
            "Tệp PDF không có lớp văn bản (có thể là bản quét ảnh). Hãy gửi bản PDF có chữ, "
            "hoặc bản DOCX/TXT."
        )
    return text


def _join_wrapped_lines(page: str) -> str:
    """PDF lines wrap inside paragraphs: join a line to the next unless it ends a sentence, or it
    is clearly shorter than the page's lines and the next starts with a capital (a heading or a
    paragraph's last line; a wrapped line is nearly full width)."""
    lines = [line.strip() for line in page.split("\n")]
    width = max((len(line) for line in lines), default=0)
    out: list[str] = []
    for line, following in zip(lines, lines[1:] + [""]):
        out.append(line)
        if not following:
            out.append("\n")
        elif not line or re.search(r"[.!?:;”\"]$", line):
            out.append("\n")
        elif len(line) < 0.85 * width and following[:1].isupper():
            out.append("\n")
        else:
            out.append(" ")
    return "".join(out).strip()


def _docx_text(data: bytes) -> tuple[str, dict[str, int]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        # Declared sizes bound what zipfile will inflate (it stops there and checks the CRC).
        if len(archive.infolist()) > MAX_ZIP_ENTRIES or \
                sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
            raise IngestError("Tệp DOCX giải nén quá lớn (nghi là tệp độc hại); không nhận.")
        if "word/document.xml" not in archive.namelist():
            raise IngestError(f"Tệp nén không phải DOCX. Định dạng được hỗ trợ: {SUPPORTED}.")
        import docx

        document = docx.Document(io.BytesIO(data))
    except IngestError:
        raise
    except Exception as error:  # python-docx raises many kinds on a broken package
        raise IngestError(f"Tệp DOCX bị hỏng hoặc không đọc được ({type(error).__name__}).") from None
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    lines: list[str] = []
    headings: dict[str, int] = {}
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = Paragraph(block, document)
            text = paragraph.text.strip()
            if not text:
                continue
            style = (paragraph.style.name or "").lower() if paragraph.style is not None else ""
            numbered = block.pPr is not None and block.pPr.numPr is not None  # a list without a list style
            level = re.match(r"^(?:heading|title)\s*(\d?)", style)
            if level:
                headings.setdefault(text, int(level.group(1) or 1))
            lines.append(("- " + text) if "list" in style or numbered else text)
        elif tag == "tbl":
            for row in Table(block, document).rows:
                cells = []
                for cell in row.cells:
                    value = " ".join(cell.text.split())
                    if value and (not cells or cells[-1] != value):  # merged cells repeat
                        cells.append(value)
                if cells:
                    lines.append(" | ".join(cells) + ".")
    return "\n".join(lines), headings


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
            names = " ".join(tag.get("class") or []) + " " + (tag.get("id") or "")
            if _HTML_FURNITURE.search(names) or (tag.get("role") or "").lower() in _HTML_FURNITURE_ROLES:
                tag.decompose()
        main = soup.body or soup
    heading = main.find("h1")
    if heading and heading.get_text(strip=True):
        title = heading.get_text(" ", strip=True)
    blocks = []
    headings: dict[str, int] = {}
    for element in main.find_all(["h1", "h2", "h3", "h4", "p", "li", "tr", "figcaption", "blockquote", "pre"]):
        if element.find_parent(["p", "li", "tr", "blockquote"]) is not None:
            continue
        if element.name == "tr":
            text = " | ".join(c.get_text(" ", strip=True) for c in element.find_all(["td", "th"]))
            text = text + "." if text else text
        else:
            text = element.get_text(" ", strip=True)
        if element.name == "li" and text:
            text = "- " + text
        if element.name in ("h1", "h2", "h3", "h4") and text:
            headings.setdefault(text, int(element.name[1]))
        if text:
            blocks.append(text)
    if not blocks:
        blocks = [main.get_text("\n", strip=True)]
    return "\n".join(blocks), title, headings


_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/((?:19|20)\d{2})\b"
                   r"|\bngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+((?:19|20)\d{2})\b", re.IGNORECASE)
_PUBLISHER = re.compile(r"^\s*([A-ZĐ][A-Za-z0-9Đ&.]*\.(?:VN|vn|COM|com))\s*[-–—]")


def guess_metadata(text: str, fallback_title: str) -> dict:
    """Title, publisher and date as the text itself gives them (first lines only)."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    title = fallback_title
    if lines and len(lines[0]) <= 200 and not lines[0].endswith((".", ":", ";")):
        title = lines[0]
    date = ""
    for line in lines[:6]:
        match = _DATE.search(line)
        if match:
            day, month, year = [g for g in match.groups() if g is not None]
            date = f"{int(day):02d}/{int(month):02d}/{year}"
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


def load_bytes(data: bytes, source: str, **metadata: str) -> Document:
    """A Document from a file's bytes; `source` is the file name citations will show."""
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
    if kind == "pdf":
        raw = _pdf_text(data)
    elif kind == "docx":
        raw, headings = _docx_text(data)
    elif kind == "html":
        raw, html_title, headings = _html_text(data)
        stated["title"] = html_title
    else:
        markup = read_markup(normalize(_decode(data)))
        raw, headings = markup.text, markup.headings
        stated = {"title": markup.title, "date": markup.date}
    raw = normalize(raw)
    _reject_legacy_encoding(raw)
    guessed = guess_metadata(raw, Path(source).stem)
    fields = {**guessed, **{k: v for k, v in stated.items() if v}, **{k: v for k, v in metadata.items() if v}}
    text = clean_text(raw, fields["title"])
    if len(text.strip()) < MIN_TEXT_CHARS:
        raise IngestError(f"Tệp “{source}” không có đủ nội dung văn bản để lưu.")
    return Document(source=source, text=text, title=fields["title"], publisher=fields["publisher"],
                    date=fields["date"], headings={_line(h): level for h, level in headings.items()})


def _line(text: str) -> str:
    """A heading as it reads in the cleaned text."""
    return re.sub(r"[ \t\u00a0]+", " ", normalize(text)).strip()


def _refuse_unlisted_type(source: str) -> None:
    suffix = Path(source).suffix.lower()
    if _TYPE_SUFFIX.fullmatch(suffix) and suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(
            f"Định dạng {suffix} chưa được hỗ trợ (chỉ nhận {SUPPORTED}); bảng tính như CSV, Excel "
            "không được đọc như văn bản. Hãy lưu nội dung thành DOCX, PDF hoặc TXT rồi gửi lại."
        )


def load_file(path: str | Path, **metadata: str) -> Document:
    """A Document from a file on disk."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise IngestError(f"Không đọc được tệp “{path.name}”: {error.strerror or error}.") from None
    return load_bytes(data, path.name, **metadata)
