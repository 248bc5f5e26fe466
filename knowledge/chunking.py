"""Sentence-aware chunking along the document's structure.

Every passage is whole sentences of one section, with character offsets, and knows its heading
path ("Chương II › Điều 5. Thẩm quyền … › khoản 2"), which is searched with it and shown in its
citation. A list with its lead-in line (a clause and its points, "Hồ sơ gồm: a) … b) …") stays one
passage when it fits.
"""
from __future__ import annotations

import re

from knowledge.models import Chunk, Document
from knowledge.structure import MAX_LIST_CHARS, Block, blocks, page_label
from vietnamese.names import UPPER

TARGET_CHARS = 450
PROSE_MAX_CHARS = 700
MAX_CHARS = MAX_LIST_CHARS  # a list with its lead-in ("Hồ sơ gồm: a) … b) …") stays one passage up to this
LONG_SENTENCE = 480

# Abbreviations whose dot does not end a sentence ("TP. Đà Nẵng", "Tp. HCM", "ThS. Lê").
_NON_FINAL = re.compile(r"(?:\b(?:TP|Tp|tp|Th\.S|ThS|TS|PGS|GS|BS|KS|Mr|Mrs|Ms|Dr|St|No|Nr|v\.v|tr|Q|P|TT|Ths)\.)$")
_CLAUSE_BREAKS = (re.compile(r"(?<=;)\s+"), re.compile(r"(?<=,)\s+"))
# A sentence starts with a capital letter or a digit (listed: the range À-Ỹ also holds lower case).
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"”’»)]*\s+(?=[\"“‘«(]?[" + UPPER + r"0-9])")


def _spans(text: str, start: int, end: int, pattern: re.Pattern) -> list[tuple[int, int]]:
    spans, cursor = [], start
    for match in pattern.finditer(text, start, end):
        if _NON_FINAL.search(text[cursor:match.start()]):
            continue
        spans.append((cursor, match.start()))
        cursor = match.end()
    spans.append((cursor, end))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def _split_long(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A sentence too long to quote on a phone is cut at its semicolons, then its commas."""
    if end - start <= LONG_SENTENCE:
        return [(start, end)]
    for separator in _CLAUSE_BREAKS:
        pieces = _spans(text, start, end, separator)
        if len(pieces) > 1:
            merged: list[tuple[int, int]] = []
            for a, b in pieces:
                if merged and b - merged[-1][0] <= TARGET_CHARS:
                    merged[-1] = (merged[-1][0], b)
                else:
                    merged.append((a, b))
            if len(merged) > 1:
                return [span for a, b in merged for span in _split_long(text, a, b)]
    return [(start, end)]


def paragraphs(text: str) -> list[tuple[int, int]]:
    """Offsets of the paragraphs (separated by line breaks)."""
    return [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text) if m.group(0).strip()]


def sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Offsets of the sentences of text[start:end], long ones cut at clause boundaries."""
    end = len(text) if end is None else end
    out = []
    for a, b in _spans(text, start, end, _BOUNDARY):
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        out.extend(_split_long(text, a, b))
    return out


def _sentence_chunks(text: str, spans: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Prose paragraphs cut into runs of whole sentences; a short line (a caption or a lead-in)
    stays with what follows."""
    groups: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for p_start, p_end in spans:
        short_line = current and (current[-1][1] - current[0][0]) < 160 and len(current) <= 2
        if current and not short_line:
            groups.append(current)
            current = []
        for span in sentences(text, p_start, p_end):
            if current and span[1] - current[0][0] > PROSE_MAX_CHARS:
                groups.append(current)
                current = []
            current.append(span)
            if current[-1][1] - current[0][0] >= TARGET_CHARS:
                groups.append(current)
                current = []
    if current:
        groups.append(current)
    return groups


def _list_chunks(text: str, block: Block) -> list[list[tuple[int, int]]]:
    """A list unit: whole when it fits, else its items grouped in order (the lead-in goes to the
    heading path, so every part still says what it lists)."""
    whole = [span for p_start, p_end in block.paragraphs for span in sentences(text, p_start, p_end)]
    if block.paragraphs[-1][1] - block.paragraphs[0][0] <= MAX_CHARS:
        return [whole]
    groups: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for span in whole:
        if current and span[1] - current[0][0] > PROSE_MAX_CHARS:
            groups.append(current)
            current = []
        current.append(span)
    if current:
        groups.append(current)
    return groups


def chunk_document(document: Document) -> list[Chunk]:
    """Cut a document into passages of whole sentences that never cross a heading."""
    text = document.text
    chunks: list[Chunk] = []
    for block in blocks(text, document.headings):
        groups = _list_chunks(text, block) if block.is_list else _sentence_chunks(text, block.paragraphs)
        for group in groups:
            heading = block.heading
            if block.is_list and block.lead and group[0][0] > block.paragraphs[0][1]:
                heading = " › ".join(part for part in (heading, block.lead) if part)
            if document.pages:  # a scan's or a PDF's passage names its page in citations
                heading = page_label(heading, document.page_at(group[0][0]), document.page_at(group[-1][1] - 1))
            chunks.append(Chunk(document.doc_id, len(chunks), text[group[0][0]:group[-1][1]],
                                group[0][0], group[-1][1], list(group), heading))
    return chunks
