"""Sentence-aware chunking: whole sentences, grouped within paragraphs, with character offsets."""
from __future__ import annotations

import re

from knowledge.models import Chunk, Document

TARGET_CHARS = 450
MAX_CHARS = 700
LONG_SENTENCE = 480

# Abbreviations whose dot does not end a sentence ("TP. Đà Nẵng", "Tp. HCM", "ThS. Lê").
_NON_FINAL = re.compile(r"(?:\b(?:TP|Tp|tp|Th\.S|ThS|TS|PGS|GS|BS|KS|Mr|Mrs|Ms|Dr|St|No|Nr|v\.v|tr|Q|P|TT|Ths)\.)$")
_CLAUSE_BREAKS = (re.compile(r"(?<=;)\s+"), re.compile(r"(?<=,)\s+"))
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"”’»)]*\s+(?=[\"“‘«(]?[A-ZÀ-Ỹ0-9Đ])")


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


def chunk_document(document: Document) -> list[Chunk]:
    """Cut a document into chunks of whole sentences; a chunk never spans two paragraphs unless
    the first is a short line (a heading or caption) that belongs with what follows."""
    text = document.text
    chunks: list[Chunk] = []
    current: list[tuple[int, int]] = []

    def flush() -> None:
        if current:
            chunks.append(Chunk(document.doc_id, len(chunks), text[current[0][0]:current[-1][1]],
                                current[0][0], current[-1][1], list(current)))
            current.clear()

    for p_start, p_end in paragraphs(text):
        short_line = current and (current[-1][1] - current[0][0]) < 160 and len(current) <= 2
        if current and not short_line:
            flush()
        for span in sentences(text, p_start, p_end):
            if current and span[1] - current[0][0] > MAX_CHARS:
                flush()
            current.append(span)
            if current[-1][1] - current[0][0] >= TARGET_CHARS:
                flush()
    flush()
    return chunks
