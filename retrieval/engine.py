"""The answer engine: every channel calls `AnswerEngine.ask`."""
from __future__ import annotations

import logging
import re
import time
from pathlib import Path

from knowledge.loaders import IngestError, load_bytes, load_file
from knowledge.vietnamese import normalize
from ngoaivu.settings import Settings
from retrieval.answerer import Answerer
from retrieval.embeddings import make_embeddings
from retrieval.knowledge_base import AddResult, KnowledgeBase
from retrieval.models import Answer

log = logging.getLogger(__name__)
MAX_QUESTION_CHARS = 1000
SUPPORTED_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"}

EMPTY = "Anh/chị chưa nhập câu hỏi. Ví dụ: “Năm 2020 các địa phương ký bao nhiêu thỏa thuận quốc tế?”"
TOO_LONG = ("Câu hỏi dài {length} ký tự, vượt giới hạn {limit} ký tự. "
            "Xin hỏi ngắn gọn một ý, ví dụ: “Quy chế 272 ban hành ngày nào?”")
NO_WORDS = "Tôi chưa thấy câu hỏi bằng chữ trong tin nhắn này. Xin nhập câu hỏi về công tác đối ngoại."


def _thousands(number: int) -> str:
    """Vietnamese digit grouping: 10.000."""
    return f"{number:,}".replace(",", ".")


class AnswerEngine:
    """Answers questions from the knowledge base, with citations; refuses when evidence is weak."""

    def __init__(self, knowledge_base: KnowledgeBase) -> None:
        self.kb = knowledge_base
        self.answerer = Answerer(knowledge_base)

    @classmethod
    def open(cls, settings: Settings | None = None, progress=None) -> "AnswerEngine":
        """Open (building on first use) the knowledge base under settings.data_dir."""
        settings = settings or Settings.from_env()
        knowledge_base = KnowledgeBase(settings, make_embeddings(settings.embeddings))
        knowledge_base.ensure_ready(progress=progress)
        return cls(knowledge_base)

    @staticmethod
    def check_question(question: str) -> str:
        """A clear message when the text is not a question we can take, else ''."""
        stripped = (question or "").strip()
        if not stripped:
            return EMPTY
        if len(stripped) > MAX_QUESTION_CHARS:
            return TOO_LONG.format(length=_thousands(len(stripped)), limit=_thousands(MAX_QUESTION_CHARS))
        if not re.search(r"[^\W_]", stripped):
            return NO_WORDS
        return ""

    def ask(self, question: str) -> Answer:
        """Answer one question. Never raises for bad user text: returns a refusal with a message."""
        started = time.perf_counter()
        problem = self.check_question(question)
        if problem:
            answer = Answer(question=question or "", answer=problem, refused=True)
        else:
            text = normalize(question).strip()  # NFD or old tone placement must not change the vector
            answer = self.answerer.answer(text, self.kb.embeddings.embed_query(text))
            answer.question = question
        answer.latency_ms = (time.perf_counter() - started) * 1000
        return answer

    def ingest(self, path: str | Path, actor: str = "cli", replaces: str = "", progress=None, **metadata) -> AddResult:
        """Load, clean, chunk, embed and publish one file; raises IngestError with a clear reason."""
        return self._publish(load_file(path, **metadata), actor, replaces, progress)

    def ingest_bytes(self, data: bytes, source: str, actor: str, replaces: str = "", **metadata) -> AddResult:
        """The same for an upload: `source` is the uploaded file name, which citations will show."""
        return self._publish(load_bytes(data, source, **metadata), actor, replaces, None)

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
