"""The structure of regulations and guidance: Phần / Chương / Mục / Điều / khoản / điểm, headings,
and lists with their lead-in line.

A document's text is cut into blocks; each block knows its heading path. A clause ("khoản") with
its points ("điểm"), or a lead-in line ending in ":" with the items after it, is one list block,
so "Hồ sơ gồm: a) … b) …" is never torn from what it lists.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge.markup import ITEM_START

SEPARATOR = " › "
MAX_LABEL_CHARS = 120
MAX_HEADING_CHARS = 200
# An article's number: "5", "5a", or a code of the national legal compendium (Bộ pháp điển), whose
# articles are numbered by subject, source and place: "Điều 15.6.LQ.16", "Điều 1.10.NĐ.1.1".
ARTICLE_NUMBER = r"\d+[a-zđ]?(?:\.(?:\d+|[A-ZĐ]{1,4}))*"
# The compendium follows each article's heading with the article it was taken from
# ("(Điều 16 Luật số 24/2008/QH12, có hiệu lực thi hành kể từ ngày 01/07/2009)"): one compendium
# merges a law, its decrees and circulars, so this is what the citation must name. Such a line
# inside an article starts the next source's text (its own heading is often missing from the
# export), cited by that source alone. Each article closes with links to related ones ("(Điều này
# có nội dung liên quan đến Điều …)"): navigation, not content, and a list of other articles'
# titles that would match questions about them.
_SOURCED = (r"Điều\s+\d+[a-zđ]?\s+(?:Luật|Bộ luật|Nghị định|Nghị quyết|Thông tư(?: liên tịch)?|Quyết định|Pháp lệnh|Lệnh)"
            r"\s+số\s+[\w/.-]+?")
_ORIGIN = re.compile(r"^\((" + _SOURCED + r")(?:[\s,)].*)?$")
_SOURCED_LABEL = re.compile(r"^" + _SOURCED + r"$")
_RELATED = re.compile(r"\s*\((?:Phần|Chương|Mục|Điều) này có nội dung liên quan đến\b")
# Ranks of the legal hierarchy; markdown headings that are none of these rank by their level.
_STRUCTURAL = [
    (1, re.compile(r"^(?:PHẦN|Phần)\s+(?:THỨ\s+\S+|thứ\s+\S+|[IVXLC]+|\d+)\b")),
    (2, re.compile(r"^(?:CHƯƠNG|Chương)\s+(?:[IVXLC]+|\d+)\b")),
    (3, re.compile(r"^(?:MỤC|Mục)\s+(?:[IVXLC]+|\d+)\b(?![.,]\d)")),
    (4, re.compile(r"^(?:ĐIỀU|Điều)\s+" + ARTICLE_NUMBER + r"\s*(?:\.|:|$)")),
]
ARTICLE_RANK = 4
MAX_LIST_CHARS = 1400  # a list longer than this is cut into passages anyway
_ARTICLE_LABEL = re.compile(r"^\S+\s+" + ARTICLE_NUMBER)
_CITED_ARTICLE = re.compile(r"^\S+\s+" + ARTICLE_NUMBER + r"(?:\s+\([^)]*\))?")  # with its source, if any
_BARE_LABEL = re.compile(r"^(?:PHẦN|Phần|CHƯƠNG|Chương|MỤC|Mục|ĐIỀU|Điều)\s+\S+\s*[.:]?$")
CLAUSE = re.compile(r"^(\d{1,2})\.\s+\S")  # "1. …": a clause (khoản) of an article
_ENDS_SENTENCE = re.compile(r"[.;!?…]\s*$")


@dataclass
class Block:
    heading: str  # heading path, outermost first
    paragraphs: list[tuple[int, int]] = field(default_factory=list)
    is_list: bool = False
    lead: str = ""  # a list's lead-in line


def _label(text: str, room: int = MAX_LABEL_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= room else text[:room].rsplit(" ", 1)[0] + "…"


def _rank(line: str, headings: dict[str, int], stack: list[tuple[int, str]]) -> int:
    """The heading rank of a line, or 0 when it is not a heading."""
    if _ORIGIN.match(line) and any(rank >= ARTICLE_RANK for rank, _ in stack):
        return ARTICLE_RANK
    if len(line) > MAX_HEADING_CHARS:
        return 0
    for rank, pattern in _STRUCTURAL:
        if pattern.match(line):
            return rank
    level = headings.get(line)
    if level is None:
        return 0
    inside_article = any(rank >= ARTICLE_RANK for rank, _ in stack)
    return ARTICLE_RANK + 1 if inside_article else min(level, ARTICLE_RANK - 1)


def _is_title_line(line: str, headings: dict[str, int]) -> bool:
    """The line after a bare "Điều 1." or "Chương I" that names it ("Phạm vi điều chỉnh")."""
    return (0 < len(line) <= MAX_LABEL_CHARS and not ITEM_START.match(line) and line not in headings
            and not _ENDS_SENTENCE.search(line) and not any(p.match(line) for _, p in _STRUCTURAL)
            and not _ORIGIN.match(line))  # a compendium's bare "Điều 15.6.TL.1.7." has no title: its source follows


def _short_article_end(lines: list[str], spans: list[tuple[int, int]], start: int, headings: dict[str, int],
                       stack: list[tuple[int, str]]) -> int:
    """Where an article that starts at line `start` ends, when it is two or more clauses with no
    heading inside and fits in one passage; 0 otherwise."""
    end = start
    while end < len(lines) and not _rank(lines[end], headings, stack):
        end += 1
    if end == start or spans[end - 1][1] - spans[start][0] > MAX_LIST_CHARS:
        return 0
    return end if sum(bool(CLAUSE.match(line)) for line in lines[start:end]) >= 2 else 0


def blocks(text: str, headings: dict[str, int] | None = None) -> list[Block]:
    """The document cut into prose and list blocks, each with its heading path."""
    headings = headings or {}
    spans = [(m.start(), m.start() + (related.start() if (related := _RELATED.search(m.group(0))) else len(m.group(0))))
             for m in re.finditer(r"[^\n]+", text)]
    spans = [(a, b) for a, b in spans if text[a:b].strip()]
    lines = [text[a:b].strip() for a, b in spans]
    stack: list[tuple[int, str]] = []
    out: list[Block] = []

    def path(*extra: str) -> str:
        return SEPARATOR.join([label for _, label in stack] + [e for e in extra if e])

    def prose(span: tuple[int, int]) -> None:
        heading = path()
        if out and not out[-1].is_list and out[-1].heading == heading:
            out[-1].paragraphs.append(span)
        else:
            out.append(Block(heading, [span]))

    i = 0
    while i < len(lines):
        line = lines[i]
        rank = _rank(line, headings, stack)
        if rank:
            origin = _ORIGIN.match(line) if rank == ARTICLE_RANK else None
            if origin:  # the next source's text: cited as that source's article
                label, origin = origin.group(1), None
            else:
                label = line.rstrip(":")
                if _BARE_LABEL.match(line) and i + 1 < len(lines) and _is_title_line(lines[i + 1], headings):
                    label = f"{line.rstrip('.:')}. {lines[i + 1]}"
                    i += 1
                if rank == ARTICLE_RANK:
                    origin = _ORIGIN.match(lines[i + 1]) if i + 1 < len(lines) else None
                    i += bool(origin)
            while stack and stack[-1][0] >= rank:
                stack.pop()
            room = MAX_LABEL_CHARS
            number = _ARTICLE_LABEL.match(label) if origin else None
            if origin and number:  # the title keeps its room
                label = f"{number.group(0)} ({origin.group(1)}){label[number.end():]}"
                room += len(origin.group(1)) + 3
            stack.append((rank, _label(label, room)))
            i += 1
            if rank == ARTICLE_RANK:
                end = _short_article_end(lines, spans, i, headings, stack)
                if end:  # a short article of clauses ("1. Vụ …", "2. Vụ …") is one list: what it enumerates stays together
                    out.append(Block(path(), spans[i:end], is_list=True))
                    i = end
            continue
        inside_article = any(r >= ARTICLE_RANK for r, _ in stack)
        clause = CLAUSE.match(line) if inside_article else None
        lead_in = bool(line.endswith(":") and i + 1 < len(lines) and ITEM_START.match(lines[i + 1]))
        if lead_in and inside_article and CLAUSE.match(lines[i + 1]):
            # "…như sau:" then numbered clauses: one list only when the whole fits in a passage
            end = i + 1
            while end < len(lines) and ITEM_START.match(lines[end]) and not _rank(lines[end], headings, stack):
                end += 1
            if spans[end - 1][1] - spans[i][0] > MAX_LIST_CHARS:
                lead_in = False
        if clause or lead_in:
            members = [spans[i]]
            j = i + 1
            while j < len(lines) and not _rank(lines[j], headings, stack):
                if clause and CLAUSE.match(lines[j]):
                    break  # the next clause
                if not clause and not ITEM_START.match(lines[j]):
                    break  # the list has ended
                members.append(spans[j])
                j += 1
            extra = f"khoản {clause.group(1)}" if clause else ""
            out.append(Block(path(extra), members, is_list=len(members) > 1 or bool(clause), lead=_label(line)))
            i = j
            continue
        prose(spans[i])
        i += 1
    return out


_PAGE = re.compile(r"^trang \d+(?:–\d+)?$")


def page_label(heading: str, first: int, last: int) -> str:
    """The heading path with the page(s) the passage stands on as its last part ("… › trang 3")."""
    if not first:
        return heading
    page = f"trang {first}" if last <= first else f"trang {first}–{last}"
    return SEPARATOR.join(part for part in (heading, page) if part)


def location(heading: str, before: str = "") -> str:
    """The short place of a passage for its citation: "Điều 5, khoản 2" from its heading path;
    the innermost heading when the document has no articles. `before` is the passage's text up to
    the quoted sentence: in a short article kept whole, its last clause number names the clause.
    A passage of a paged file (PDF, scan) adds its page: "Điều 5, khoản 2, trang 3"."""
    parts = heading.split(SEPARATOR) if heading else []
    if parts and _PAGE.match(parts[-1]):
        place = location(SEPARATOR.join(parts[:-1]), before)
        return f"{place}, {parts[-1]}" if place else parts[-1]
    article = next((p for p in reversed(parts) if _STRUCTURAL[3][1].match(p) or _SOURCED_LABEL.match(p)), "")
    if article:
        cited = _CITED_ARTICLE.match(article)  # always, for an article heading
        number = article if _SOURCED_LABEL.match(article) or cited is None else cited.group(0)
        clause = next((p for p in parts if p.startswith("khoản ")), "")
        numbers = [m.group(1) for line in before.split("\n") if (m := CLAUSE.match(line.strip()))] if not clause else []
        clause = clause or (f"khoản {numbers[-1]}" if numbers else "")
        return number + (f", {clause}" if clause else "")
    return parts[-1] if parts else ""
