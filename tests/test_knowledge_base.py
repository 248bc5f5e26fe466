"""The knowledge base stays whole: failures mid-ingest, versions, and repair at start-up."""

import pytest
from langchain_core.embeddings import Embeddings

from knowledge.models import Document
from ngoaivu.settings import Settings
from retrieval.embeddings import E5Embeddings
from retrieval.engine import AnswerEngine
from retrieval.knowledge_base import KnowledgeBase


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


def test_same_title_makes_a_new_version_and_retires_the_old(fresh_engine):
    kb = fresh_engine.kb
    first = kb.add(Document(source="quy-dinh-v1.txt", title="Quy định lễ tân",
                            text="Quy định lễ tân. Mỗi đoàn được bố trí 2 phiên dịch viên tiếng Anh."))
    second = kb.add(Document(source="quy-dinh-v2.txt", title="Quy định lễ tân",
                             text="Quy định lễ tân. Mỗi đoàn được bố trí 4 phiên dịch viên tiếng Anh."))
    assert first.status == "added" and second.status == "replaced" and second.replaced == first.document.doc_id
    assert second.document.version == 2
    answer = fresh_engine.ask("Mỗi đoàn được bố trí bao nhiêu phiên dịch viên tiếng Anh?")
    assert "4 phiên dịch viên" in answer.answer
    assert all(c.source != "quy-dinh-v1.txt" for c in answer.citations)
    history = {d["doc_id"]: d["status"] for d in fresh_engine.documents(include_history=True)}
    assert history[first.document.doc_id] == "superseded"


def test_startup_repairs_disagreement_between_registry_and_chroma(fresh_data_dir):
    settings = Settings(data_dir=fresh_data_dir)
    engine = AnswerEngine.open(settings)
    kb = engine.kb
    ids = sorted(kb.vectors.get(include=[])["ids"])
    kb.vectors.delete(ids=ids[:3])  # vectors lost, as after a crash
    kb.vectors.add_texts(["mảnh mồ côi"], metadatas=[{"doc_id": "ghost"}], ids=["ghost:0"])
    reopened = AnswerEngine.open(settings)
    assert sorted(reopened.kb.vectors.get(include=[])["ids"]) == ids
