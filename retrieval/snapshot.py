"""What questions search: the live passages and sentences at one registry generation, with their
BM25 indexes. A new generation is applied as a change (new documents appended, removed ones
masked), never by rebuilding; `compacted()` tidies up in the background."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from knowledge.models import search_text
from retrieval.lexical import BM25Index

_serials = itertools.count(1)


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
        """What it is found by (its BM25 row, its vector, the answerer's context)."""
        return search_text(self.document["title"], self.heading, self.text)


@dataclass
class Sentence:
    passage: int  # index into Snapshot.passages
    start: int
    end: int
    text: str


@dataclass
class Snapshot:
    """Everything searchable at one registry generation, shared by all questions. Passages of
    removed documents may stay in the lists until compaction: they score 0 and have no chunk id."""

    generation: int
    passages: list[Passage] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)
    by_chunk_id: dict[str, int] = field(default_factory=dict)  # live passages only
    sentence_index: BM25Index | None = None
    passage_index: BM25Index | None = None
    owner: np.ndarray | None = None  # passage index of each sentence
    first_sentence: list[int] = field(default_factory=list)  # per passage, its first sentence index
    rows_of: dict[str, list[int]] = field(default_factory=dict)  # live document -> its passages
    serial: int = field(default_factory=lambda: next(_serials))  # differs for every snapshot built

    def sentences_of(self, passage: int) -> range:
        return range(self.first_sentence[passage], self.first_sentence[passage + 1])

    def passage_excluded(self, passage: int, documents: frozenset[str]) -> bool:
        document = self.passages[passage].document
        return document["doc_id"] in documents or document["source"] in documents

    def passage_mask(self, documents: frozenset[str]) -> np.ndarray:
        """True for each passage of the named documents (doc_id or file name)."""
        return np.fromiter((self.passage_excluded(i, documents) for i in range(len(self.passages))),
                           dtype=bool, count=len(self.passages))

    @property
    def live_documents(self) -> frozenset[str]:
        return frozenset(self.rows_of)

    @property
    def dead_passages(self) -> int:
        return self.passage_index.dead_size if self.passage_index else 0

    @classmethod
    def build(cls, generation: int, documents: dict[str, dict], chunks: list[dict]) -> "Snapshot":
        """From nothing: every live document and its chunks (registry order)."""
        empty = cls(generation, first_sentence=[0], owner=np.zeros(0, dtype=np.int64))
        empty.sentence_index, empty.passage_index = BM25Index([]), BM25Index([])
        return empty.updated(generation, frozenset(documents), documents, chunks)

    def updated(self, generation: int, live: frozenset[str], documents: dict[str, dict],
                chunks: list[dict]) -> "Snapshot":
        """This snapshot moved to `generation`: documents no longer in `live` are masked, the new
        `documents` and their `chunks` appended. Only the new texts are tokenized."""
        passages, sentences = list(self.passages), list(self.sentences)
        first_sentence = self.first_sentence[:-1]
        by_chunk_id, rows_of = dict(self.by_chunk_id), dict(self.rows_of)  # lists inside are never changed
        removed_passages: list[int] = []
        removed_sentences: list[int] = []
        for doc_id in set(rows_of) - live:
            rows = rows_of.pop(doc_id)
            removed_passages.extend(rows)
            for row in rows:
                del by_chunk_id[passages[row].chunk_id]
                removed_sentences.extend(self.sentences_of(row))
        new_passages: list[str] = []
        new_sentences: list[str] = []
        owners = [self.owner]
        for row in chunks:
            document = documents[row["doc_id"]]
            passage = Passage(row["chunk_id"], row["doc_id"], row["text"], row["start"],
                              [tuple(s) for s in row["sentences"]], document, row.get("heading") or "")
            position = len(passages)
            by_chunk_id[passage.chunk_id] = position
            if passage.doc_id not in self.rows_of:  # new documents only: their lists are our own
                rows_of.setdefault(passage.doc_id, []).append(position)
            first_sentence.append(len(sentences))
            for a, b in passage.sentences:
                sentences.append(Sentence(position, a, b, document["text"][a:b]))
                new_sentences.append(sentences[-1].text)
            owners.append(np.full(len(passage.sentences), position, dtype=np.int64))
            passages.append(passage)
            new_passages.append(passage.search_text)
        first_sentence.append(len(sentences))
        return Snapshot(
            generation, passages, sentences, by_chunk_id,
            self.sentence_index.updated(new_sentences, removed_sentences),
            self.passage_index.updated(new_passages, removed_passages),
            np.concatenate(owners), first_sentence, rows_of)

    def compacted(self) -> "Snapshot":
        """The same generation with the passages of removed documents gone and each index in one
        segment. Numbers of passages and sentences change, so it is a new snapshot (serial)."""
        keep = sorted(row for rows in self.rows_of.values() for row in rows)
        passages, sentences, first_sentence, rows_of = [], [], [], {}
        for row in keep:
            passage = self.passages[row]
            position = len(passages)
            rows_of.setdefault(passage.doc_id, []).append(position)
            first_sentence.append(len(sentences))
            sentences.extend(Sentence(position, s.start, s.end, s.text)
                             for s in (self.sentences[i] for i in self.sentences_of(row)))
            passages.append(passage)
        first_sentence.append(len(sentences))
        owner = np.fromiter((s.passage for s in sentences), dtype=np.int64, count=len(sentences))
        return Snapshot(self.generation, passages, sentences, {p.chunk_id: i for i, p in enumerate(passages)},
                        self.sentence_index.compacted(), self.passage_index.compacted(), owner, first_sentence,
                        rows_of)

    def wants_compaction(self) -> bool:
        """Many segments, or many rows added or removed since the last full build: worth
        merging (never needed for correctness)."""
        index = self.passage_index
        changed = index.size - index.main_size + index.dead_size
        return index.segments > 8 or changed > 0.05 * index.live_size
