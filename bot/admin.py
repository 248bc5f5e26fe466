"""Document administration shared by every admin channel (Telegram, Zalo, the admin API, the admin
page; who may use it is each channel's own check, bot/channel.py): uploads (ingested off the event
loop), listing, deleting, and one question a newly uploaded document can answer."""
from __future__ import annotations

import asyncio
import functools
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from bot import texts
from bot.analytics import QuestionLog
from knowledge.chunking import paragraphs, sentences
from knowledge.loaders import LOW_CONFIDENCE
from retrieval.index.knowledge_base import AddResult
from knowledge.answers import Answer
from storage.outages import REASONS, Unavailable, outage_of, summary
from vietnamese.dates import DATE_WITH_DAY

log = logging.getLogger(__name__)

SAMPLE_CANDIDATES = 8  # questions tried (each is one engine.ask) before giving up on an example
# The knowledge base takes one change at a time. Changes queue in this thread of their own, not in
# the shared pool that answers questions: ten uploads at once must not stall every question.
_WRITER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ngoaivu-writer")

# A count of something: "42 thỏa thuận", "1.200 khách", "3,5 triệu", "20%"; not a code like
# 272-QĐ/TW or 06/2019, and not a bare number that names something ("(bản 1)", "số 1011.").
_COUNT = re.compile(r"(?<![\w/.,-])\d+(?:\.\d{3})*(?:,\d+)?(?:\s*%|(?=\s+[^\W\d_]))")
_YEAR = re.compile(r"(?:19|20)\d{2}")
# Words after which a number names something (an ordinal, a year, an article) rather than counts it.
_NAMING_WORD = re.compile(r"(?:thứ|số|năm|tháng|ngày|điều|khoản|mục|chương|phần|khóa|nhiệm kỳ|giai đoạn|"
                          r"lần|quý|kỳ|tuần|phòng|tầng|đường|quận|phường)\s*$", re.IGNORECASE)


class Engine(Protocol):
    """What administration needs of the answer engine (retrieval.engine.AnswerEngine)."""

    def ask(self, question: str) -> Answer: ...

    def ingest_bytes(self, data: bytes, source: str, actor: str, replaces: str = "", on_page=None,
                     **metadata) -> AddResult: ...

    def ingest_images(self, images: list[bytes], source: str, actor: str, replaces: str = "", on_page=None,
                      **metadata) -> AddResult: ...

    def remove(self, doc_id: str, actor: str = "cli") -> bool: ...

    def documents(self, include_history: bool = False) -> list[dict]: ...


@dataclass(frozen=True)
class Upload:
    """The outcome of an upload: `status` is "added", "replaced" or "unchanged"."""

    status: str
    document: dict  # the registry's row: doc_id, source, title, publisher, date, version, status, chunks, …
    replaced: str = ""  # doc_id of the version this one retired
    sample_question: str = ""  # a question answered from this document, or "" when none was found
    now_answered: tuple[str, ...] = ()  # questions refused before this upload, answered now
    reading: dict = field(default_factory=dict)  # OCR facts: pages, ocr_pages, confidence, low_confidence, seconds


def _question_from(sentence: str) -> str | None:
    """The sentence turned into a question about one of its figures, or None when it has none."""
    for match in _COUNT.finditer(sentence):
        if _NAMING_WORD.search(sentence[:match.start()]) or _YEAR.fullmatch(match.group(0)):
            continue  # "lần thứ 21", "năm 2020", a bare year: these pin the question, not answer it
        asked = "bao nhiêu phần trăm" if match.group(0).endswith("%") else "bao nhiêu"
        return sentence[:match.start()] + asked + sentence[match.end():]
    match = DATE_WITH_DAY.search(sentence)
    if match:
        return sentence[:match.start()] + "ngày nào" + sentence[match.end():]
    return None


def candidate_questions(text: str, limit: int = SAMPLE_CANDIDATES) -> list[str]:
    """Questions a document answers, made from its sentences that state a figure or a date:
    the figure becomes "bao nhiêu", the date "ngày nào". Counts first, short sentences first."""
    found: list[tuple[int, int, str]] = []
    for p_start, p_end in paragraphs(text):
        for a, b in sentences(text, p_start, p_end):
            sentence = " ".join(text[a:b].split()).rstrip(" .;:!…")
            if not 20 <= len(sentence) <= 260 or len(sentence.split()) < 5:
                continue  # headings and run-ons make poor examples
            rank = 0
            if "|" in sentence:  # a table row: ask about a later cell, naming the row by its first
                first, _, rest = sentence.partition(" | ")
                question = _question_from(rest.replace(" | ", ", "))
                if question is None or len(question.split()) < 4:
                    continue
                question, rank = f"{first}: {question}", 2
            else:
                question = _question_from(sentence)
                if question is None:
                    continue
            question = question[0].upper() + question[1:] + "?"
            rank += 0 if "bao nhiêu" in question else 1
            found.append((rank, len(found), question))
    found.sort(key=lambda item: (item[0], len(item[2]) > 160, item[1]))
    return [question for _, _, question in found[:limit]]


def sample_question(engine: Engine, doc_id: str, text: str) -> str:
    """A question the engine now answers citing this document ("" when none of the tries does)."""
    for question in candidate_questions(text):
        answer = engine.ask(question)
        if not answer.refused and any(c.doc_id == doc_id for c in answer.citations):
            return question
    return ""


def reading_text(reading: dict) -> str:
    """Plain text of what OCR found ("" when the file had a text layer); channels escape it."""
    if not reading.get("ocr"):
        return ""
    line = texts.OCR_DONE.format(pages=reading.get("ocr_pages", 0), total=reading.get("pages", 0),
                                 confidence=round(reading.get("confidence", 0)))
    if reading.get("low_confidence"):
        line += "\n" + texts.OCR_LOW_CONFIDENCE.format(threshold=round(LOW_CONFIDENCE))
    return line


NOW_ANSWERED_SHOWN = 10  # questions named in a chat reply; the admin page lists them all


def now_answered_text(questions: tuple[str, ...] | list[str], shown: int = NOW_ANSWERED_SHOWN) -> str:
    """Plain text naming the questions an upload made answerable ("" for none); channels escape it."""
    if not questions:
        return ""
    lines = [texts.NOW_ANSWERED.format(count=len(questions))]
    lines += [f"• {question}" for question in questions[:shown]]
    if len(questions) > shown:
        lines.append(texts.NOW_ANSWERED_MORE.format(count=len(questions) - shown))
    return "\n".join(lines)


class DocumentAdmin:
    """Upload, list and delete documents; every change is audited under the actor given."""

    def __init__(self, engine: Engine, questions: QuestionLog | None = None) -> None:
        self.engine = engine
        self.questions = questions  # the refused questions, asked again after each upload

    def documents(self, include_history: bool = False) -> list[dict]:
        """Registry rows (without text), live ones only unless include_history."""
        return self.engine.documents(include_history=include_history)

    def document(self, doc_id: str) -> dict | None:
        """One document's row (without text), live or not; None when unknown."""
        return next((d for d in self.documents(include_history=True) if d["doc_id"] == doc_id), None)

    def upload_sync(self, data: bytes | list[bytes], file_name: str, actor: str, replaces: str = "",
                    on_page=None, **metadata: str) -> Upload:
        """Ingest an uploaded file (or a list of photos: one document); raises
        knowledge.loaders.IngestError with a Vietnamese reason, or storage.outages.Unavailable when
        the database or the vector store is away (the upload is refused whole: the knowledge base
        rolls back, nothing is listed that is not searchable). `on_page(done, total)` follows OCR."""
        try:
            if isinstance(data, list):
                result = self.engine.ingest_images(data, file_name, actor, replaces=replaces, on_page=on_page,
                                                   **metadata)
            else:
                result = self.engine.ingest_bytes(data, file_name, actor, replaces=replaces, on_page=on_page,
                                                  **metadata)
        except Exception as error:
            _raise_if_outage(error, texts.UPLOAD_UNAVAILABLE)
            raise
        row = self.document(result.document.doc_id) or {**result.document.metadata(), "chunks": result.chunks}
        question = ""
        if result.status != "unchanged":
            try:
                question = sample_question(self.engine, result.document.doc_id, result.document.text)
            except Exception:  # the upload stands; an example question is a nicety
                log.exception("could not make a sample question for %s", result.document.doc_id)
        return Upload(result.status, row, result.replaced, question, self._now_answered(result.status),
                      dict(result.document.reading))

    def _now_answered(self, status: str) -> tuple[str, ...]:
        """Ask the refused questions again after a change; those answered now leave the list."""
        if self.questions is None or status == "unchanged":
            return ()
        try:
            return tuple(self.questions.reask(self.engine.ask))
        except Exception:  # the upload stands; the list is brought up to date on the next one
            log.exception("could not ask the refused questions again")
            return ()

    async def upload(self, data: bytes | list[bytes], file_name: str, actor: str, replaces: str = "",
                     on_page=None, **metadata: str) -> Upload:
        """The same, off the event loop (embedding, and OCR of a scan, take seconds), after the
        changes before it. `on_page` is called from the writer thread."""
        call = functools.partial(self.upload_sync, data, file_name, actor, replaces, on_page, **metadata)
        return await asyncio.get_running_loop().run_in_executor(_WRITER, call)

    async def remove(self, doc_id: str, actor: str) -> bool:
        """Retire a live document (never cited again); False when there is no live one by that id."""
        return await asyncio.get_running_loop().run_in_executor(_WRITER, self.remove_sync, doc_id, actor)

    def remove_sync(self, doc_id: str, actor: str) -> bool:
        """The same, blocking; storage.outages.Unavailable while the database is away."""
        try:
            return self.engine.remove(doc_id, actor)
        except Exception as error:
            _raise_if_outage(error, texts.DELETE_UNAVAILABLE)
            raise


def _raise_if_outage(error: Exception, template: str) -> None:
    """Unavailable, saying which service is away, when `error` is an outage."""
    dependency = outage_of(error)
    if dependency:
        log.warning("refused for now, %s is unreachable: %s", dependency, summary(error))
        raise Unavailable(dependency, template.format(reason=REASONS[dependency])) from error
