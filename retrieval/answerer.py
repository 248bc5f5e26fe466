"""Pick the sentence that answers, lead with the asked-for fact, cite, or refuse.

Hybrid retrieval: BM25 over sentences and over passages (accent-folded) fused with dense passage
similarity. Each candidate sentence is then judged on how much of the question it covers (rare
words count more), whether it holds a fact of the asked-for kind, and whether it mentions every
figure the question pins down ("năm 2020", "lần thứ 21"). Weak evidence means a refusal.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import numpy as np

from knowledge.vietnamese import fold, normalize
from retrieval.facts import Fact, find_fact, names_others
from retrieval.knowledge_base import KnowledgeBase
from retrieval.lexical import ACCENT_MARK, index_tokens
from retrieval.models import Answer, Citation
from retrieval.question import Question, analyze
from retrieval.snapshot import Sentence, Snapshot

MAX_ANSWER_CHARS = 700
MAX_QUOTE_CHARS = 420
LEXICAL_CANDIDATES = 40
FACT_CANDIDATES = 15
DENSE_PASSAGES = 8
# Calibrated on the dev set and on near-miss questions of our own (see tests/test_answers.py).
MIN_COVERAGE = 0.62
MIN_COVERAGE_ENGLISH = 0.55
MIN_COVERAGE_ENGLISH_WITHOUT_FACT = 0.7
MIN_COVERAGE_WITH_FIGURES = 0.45
MIN_PHRASES_WITHOUT_FACT = 0.5
ENTITY_ABSENT_FACTOR = 0.85
SPECIFIC_KINDS = ("number", "date", "person", "place", "theme")
_FIGURE = re.compile(r"\d+(?:[.,/-]\d+)*")
_COMPARISON = re.compile(r"\bso với[^,.;:)]*")
_ANAPHORA = re.compile(r"^(?:Đó là|Đây là|Điều này|Con số này|Theo đó|Như vậy|Kết quả này)\b")

REFUSAL = ("Xin lỗi, tài liệu hiện có không có thông tin để trả lời câu hỏi này. "
           "Anh/chị có thể hỏi cách khác, hoặc đề nghị quản trị viên bổ sung tài liệu.")


@dataclass
class Judged:
    index: int  # into Snapshot.sentences
    score: float
    coverage: float
    pinned: bool  # every figure of the question is in the sentence or its context
    figures_in_sentence: bool  # the question has figures and the sentence itself states them all
    fact: Fact | None
    bigrams: float = 0.0  # share of the question's word pairs found in the evidence
    elsewhere: bool = False  # the sentence is about another name than the one asked about


def _figures_in(text: str) -> set[str]:
    figures: set[str] = set()
    for match in _FIGURE.finditer(_COMPARISON.sub(" ", normalize(text))):
        figure = match.group(0)
        figures.add(figure)
        parts = figure.split("/")
        if len(parts) == 3:
            figures.update({f"{parts[0]}/{parts[1]}", parts[2], f"{parts[1]}/{parts[2]}"})
        elif len(parts) == 2 and len(parts[1]) == 4:  # "tháng 6/2020" states the year 2020
            figures.add(parts[1])
        if "." in figure and figure.replace(".", "").isdigit():
            figures.add(figure.replace(".", ""))
    return figures


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """Indexes of the k highest scores, best first, without sorting everything."""
    if len(scores) > k:
        part = np.argpartition(-scores, k)[:k]
        return part[np.argsort(-scores[part])]
    return np.argsort(-scores)


class Answerer:
    def __init__(self, knowledge_base: KnowledgeBase) -> None:
        self.kb = knowledge_base
        self._token_cache: dict[tuple[int, str], set[str]] = {}

    # -- scoring --------------------------------------------------------------------------------
    def _cached(self, snapshot: Snapshot, key: str, build: Callable[[], set[str]]) -> set[str]:
        """Token and figure sets of sentences, passages and documents, built once per generation."""
        cache_key = (snapshot.serial, key)  # serial: compaction renumbers within a generation
        cached = self._token_cache.get(cache_key)
        if cached is None:
            if len(self._token_cache) > 20_000:
                self._token_cache.clear()
            cached = self._token_cache[cache_key] = build()
        return cached

    def _tokens(self, snapshot: Snapshot, key: str, text_of: Callable[[], str]) -> set[str]:
        """Search tokens of a text; `text_of` only runs on a cache miss."""
        return self._cached(snapshot, "tokens:" + key, lambda: set(index_tokens(text_of())))

    def _figures(self, snapshot: Snapshot, key: str, text_of: Callable[[], str]) -> set[str]:
        """The figures a text states about its subject: whole numbers, plus the day/month and the
        year of dates ("12/8/2018" states "12/8" and "2018", "6/2020" states "2020"; neither
        states "12"). A baseline after "so với" is not what the text is about ("119 ... tăng 20%
        so với năm 2019")."""
        return self._cached(snapshot, "figures:" + key, lambda: _figures_in(text_of()))

    def _context(self, snapshot: Snapshot, sentence: Sentence) -> str:
        return snapshot.passages[sentence.passage].search_text

    def _previous(self, snapshot: Snapshot, index: int) -> Sentence | None:
        """The sentence an anaphoric one ("Đó là chủ đề của ...") refers back to."""
        sentence = snapshot.sentences[index]
        if index == 0 or not _ANAPHORA.match(sentence.text):
            return None
        previous = snapshot.sentences[index - 1]
        same_document = snapshot.passages[previous.passage].doc_id == snapshot.passages[sentence.passage].doc_id
        return previous if same_document else None

    def evidence_text(self, snapshot: Snapshot, index: int) -> str:
        previous = self._previous(snapshot, index)
        text = snapshot.sentences[index].text
        return previous.text + " " + text if previous else text

    def _judge(self, q: Question, snapshot: Snapshot, index: int, dense: float, lexical: float) -> Judged:
        sentence = snapshot.sentences[index]
        text = self.evidence_text(snapshot, index)
        own = self._tokens(snapshot, f"evidence{index}", lambda: text)
        context = self._tokens(snapshot, f"passage{sentence.passage}", lambda: self._context(snapshot, sentence))
        passage = snapshot.passages[sentence.passage]
        document = self._tokens(snapshot, f"document{passage.doc_id}",
                                lambda: passage.document["title"] + "\n" + passage.document["text"])
        idf = snapshot.sentence_index.idf
        total = found = 0.0
        for token in q.content:
            weight = idf(token)
            total += weight
            found += weight if token in own else 0.7 * weight if token in context else 0.0
        coverage = found / total if total else 0.0
        elsewhere = False
        if q.subjects:
            # A name the question gives ("Hà Nội") that neither the sentence, the one before it nor
            # the title mentions, while the sentence names someone or somewhere else ("Tp. HCM"):
            # the sentence is likely about that other one.
            local = own | self._tokens(snapshot, f"title{passage.doc_id}", lambda: passage.document["title"])
            if index > 0:
                local = local | self._tokens(snapshot, f"sentence{index - 1}",
                                             lambda: snapshot.sentences[index - 1].text)
            absent = sum(not all(t in local for t in entity) for entity in q.subjects)
            if absent and names_others(text, fold(q.text)):
                coverage *= ENTITY_ABSENT_FACTOR ** absent
                elsewhere = True
        bigrams = sum(b in own for b in q.bigrams) / len(q.bigrams) if q.bigrams else 0.0
        own_figures = self._figures(snapshot, f"evidence{index}", lambda: text)
        context_figures = self._figures(snapshot, f"passage{sentence.passage}",
                                        lambda: self._context(snapshot, sentence))
        pinned = all(n in own_figures or n in context_figures for n in q.numbers) and \
            all(all(t in document for t in entity) for entity in q.entities)
        score = coverage + 0.4 * bigrams + 0.35 * dense + 0.1 * lexical - (0.0 if pinned else 0.6)
        figures_in_sentence = bool(q.numbers) and all(n in own_figures for n in q.numbers)
        return Judged(index, score, coverage, pinned, figures_in_sentence, None, bigrams, elsewhere)

    def _add_fact(self, q: Question, snapshot: Snapshot, judged: Judged) -> None:
        """Look for the asked-for fact (the costly part, so only for the leading candidates)."""
        if q.kind not in SPECIFIC_KINDS + ("name",):
            return
        judged.fact = find_fact(q.kind, self.evidence_text(snapshot, judged.index), fold(q.text), q.numbers,
                                q.unit, [fold(t.lstrip(ACCENT_MARK)) for t in q.content],
                                strict_unit=not q.english)  # English word order hides the counted noun
        if q.kind in SPECIFIC_KINDS:
            judged.score += 0.25 if judged.fact else -0.3
            if judged.fact and judged.fact.owner is not None:  # the date of the document asked about
                judged.score += 0.15 if judged.fact.owner else -0.15
        elif judged.fact:
            judged.score += 0.35 if judged.fact.copula else 0.1

    def rank(self, q: Question, query_vector: list[float]) -> tuple[Snapshot, list[Judged]]:
        snapshot = self.kb.snapshot()
        if not snapshot.sentences:
            return snapshot, []
        sentence_scores = snapshot.sentence_index.scores(q.tokens)
        passage_scores = snapshot.passage_index.scores(q.tokens)
        fused = sentence_scores + 0.5 * passage_scores[snapshot.owner]
        top = _top(fused, LEXICAL_CANDIDATES)
        lexical_max = float(fused[top[0]]) or 1.0

        dense_by_passage: dict[int, float] = {}
        for chunk_id, similarity in self.kb.dense_search(query_vector, DENSE_PASSAGES):
            position = snapshot.by_chunk_id.get(chunk_id)
            if position is not None:  # a vector whose document is no longer live is ignored
                dense_by_passage[position] = similarity
        candidates = {int(i) for i in top if fused[i] > 0}
        for position in dense_by_passage:
            candidates.update(snapshot.sentences_of(position))
        if dense_by_passage:
            best_dense = max(dense_by_passage.values())
            floor = min(dense_by_passage.values())
        judged = []
        for index in candidates:
            similarity = dense_by_passage.get(snapshot.sentences[index].passage)
            dense = 0.0 if similarity is None else (similarity - floor) / max(best_dense - floor, 1e-6)
            judged.append(self._judge(q, snapshot, index, dense, float(fused[index]) / lexical_max))
        judged.sort(key=lambda j: j.score, reverse=True)
        # Looking for the fact is the costly part, so only the leading candidates get it.
        for candidate in judged[:FACT_CANDIDATES]:
            self._add_fact(q, snapshot, candidate)
        judged.sort(key=lambda j: j.score, reverse=True)
        return snapshot, judged

    # -- composing ------------------------------------------------------------------------------
    def _quote(self, snapshot: Snapshot, judged: Judged) -> str:
        text = self.evidence_text(snapshot, judged.index)
        if len(text) <= MAX_QUOTE_CHARS:
            return text
        # Keep the part around the fact (or the start) within the phone-sized budget.
        centre = judged.fact.start if judged.fact else 0
        begin = max(0, min(centre - MAX_QUOTE_CHARS // 3, len(text) - MAX_QUOTE_CHARS))
        begin = text.rfind(" ", 0, begin) + 1 if begin else 0
        end = text.rfind(" ", 0, begin + MAX_QUOTE_CHARS) if begin + MAX_QUOTE_CHARS < len(text) else len(text)
        return ("…" if begin else "") + text[begin:end].strip() + ("…" if end < len(text) else "")

    def _citation(self, snapshot: Snapshot, judged: Judged, n: int, quote: str) -> Citation:
        document = snapshot.passages[snapshot.sentences[judged.index].passage].document
        return Citation(n=n, source=document["source"], title=document["title"], publisher=document["publisher"],
                        date=document["date"], quote=quote, doc_id=document["doc_id"])

    def answer(self, question: str, query_vector: list[float]) -> Answer:
        q = analyze(question)
        snapshot, judged = self.rank(q, query_vector)
        if not judged or not self._confident(q, judged[0]):
            return Answer(question=question, answer=REFUSAL, refused=True)
        best = judged[0]
        supporting = [best]
        for other in judged[1:]:
            if len(supporting) == 3:
                break
            repeats = any(abs(other.index - s.index) <= 1 and (other.fact is None or s.fact is None or
                                                                other.fact.text == s.fact.text)
                          for s in supporting)
            if not repeats and other.pinned and other.score >= 0.8 * best.score and self._confident(q, other):
                supporting.append(other)
        quotes = [self._quote(snapshot, j) for j in supporting]
        citations = [self._citation(snapshot, j, n, quote) for n, (j, quote) in enumerate(zip(supporting, quotes), 1)]
        fact = best.fact.text if best.fact else ""
        text = (f"{fact} — " if fact else "") + f"“{quotes[0]}” [1]"
        for n, quote in enumerate(quotes[1:], 2):
            addition = f"\nXem thêm: “{quote}” [{n}]"
            if len(text) + len(addition) > MAX_ANSWER_CHARS:
                citations = citations[:n - 1]
                break
            text += addition
        return Answer(question=question, answer=text, refused=False, citations=citations, fact=fact)

    @staticmethod
    def _confident(q: Question, judged: Judged) -> bool:
        if not judged.pinned:
            return False
        if q.kind in SPECIFIC_KINDS and judged.fact is None:
            return False
        if judged.fact is None and not q.english and len(q.bigrams) >= 2 and judged.bigrams < MIN_PHRASES_WITHOUT_FACT:
            return False  # nothing specific found: the wording itself must match, not just its syllables
        threshold = MIN_COVERAGE_ENGLISH if q.english else MIN_COVERAGE
        if q.english and judged.fact is None:
            threshold = MIN_COVERAGE_ENGLISH_WITHOUT_FACT  # no word order to lean on, nothing specific found
        if judged.elsewhere:
            pass  # no leniency for a sentence about another name
        elif judged.figures_in_sentence and judged.fact is not None:
            threshold = MIN_COVERAGE_WITH_FIGURES  # matching every figure asked about is strong evidence
        elif judged.fact is not None and judged.fact.unit_words >= 2:
            threshold = MIN_COVERAGE_WITH_FIGURES  # "96 cơ quan đại diện" states exactly what is counted
        return judged.coverage >= threshold
