"""Lexical indexes change in place: an upload tokenizes only its own texts, a removal masks rows,
and every score is what a fresh build over the live texts would give."""
from __future__ import annotations

import random
import time

import numpy as np
import pytest

from knowledge.models import Document
from knowledge.seeds import seed_documents
from config.settings import Settings
from retrieval.index import index_file
from retrieval.engine import AnswerEngine
from retrieval.index.knowledge_base import KnowledgeBase
from retrieval.index.lexical import BM25Index, index_tokens
from retrieval.index.snapshot import Snapshot

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


def test_a_passage_mask_names_documents_by_id_or_file_name():
    seeds = seed_documents()
    snapshot = Snapshot.build(1, *_registry_rows(seeds))
    names = frozenset({seeds[0].doc_id, seeds[2].source, "khong-co.txt"})
    expected = [snapshot.passage_excluded(i, names) for i in range(len(snapshot.passages))]
    assert snapshot.passage_mask(names).tolist() == expected
    assert 0 < sum(expected) < len(expected)
    assert not snapshot.passage_mask(frozenset()).any()


def test_saved_indexes_give_back_what_a_fresh_build_holds(tmp_path):
    seeds = seed_documents()
    new = Document(source="moi.txt", title="Quy định tiếp khách",
                   text="Quy định tiếp khách.\n\nMỗi đoàn khách cấp thứ trưởng được bố trí 5 xe đưa đón.")
    documents, chunks = _registry_rows(seeds[:4])
    built = Snapshot.build(1, documents, chunks)
    path = tmp_path / index_file.FILE_NAME
    index_file.save(built, path)
    saved = index_file.load(path)

    same = Snapshot.restored(1, documents, chunks, saved)
    _same_content(same, built)
    assert index_file.agrees(same) and same.passage_index.segments == 1 and not same.wants_compaction()

    # Since it was saved: one document removed, one added, one whose title changed (same chunk ids).
    later_docs, later_chunks = _registry_rows(seeds[1:4] + [new])
    retitled = seeds[2].doc_id
    later_docs[retitled] = {**later_docs[retitled], "title": "Một tiêu đề khác hẳn"}
    restored = Snapshot.restored(2, later_docs, later_chunks, saved)
    _same_content(restored, Snapshot.build(2, later_docs, later_chunks))
    assert restored.generation == 2
    # The unchanged documents kept their saved rows; only the new and the retitled were tokenized.
    kept = sum(len(built.rows_of[d.doc_id]) for d in seeds[1:4] if d.doc_id != retitled)
    assert restored.passage_index.main_size == kept and restored.passage_index.segments == 2
    assert restored.passages[restored.by_chunk_id[chunks[-1]["chunk_id"]]].document["title"] == seeds[3].title

    # A document of which the file holds only some passages is indexed anew, whole.
    index_file.save(Snapshot.build(1, documents, chunks[1:]), path)
    partial = Snapshot.restored(1, documents, chunks, index_file.load(path))
    _same_content(partial, built)
    first_document = chunks[0]["doc_id"]
    assert sorted(partial.rows_of[first_document]) == sorted(partial.by_chunk_id[c["chunk_id"]] for c in chunks
                                                             if c["doc_id"] == first_document)
    assert partial.passage_index.main_size == len(chunks) - len(partial.rows_of[first_document])


def test_saved_indexes_that_do_not_fit_are_not_used(tmp_path):
    documents, chunks = _registry_rows(seed_documents()[:2])
    built = Snapshot.build(1, documents, chunks)
    path = tmp_path / index_file.FILE_NAME
    index_file.save(built, path)
    # Rows indexed otherwise than this code tokenizes their texts (as after a tokenizer change).
    saved = index_file.load(path)
    texts = [p.search_text for p in built.passages]
    saved.passage_index = BM25Index(texts[1:] + texts[:1])
    assert not index_file.agrees(Snapshot.restored(1, documents, chunks, saved))
    # A file written by another version of the tokenizer's code.
    with np.load(path) as stored:
        arrays = {key: stored[key] for key in stored.files}
    assert index_file.load(path) is not None
    arrays["tokenizer"] = np.frombuffer(b"0" * 32, dtype=np.uint8)
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)
    assert index_file.load(path) is None
    index_file.save(built, path)
    # A damaged file, a cut one, and none at all.
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert index_file.load(path) is None
    path.write_bytes(b"not numpy at all")
    assert index_file.load(path) is None
    assert index_file.load(tmp_path / "absent.npz") is None


def _wait_for(condition, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_worker_starts_from_the_indexes_another_saved(fresh_data_dir):
    settings = Settings(data_dir=fresh_data_dir)
    path = index_file.path_in(fresh_data_dir)
    path.unlink(missing_ok=True)
    writer = AnswerEngine.open(settings)
    first = writer.kb.snapshot()  # built from nothing, then saved in the background
    _wait_for(path.exists)
    writer.kb.add(Document(source="tiep-khach.txt", title="Quy định tiếp khách quốc tế năm 2032",
                           text="Theo Quy định số 91-QĐ/SNgV ngày 3/3/2032, mỗi đoàn khách cấp thứ "
                                "trưởng được bố trí 5 xe đưa đón."))

    starting = AnswerEngine(KnowledgeBase(settings, writer.kb.embeddings))
    restored = starting.kb.snapshot()
    # The saved rows were read, not tokenized again; the upload since became a segment of its own.
    assert restored.passage_index.main_size == len(first.passages) and restored.passage_index.segments == 2
    _same_content(restored, Snapshot.build(*writer.kb.registry.live_state()))
    answer = starting.ask("Mỗi đoàn khách cấp thứ trưởng được bố trí bao nhiêu xe đưa đón?")
    assert not answer.refused and answer.citations[0].source == "tiep-khach.txt"


def test_questions_are_answered_from_the_snapshot_before_a_change_while_it_is_applied(fresh_data_dir):
    settings = Settings(data_dir=fresh_data_dir)
    writer = AnswerEngine.open(settings)
    reader = AnswerEngine(KnowledgeBase(settings, writer.kb.embeddings))
    question = "Mỗi đoàn khách cấp thứ trưởng được bố trí bao nhiêu xe đưa đón?"
    warm = reader.kb.snapshot()
    with reader.kb._updating:  # an update of the reader's indexes is under way and cannot finish
        writer.kb.add(Document(source="tiep-khach.txt", title="Quy định tiếp khách quốc tế năm 2032",
                               text="Theo Quy định số 91-QĐ/SNgV ngày 3/3/2032, mỗi đoàn khách cấp thứ "
                                    "trưởng được bố trí 5 xe đưa đón."))
        answer = reader.ask(question)  # returns, from the snapshot it had
        assert answer.refused and reader.kb.snapshot() is warm
    _wait_for(lambda: reader.kb.snapshot() is not warm, 60)
    answer = reader.ask(question)
    assert not answer.refused and answer.citations[0].source == "tiep-khach.txt"


def test_questions_asked_while_documents_come_and_go_always_get_a_whole_snapshot(fresh_data_dir):
    """Threads ask while another process's handle uploads and removes: every question gets an
    answer from some whole snapshot (no errors), and once the last removal is applied the
    document is never cited."""
    import threading

    settings = Settings(data_dir=fresh_data_dir)
    writer = AnswerEngine.open(settings)
    reader = AnswerEngine(KnowledgeBase(settings, writer.kb.embeddings))
    question = "Mỗi đoàn khách cấp thứ trưởng được bố trí bao nhiêu xe đưa đón?"
    reader.kb.snapshot()
    errors, answers, stop = [], [], threading.Event()

    def ask() -> None:
        while not stop.is_set():
            try:
                answers.append(reader.ask(question))
            except Exception as error:  # noqa: BLE001 - collected for the assertion
                errors.append(error)

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        for n in range(4):
            added = writer.kb.add(Document(source="tiep-khach.txt", title=f"Quy định tiếp khách, bản {n}",
                                           text=f"Bản {n}. Mỗi đoàn khách cấp thứ trưởng được bố trí 5 xe đưa đón."))
            time.sleep(0.3)
            writer.kb.remove(added.document.doc_id)
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    assert not errors and len(answers) > 3
    _wait_for(lambda: reader.kb.snapshot().generation == writer.kb.registry.generation(), 60)
    assert all(c.source != "tiep-khach.txt" for c in reader.ask(question).citations)
    assert reader.kb.snapshot().rows_of.keys() == writer.kb.snapshot().rows_of.keys()


def test_a_worker_with_a_damaged_index_file_builds_anew_and_saves_a_good_one(fresh_data_dir):
    from ngoaivu.bench import GeneratedEmbeddings  # no question is embedded here

    path = index_file.path_in(fresh_data_dir)
    path.write_bytes(b"PK\x03\x04 not a whole npz file")
    knowledge_base = KnowledgeBase(Settings(data_dir=fresh_data_dir), GeneratedEmbeddings())
    snapshot = knowledge_base.snapshot()
    assert len(snapshot.passages) > 50
    _wait_for(lambda: index_file.load(path) is not None)
    _same_content(Snapshot.restored(*knowledge_base.registry.live_state(), index_file.load(path)), snapshot)


def test_closing_waits_for_the_background_save(fresh_data_dir):
    from ngoaivu.bench import GeneratedEmbeddings  # no question is embedded here

    path = index_file.path_in(fresh_data_dir)
    path.unlink(missing_ok=True)
    knowledge_base = KnowledgeBase(Settings(data_dir=fresh_data_dir), GeneratedEmbeddings())
    knowledge_base.snapshot()  # built here, saved in the background
    knowledge_base.close()
    assert not any(worker.is_alive() for worker in knowledge_base._workers)
    assert index_file.load(path) is not None  # whole on disk: the directory may now be removed
