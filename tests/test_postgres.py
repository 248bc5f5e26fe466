"""The shared state on a real PostgreSQL server (Debian's `postgresql`, started for the session):
registry, audit and conversation store through the one data layer, the advisory write lock,
and the answer engine on top."""
from __future__ import annotations

import threading
import time

from sqlalchemy import Column, Integer, MetaData, Table, Text, inspect

from storage.conversations import ConversationStore
from knowledge.chunking import chunk_document
from knowledge.models import Document
from config.settings import Settings
from retrieval.engine import AnswerEngine
from retrieval.index.knowledge_base import KnowledgeBase
from knowledge.answers import Answer, Citation
from retrieval.index.registry import Registry
from storage.database import Database

QUESTION = "Mỗi đoàn khách cấp thứ trưởng được bố trí bao nhiêu xe đưa đón?"
GUIDANCE = Document(source="tiep-khach.txt", title="Quy định tiếp khách quốc tế năm 2032",
                    text="Theo Quy định số 91-QĐ/SNgV ngày 3/3/2032, mỗi đoàn khách cấp thứ trưởng được bố trí "
                         "5 xe đưa đón.")


def test_the_schema_is_created_at_start_up_and_grows_new_columns(database_url, tmp_path):
    registry = Registry.open(tmp_path, database_url)
    assert registry.path is None and not list(tmp_path.iterdir())  # nothing on disk
    tables = set(inspect(registry.db.engine).get_table_names())
    assert {"meta", "documents", "chunks", "audit"} <= tables
    ConversationStore.in_dir(tmp_path, database_url)
    assert {"answers", "feedback", "chat_context", "rate_events", "deliveries"} <= \
        set(inspect(registry.db.engine).get_table_names())

    newer = MetaData()
    Table("chunks", newer, Column("chunk_id", Text, primary_key=True), Column("heading", Text))
    Table("extra", newer, Column("id", Integer, primary_key=True))
    Database(database_url).create(newer)
    assert "heading" in {c["name"] for c in inspect(registry.db.engine).get_columns("chunks")}
    assert "extra" in inspect(registry.db.engine).get_table_names()


def test_registry_publish_remove_and_changes(database_url, tmp_path):
    registry = Registry.open(tmp_path, database_url)
    document = Document(**{k: v for k, v in GUIDANCE.__dict__.items()})
    chunks = chunk_document(document)
    registry.publish(document, chunks, "test")
    generation, live, found, found_chunks = registry.live_changes(frozenset())
    assert generation == 1 and live == {document.doc_id} and list(found) == [document.doc_id]
    assert [c["chunk_id"] for c in found_chunks] == [c.chunk_id for c in chunks]
    assert found_chunks[0]["sentences"] == [list(s) for s in chunks[0].sentences]
    assert registry.live_changes(live)[2:] == ({}, [])  # a searcher that knows it fetches nothing

    assert registry.find_by_hash(document.content_hash)["doc_id"] == document.doc_id
    assert registry.documents()[0]["chunks"] == len(chunks)
    assert registry.remove(document.doc_id, "test") and not registry.remove(document.doc_id, "test")
    assert registry.generation() == 2 and registry.live_changes(live)[1] == frozenset()
    assert [(e["action"], e["actor"]) for e in registry.audit_log()] == [("remove", "test"), ("add", "test")]


def test_generation_never_repeats_under_concurrent_writers(database_url, tmp_path):
    registries = [Registry.open(tmp_path, database_url) for _ in range(4)]

    def write(registry: Registry, n: int) -> None:
        for i in range(10):
            document = Document(source=f"{n}-{i}.txt", text=f"Văn bản số {n}-{i} về hợp tác quốc tế.")
            registry.publish(document, chunk_document(document), "test")

    threads = [threading.Thread(target=write, args=(r, n)) for n, r in enumerate(registries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert registries[0].generation() == 40 and len(registries[0].audit_log(100)) == 40


def test_the_write_lock_is_an_advisory_lock_across_connections(database_url, tmp_path):
    first, second = Database(database_url), Database(database_url)
    order = []
    with first.lock("registry-writers"):
        thread = threading.Thread(target=lambda: _hold(second, order))
        thread.start()
        time.sleep(0.5)
        order.append("first releases")
    thread.join(timeout=10)
    assert order == ["first releases", "second holds"]


def _hold(database: Database, order: list) -> None:
    with database.lock("registry-writers"):
        order.append("second holds")


def test_conversation_store_on_postgres(database_url, tmp_path):
    store = ConversationStore.in_dir(tmp_path, database_url)
    other = ConversationStore.in_dir(tmp_path / "elsewhere", database_url)  # another machine
    answer = Answer(question="q", answer="5 xe", refused=False, fact="5 xe",
                    citations=[Citation(n=1, source="a.txt", title="A", publisher="", date="", quote="…",
                                        doc_id="d1")])
    answer_id = store.save_answer("telegram", "7", "7", "q?", "q", False, answer)
    stored = other.answer(answer_id)
    assert stored.answer.citations[0].source == "a.txt" and other.last_answer("telegram", "7").id == answer_id
    store.save_vote(stored, "7", 1)
    other.save_vote(stored, "7", -1)  # a second tap changes the vote
    [vote] = store.feedback()
    assert vote["vote"] == -1 and vote["question"] == "q"

    assert store.first_delivery("telegram:1", 100.0) and not other.first_delivery("telegram:1", 101.0)
    store.remember("telegram:7", "trước", 100.0)
    assert other.context("telegram:7", 150.0, 60) == "trước" and other.context("telegram:7", 200.0, 60) is None
    other.forget("telegram:7")
    assert store.context("telegram:7", 101.0, 60) is None

    waits = []
    threads = [threading.Thread(target=lambda s=s: waits.append(s.rate_wait("telegram:7", 1000.0, 5, 60)))
               for s in [store, other] * 5]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(waits) == [0.0] * 5 + [60.0] * 5  # exactly `limit` counted, from two processes

    store.prune(now=10_000.0, keep_seconds=60)
    assert store.first_delivery("telegram:1", 10_000.0)


def test_engines_on_postgres_see_each_others_changes(database_url, tmp_path):
    """Two engines (as two server processes would be) on one PostgreSQL registry: what one adds
    the other answers from, what the other removes the first never cites again."""
    settings = Settings(data_dir=tmp_path, database_url=database_url)
    first = AnswerEngine.open(settings)
    second = AnswerEngine(KnowledgeBase(settings, first.kb.embeddings))
    assert second.ask(QUESTION).refused
    added = first.kb.add(Document(**{k: v for k, v in GUIDANCE.__dict__.items()}))
    assert second.ask(QUESTION).citations[0].source == "tiep-khach.txt"
    assert second.remove(added.document.doc_id)
    assert all(c.source != "tiep-khach.txt" for c in first.ask(QUESTION).citations)
    assert not (tmp_path / "registry.sqlite3").exists() and not (tmp_path / "registry.lock").exists()


def test_refused_questions_and_pseudonyms_are_shared(database_url, tmp_path):
    from storage.analytics import AnalyticsStore, RefusedQuestion
    from storage.pseudonyms import Pseudonyms

    here, there = AnalyticsStore.in_dir(tmp_path / "a", database_url), AnalyticsStore.in_dir(tmp_path / "b",
                                                                                          database_url)
    # every machine gives an officer the same pseudonym, and it is not the id
    same = {Pseudonyms.in_database(store.db).of("telegram", 4242) for store in (here, there)}
    assert len(same) == 1 and "4242" not in same.pop()
    here.add(RefusedQuestion("telegram", "u1", "Giá vàng?", "gia vang", 100.0))
    there.add(RefusedQuestion("zalo", "u2", "Giá vàng?", "gia vang", 200.0))
    assert [q.channel for q in there.open_questions()] == ["zalo", "telegram"]
    assert here.mark_answered(["gia vang"], 300.0) == 2 and there.open_questions() == []
    assert there.delete_before(150.0) == 1 and len(here.all_rows()) == 1
    assert not list(tmp_path.rglob("*.sqlite3")) and not list(tmp_path.rglob("analytics.key"))
