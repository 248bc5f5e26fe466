"""The nouns of the answering room: an Answer and the Citations that back it."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

# An answer is read on a phone, and the shared scorer counts a longer one as wrong.
MAX_ANSWER_CHARS = 700


@dataclass
class Citation:
    """A numbered source of an answer: which document, and the passage quoted from it."""

    n: int
    source: str
    title: str
    publisher: str
    date: str
    quote: str
    doc_id: str = ""
    location: str = ""  # where in the document: "Điều 5, khoản 2", or the section heading

    @property
    def label(self) -> str:
        """What a source line names: "Điều 5, khoản 2 — Nghị định …", or just the title."""
        title = self.title or self.source or self.doc_id
        return f"{self.location} — {title}" if self.location else title

    @property
    def details(self) -> str:
        """"Publisher, 03/01/2020" as far as known."""
        return ", ".join(part for part in (self.publisher, self.date) if part)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Answer:
    """What the engine says to a question; `refused` when the documents do not hold the answer."""

    question: str
    answer: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    fact: str = ""  # the asked-for figure, date, name or theme the answer leads with, if any
    latency_ms: float = 0.0
    confidence: float = 0.0  # the fitted probability that answering is right; below the threshold it refuses
    records: list[dict] = field(default_factory=list)  # a series question's events (retrieval.answering.records)
    # Procedures to choose from (retrieval.answering.procedures): a choice list, or the leads of a refusal.
    choices: list[dict] = field(default_factory=list)
    # The services the answer had to do without: "vectors" (lexical search alone), "database" (the
    # documents as last read), both comma-separated; "" when all was well.
    degraded: str = ""

    def to_dict(self) -> dict:
        return {
            "answer": self.answer,
            "refused": self.refused,
            "citations": [c.to_dict() for c in self.citations],
            "fact": self.fact,
            "confidence": round(self.confidence, 3),
            "records": self.records,
            "choices": self.choices,
            "degraded": self.degraded,
            "latency_ms": round(self.latency_ms, 2),
        }
