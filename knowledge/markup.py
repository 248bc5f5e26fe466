"""Markdown and plain text as admins upload them: YAML front matter, headings, tables, wrapped lines.

The result is plain text (no markup characters left for quotes to show) plus what the markup said
about it: the front matter's title and date, and which lines were headings (with their level), so
that chunking can give every passage its heading path.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date as Date, datetime

from vietnamese.dates import ISO_DATE, NUMERIC_DATE, as_document_date, parts_of

_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^(=+|-+)\s*$")
_RULE = re.compile(r"^\s*(?:[-*_]\s*){3,}$")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)(?=\S)(.+?)(?<=\S)\1")
# A list item or a legal sub-clause starts a line of its own: "- ", "1.", "a)", "đ)".
ITEM_START = re.compile(r"^(?:[-+*•–]\s+|\d{1,3}[.)]\s+|[a-zđ]\)\s+|[IVXLC]{1,6}\.\s+)")
_ENDS_BLOCK = re.compile(r"[.;:!?…”\"»)]\s*$")
_ISO_DATE = re.compile(ISO_DATE)
_LOCAL_DATE = re.compile(NUMERIC_DATE)


def roman_numeral(number: int) -> str:
    """A list counter in lower-case roman numerals, as word processors draw them: 4 -> "iv"."""
    out = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                           (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while number >= value:
            out, number = out + letters, number - value
    return out


def list_counter(number: int, kind: str) -> str:
    """A list item's counter as Word, OpenDocument and browsers draw it; `kind` in Word's names
    ("decimal", "decimalZero", "lowerLetter", "upperLetter", "lowerRoman", "upperRoman"; any other
    reads as a figure). Letters run a … z, then aa … zz."""
    if kind in ("lowerLetter", "upperLetter"):
        text = chr(ord("a") + (number - 1) % 26) * ((number - 1) // 26 + 1) if number > 0 else ""
    elif kind in ("lowerRoman", "upperRoman"):
        text = roman_numeral(number)
    elif kind == "decimalZero":
        return f"{number:02d}"
    else:
        return str(number)
    return text.upper() if kind.startswith("upper") else text


def is_list(text: str) -> bool:
    """A text with two or more lines that start list items or clauses ("a) …", "1. …", "- …")."""
    return sum(bool(ITEM_START.match(line.strip())) for line in text.split("\n")) >= 2


@dataclass
class Markup:
    text: str
    title: str = ""
    date: str = ""  # dd/mm/yyyy
    headings: dict[str, int] = field(default_factory=dict)  # heading line -> level (1 = top)


def _front_matter(text: str) -> tuple[dict, str]:
    """YAML front matter as a dict (empty when absent or unreadable) and the text after it."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    import yaml

    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError:  # a broken block is still not body text; read its simple lines
        data = dict(re.findall(r"^(\w+):[ \t]*[\"']?(.*?)[\"']?[ \t]*$", match.group(1), re.MULTILINE))
    return (data if isinstance(data, dict) else {}), text[match.end():]


def _as_date(value) -> str:
    """dd/mm/yyyy from a YAML date, an ISO string or a dd/mm/yyyy string; '' otherwise."""
    if isinstance(value, (Date, datetime)):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, str):
        date = _ISO_DATE.match(value.strip()) or _LOCAL_DATE.fullmatch(value.strip())
        if date:
            return as_document_date(parts_of(date))
    return ""


def inline(text: str) -> str:
    """A line without markdown's inline marks: links keep their words, emphasis its text."""
    text = _LINK.sub(r"\1", text)
    previous = None
    while previous != text:
        previous, text = text, _EMPHASIS.sub(r"\2", text)
    return text.replace("\\", "").strip()


def _table_row(line: str) -> str:
    cells = [inline(c) for c in line.strip().strip("|").split("|")]
    cells = [c for c in cells if c]
    if len(cells) == 2:  # a key/value table ("Số hiệu | 196/2026/NĐ-CP") reads as a sentence
        return f"{cells[0]}: {cells[1]}."
    return " | ".join(cells) + ("." if cells else "")


# A line cut right after "theo quy định tại khoản 2" or "điểm a, khoản 1,": the next line's "Điều 9.
# Luật …" is the article referred to, not an article heading (OCR text wraps there often).
_REFERS_ON = re.compile(r"\b(?:khoản|điểm|tại|theo|của)(?:\s+(?:\d{1,3}[a-zđ]?|[a-zđ]))?\s*,?$")
_ARTICLE_REFERENCE = re.compile(r"^Điều\s+\d")


def join_wrapped(lines: list[str]) -> list[str]:
    """Lines cut mid-sentence (text copied from PDFs) rejoined: a line continues the previous one
    when that one does not end a sentence or clause and this one starts in lower case and is not a
    list item ("a) …"), or names the article the previous one refers to."""
    out: list[str] = []
    for line in lines:
        stripped = line.strip()
        if (out and stripped and out[-1] and not _ENDS_BLOCK.search(out[-1])
                and ((stripped[0].islower() and not ITEM_START.match(stripped))
                     or (_ARTICLE_REFERENCE.match(stripped) and _REFERS_ON.search(out[-1])))):
            out[-1] = out[-1].rstrip() + " " + stripped
        else:
            out.append(stripped)
    return out


def read_markup(raw: str) -> Markup:
    """Plain text, title, date and headings of a markdown or plain-text file."""
    meta, body = _front_matter(raw)
    title = inline(str(meta.get("title") or "")).strip()
    issued = next((_as_date(meta[key]) for key in ("date", "issued", "ngay_ban_hanh", "ngày ban hành")
                   if key in meta and _as_date(meta[key])), "")
    headings: dict[str, int] = {}
    lines: list[str] = []
    raw_lines = body.split("\n")
    for position, line in enumerate(raw_lines):
        heading = _HEADING.match(line)
        if heading:
            text = inline(heading.group(2))
            if text:
                headings.setdefault(text, len(heading.group(1)))
                lines.extend(["", text, ""])
            continue
        following = raw_lines[position + 1] if position + 1 < len(raw_lines) else ""
        if line.strip() and _SETEXT.match(following) and not ITEM_START.match(line.strip()) \
                and not line.strip().startswith("|"):
            text = inline(line)
            headings.setdefault(text, 1 if following.strip().startswith("=") else 2)
            lines.extend(["", text, ""])
            continue
        if _SETEXT.match(line) and lines and lines[-1] == "" and len(lines) >= 2 and lines[-2] in headings:
            continue  # the underline of a setext heading
        if _RULE.match(line) or _TABLE_SEPARATOR.match(line):
            lines.append("")
            continue
        stripped = line.strip()
        if stripped.startswith("|") and stripped.count("|") >= 2:
            lines.append(_table_row(stripped))
            continue
        if stripped.startswith(">"):
            stripped = stripped.lstrip("> ")
        lines.append(inline(stripped) if stripped else "")
    # Repeated lines in a row are copy artefacts ("NHỮNG QUY ĐỊNH CHUNG" twice).
    deduplicated: list[str] = []
    for line in join_wrapped(lines):
        if line and deduplicated and any(line == previous for previous in deduplicated[-2:] if previous):
            continue
        deduplicated.append(line)
    text = "\n".join(deduplicated)
    if not title:
        title = next((h for h, level in headings.items() if level == 1), "")
    return Markup(re.sub(r"\n{3,}", "\n\n", text).strip(), title, issued, headings)
