"""Office formats besides DOCX: legacy Word .doc (antiword), OpenDocument text (.odt) and
spreadsheets (.xlsx, .ods). Each returns (text, headings) for the loader; a spreadsheet's rows are
read with their column headers, one line a row, one section a sheet.

Every failure is an IngestError whose message says what to do."""
from __future__ import annotations

import datetime
import io
import os
import shutil
import subprocess
import tempfile
import zipfile

from knowledge.errors import IngestError
from knowledge.markup import list_counter
from knowledge.tables import clean_cell, table_lines, tables_in_text

MAX_SHEET_ROWS = 20_000  # rows read from all sheets of a workbook together
MAX_COLUMNS = 60
ANTIWORD_TIMEOUT_SECONDS = 60

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound file of .doc, .xls and encrypted OOXML


def ole_kind(data: bytes) -> str:
    """What an OLE compound file holds: "encrypted" (a password-protected DOCX/XLSX), "doc",
    "xls", or "" (something else). Read from the stream names of its directory."""
    if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e" in data:
        return "encrypted"
    if b"W\x00o\x00r\x00d\x00D\x00o\x00c\x00u\x00m\x00e\x00n\x00t" in data:
        return "doc"
    if b"W\x00o\x00r\x00k\x00b\x00o\x00o\x00k" in data or b"B\x00o\x00o\x00k\x00" in data:
        return "xls"
    return ""


def doc_text(data: bytes) -> str:
    """A Word 97-2003 .doc read by antiword (tables come out as "|cell|cell|" rows)."""
    if shutil.which("antiword") is None:
        raise IngestError("Máy chủ chưa cài antiword nên chưa đọc được tệp .doc; hãy lưu thành DOCX rồi gửi lại.")
    with tempfile.TemporaryDirectory(prefix="ngoaivu-doc-") as directory:
        path = os.path.join(directory, "document.doc")
        with open(path, "wb") as handle:
            handle.write(data)
        try:
            done = subprocess.run(["antiword", "-m", "UTF-8.txt", "-w", "0", path], capture_output=True,
                                  timeout=ANTIWORD_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            raise IngestError("Tệp .doc đọc quá lâu (có thể bị hỏng); hãy lưu thành DOCX rồi gửi lại.") from None
    message = done.stderr.decode("utf-8", "replace").lower()
    if "encrypt" in message or "password" in message:
        raise IngestError("Tệp .doc được đặt mật khẩu; hãy gửi bản không khóa.")
    if done.returncode != 0:
        raise IngestError("Tệp .doc bị hỏng hoặc không đọc được; hãy mở bằng Word và lưu thành DOCX rồi gửi lại.")
    text = done.stdout.decode("utf-8", "replace").replace("\r", "")
    # antiword marks list items with bullets and draws table rows as |a|b|; images as [pic].
    lines = []
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped in ("[pic]", "[picture]"):
            continue
        if stripped.startswith("•"):
            stripped = "- " + stripped.lstrip("• ").strip()
        lines.append(stripped)
    return tables_in_text("\n".join(lines))


def _format_number(value: float) -> str:
    """A figure as Vietnamese text writes it: 1.250, 12,5."""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}".replace(",", ".")
    whole, _, fraction = f"{value:.4f}".rstrip("0").partition(".")
    return f"{int(whole):,}".replace(",", ".") + ("," + fraction if fraction else "")


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, datetime.datetime):
        return value.strftime("%d/%m/%Y") if value.time() == datetime.time() else value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, (int, float)):
        return _format_number(float(value))
    return clean_cell(value)


def sheet_lines(name: str, rows: list[list[str]], many: bool) -> tuple[list[str], dict[str, int]]:
    """A sheet as text: its title lines (rows of one cell before the header), then each row with
    the column headers. The sheet's name is a heading when the workbook has several."""
    rows = [row[:MAX_COLUMNS] for row in rows]
    rows = [row for row in rows if any(row)]
    lines: list[str] = []
    headings: dict[str, int] = {}
    if many and name:
        lines.append(name)
        headings[name] = 2
    while rows and sum(bool(c) for c in rows[0]) < 2:  # a title or a note above the table
        lines.append(next(c for c in rows[0] if c))
        rows = rows[1:]
    if rows:
        lines.extend(table_lines(rows, header=len(rows) > 1 and not any(
            c and c.replace(".", "").replace(",", "").isdigit() for c in rows[0])))
    return lines, headings


def xlsx_text(data: bytes) -> tuple[str, dict[str, int]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a broken package
        raise IngestError(f"Tệp Excel bị hỏng hoặc không đọc được ({type(error).__name__}).") from None
    sheets = []
    total = 0
    try:
        for sheet in workbook.worksheets:
            rows = []
            for row in sheet.iter_rows(values_only=True):
                total += 1
                if total > MAX_SHEET_ROWS:
                    raise IngestError(f"Bảng tính có hơn {MAX_SHEET_ROWS:,} dòng; hãy tách thành các tệp nhỏ "
                                      "hơn hoặc chỉ giữ các trang cần tra cứu.".replace(",", "."))
                rows.append([cell_text(v) for v in row])
            sheets.append((sheet.title, rows))
    finally:
        workbook.close()
    return _workbook(sheets)


def _workbook(sheets: list[tuple[str, list[list[str]]]]) -> tuple[str, dict[str, int]]:
    filled = [(name, rows) for name, rows in sheets if any(any(row) for row in rows)]
    lines: list[str] = []
    headings: dict[str, int] = {}
    for name, rows in filled:
        sheet, found = sheet_lines(name, rows, len(filled) > 1)
        lines.extend(sheet + [""])
        headings.update(found)
    return "\n".join(lines).strip(), headings


# -- OpenDocument (odfpy) -------------------------------------------------------------------------

def _odf(data: bytes):
    from odf.opendocument import load

    try:
        return load(io.BytesIO(data))
    except Exception as error:  # odfpy raises many kinds on a broken package
        raise IngestError(f"Tệp OpenDocument bị hỏng hoặc không đọc được ({type(error).__name__}).") from None


def _repeat(element, attribute: str, limit: int) -> int:
    try:
        return max(1, min(limit, int(element.getAttribute(attribute) or 1)))
    except (TypeError, ValueError):
        return 1


def _odf_rows(table) -> list[list[str]]:
    """A table's rows; repeated empty rows and cells (a sheet's million blank rows) are not expanded."""
    from odf import table as odf_table
    from odf import teletype

    rows: list[list[str]] = []
    for row in table.getElementsByType(odf_table.TableRow):
        cells: list[str] = []
        for cell in row.childNodes:
            if cell.qname[1] not in ("table-cell", "covered-table-cell"):
                continue
            value = " ".join(teletype.extractText(p) for p in cell.childNodes if p.qname[1] in ("p", "h"))
            value = clean_cell(value)
            cells.extend([value] * (_repeat(cell, "numbercolumnsrepeated", MAX_COLUMNS) if value else 1))
        while cells and not cells[-1]:
            cells.pop()
        rows.extend([cells[:MAX_COLUMNS]] * (_repeat(row, "numberrowsrepeated", 100) if cells else 1))
        if len(rows) > MAX_SHEET_ROWS:
            raise IngestError(f"Bảng tính có hơn {MAX_SHEET_ROWS:,} dòng; hãy tách thành các tệp nhỏ hơn."
                              .replace(",", "."))
    return rows


def ods_text(data: bytes) -> tuple[str, dict[str, int]]:
    from odf import table as odf_table

    document = _odf(data)
    sheets = [(t.getAttribute("name") or "", _odf_rows(t)) for t in document.spreadsheet.getElementsByType(odf_table.Table)]
    return _workbook(sheets)


def _odt_list_styles(document) -> dict[str, dict[int, tuple[str, str, str, int]]]:
    """List style name -> level -> (number format, prefix, suffix, start); no entry for a
    bulleted level. "1", "a", "A", "i", "I" as OpenDocument names them."""
    from odf import text as odf_text

    styles: dict[str, dict[int, tuple[str, str, str, int]]] = {}
    for container in (document.automaticstyles, document.styles):
        for style in container.getElementsByType(odf_text.ListStyle):
            levels = styles.setdefault(style.getAttribute("name") or "", {})
            for level in style.getElementsByType(odf_text.ListLevelStyleNumber):
                try:
                    depth, start = int(level.getAttribute("level") or 1), int(level.getAttribute("startvalue") or 1)
                except (TypeError, ValueError):
                    continue
                levels[depth] = (level.getAttribute("numformat") or "", level.getAttribute("numprefix") or "",
                                 level.getAttribute("numsuffix") or "", start)
    return styles


_ODT_KINDS = {"1": "decimal", "a": "lowerLetter", "A": "upperLetter", "i": "lowerRoman", "I": "upperRoman"}


def _odt_label(number: int, numbering: tuple[str, str, str, int] | None) -> str:
    """What a word processor draws before a list item: "2.", "b)", or "-" for a bullet."""
    if numbering is None or not numbering[0]:
        return "-"
    kind, prefix, suffix, _ = numbering
    if kind in ("a", "A") and not 1 <= number <= 26:
        kind = "1"  # past z: a figure
    return f"{prefix}{list_counter(number, _ODT_KINDS.get(kind, 'decimal'))}{suffix}".strip() or "-"


def odt_text(data: bytes) -> tuple[str, dict[str, int]]:
    """Headings (with their outline level), paragraphs, list items with the number or bullet the
    page shows ("2. …", "b) …", "- …"), tables by row."""
    from odf import teletype

    document = _odf(data)
    list_styles = _odt_list_styles(document)
    lines: list[str] = []
    headings: dict[str, int] = {}

    def walk(node, lists: list[tuple[str, int]], label: str = "") -> None:
        # lists: the enclosing lists, outermost first, as (style name, items counted so far)
        for child in node.childNodes:
            kind = getattr(child, "qname", (None, None))[1]
            if kind == "h":
                text = clean_cell(teletype.extractText(child))
                if text:
                    try:
                        level = int(child.getAttribute("outlinelevel") or 1)
                    except (TypeError, ValueError):
                        level = 1
                    headings.setdefault(text, level)
                    lines.append(text)
            elif kind == "p":
                text = clean_cell(teletype.extractText(child))
                if text:
                    lines.append(f"{label or '-'} {text}" if lists else text)
                    label = ""  # an item's further paragraphs are bullets, as before
            elif kind == "list":
                style = child.getAttribute("stylename") or (lists[-1][0] if lists else "")
                walk(child, lists + [(style, 0)])
            elif kind == "table":
                lines.extend(table_lines(_odf_rows(child)))
            elif kind == "list-item" and lists:
                style, counted = lists[-1]
                numbering = list_styles.get(style, {}).get(len(lists))
                try:
                    start = int(child.getAttribute("startvalue") or 0)
                except (TypeError, ValueError):
                    start = 0
                number = start or (counted + 1 if counted else (numbering[3] if numbering else 1))
                lists[-1] = (style, number)
                walk(child, lists, _odt_label(number, numbering))
            elif kind in ("list-item", "list-header", "section", "text"):
                walk(child, lists)

    walk(document.text, [])
    return "\n".join(lines), headings


def zip_kind(data: bytes) -> str:
    """docx, xlsx, odt, ods, or "" for another zip, from the package's own parts."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "mimetype" in names:
            mimetype = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
            return {"application/vnd.oasis.opendocument.text": "odt",
                    "application/vnd.oasis.opendocument.spreadsheet": "ods"}.get(mimetype, "")
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, NotImplementedError):
        return ""
    return ""
