"""Choose the answering sentence with the fitted scorer, lead with the asked-for fact, cite, or refuse.

Selection and refusal are fitted (`retrieval.answering.scorer`); composing the reply is rules: the fact
with its unit first, then the quote, or the list or steps when the question asks for them; one
citation per passage; at most 700 characters, since it is read on a phone. A refusal still
offers the nearest passages as numbered citations.
"""
from __future__ import annotations

import logging
import re

from typing import cast

import numpy as np

from knowledge.markup import ITEM_START, is_list
from knowledge.structure import CLAUSE, location
from vietnamese.abbreviations import coined_abbreviations
from vietnamese.dates import written_out
from vietnamese.english import looks_english
from vietnamese.text import fold, has_diacritics
from retrieval.answering.diacritics import DiacriticRestorer, HeldForms
from retrieval.answering.facts import with_unit
from retrieval.answering.features import Candidate, Describer, evidence, read_candidates
from retrieval.index.knowledge_base import KnowledgeBase
from retrieval.index.lexical import ACCENT_MARK, BM25Index
from knowledge.answers import MAX_ANSWER_CHARS, Answer, Citation
from retrieval.answering.question import Question, analyze
from retrieval.answering.reader import Reader
from retrieval.answering.scorer import READER_WEIGHTS, AnswerModel
from retrieval.index.snapshot import Snapshot

log = logging.getLogger(__name__)

MAX_QUOTE_CHARS = 420
MAX_LEAD_CHARS = 160
SUPPORT_RATIO = 0.1  # a further sentence is quoted when its probability is at least this share of the best
MAX_SUPPORT_CHARS = 260
MAX_CITATIONS = 3
SHORT_QUOTE = 240  # a quote this short also gets the sentence after it: reasons and results often follow
REFUSAL = "Xin lỗi, tài liệu hiện có không có thông tin đủ chắc chắn để trả lời câu hỏi này."
REFUSAL_HINT = "Anh/chị có thể hỏi cách khác, hoặc đề nghị quản trị viên bổ sung tài liệu."
NEAREST = "Tài liệu gần nhất có thể liên quan:"


def admissible(ranked: list[Candidate], q: Question | None = None) -> list[Candidate]:
    """Candidates that may answer at all: every figure and name the question pins down ("năm
    2015", "lần thứ 21", "Osaka") is in the sentence, its passage or (for names) its document.
    An officer must be able to trust every figure, so a sentence about another year is never the
    answer, however well it scores otherwise."""
    figure_asked = lambda c: c.values.get("kind_number") or c.values.get("kind_date")  # noqa: E731
    # In a regulation "khi nào" asks under what condition as often as on what date ("… khi nào mới
    # được đưa vào sử dụng?": "sau khi đã hoàn thành việc kiểm định"), so a clause needs no date;
    # "từ ngày nào", "năm nào" ask for a date wherever they are asked.
    open_when = q is not None and q.when
    needs_fact = lambda c: c.values.get("kind_number") or (  # noqa: E731
        c.values.get("kind_date") and not (open_when and c.values["has_heading"]))
    # A figure about another place or body than the one asked about is another figure.
    return [c for c in ranked if c.values["pinned"] and not (figure_asked(c) and c.values["elsewhere"])
            and not (needs_fact(c) and c.fact is None)]


# A lettered item or a bullet, which reads with the lead-in it completes; a numbered clause stands alone.
_SUB_ITEM = re.compile(r"^(?:[a-zđ]\)|[-+*•–])\s")
_NEXT_CLAUSE_NUMBER = re.compile(r"(?<=[.;:])\s+(?:\d{1,3}\.|[a-zđ]\))$")
_LEAD_IN_REACH = 12  # sentences back a lead-in is looked for, within the passage
LEAD_IN_CHARS = 160  # of a lead-in quoted before its item


def _shorten(text: str, limit: int, centre: int = 0) -> str:
    """At most `limit` characters around `centre`, cut at spaces, marked with "…"."""
    if len(text) <= limit:
        return text
    begin = max(0, min(centre - limit // 3, len(text) - limit))
    begin = text.rfind(" ", 0, begin) + 1 if begin else 0
    end = text.rfind(" ", 0, begin + limit) if begin + limit < len(text) else len(text)
    return ("…" if begin else "") + text[begin:end].strip() + ("…" if end < len(text) else "")


_UNSET = object()


class Answerer:
    def __init__(self, knowledge_base: KnowledgeBase, model: AnswerModel | None = None, reader=_UNSET) -> None:
        """`reader`: a Reader, None for none, or (unset) the shipped one when it loads and matches."""
        self.kb = knowledge_base
        self._model = model
        self._reader = reader
        self._restorer: DiacriticRestorer | None = None
        # The held documents' spelling for the restorer, and questions restored with it, per snapshot.
        self._held: tuple[int, HeldForms, dict[str, str]] | None = None
        self.describer = Describer()

    @property
    def restorer(self) -> DiacriticRestorer:
        if self._restorer is None:
            self._restorer = DiacriticRestorer.load()
        return self._restorer

    def expanded(self, question: str) -> str:
        """The question with each abbreviation the held documents spell out followed by their words
        ("thiết bị KTNV (kỹ thuật nghiệp vụ)"), without accents when it was typed without: found,
        embedded and read as the documents put it."""
        found = coined_abbreviations(question)
        if not found:
            return question
        table = self.kb.snapshot().initialisms
        accented = has_diacritics(question)
        for written, key in dict(found).items():
            phrase = table.phrase(written, key)
            if phrase:
                question = re.sub(r"(?<![\w&])" + re.escape(written) + r"(?![\w&])",
                                  lambda m: f"{m.group(0)} ({phrase if accented else fold(phrase)})", question, count=1)
        return question

    def query_vector(self, question: str) -> list[float]:
        """The question's dense vector. One typed without accents is embedded with its accents put
        back: e5 reads bare Vietnamese as another, rarer text (`retrieval.answering.diacritics`)."""
        question = self.expanded(question)
        return self.kb.embeddings.embed_query(self.reading_text(question))

    def reading_text(self, question: str) -> str:
        """The question as the reader reads it: with its accents put back, as for the vector, the
        held documents' own spelling weighed in ("ho chieu" is "hộ chiếu" where they say so)."""
        if looks_english(question) or has_diacritics(question):
            return question
        snapshot = self.kb.snapshot()
        if self._held is None or self._held[0] != snapshot.serial:
            index = cast(BM25Index, snapshot.sentence_index)
            self._held = (snapshot.serial, HeldForms(lambda form: index.frequency(ACCENT_MARK + form)), {})
        _, held, restored = self._held
        text = restored.get(question)
        if text is None:
            if len(restored) > 1024:  # a question asked again is not decoded again
                restored.clear()
            text = restored[question] = self.restorer.restore(question, held)
        return text

    @property
    def reader(self) -> Reader | None:
        if self._reader is _UNSET:
            self._reader = Reader.load()
        return self._reader

    @property
    def model(self) -> AnswerModel:
        """Loaded on first use (fitting builds answerers before weights exist). With a reader, the
        model fitted with that very reader's scores; without one, or when the two do not match, the
        model fitted without it (logged): the reader's numbers are never read by weights that
        were not fitted on them."""
        if self._model is None:
            reader = self.reader
            if reader is not None and READER_WEIGHTS.exists():
                model = AnswerModel.load(READER_WEIGHTS)
                if model.reader_sha256 == reader.info["onnx_sha256"]:
                    self._model = model
                    return model
                log.error("answer model %s was fitted with another reader; answering without the reader",
                          READER_WEIGHTS.name)
            elif reader is not None:
                log.warning("no answer model fitted with the reader; answering without it")
            self._reader = None
            self._model = AnswerModel.load()
        return self._model

    # -- selection ------------------------------------------------------------------------------
    def rank(self, q: Question, query_vector, exclude: frozenset[str] = frozenset()) -> tuple[Snapshot, list[Candidate]]:
        """Candidates best first, each with the fitted probability that it holds the answer."""
        snapshot = self.kb.snapshot()
        candidates = self.describer.candidates(q, query_vector, snapshot, self.kb.dense_search, exclude)
        if candidates:
            model = self.model
            if model.prerank is not None and self.reader is not None:
                self.read(q, snapshot, candidates, model.prerank)
            names = model.select.features  # the weights name the features they were fitted on
            rows = np.asarray([c.vector(names) for c in candidates], dtype=np.float64)
            for candidate, probability in zip(candidates, model.select.probabilities(rows)):
                candidate.probability = float(probability)
            candidates.sort(key=lambda c: c.probability, reverse=True)
        return snapshot, candidates

    def read(self, q: Question, snapshot: Snapshot, candidates: list[Candidate], prerank) -> None:
        """The first ranking picks the candidates the reader reads; its scores become their features."""
        rows = np.asarray([c.vector(prerank.features) for c in candidates], dtype=np.float64)
        question = self.reading_text(q.raw)
        read_candidates(lambda texts: self.reader.scores(question, texts), snapshot, candidates, self.describer,
                        prerank.probabilities(rows), q.defined)

    def evidence(self, q: Question, snapshot: Snapshot, ranked: list[Candidate]) -> dict[str, float]:
        """What the confidence model weighs about the best candidate and the question."""
        return evidence(self.describer, q, snapshot, ranked)

    def confidence(self, q: Question, snapshot: Snapshot, ranked: list[Candidate]) -> float:
        if not ranked:
            return 0.0
        values = self.evidence(q, snapshot, ranked)
        row = np.asarray([[values[name] for name in self.model.confidence.features]], dtype=np.float64)
        return float(self.model.confidence.probabilities(row)[0])

    # -- composing ------------------------------------------------------------------------------
    def _citation(self, snapshot: Snapshot, candidate: Candidate, n: int, quote: str, whole: bool = False) -> Citation:
        """`whole`: the quote is the whole passage (a list), so no clause inside it is named."""
        sentence = snapshot.sentences[candidate.index]
        passage = snapshot.passages[sentence.passage]
        document = passage.document
        before = "" if whole else passage.text[:sentence.end - passage.start]
        return Citation(n=n, source=document["source"], title=document["title"], publisher=document["publisher"],
                        date=document["date"], quote=quote, doc_id=document["doc_id"],
                        location=location(passage.heading, before))

    @staticmethod
    def _lead_in(snapshot: Snapshot, index: int) -> int | None:
        """The lead-in a lettered item or a bullet belongs to ("3. Sở Ngoại vụ TP. HCM …:" before
        "a) Tiếp nhận …"), in its passage: who or what the item is about."""
        sentence = snapshot.sentences[index]
        if not _SUB_ITEM.match(sentence.text):
            return None
        for other in range(index - 1, max(index - _LEAD_IN_REACH, -1), -1):
            if snapshot.sentences[other].passage != sentence.passage:
                return None
            if snapshot.sentences[other].text.rstrip().endswith(":"):
                return other
        return None

    def _quote(self, snapshot: Snapshot, candidate: Candidate, limit: int = MAX_QUOTE_CHARS,
               extend: bool = False) -> str:
        text = self.describer.evidence_text(snapshot, candidate.index)
        centre = candidate.fact.start if candidate.fact else 0
        following = candidate.index + 1
        if extend and len(text) < SHORT_QUOTE and following < len(snapshot.sentences) and \
                snapshot.sentences[following].passage == snapshot.sentences[candidate.index].passage:
            text += " " + snapshot.sentences[following].text
        # "… đơn vị. 3.": the next clause's number, which the sentence splitter cuts from its clause
        text = _NEXT_CLAUSE_NUMBER.sub("", text)
        lead_in = self._lead_in(snapshot, candidate.index) if extend else None
        if lead_in is not None and not text.startswith(snapshot.sentences[lead_in].text):
            # The lead-in's opening names whom the item is about; the item is cut around its fact.
            prefix = _shorten(snapshot.sentences[lead_in].text.rstrip(), LEAD_IN_CHARS)
            prefix += " … " if lead_in < candidate.index - 1 or prefix.endswith("…") else " "
            return prefix + _shorten(text, max(limit - len(prefix), LEAD_IN_CHARS), centre)
        return _shorten(text, limit, centre)

    def _covered(self, snapshot: Snapshot, candidate: Candidate, extended: bool = False) -> set[int]:
        """The sentences a quote of this candidate shows: itself, the one it refers back to, and
        (extended) the next, so that none of them comes back as a quote of its own."""
        covered = {candidate.index} | ({candidate.index + 1} if extended else set())
        lead_in = self._lead_in(snapshot, candidate.index) if extended else None
        covered |= {lead_in} if lead_in is not None else set()
        before = self.describer.previous(snapshot, candidate.index)
        return covered | ({candidate.index - 1} if before is not None else set())

    def _list_quote(self, snapshot: Snapshot, candidate: Candidate, limit: int) -> tuple[str | None, bool]:
        """The list or steps around the best sentence, and whether it is the whole passage: the
        clause that holds the best sentence when that clause is itself a list ("1. Hồ sơ gồm: a) …
        b) …"), else the passage's lead-in and items when the passage is a list; None otherwise."""
        sentence = snapshot.sentences[candidate.index]
        passage = snapshot.passages[sentence.passage]
        if not is_list(passage.text):
            return None, False
        lines = [line.strip() for line in passage.text.split("\n") if line.strip()]
        whole = True
        clause_starts = [i for i, line in enumerate(lines) if CLAUSE.match(line)]
        if len(clause_starts) >= 2:
            offset = sentence.end - passage.start
            before = passage.text[:max(offset - 1, 0)]
            current = len([line for line in before.split("\n") if line.strip()]) - 1
            start = max([i for i in clause_starts if i <= max(current, 0)], default=None)
            if start is not None:
                end = next((i for i in clause_starts if i > start), len(lines))
                items = [line for line in lines[start + 1:end] if ITEM_START.match(line)]
                if len(items) >= 2:  # the clause is a list of its own: quote it, cite the clause
                    lines, whole = lines[start:end], False
        text = "\n".join(lines)
        if len(text) <= limit:
            return text, whole
        kept, used = [], 0
        for line in lines:
            if used + len(line) + 1 > limit - 2:
                break
            kept.append(line)
            used += len(line) + 1
        return ("\n".join(kept) + "\n…" if kept else _shorten(text, limit)), whole

    def _lead(self, q: Question, snapshot: Snapshot, candidate: Candidate) -> str:
        if candidate.fact is None or q.wants_list:  # a list is its own answer
            return ""
        if q.defined and fold(candidate.fact.text).strip(" .,)0123456789") in fold(q.text):
            return ""  # "Giấy thông hành là giấy tờ …" answers "giấy thông hành là gì?" by its quote, not its name
        text = self.describer.evidence_text(snapshot, candidate.index)
        fact = with_unit(text, candidate.fact) if q.kind == "number" else candidate.fact.text
        if q.kind == "date":  # "26/06/2026" read out as the text of a decree writes it; the quote keeps the figures
            fact = written_out(fact)
        return _shorten(fact, MAX_LEAD_CHARS)

    def _place(self, snapshot: Snapshot, candidate: Candidate) -> tuple[str, str]:
        """Where a citation sends the reader: its document and location ("Điều 5, khoản 2")."""
        sentence = snapshot.sentences[candidate.index]
        passage = snapshot.passages[sentence.passage]
        return passage.doc_id, location(passage.heading, passage.text[:sentence.end - passage.start])

    @staticmethod
    def _label(snapshot: Snapshot, candidate: Candidate, place: tuple[str, str]) -> tuple[str, str]:
        """What a citation's source line shows: the document's title (or file) and the location."""
        document = snapshot.passages[snapshot.sentences[candidate.index].passage].document
        return document["title"] or document["source"], place[1]

    def compose(self, q: Question, snapshot: Snapshot, ranked: list[Candidate]) -> Answer:
        """The lead, the best quote, then more of what ranked high while it fits: one citation per
        place (document and location), so two passages of one article are one citation, and
        "Xem thêm" always sends the reader somewhere else."""
        best = ranked[0]
        lead = self._lead(q, snapshot, best)
        budget = MAX_ANSWER_CHARS - len(lead) - 12
        first_passage = snapshot.sentences[best.index].passage
        # A lead-in ("… phải bảo đảm các yêu cầu sau:") says nothing by itself: what it lists answers.
        lead_in = snapshot.sentences[best.index].text.rstrip().endswith(":")
        quote, whole = self._list_quote(snapshot, best, budget) if q.wants_list or lead_in else (None, False)
        used = set(snapshot.sentences_of(first_passage)) if quote else self._covered(snapshot, best, extended=True)
        quote = quote or self._quote(snapshot, best, extend=True)
        first_place = (snapshot.passages[first_passage].doc_id, "*list*") if whole else self._place(snapshot, best)
        citations = {first_place: self._citation(snapshot, best, 1, quote, whole)}
        quotes = {first_place: [quote]}
        order = [first_place]
        labels = {self._label(snapshot, best, self._place(snapshot, best))}

        def render() -> str:
            parts = []
            for n, place in enumerate(order, 1):
                joined = " … ".join(quotes[place])
                parts.append((f"{lead} — " if lead else "") + f"“{joined}” [1]" if n == 1 else f"Xem thêm: “{joined}” [{n}]")
            return "\n".join(parts)

        text = render()
        for other in ranked[1:]:
            if other.probability < SUPPORT_RATIO * best.probability:
                break
            if other.index in used:
                continue
            place = self._place(snapshot, other)
            if whole and place[0] == first_place[0] and snapshot.sentences[other.index].passage == first_passage:
                continue  # already quoted whole
            if place not in quotes and len(order) == MAX_CITATIONS:
                continue
            if place not in quotes and self._label(snapshot, other, place) in labels:
                continue  # another file with the same title and place: its label would read the same
            quote = self._quote(snapshot, other, MAX_SUPPORT_CHARS)
            added = place not in quotes
            quotes.setdefault(place, []).append(quote)
            if added:
                order.append(place)
            attempt = render()
            if len(attempt) > MAX_ANSWER_CHARS:
                quotes[place].pop()
                if added:
                    del quotes[place]
                    order.remove(place)
                continue
            used |= self._covered(snapshot, other)
            text = attempt
            if added:
                citations[place] = self._citation(snapshot, other, len(order), quote)
                labels.add(self._label(snapshot, other, place))
        out = []
        for place in order:
            citation = citations[place]
            citation.quote = " … ".join(quotes[place])
            out.append(citation)
        return Answer(question=q.raw, answer=text, refused=False, citations=out, fact=lead)

    def refuse(self, q: Question, snapshot: Snapshot, ranked: list[Candidate], confidence: float = 0.0) -> Answer:
        """A plain refusal that still offers up to three nearest passages as numbered citations."""
        citations: list[Citation] = []
        used_passages: set[int] = set()
        for candidate in ranked:
            passage = snapshot.sentences[candidate.index].passage
            if passage in used_passages:
                continue
            used_passages.add(passage)
            citations.append(self._citation(snapshot, candidate, len(citations) + 1, self._quote(snapshot, candidate, 160)))
            if len(citations) == 3:
                break
        text = REFUSAL
        if citations:
            lines = []
            for citation in citations:
                place = f"{citation.title or citation.source}" + (f", {citation.location}" if citation.location else "")
                lines.append(f"[{citation.n}] {place}: “{citation.quote}”")
            listing = "\n".join(lines)
            text = f"{REFUSAL}\n{NEAREST}\n{listing}"
            if len(text) > MAX_ANSWER_CHARS:
                text = _shorten(text, MAX_ANSWER_CHARS)
        text += "\n" + REFUSAL_HINT if len(text) + len(REFUSAL_HINT) < MAX_ANSWER_CHARS else ""
        return Answer(question=q.raw, answer=text, refused=True, citations=citations, confidence=confidence)

    def answer(self, question: str, query_vector, exclude: frozenset[str] = frozenset()) -> Answer:
        q = analyze(self.expanded(question))
        snapshot, ranked = self.rank(q, query_vector, exclude)
        if not ranked:
            return Answer(question=question, answer=REFUSAL + "\n" + REFUSAL_HINT, refused=True)
        pinned = admissible(ranked, q)
        confidence = self.confidence(q, snapshot, pinned)
        if confidence < self.model.threshold_for(bool(pinned and pinned[0].values["has_heading"])):
            return self.refuse(q, snapshot, ranked, confidence)
        answer = self.compose(q, snapshot, pinned)
        answer.confidence = confidence
        return answer
