"""The engine keeps the vectors of recent questions: a repeat is not embedded again, gets the very
vector and answer the backend gave the first time, and the memory kept stays bounded."""
from __future__ import annotations

import threading
from dataclasses import replace

from langchain_core.embeddings import Embeddings

from retrieval.index.embeddings import CachedQueries, E5Embeddings
from retrieval.engine import AnswerEngine


class Counting(Embeddings):
    """A backend that counts what it is asked to embed (vectors differ per text)."""

    name = "counting"

    def __init__(self) -> None:
        self.queries: list[str] = []
        self.passages = 0

    def embed_documents(self, texts):
        self.passages += len(texts)
        return [[float(len(t)), 0.5] for t in texts]

    def embed_query(self, text):
        self.queries.append(text)
        return [float(len(text)), 1 / 3, float(len(self.queries))]


def test_a_repeated_question_is_not_embedded_again_and_gets_the_same_vector():
    backend = Counting()
    cached = CachedQueries(backend, size=8)
    first = cached.embed_query("Ai là Tổng Lãnh sự Việt Nam tại Fukuoka?")
    again = cached.embed_query("Ai là Tổng Lãnh sự Việt Nam tại Fukuoka?")
    assert again == first and again is not first  # a copy: a caller changing it changes nothing kept
    assert backend.queries == ["Ai là Tổng Lãnh sự Việt Nam tại Fukuoka?"]
    other = cached.embed_query("ai la tong lanh su viet nam tai fukuoka")  # another text, its own vector
    assert other != first and len(backend.queries) == 2
    assert (cached.hits, cached.misses) == (1, 2)


def test_the_real_embedder_gives_identical_vectors_from_the_cache():
    backend = E5Embeddings()
    cached = CachedQueries(backend, size=4)
    question = "Năm 2020 các địa phương ký bao nhiêu thỏa thuận quốc tế?"
    direct = backend.embed_query(question)
    assert cached.embed_query(question) == direct
    assert cached.embed_query(question) == direct  # from the cache: equal to the last bit
    assert cached.hits == 1


def test_the_cache_is_bounded_and_keeps_the_recently_asked():
    backend = Counting()
    cached = CachedQueries(backend, size=3)
    for text in ("a", "b", "c"):
        cached.embed_query(text)
    cached.embed_query("a")  # asked again: now the most recent
    cached.embed_query("d")  # pushes out the least recently asked, "b"
    assert len(cached) == 3
    asked = len(backend.queries)
    cached.embed_query("a")
    cached.embed_query("c")
    cached.embed_query("d")
    assert len(backend.queries) == asked  # all three still kept
    cached.embed_query("b")
    assert len(backend.queries) == asked + 1 and len(cached) == 3


def test_passages_and_the_collection_name_pass_through():
    backend = Counting()
    cached = CachedQueries(backend, size=3)
    assert cached.embed_documents(["x", "yy"]) == [[1.0, 0.5], [2.0, 0.5]]
    assert backend.passages == 2 and len(cached) == 0
    assert cached.name == "counting"  # the Chroma collection is named after the backend


def test_size_zero_keeps_nothing():
    backend = Counting()
    cached = CachedQueries(backend, size=0)
    cached.embed_query("a")
    cached.embed_query("a")
    assert len(backend.queries) == 2 and len(cached) == 0


def test_answering_threads_share_it_safely():
    backend = Counting()
    cached = CachedQueries(backend, size=5)
    texts = [f"câu hỏi {i % 7}" for i in range(400)]
    errors = []

    def ask(part):
        try:
            for text in part:
                vector = cached.embed_query(text)
                assert vector[0] == float(len(text))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=ask, args=(texts[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(cached) <= 5


def test_the_engine_answers_a_repeat_identically_without_embedding_it(settings):
    engine = AnswerEngine.open(replace(settings, query_cache=16))
    assert isinstance(engine.kb.embeddings, CachedQueries)
    question = "Hội nghị Ngoại vụ toàn quốc lần thứ 21 có chủ đề gì?"
    first = engine.ask(question)
    misses = engine.kb.embeddings.misses
    again = engine.ask(question)
    assert engine.kb.embeddings.misses == misses and engine.kb.embeddings.hits >= 1
    assert (again.answer, again.refused, again.fact, again.citations) == \
        (first.answer, first.refused, first.fact, first.citations)
    uncached = AnswerEngine.open(replace(settings, query_cache=0))
    assert not isinstance(uncached.kb.embeddings, CachedQueries)
    plain = uncached.ask(question)
    assert (plain.answer, plain.citations) == (first.answer, first.citations)
