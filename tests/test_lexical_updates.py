"""Lexical indexes change in place: an upload tokenizes only its own texts, a removal masks rows,
and every score is what a fresh build over the live texts would give."""
from __future__ import annotations

import random

import numpy as np
import pytest

from knowledge.models import Document
from knowledge.seeds import seed_documents
from ngoaivu.settings import Settings
from retrieval.engine import AnswerEngine
from retrieval.knowledge_base import KnowledgeBase
from retrieval.lexical import BM25Index, index_tokens
from retrieval.snapshot import Snapshot

QUERIES = ["Năm 2020 các địa phương ký bao nhiêu thỏa thuận quốc tế?", "quy che 272 ban hanh ngay nao",
           "Hội nghị Ngoại vụ toàn quốc lần thứ 21", "TP.HCM hợp tác địa phương nước ngoài", "xe đưa đón"]


def _texts() -> list[str]:
    return [line for document in seed_documents() for line in document.text.split("\n") if len(line) > 30]


def _assert_same(changed: BM25Index, fresh: BM25Index, rows: list[int]) -> None:
    """`changed` scores its rows `rows` exactly as `fresh` scores 0, 1, 2, …; the rest score 0."""
    for query in QUERIES:
        tokens = index_tokens(query)
        scores, expected = changed.scores(tokens), fresh.scores(tokens)
        assert scores.shape == (changed.size,)
        np.testing.assert_allclose(scores[rows], expected, rtol=1e-5, atol=1e-6)
        others = np.setdiff1d(np.arange(changed.size), rows)
        assert not scores[others].any()
        for token in tokens:
            assert changed.idf(token) == pytest.approx(fresh.idf(token), rel=1e-6)
            assert (token in changed) == (token in fresh)
    assert changed.max_idf == pytest.approx(fresh.max_idf)


def test_an_updated_index_scores_as_a_fresh_build_of_the_live_texts():
    texts = _texts()
    assert len(texts) > 60
    base, added = texts[:-20], texts[-20:]
    removed = random.Random(3).sample(range(len(base)), 15)
    index = BM25Index(base)
    changed = index.updated(added, removed)
    live = [i for i in range(len(base) + len(added)) if i not in set(removed)]
    _assert_same(changed, BM25Index([(base + added)[i] for i in live]), live)
    assert changed.segments == 2 and changed.main_size == len(base)
    # the index in use by questions already running is untouched
    _assert_same(index, BM25Index(base), list(range(len(base))))

    twice = changed.updated(["Mỗi đoàn khách được bố trí 5 xe đưa đón."], [live[0], live[-1]])
    live_twice = live[1:-1] + [len(base) + len(added)]
    all_texts = base + added + ["Mỗi đoàn khách được bố trí 5 xe đưa đón."]
    _assert_same(twice, BM25Index([all_texts[i] for i in live_twice]), live_twice)

    compacted = twice.compacted()
    assert compacted.segments == 1 and compacted.size == compacted.live_size == len(live_twice)
    _assert_same(compacted, BM25Index([all_texts[i] for i in live_twice]), list(range(len(live_twice))))


def test_every_row_removed_and_an_empty_start():
    empty = BM25Index([])
    grown = empty.updated(["Hội nghị Ngoại vụ toàn quốc lần thứ 21"], [])
    _assert_same(grown, BM25Index(["Hội nghị Ngoại vụ toàn quốc lần thứ 21"]), [0])
    gone = grown.updated([], [0])
    assert not gone.scores(index_tokens("Hội nghị")).any() and "hoi" not in gone
    assert gone.compacted().size == 0


def _registry_rows(documents: list[Document]) -> tuple[dict, list[dict]]:
    from knowledge.chunking import chunk_document

    found, chunks = {}, []
    for document in documents:
        found[document.doc_id] = {**document.metadata(), "text": document.text}
        chunks += [{"chunk_id": c.chunk_id, "doc_id": c.doc_id, "text": c.text, "start": c.start,
                    "sentences": c.sentences} for c in chunk_document(document)]
    return found, chunks


def _same_content(left: Snapshot, right: Snapshot) -> None:
    assert sorted(left.by_chunk_id) == sorted(right.by_chunk_id)
    for chunk_id, position in right.by_chunk_id.items():
        mine = left.by_chunk_id[chunk_id]
        assert left.passages[mine].text == right.passages[position].text
        assert [left.sentences[i].text for i in left.sentences_of(mine)] == \
            [right.sentences[i].text for i in right.sentences_of(position)]
        assert all(left.sentences[i].passage == mine for i in left.sentences_of(mine))
        assert (left.owner[list(left.sentences_of(mine))] == mine).all()
    for query in QUERIES:
        tokens = index_tokens(query)
        mine, theirs = left.passage_index.scores(tokens), right.passage_index.scores(tokens)
        for chunk_id, position in right.by_chunk_id.items():
            assert mine[left.by_chunk_id[chunk_id]] == pytest.approx(theirs[position], rel=1e-5, abs=1e-6)
        assert left.sentence_index.scores(tokens).sum() == pytest.approx(right.sentence_index.scores(tokens).sum(),
                                                                          rel=1e-4)


def test_a_snapshot_moved_on_holds_what_a_fresh_one_holds():
    seeds = seed_documents()
    new = Document(source="moi.txt", title="Quy định tiếp khách",
                   text="Quy định tiếp khách.\n\nMỗi đoàn khách cấp thứ trưởng được bố trí 5 xe đưa đón.")
    documents, chunks = _registry_rows(seeds[:3])
    before = Snapshot.build(1, documents, chunks)
    added_docs, added_chunks = _registry_rows(seeds[3:] + [new])
    live = frozenset(documents) - {seeds[1].doc_id} | frozenset(added_docs)
    after = before.updated(2, live, added_docs, added_chunks)

    kept = [d for d in seeds + [new] if d.doc_id in live]
    fresh = Snapshot.build(2, *_registry_rows(kept))
    _same_content(after, fresh)
    assert after.passage_index.dead_size == len(before.rows_of[seeds[1].doc_id])
    assert after.serial != before.serial and after.wants_compaction()
    assert len(before.by_chunk_id) == len(before.passages)  # the old snapshot is untouched

    compacted = after.compacted()
    assert compacted.generation == 2 and compacted.serial != after.serial
    assert len(compacted.passages) == len(fresh.passages) and not compacted.wants_compaction()
    _same_content(compacted, fresh)


def test_a_second_worker_takes_an_upload_without_rebuilding(fresh_data_dir):
    settings = Settings(data_dir=fresh_data_dir)
    writer = AnswerEngine.open(settings)
    reader = AnswerEngine(KnowledgeBase(settings, writer.kb.embeddings))
    question = "Mỗi đoàn khách cấp thứ trưởng được bố trí bao nhiêu xe đưa đón?"
    assert reader.ask(question).refused
    warm = reader.kb.snapshot()

    added = writer.kb.add(Document(source="tiep-khach.txt", title="Quy định tiếp khách quốc tế năm 2032",
                                   text="Theo Quy định số 91-QĐ/SNgV ngày 3/3/2032, mỗi đoàn khách cấp thứ "
                                        "trưởng được bố trí 5 xe đưa đón."))
    answer = reader.ask(question)
    assert not answer.refused and "5 xe" in answer.answer and answer.citations[0].source == "tiep-khach.txt"
    moved = reader.kb.snapshot()
    # One small document on ~100 passages is below the compaction threshold: the warm rows and
    # their postings were kept, the upload became a segment of its own.
    assert moved.generation > warm.generation and moved.passage_index.segments == 2
    assert moved.passage_index.main_size == len(warm.passages)
    assert moved.passages[:len(warm.passages)] == warm.passages

    assert writer.remove(added.document.doc_id)
    answer = reader.ask(question)
    assert all(c.source != "tiep-khach.txt" for c in answer.citations)
