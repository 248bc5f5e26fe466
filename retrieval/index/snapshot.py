"""What questions search: the live passages and sentences at one registry generation, with their
BM25 indexes. A new generation is applied as a change (new documents appended, removed ones
masked), never by rebuilding; `compacted()` tidies up in the background."""
from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from functools import cached_property
from typing import cast

import numpy as np

from knowledge.models import search_text
from retrieval.index.initialisms import Initialisms, letters_of
from vietnamese.text import WORD, fold
from retrieval.index.lexical import BM25Index

_serials = itertools.count(1)


@dataclass
class SavedIndexes:
    """What a saved snapshot holds: its passages by chunk id (row order), the sentences of each,
    and both indexes over those rows."""

    chunk_ids: list[str]
    sentence_counts: np.ndarray
    fingerprints: np.ndarray  # per passage: its texts when it was indexed (Snapshot.fingerprints)
    sentence_index: BM25Index
    passage_index: BM25Index


def fingerprint(passage_text: str, sentence_texts: list[str]) -> int:
    """64 bits that change with any of a passage's indexed texts."""
    digest = hashlib.blake2b(passage_text.encode("utf-8"), digest_size=8)
    for text in sentence_texts:
        digest.update(b"\x1f" + text.encode("utf-8"))
    return int.from_bytes(digest.digest(), "little")


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

    @cached_property
    def letters(self) -> str:
        """The first letter of each of its words, for the abbreviations the documents spell out."""
        return letters_of(self.text)


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

    @cached_property
    def initialisms(self) -> Initialisms:
        """What the live passages spell out for an abbreviation (built on first use)."""
        live = [p for i, p in enumerate(self.passages) if self.by_chunk_id.get(p.chunk_id) == i]
        index = cast(BM25Index, self.sentence_index)
        # "GDP", "KTNV", "KH&CN" as the lexical index holds them: a token, or a bigram of tokens.
        literal = lambda written: index.frequency("_".join(WORD.findall(fold(written))))  # noqa: E731
        return Initialisms([p.text for p in live], [p.letters for p in live], literal)

    def sentences_of(self, passage: int) -> range:
        return range(self.first_sentence[passage], self.first_sentence[passage + 1])

    def passage_excluded(self, passage: int, documents: frozenset[str]) -> bool:
        document = self.passages[passage].document
        return document["doc_id"] in documents or document["source"] in documents

    def passage_mask(self, documents: frozenset[str]) -> np.ndarray:
        """True for each live passage of the named documents (doc_id or file name); removed
        passages score 0 anyway. Costs the names, not the passages."""
        mask = np.zeros(len(self.passages), dtype=bool)
        for name in documents:
            for doc_id in [name, *self._by_source.get(name, [])]:
                mask[self.rows_of.get(doc_id, [])] = True
        return mask

    @cached_property
    def _by_source(self) -> dict[str, list[str]]:
        """Live documents by file name (several versions may share one)."""
        found: dict[str, list[str]] = {}
        for doc_id, rows in self.rows_of.items():
            found.setdefault(self.passages[rows[0]].document["source"], []).append(doc_id)
        return found

    def fingerprints(self) -> np.ndarray:
        """Per passage, a hash of the texts its index rows were made from."""
        return np.fromiter((fingerprint(p.search_text, [self.sentences[i].text for i in self.sentences_of(n)])
                            for n, p in enumerate(self.passages)), dtype=np.uint64, count=len(self.passages))

    @property
    def live_documents(self) -> frozenset[str]:
        return frozenset(self.rows_of)

    @classmethod
    def build(cls, generation: int, documents: dict[str, dict], chunks: list[dict]) -> "Snapshot":
        """From nothing: every live document and its chunks (registry order)."""
        empty = cls(generation, first_sentence=[0], owner=np.zeros(0, dtype=np.int64))
        empty.sentence_index, empty.passage_index = BM25Index([]), BM25Index([])
        return empty.updated(generation, frozenset(documents), documents, chunks)

    @classmethod
    def restored(cls, generation: int, documents: dict[str, dict], chunks: list[dict], saved: SavedIndexes
                 ) -> "Snapshot":
        """What `build` gives, from indexes saved earlier (retrieval.index.index_file): chunks that are
        still live keep their saved rows, untokenized; the rest are dropped or added as changes.
        A document is kept whole or not at all."""
        by_id = {row["chunk_id"]: row for row in chunks}
        counts, fingerprints = saved.sentence_counts, saved.fingerprints.tolist()  # exact ints, as computed

        seen: set[str] = set()

        def unchanged(row: int, chunk_id: str) -> bool:  # the same texts as when saved, still live, once
            chunk = by_id.get(chunk_id)
            if (chunk is None or chunk_id in seen or len(chunk["sentences"]) != counts[row]
                    or not saved.passage_index.is_live(row)):
                return False
            seen.add(chunk_id)
            document = documents[chunk["doc_id"]]
            return fingerprint(search_text(document["title"], chunk.get("heading") or "", chunk["text"]),
                               [document["text"][a:b] for a, b in chunk["sentences"]]) == fingerprints[row]

        fits = [unchanged(row, c) for row, c in enumerate(saved.chunk_ids)]
        fitting = {c for c, ok in zip(saved.chunk_ids, fits) if ok}
        spoiled = {row["doc_id"] for row in chunks if row["chunk_id"] not in fitting}  # (and new documents)
        kept = np.asarray([ok and by_id[c]["doc_id"] not in spoiled for c, ok in zip(saved.chunk_ids, fits)],
                          dtype=bool).reshape(-1)
        sentence_index, passage_index = saved.sentence_index, saved.passage_index
        if not kept.all():  # renumbered without the rows that went: no tokenizing
            sentence_index = sentence_index.updated([], np.flatnonzero(~np.repeat(kept, counts))).compacted()
            passage_index = passage_index.updated([], np.flatnonzero(~kept)).compacted()
        old = [by_id[c] for c, keep in zip(saved.chunk_ids, kept) if keep]
        empty = cls(generation, first_sentence=[0], owner=np.zeros(0, dtype=np.int64))
        snapshot = empty.updated(generation, frozenset(documents), documents, old,
                                 indexed=(sentence_index, passage_index))
        held = set(snapshot.by_chunk_id)
        new = [row for row in chunks if row["chunk_id"] not in held]
        return snapshot.updated(generation, frozenset(documents), documents, new) if new else snapshot

    def updated(self, generation: int, live: frozenset[str], documents: dict[str, dict],
                chunks: list[dict], indexed: tuple[BM25Index, BM25Index] | None = None) -> "Snapshot":
        """This snapshot moved to `generation`: documents no longer in `live` are masked, the new
        `documents` and their `chunks` appended. Only the new texts are tokenized; none when
        `indexed` gives the (sentence, passage) indexes of the result already."""
        passages, sentences = list(self.passages), list(self.sentences)
        first_sentence = self.first_sentence[:-1]
        by_chunk_id, rows_of = dict(self.by_chunk_id), dict(self.rows_of)  # lists inside are never changed
        removed_passages: list[int] = []
        removed_sentences: list[int] = []
        for doc_id in set(rows_of) - live:
            rows = rows_of.pop(doc_id)
            removed_passages.extend(rows)
            for removed in rows:
                del by_chunk_id[passages[removed].chunk_id]
                removed_sentences.extend(self.sentences_of(removed))
        owners = [cast(np.ndarray, self.owner)]  # every snapshot is built with its owners
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
            owners.append(np.full(len(passage.sentences), position, dtype=np.int64))
            passages.append(passage)
        first_sentence.append(len(sentences))
        if indexed is None:
            new_sentences = [s.text for s in sentences[first_sentence[len(self.passages)]:]]
            indexed = (self.sentence_index.updated(new_sentences, removed_sentences),
                       self.passage_index.updated([p.search_text for p in passages[len(self.passages):]],
                                                  removed_passages))
        sentence_index, passage_index = indexed
        if (sentence_index.size, passage_index.size) != (len(sentences), len(passages)):
            raise ValueError("the indexes do not have a row per sentence and passage")
        return Snapshot(generation, passages, sentences, by_chunk_id, sentence_index, passage_index,
                        np.concatenate(owners), first_sentence, rows_of)

    def compacted(self) -> "Snapshot":
        """The same generation with the passages of removed documents gone and each index in one
        segment. Numbers of passages and sentences change, so it is a new snapshot (serial)."""
        keep = sorted(row for rows in self.rows_of.values() for row in rows)
        passages: list[Passage] = []
        sentences: list[Sentence] = []
        first_sentence: list[int] = []
        rows_of: dict[str, list[int]] = {}
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
