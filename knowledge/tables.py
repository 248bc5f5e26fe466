"""Tables as sentences: each row read with its column headers ("Tỉnh: Lào Cai | Số đoàn: 12."),
so a row answers a question on its own, whatever format the table came in (spreadsheet, DOCX,
ODT, a PDF's table, a scanned table, a .doc)."""
from __future__ import annotations

import re

_NUMBER = re.compile(r"^[+-]?\d[\d.,\s]*%?$")
_DIGIT = re.compile(r"\d")


def clean_cell(value: object) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _numeric(cell: str) -> bool:
    return bool(_NUMBER.match(cell))


def looks_like_header(rows: list[list[str]]) -> bool:
    """Whether the first row names the columns: every cell filled, none a number, and either no
    figure in it at all (three or more columns) or a column of figures under a word."""
    if len(rows) < 2:
        return False
    header, body = rows[0], rows[1:]
    if len(header) < 2 or not all(header) or any(_numeric(cell) for cell in header):
        return False
    figures_below = any(
        not _numeric(header[i]) and sum(_numeric(row[i]) for row in body if i < len(row) and row[i])
        > sum(1 for row in body if i < len(row) and row[i]) / 2
        for i in range(len(header)))
    if len(header) == 2:  # a key/value table ("Số hiệu | 12/2026") has no header row
        return figures_below
    return figures_below or not any(_DIGIT.search(cell) for cell in header)


# A count as a cell holds it: "12", "1.250", "3,5" (not "0912…", a phone number, nor a code).
_COUNT = re.compile(r"^(?:0|[1-9]\d{0,2}(?:\.\d{3})+|[1-9]\d{0,5})(?:,\d+)?$")
# The unit a header gives its figures: "Kinh phí (triệu đồng)", "Số lượng (người)".
_UNIT_IN_PARENTHESES = re.compile(r"\(([^()\d]{1,25})\)\s*$")
# "Số đoàn", "Số lượt khách": the header names what is counted, unless it is an identifier or an
# order ("Số hiệu", "Số thứ tự", "Số điện thoại") or a bare quantity ("Số lượng").
_COUNTED = re.compile(r"^số\s+(?!lượng\b|thứ tự\b|tt\b|hiệu\b|điện thoại\b|fax\b|tài khoản\b|hộ chiếu\b|"
                      r"văn bản\b|quyết định\b|công văn\b|ký hiệu\b|nhà\b)([^\W\d_]+(?:\s+[^\W\d_]+){0,3})$",
                      re.IGNORECASE)


def unit_of(header: str) -> str:
    """The unit a column's figures are counted in, as its header says ("" when it says none)."""
    match = _UNIT_IN_PARENTHESES.search(header)
    if match:
        return " ".join(match.group(1).split())
    match = _COUNTED.match(" ".join(header.split()))
    return match.group(1) if match else ""


def row_with_headers(header: list[str], row: list[str]) -> str:
    """ "Tỉnh: Lào Cai | Số đoàn: 12 đoàn." (cells without a value are left out). A bare figure
    gets the unit its header names, so that it answers "bao nhiêu đoàn" like a sentence would."""
    parts = []
    for i, cell in enumerate(row):
        if not cell:
            continue
        name = header[i] if i < len(header) else ""
        unit = unit_of(name) if name and _COUNT.match(cell) else ""
        value = f"{cell} {unit}" if unit else cell
        parts.append(f"{name}: {value}" if name and name != cell else value)
    return " | ".join(parts) + "." if parts else ""


def plain_row(cells: list[str]) -> str:
    cells = [c for c in cells if c]
    if len(cells) == 2:  # a key/value row reads as a sentence, as markdown tables do
        return f"{cells[0]}: {cells[1]}."
    return " | ".join(cells) + ("." if cells else "")


def table_lines(rows: list[list[str]], header: bool | None = None) -> list[str]:
    """The table's rows as lines; `header` None: decided by `looks_like_header`."""
    rows = [[clean_cell(c) for c in row] for row in rows]
    rows = [row for row in rows if any(row)]
    if not rows:
        return []
    if header is None:
        header = looks_like_header(rows)
    if not header:
        return [line for line in (plain_row(row) for row in rows) if line]
    names = rows[0]
    return [line for line in (row_with_headers(names, row) for row in rows[1:]) if line]


def tables_in_text(text: str) -> str:
    """Lines of cells separated by " | " (a scanned or .doc table), runs of the same width, read
    with their header row when the first one is one."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        cells = _cells(lines[i])
        if cells is None:
            out.append(lines[i])
            i += 1
            continue
        run = [cells]
        j = i + 1
        while j < len(lines):
            if not lines[j].strip() and j + 1 < len(lines) and _cells(lines[j + 1]) is not None:
                j += 1  # a blank line inside a table (OCR puts one between rows)
                continue
            following = _cells(lines[j])
            if following is None or abs(len(following) - len(cells)) > 1:
                break
            run.append(following)
            j += 1
        out.extend(table_lines(run) if len(run) > 1 else [lines[i]])
        i = j
    return "\n".join(out)


def _cells(line: str) -> list[str] | None:
    stripped = line.strip().strip("|").strip()
    if " | " not in f" {stripped} " and "|" not in stripped:
        return None
    cells = [c.strip() for c in stripped.split("|")]
    return cells if len(cells) >= 2 else None
