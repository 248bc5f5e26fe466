"""The nouns of the knowledge room: a Document and the Chunks cut from it."""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field


@dataclass
class Document:
    """One source text, cleaned and normalized, with what we know about where it came from."""

    source: str  # file name shown in citations, e.g. "002_8b352d2e7897d8d0.txt"
    text: str
    title: str = ""
    publisher: str = ""
    date: str = ""  # as the text gives it, dd/mm/yyyy where known
    doc_id: str = ""
    version: int = 1
    headings: dict[str, int] = field(default_factory=dict, repr=False)  # heading line -> level, from markup
    # (offset in text, page number) where each page starts, for files with pages (PDF, scans)
    pages: list[tuple[int, int]] = field(default_factory=list, repr=False)
    # what reading the file found, for the upload report: OCR pages, mean confidence, … ({}: plain text)
    reading: dict = field(default_factory=dict, repr=False)


    def __post_init__(self) -> None:
        if not self.doc_id:
            self.doc_id = self.content_hash[:12]

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def page_at(self, offset: int) -> int:
        """The page number the text at `offset` stands on (0 when the file has no pages)."""
        number = 0
        for start, page in self.pages:
            if start > offset:
                break
            number = page
        return number

    def metadata(self) -> dict:
        data = asdict(self)
        for key in ("text", "headings", "pages", "reading"):
            data.pop(key)
        return data


@dataclass
class Chunk:
    """A run of whole sentences from one document, with its character offsets in the document text."""

    doc_id: str
    index: int
    text: str
    start: int
    end: int
    sentences: list[tuple[int, int]] = field(default_factory=list)  # offsets within the document text
    heading: str = ""  # heading path, e.g. "Chương II › Điều 5. Thẩm quyền … › khoản 2"

    @property
    def chunk_id(self) -> str:
        return f"{self.doc_id}:{self.index}"


def search_text(title: str, heading: str, text: str) -> str:
    """What a passage is searched by, lexically and densely: its document's title and its heading
    path with its own text, since a clause rarely repeats the article it belongs to."""
    return "\n".join(part for part in (title, heading, text) if part)
