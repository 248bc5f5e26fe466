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

    def __post_init__(self) -> None:
        if not self.doc_id:
            self.doc_id = self.content_hash[:12]

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def metadata(self) -> dict:
        data = asdict(self)
        data.pop("text")
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

    @property
    def chunk_id(self) -> str:
        return f"{self.doc_id}:{self.index}"
