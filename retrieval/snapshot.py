"""The searchable state at one registry generation: passages, sentences and their BM25 indexes,
built once and shared by every question until a document is added or removed."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from knowledge.models import search_text
from retrieval.lexical import BM25Index


@dataclass
class Passage:
    """A chunk as the answering side sees it, with its sentences and its document's metadata."""

    chunk_id: str
    doc_id: str
    text: str
    start: int
    sentences: list[tuple[int, int]]  # offsets within the document text
    document: dict
    heading: str = ""  # heading path inside the document

    @property
    def search_text(self) -> str:
        return search_text(self.document["title"], self.heading, self.text)


@dataclass
class Sentence:
    passage: int  # index into Snapshot.passages
    start: int
    end: int
    text: str


@dataclass
class Snapshot:
    """Everything searchable at one registry generation, built once and shared by all questions."""

    generation: int
    passages: list[Passage] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)
    by_chunk_id: dict[str, int] = field(default_factory=dict)
    sentence_index: BM25Index | None = None
    passage_index: BM25Index | None = None
    owner: np.ndarray | None = None  # passage index of each sentence
    first_sentence: list[int] = field(default_factory=list)  # per passage, its first sentence index

    def sentences_of(self, passage: int) -> range:
        return range(self.first_sentence[passage], self.first_sentence[passage + 1])

    def passage_excluded(self, passage: int, documents: frozenset[str]) -> bool:
        document = self.passages[passage].document
        return document["doc_id"] in documents or document["source"] in documents

    def passage_mask(self, documents: frozenset[str]) -> np.ndarray:
        """True for each passage of the named documents (doc_id or file name)."""
        return np.fromiter((self.passage_excluded(i, documents) for i in range(len(self.passages))),
                           dtype=bool, count=len(self.passages))

    @classmethod
    def build(cls, registry) -> "Snapshot":
        generation, documents, chunks = registry.live_state()
        snapshot = cls(generation)
        for row in chunks:
            document = documents[row["doc_id"]]
            passage = Passage(row["chunk_id"], row["doc_id"], row["text"], row["start"],
                              [tuple(s) for s in row["sentences"]], document, row.get("heading") or "")
            snapshot.by_chunk_id[passage.chunk_id] = len(snapshot.passages)
            snapshot.first_sentence.append(len(snapshot.sentences))
            for a, b in passage.sentences:
                snapshot.sentences.append(Sentence(len(snapshot.passages), a, b, document["text"][a:b]))
            snapshot.passages.append(passage)
        snapshot.first_sentence.append(len(snapshot.sentences))
        snapshot.owner = np.fromiter((s.passage for s in snapshot.sentences), dtype=np.int64,
                                     count=len(snapshot.sentences))
        snapshot.sentence_index = BM25Index([s.text for s in snapshot.sentences])
        snapshot.passage_index = BM25Index([p.search_text for p in snapshot.passages])
        return snapshot
