"""The knowledge base stays whole: failures mid-ingest, versions, and repair at start-up."""

import pytest
from langchain_core.embeddings import Embeddings

from knowledge.models import Document
from config.settings import Settings
from retrieval.index.embeddings import E5Embeddings
from retrieval.engine import AnswerEngine
from retrieval.index.knowledge_base import KnowledgeBase


class FailingAfter(Embeddings):
    """A real backend that breaks after a number of batches, as a crashed model server would."""

    def __init__(self, inner: Embeddings, batches: int) -> None:
        self.inner, self.left, self.name = inner, batches, inner.name

    def embed_documents(self, texts):
        if self.left <= 0:
            raise RuntimeError("embedding backend went away")
        self.left -= 1
        return self.inner.embed_documents(texts)

    def embed_query(self, text):
        return self.inner.embed_query(text)


def _state(kb: KnowledgeBase):
    return (kb.registry.generation(), [d["doc_id"] for d in kb.documents(include_history=True)],
            sorted(kb.vectors.get(include=[])["ids"]))


def _long_document(title: str) -> Document:
    sentences = [f"Tỉnh số {i} đã ký {i + 3} thỏa thuận hợp tác quốc tế trong năm 2031 với các đối tác châu Âu."
                 for i in range(400)]
    return Document(source="dai.txt", text="\n".join(sentences), title=title)


def test_failure_half_way_through_an_ingest_leaves_the_base_as_it_was(fresh_data_dir):
    settings = Settings(data_dir=fresh_data_dir)
    kb = KnowledgeBase(settings, FailingAfter(E5Embeddings(), batches=1))
    before = _state(kb)
    with pytest.raises(RuntimeError):
        kb.add(_long_document("Tài liệu dài"))
    assert _state(kb) == before


def test_equal_titles_alone_never_replace_a_document(fresh_engine):
    kb = fresh_engine.kb
    first = kb.add(Document(source="le-tan-ha-giang.txt", title="Hướng dẫn",
                            text="Hướng dẫn. Tỉnh Hà Giang bố trí 2 phiên dịch viên tiếng Anh cho mỗi đoàn."))
    second = kb.add(Document(source="le-tan-cao-bang.txt", title="Hướng dẫn",
                             text="Hướng dẫn. Tỉnh Cao Bằng bố trí 5 phiên dịch viên tiếng Pháp cho mỗi đoàn."))
    assert (first.status, second.status, second.replaced) == ("added", "added", "")
    live = {d["doc_id"] for d in fresh_engine.documents()}
    assert {first.document.doc_id, second.document.doc_id} <= live
    assert "2 phiên dịch viên" in fresh_engine.ask("Tỉnh Hà Giang bố trí bao nhiêu phiên dịch viên tiếng Anh?").answer
    assert "5 phiên dịch viên" in fresh_engine.ask("Tỉnh Cao Bằng bố trí bao nhiêu phiên dịch viên tiếng Pháp?").answer


def test_the_same_file_name_makes_a_new_version_and_retires_the_old(fresh_engine):
    kb = fresh_engine.kb
    first = kb.add(Document(source="quy-dinh-le-tan.txt", title="Quy định lễ tân",
                            text="Quy định lễ tân. Mỗi đoàn được bố trí 2 phiên dịch viên tiếng Anh."))
    second = kb.add(Document(source="quy-dinh-le-tan.txt", title="Quy định lễ tân (sửa đổi)",
                             text="Quy định lễ tân. Mỗi đoàn được bố trí 4 phiên dịch viên tiếng Anh."))
    assert first.status == "added" and second.status == "replaced" and second.replaced == first.document.doc_id
    assert second.document.version == 2
    answer = fresh_engine.ask("Mỗi đoàn được bố trí bao nhiêu phiên dịch viên tiếng Anh?")
    assert "4 phiên dịch viên" in answer.answer
    assert {c.doc_id for c in answer.citations} == {second.document.doc_id}
    history = {d["doc_id"]: d["status"] for d in fresh_engine.documents(include_history=True)}
    assert history[first.document.doc_id] == "superseded"


def test_replaces_names_the_version_and_identical_content_changes_nothing(fresh_engine):
    kb = fresh_engine.kb
    first = kb.add(Document(source="xe-v1.txt", title="Xe đưa đón",
                            text="Xe đưa đón. Mỗi đoàn khách cấp tỉnh được bố trí 3 xe đưa đón."))
    second = kb.add(Document(source="xe-v2.txt", title="Xe đưa đón (mới)",
                             text="Xe đưa đón. Mỗi đoàn khách cấp tỉnh được bố trí 6 xe đưa đón."),
                    replaces=first.document.doc_id)
    assert (second.status, second.replaced, second.document.version) == ("replaced", first.document.doc_id, 2)
    generation = kb.registry.generation()
    again = kb.add(Document(source="xe-ban-sao.txt", title="Khác",
                            text="Xe đưa đón. Mỗi đoàn khách cấp tỉnh được bố trí 6 xe đưa đón."))
    assert again.status == "unchanged" and again.document.doc_id == second.document.doc_id
    assert kb.registry.generation() == generation
    with pytest.raises(KeyError):  # a retired version cannot be replaced again
        kb.add(Document(source="xe-v3.txt", text="Xe đưa đón. Mỗi đoàn được bố trí 9 xe."),
               replaces=first.document.doc_id)


def test_startup_repairs_disagreement_between_registry_and_chroma(fresh_data_dir):
    settings = Settings(data_dir=fresh_data_dir)
    engine = AnswerEngine.open(settings)
    kb = engine.kb
    ids = sorted(kb.vectors.get(include=[])["ids"])
    kb.vectors.delete(ids=ids[:3])  # vectors lost, as after a crash
    kb.vectors.add_texts(["mảnh mồ côi"], metadatas=[{"doc_id": "ghost"}], ids=["ghost:0"])
    reopened = AnswerEngine.open(settings)
    assert sorted(reopened.kb.vectors.get(include=[])["ids"]) == ids


def test_the_vector_search_explores_widely_also_in_a_collection_made_before(tmp_path):
    """Chroma's default search (ef 100) missed true nearest passages; ours explores SEARCH_EF. A
    collection made with the default (as every store before this setting) gets it when opened."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from retrieval.index.vectors import SEARCH_EF, collection_name, open_vectors

    embeddings = E5Embeddings()
    client = chromadb.PersistentClient(path=str(tmp_path / "chroma"),
                                       settings=ChromaSettings(anonymized_telemetry=False))
    old = client.create_collection(collection_name(embeddings), metadata={"hnsw:space": "cosine"},
                                   embedding_function=None)
    assert old.configuration_json["hnsw"]["ef_search"] < SEARCH_EF
    store = open_vectors(embeddings, tmp_path)
    hnsw = store._collection.configuration_json["hnsw"]
    assert hnsw["ef_search"] == SEARCH_EF and hnsw["space"] == "cosine"
    store.add_texts(["Hội nghị Ngoại vụ toàn quốc", "Thủ tục cấp thẻ ABTC"], ids=["a:0", "b:0"])
    found = store.similarity_search_by_vector_with_relevance_scores(embeddings.embed_query("thẻ ABTC"), k=1)
    assert found[0][0].id == "b:0" and found[0][1] < 0.5  # a cosine distance, not l2


def test_a_new_collection_is_made_for_cosine_and_wide_search(tmp_path):
    from retrieval.index.vectors import SEARCH_EF, open_vectors

    hnsw = open_vectors(E5Embeddings(), tmp_path)._collection.configuration_json["hnsw"]
    assert hnsw["space"] == "cosine" and hnsw["ef_search"] == SEARCH_EF


def test_a_store_whose_database_is_busy_still_opens_and_is_widened_when_it_frees(caplog):
    """`modify` meeting another process's write lock ("database is locked", as Chroma reports it) is
    tried again; if the lock stays, the store opens as it is, with a warning."""
    from retrieval.index.vectors import SEARCH_EF, search_widely

    class BusyCollection:
        """A collection made with Chroma's default search, its database held for `busy` calls."""

        def __init__(self, busy: int) -> None:
            self.busy, self.calls, self.configuration_json = busy, 0, {"hnsw": {"ef_search": 100}}

        def modify(self, configuration):
            self.calls += 1
            if self.calls <= self.busy:
                raise RuntimeError("Database error: error returned from database: (code: 5) database is locked")
            self.configuration_json = {"hnsw": {**self.configuration_json["hnsw"], **configuration["hnsw"]}}

    freed = BusyCollection(busy=1)
    search_widely(freed, attempts=3)
    assert freed.configuration_json["hnsw"]["ef_search"] == SEARCH_EF and freed.calls == 2
    held = BusyCollection(busy=5)
    search_widely(held, attempts=2)
    assert held.calls == 2 and held.configuration_json["hnsw"]["ef_search"] == 100
    assert "could not widen the vector search" in caplog.text
