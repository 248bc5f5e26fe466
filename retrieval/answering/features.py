"""Candidate answers and what is known about each: the features the fitted scorer weighs.

Retrieval proposes sentences: the best BM25 sentences (accent-folded, with their passage's score
added), every sentence of the best BM25 passages and of the nearest passages by e5 similarity.
Each candidate is then described by named numbers (coverage of the question's words weighted by
rarity, phrase matches, heading match, dense similarity and rank, figures and names the question
pins down, a fact of the asked-for kind, …), and the best one, with the question, by the evidence
the refusal model weighs. Nothing here decides: `retrieval.answering.scorer` does, with weights
fitted on data (`training/fit_answer_model.py`).

Every feature is one entry of a `FeatureTable`: its name beside the code that computes it, in the
order the fitted weights record them (they are checked against these names on load, so renaming
or reordering one means refitting). Adding a feature is adding one entry.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, cast

import numpy as np

from knowledge.markup import ITEM_START, is_list
from vietnamese.dates import date_forms
from vietnamese.names import DOCUMENT_CODE, OWN_NUMBER, SELF_REFERENCE
from vietnamese.numbers import COMPARISON, roman_values
from vietnamese.text import fold, normalize
from retrieval.answering.facts import Fact, defines, find_fact, names_others
from retrieval.index.lexical import ACCENT_MARK, BM25Index, index_tokens
from retrieval.answering.question import Question
from retrieval.answering.scorer import logit
from retrieval.index.snapshot import Sentence, Snapshot

LEXICAL_SENTENCES = 40
LEXICAL_PASSAGES = 6
DENSE_PASSAGES = 10
CONTEXT_WEIGHT = 0.7  # a word found in the sentence's passage (or heading) counts this much
SPECIFIC_KINDS = ("number", "date", "person", "place", "theme")
KINDS = ("number", "date", "person", "place", "theme", "name", "procedure", "other")
_DOCUMENT_HEAD = 3000  # characters of a document's text its own number is looked for in ("Số: …")
_DOCUMENT_NUMBER = re.compile(DOCUMENT_CODE + r"|\b\d+/\d{4}\b")  # in a title: "Nghị định 232/2026/NĐ-CP …"
READ_TOP = 8  # candidates the reader reads a question: its cost grows with each (measured in `ngoaivu bench`)
_FIGURE = re.compile(r"\d+(?:[.,/-]\d+)*")
# A sentence that leans on the one before: a connective ("Theo đó", "Như vậy", "Ngoài ra") or a
# demonstrative among its first words ("Cách làm này", "Bệnh này", "Con số đó").
_ANAPHORA = re.compile(r"^(?:Theo đó|Như vậy|Do đó|Vì vậy|Vì thế|Ngoài ra|Bên cạnh đó|Tuy nhiên|Sau đó|Trước đó)\b"
                       r"|^(?:[^\s,.;:]+\s+){0,3}(?:này|đó|ấy)\b", re.IGNORECASE)


class FeatureTable:
    """Named features in their fitted order, each with the function that computes it from what is
    known at one stage (`group`). A function returning None leaves the feature unstated: a vector
    reads it as 0, and code asking for it with `values.get` finds nothing."""

    def __init__(self) -> None:
        self._entries: list[tuple[str, str, Callable[[Any], float | None]]] = []

    def add(self, group: str, name: str, compute: Callable[[Any], float | None]) -> None:
        if any(name == known for known, _, _ in self._entries):
            raise ValueError(f"feature {name!r} defined twice")
        self._entries.append((name, group, compute))

    def feature(self, group: str, name: str) -> Callable[[Callable[[Any], float | None]], Callable[[Any], float | None]]:
        """Decorator form of `add`, for a feature whose computation takes more than a line."""
        def register(compute: Callable[[Any], float | None]) -> Callable[[Any], float | None]:
            self.add(group, name, compute)
            return compute
        return register

    def names(self, *groups: str) -> tuple[str, ...]:
        return tuple(name for name, group, _ in self._entries if group in groups)

    def compute(self, group: str, known: Any, values: dict[str, float]) -> dict[str, float]:
        """Set in `values` the features of `group` computed from `known`; returns `values`."""
        for name, of, compute in self._entries:
            if of == group:
                value = compute(known)
                if value is not None:
                    values[name] = value
        return values


def _share(found: float, total: float) -> float:
    return found / total if total else 0.0


# -- what a candidate sentence is, and how it was found ------------------------------------------

@dataclass
class _Search:
    """What retrieval found for one question, shared by its candidates."""

    dense: dict[int, float]  # passage -> e5 similarity, for the nearest passages
    dense_rank: dict[int, int]
    best_dense: float
    fused: np.ndarray  # per sentence: BM25 of the sentence plus half its passage's
    fused_max: float
    passage_scores: np.ndarray
    passage_max: float
    lexical_rank: dict[int, int]  # sentence -> rank among the best BM25 sentences


@dataclass
class _Found:
    """One candidate as retrieval found it."""

    search: _Search
    index: int  # the sentence
    passage: int

    @property
    def similarity(self) -> float | None:
        return self.search.dense.get(self.passage)


@dataclass
class _Standing:
    """One candidate among all the candidates of its question."""

    coverage: float
    document_best: float  # the best coverage of a candidate of its document
    best: float  # the best coverage of any candidate


@dataclass
class _Reading:
    """What the reader made of one candidate (`score` None: not among those it read)."""

    first: float  # the first ranking's probability
    score: float | None
    rank: int | None
    best: float
    floor: float  # what a candidate not read gets: below the lowest score read


class _Sighting:
    """One candidate sentence against the question: its evidence text and the token sets of the
    sentence, its neighbours, passage, heading and document, with the shared sums the coverage
    features read."""

    def __init__(self, describer: "Describer", q: Question, snapshot: Snapshot, index: int) -> None:
        self.describer, self.q, self.snapshot, self.index = describer, q, snapshot, index
        self.fact: Fact | None = None  # the fact of the asked-for kind found in the evidence
        self.sentence: Sentence = snapshot.sentences[index]
        self.passage = snapshot.passages[self.sentence.passage]
        self.text = describer.evidence_text(snapshot, index)

    @cached_property
    def own(self) -> set[str]:
        return self.describer._tokens(self.snapshot, f"evidence{self.index}", lambda: self.text)

    @cached_property
    def context(self) -> set[str]:
        passage = self.passage
        return self.describer._tokens(None, f"passage{passage.chunk_id}", lambda: passage.search_text)

    @cached_property
    def heading(self) -> set[str]:
        passage = self.passage
        return self.describer._tokens(None, f"heading{passage.chunk_id}",
                                      lambda: passage.document["title"] + "\n" + passage.heading)

    @cached_property
    def document(self) -> set[str]:
        return self.describer.document_tokens(self.snapshot, self.sentence.passage)

    @cached_property
    def window(self) -> list[set[str]]:
        """The sentences just before and after, in the same passage: a question often paraphrases
        the sentence beside the one that holds the answer."""
        snapshot, index = self.snapshot, self.index
        return [self.sentence_tokens(i) for i in (index - 1, index + 1)
                if 0 <= i < len(snapshot.sentences) and snapshot.sentences[i].passage == self.sentence.passage]

    def sentence_tokens(self, i: int) -> set[str]:
        return self.describer._tokens(self.snapshot, f"sentence{i}", lambda: self.snapshot.sentences[i].text)

    @cached_property
    def sums(self) -> tuple[float, float, float, float, float]:
        """The question's content words weighted by rarity: (total, found with the passage's at
        CONTEXT_WEIGHT, found in the evidence, found in the heading, found in the evidence or a
        neighbour)."""
        idf = self.snapshot.sentence_index.idf
        own, context, heading, window = self.own, self.context, self.heading, self.window
        total = found = found_own = found_heading = found_window = 0.0
        for token in self.q.content:
            weight = idf(token)
            total += weight
            in_own = token in own
            found_own += weight if in_own else 0.0
            found_window += weight if in_own or any(token in w for w in window) else 0.0
            found += weight if in_own else CONTEXT_WEIGHT * weight if token in context else 0.0
            found_heading += weight if token in heading else 0.0
        return total, found, found_own, found_heading, found_window

    @cached_property
    def coverage_heading(self) -> float:
        total, _, _, found_heading, _ = self.sums
        return _share(found_heading, total)

    @cached_property
    def list_passage(self) -> bool:
        return self.q.wants_list and self.describer._is_list(self.snapshot, self.sentence.passage)

    @cached_property
    def own_figures(self) -> set[str]:
        return self.describer._figures(self.snapshot, f"evidence{self.index}", lambda: self.text)

    @cached_property
    def context_figures(self) -> set[str]:
        passage = self.passage
        return self.describer._figures(None, f"passage{passage.chunk_id}", lambda: passage.search_text)

    def bigrams_in(self, tokens: set[str]) -> float:
        bigrams = self.q.bigrams
        return sum(b in tokens for b in bigrams) / len(bigrams) if bigrams else 0.0

    def fact_of_kind(self, kind: str) -> float | None:
        return 1.0 if self.fact is not None and self.q.kind == kind else None


CANDIDATE = FeatureTable()
sighted = CANDIDATE.add

sighted("sentence", "coverage", lambda s: _share(s.sums[1], s.sums[0]))
sighted("sentence", "coverage_own", lambda s: _share(s.sums[2], s.sums[0]))
sighted("sentence", "coverage_heading", lambda s: s.coverage_heading)
sighted("sentence", "bigrams_own", lambda s: s.bigrams_in(s.own))
sighted("sentence", "bigrams_context", lambda s: s.bigrams_in(s.context))
sighted("search", "dense", lambda f: f.similarity if f.similarity is not None else 0.0)
sighted("search", "dense_gap", lambda f: (f.similarity - f.search.best_dense) if f.similarity is not None else -0.2)
sighted("search", "dense_reciprocal_rank",
        lambda f: 1.0 / (1 + f.search.dense_rank[f.passage]) if f.passage in f.search.dense_rank else 0.0)
sighted("search", "lexical_sentence", lambda f: float(f.search.fused[f.index]) / (f.search.fused_max or 1.0))
sighted("search", "lexical_passage", lambda f: float(f.search.passage_scores[f.passage]) / f.search.passage_max)
sighted("search", "lexical_reciprocal_rank",
        lambda f: 1.0 / (1 + f.search.lexical_rank[f.index]) if f.index in f.search.lexical_rank else 0.0)


@CANDIDATE.feature("sentence", "pinned")
def _pinned(s: _Sighting) -> float:
    """Every figure, name and ordinal the question pins down is stated: figures in the evidence or
    its passage, names anywhere in the document, ordinals in the evidence, its passage, or as the
    event the whole document is about (a news report names "lần thứ 18" in its lead, then tells
    of it paragraph after paragraph)."""
    q, text, passage = s.q, s.text, s.passage
    ordinal_numbers = {n for n, _ in q.ordinals}
    # A legal document's number ("Nghị định 154/2026 có hiệu lực từ ngày nào?") is stated by the
    # document's own head or title: its clauses speak of "Nghị định này".
    own_number = s.describer.document_number(s.snapshot, s.sentence.passage) if q.documents else set()
    return float(all(n in s.own_figures or n in s.context_figures or (n in q.documents and n in own_number)
                     for n in q.numbers if n not in ordinal_numbers) and
                 all(all(t in s.document for t in entity) for entity in q.entities) and
                 all(states_ordinal(text, n, anchor) or states_ordinal(passage.search_text, n, anchor)
                     or s.describer.document_ordinal(s.snapshot, s.sentence.passage, anchor) == n
                     for n, anchor in q.ordinals))


sighted("sentence", "figures_in_sentence", lambda s: float(bool(s.q.numbers) and all(n in s.own_figures for n in s.q.numbers)))
sighted("sentence", "question_has_figures", lambda s: float(bool(s.q.numbers)))


@CANDIDATE.feature("sentence", "elsewhere")
def _elsewhere(s: _Sighting) -> float:
    """The evidence names another place or body than one the question is about, which it lacks
    (with the document's title and the sentence before)."""
    q, index, passage = s.q, s.index, s.passage
    if not q.subjects:
        return 0.0
    local = s.own | s.describer._tokens(None, f"title{passage.doc_id}", lambda: passage.document["title"])
    if s.describer.previous(s.snapshot, index) is not None:  # the sentence before, when this one leans on it
        local = local | s.sentence_tokens(index - 1)
    absent = sum(not all(t in local for t in entity) for entity in q.subjects)
    return float(bool(absent) and names_others(s.text, fold(q.text)))


sighted("sentence", "fact_found", lambda s: float(s.fact is not None))
sighted("sentence", "fact_missing_specific", lambda s: float(s.fact is None and s.q.kind in SPECIFIC_KINDS))
sighted("sentence", "fact_copula", lambda s: float(s.fact.copula) if s.fact is not None else None)
sighted("sentence", "fact_unit_words", lambda s: float(min(s.fact.unit_words, 3)) if s.fact is not None else None)
sighted("sentence", "fact_owner",
        lambda s: {True: 1.0, False: -1.0, None: 0.0}[s.fact.owner] if s.fact is not None else None)
sighted("sentence", "english", lambda s: float(s.q.english))
sighted("sentence", "accented", lambda s: float(s.q.accented))
sighted("sentence", "log_length", lambda s: math.log1p(len(s.text)))
sighted("sentence", "in_list", lambda s: float(ITEM_START.match(s.sentence.text) is not None))
sighted("documents", "document_best_coverage", lambda d: d.document_best)
sighted("documents", "coverage_gap", lambda d: d.coverage - d.best)
sighted("sentence", "anaphoric", lambda s: float(s.describer.previous(s.snapshot, s.index) is not None))
sighted("sentence", "list_asked", lambda s: float(s.q.wants_list))
sighted("sentence", "list_asked_list_passage", lambda s: float(s.list_passage))
sighted("sentence", "has_heading", lambda s: float(bool(s.passage.heading)))
sighted("sentence", "yes_no", lambda s: float(s.q.yes_no))
sighted("sentence", "coverage_window", lambda s: _share(s.sums[4], s.sums[0]))
# A list asked for, and a list whose heading says what the question asks ("Cơ cấu tổ chức").
sighted("sentence", "list_heading_match", lambda s: float(s.list_passage) * s.coverage_heading)


def _asked(kind: str) -> Callable[[_Sighting], float | None]:
    return lambda s: 1.0 if s.q.kind == kind else None


def _found(kind: str) -> Callable[[_Sighting], float | None]:
    return lambda s: s.fact_of_kind(kind)


for _kind in KINDS:
    sighted("sentence", f"kind_{_kind}", _asked(_kind))
for _kind in SPECIFIC_KINDS:
    sighted("sentence", f"fact_found_{_kind}", _found(_kind))
# What the reader adds to the candidates it read (the leading ones by the first ranking).
sighted("reader", "read", lambda r: 0.0 if r.score is None else 1.0)
sighted("reader", "reader", lambda r: r.floor if r.score is None else r.score)
sighted("reader", "reader_gap", lambda r: (r.floor if r.score is None else r.score) - r.best)
sighted("reader", "reader_reciprocal_rank", lambda r: 0.0 if r.rank is None else 1.0 / (1 + r.rank))
sighted("reader", "prerank_logit", lambda r: logit(r.first))

# Per candidate, in this order (the fitted weights name them); the reader's come after.
CANDIDATE_FEATURES = CANDIDATE.names("sentence", "search", "documents")
READER_FEATURES = CANDIDATE.names("reader")


# -- the evidence about the best candidate and the question, for the refusal model ---------------

class _Evidence:
    """The best candidate of a question, ranked, with what the refusal model reads about it."""

    def __init__(self, describer: "Describer", q: Question, snapshot: Snapshot, ranked: list["Candidate"]) -> None:
        self.q, self.snapshot, self.ranked = q, snapshot, ranked
        self.top = ranked[0]
        self.values = self.top.values
        self.idf = snapshot.sentence_index.idf
        self.total = sum(self.idf(t) for t in q.content) or 1.0
        self.document = describer.document_tokens(snapshot, snapshot.sentences[self.top.index].passage)

    def passage_of(self, candidate: "Candidate") -> int:
        return self.snapshot.sentences[candidate.index].passage

    def document_of(self, candidate: "Candidate") -> str:
        return self.snapshot.passages[self.passage_of(candidate)].doc_id

    @cached_property
    def second(self) -> float:
        """The best probability of a candidate from another passage than the top one's."""
        top = self.passage_of(self.top)
        return next((c.probability for c in self.ranked[1:] if self.passage_of(c) != top), 0.0)

    @cached_property
    def document_coverage(self) -> float:
        """Is the best document about what was asked? Its own words, wherever they stand in it."""
        return sum(self.idf(t) for t in self.q.content if t in self.document) / self.total

    def unknown_share(self) -> float:
        index = cast(BM25Index, self.snapshot.sentence_index)  # a snapshot with sentences has its index
        return sum(self.idf(t) for t in self.q.content if t not in index) / self.total

    def document_share(self) -> float:
        leading = self.ranked[:5]
        return sum(self.document_of(c) == self.document_of(self.top) for c in leading) / len(leading)


CONFIDENCE = FeatureTable()
evident = CONFIDENCE.add

evident("question", "top_logit", lambda e: logit(e.top.probability))
evident("question", "second_logit", lambda e: logit(e.second))
evident("question", "margin", lambda e: e.top.probability - e.second)
evident("question", "top_coverage", lambda e: e.values["coverage"])
evident("question", "top_coverage_own", lambda e: e.values["coverage_own"])
evident("question", "top_bigrams_own", lambda e: e.values["bigrams_own"])
evident("question", "top_dense", lambda e: e.values["dense"])
evident("question", "best_dense", lambda e: max(c.values["dense"] for c in e.ranked))
evident("question", "top_pinned", lambda e: e.values["pinned"])
evident("question", "top_fact_found", lambda e: e.values["fact_found"])
evident("question", "top_fact_missing_specific", lambda e: e.values["fact_missing_specific"])
evident("question", "unknown_share", lambda e: e.unknown_share())
evident("question", "content_words", lambda e: float(len(e.q.content)))
evident("question", "english", lambda e: float(e.q.english))
evident("question", "top_document_share", lambda e: e.document_share())
evident("question", "top_elsewhere", lambda e: e.values["elsewhere"])
evident("question", "kind_specific", lambda e: float(e.q.kind in SPECIFIC_KINDS))
evident("question", "kind_procedure", lambda e: float(e.q.kind == "procedure"))
evident("question", "top_document_coverage", lambda e: e.document_coverage)
evident("question", "top_document_bigrams",
        lambda e: sum(b in e.document for b in e.q.bigrams) / len(e.q.bigrams) if e.q.bigrams else 0.0)
evident("question", "top_bigrams_context", lambda e: e.values["bigrams_context"])
# Regulations (passages under headings) and news read differently: let the weights tell.
evident("question", "top_has_heading", lambda e: e.values["has_heading"])
evident("question", "top_logit_structured", lambda e: logit(e.top.probability) * e.values["has_heading"])
evident("question", "top_document_coverage_structured", lambda e: e.values["has_heading"] * e.document_coverage)
evident("question", "yes_no", lambda e: float(e.q.yes_no))
# Does the best candidate read as an answer, and does anything read better?
evident("reader", "top_read", lambda e: e.values.get("read", 0.0))
evident("reader", "top_reader", lambda e: e.values.get("reader", 0.0))
evident("reader", "best_reader", lambda e: max(c.values.get("reader", 0.0) for c in e.ranked))
evident("reader", "top_reader_gap", lambda e: e.values.get("reader_gap", 0.0))
evident("reader", "top_reader_structured", lambda e: e.values.get("reader", 0.0) * e.values["has_heading"])

# Question-level evidence for the confidence model, in this order; with the reader, its own after.
CONFIDENCE_FEATURES = CONFIDENCE.names("question")
READER_CONFIDENCE_FEATURES = CONFIDENCE.names("question", "reader")


def evidence(describer: "Describer", q: Question, snapshot: Snapshot, ranked: list["Candidate"]) -> dict[str, float]:
    """What the confidence model weighs about the best of `ranked` and the question."""
    known = _Evidence(describer, q, snapshot, ranked)
    values: dict[str, float] = {}
    CONFIDENCE.compute("question", known, values)
    return CONFIDENCE.compute("reader", known, values)


def read_candidates(scores_of: Callable[[list[str]], np.ndarray], snapshot: Snapshot, candidates: list["Candidate"],
                    describer: "Describer", first: np.ndarray, defined: str = "") -> None:
    """Have the reader score the READ_TOP candidates the first ranking (`first`: its probabilities)
    puts ahead, each read as its heading path and sentence, and record its scores as features.
    When a term's definition is asked (`defined`), the best-ranked sentence that defines it is read
    too, in place of the last: a definitions article lists a dozen terms alike in their words."""
    from retrieval.answering.reader import reader_text

    ranking = np.argsort(-first, kind="stable")
    order = ranking[:READ_TOP]
    if defined and len(ranking) > READ_TOP:
        is_definition = lambda i: defines(describer.evidence_text(snapshot, candidates[i].index), defined)  # noqa: E731
        if not any(is_definition(i) for i in order):
            found = next((i for i in ranking[READ_TOP:] if is_definition(i)), None)
            if found is not None:
                order = np.append(order[:-1], found)
    texts = [reader_text(snapshot.passages[snapshot.sentences[candidates[i].index].passage].heading,
                         describer.evidence_text(snapshot, candidates[i].index)) for i in order]
    scores = scores_of(texts)
    best, floor = float(scores.max()), float(scores.min()) - 1.0
    rank = {int(i): r for r, i in enumerate(order[np.argsort(-scores, kind="stable")])}
    score_of = {int(i): float(score) for i, score in zip(order, scores)}
    for i, candidate in enumerate(candidates):
        CANDIDATE.compute("reader", _Reading(float(first[i]), score_of.get(i), rank.get(i), best, floor), candidate.values)


def figures_in(text: str) -> set[str]:
    """The figures a text states about its subject: whole numbers, plus the day/month and the
    year of dates ("12/8/2018" states "12/8" and "2018", "6/2020" states "2020"; neither states
    "12"). A baseline after "so với" is not what the text is about."""
    figures: set[str] = set()
    for match in _FIGURE.finditer(COMPARISON.sub(" ", normalize(text))):
        figure = match.group(0)
        figures.add(figure)
        parts = figure.split("/")
        if len(parts) == 3:
            figures.update({f"{parts[0]}/{parts[1]}", parts[2], f"{parts[1]}/{parts[2]}"})
        elif len(parts) == 2 and len(parts[1]) == 4:  # "6/2020" states 2020; "244/2026" (a document) states 244
            figures.update(parts)
        if "." in figure and figure.replace(".", "").isdigit():
            figures.add(figure.replace(".", ""))
    figures.update(date_forms(text))  # "ngày 01 tháng 7 năm 2026" states "1/7/2026"
    figures.update(roman_values(text))  # "Đại hội Đảng XII" states 12
    return figures


def _ordinal_pattern(number: str, anchor: str) -> str:
    """"thứ 33", or the number right after the question's word before it ("Ngoại vụ 19"); an
    English ordinal has no such word ("the 19th conference": `anchor` "")."""
    anchored = rf"|\b{re.escape(anchor)}\s+{number}(?![\d/-])" if anchor else ""
    return rf"\bthu\s+{number}(?!\d){anchored}"


def states_ordinal(text: str, number: str, anchor: str) -> bool:
    """Whether a text states the ordinal `number` ("lần thứ 33" in the question): as "thứ 33", or
    right after the word the question puts before it ("Hội nghị Ngoại vụ 19" for "Ngoại vụ lần thứ
    19"); "Kết luận 33" or "33-KL/TW" does not."""
    return re.search(_ordinal_pattern(number, anchor), fold(text)) is not None


def first_ordinal(text: str, anchor: str) -> str | None:
    """The first ordinal a text states, in either form `states_ordinal` reads: in a report's
    title or lead, the event it is about ("Hội nghị Ngoại vụ 19: …", "… lần thứ 21 khai mạc");
    a later "từ lần thứ 20 đến nay" looks back and is not it."""
    match = re.search(_ordinal_pattern(r"(\d+)", anchor), fold(text))
    return next((g for g in match.groups() if g), None) if match else None


def top_indexes(scores: np.ndarray, k: int) -> np.ndarray:
    """Indexes of the k highest scores, best first, without sorting everything."""
    if len(scores) > k:
        part = np.argpartition(-scores, k)[:k]
        return part[np.argsort(-scores[part])]
    return np.argsort(-scores)


@dataclass
class Candidate:
    """One sentence that may answer, with its features and the fact found in it."""

    index: int  # into Snapshot.sentences
    values: dict[str, float] = field(default_factory=dict)
    fact: Fact | None = None
    probability: float = 0.0  # set by the scorer

    def vector(self, names: tuple[str, ...] = CANDIDATE_FEATURES) -> list[float]:
        return [self.values.get(name, 0.0) for name in names]


class Describer:
    """Finds the candidates of a question in a snapshot and computes their features. Token sets of
    sentences are cached per snapshot (their numbers change with it), those of passages and
    documents by chunk and document id, which never change meaning: an upload elsewhere does not
    make every document be tokenized again."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, str], Any] = {}  # token and figure sets, a document's ordinal

    def _cached(self, snapshot: Snapshot | None, key: str, build: Callable[[], Any]) -> Any:
        """`snapshot` None: `key` names a chunk or document by its id, the same in every snapshot."""
        cache_key = (snapshot.serial if snapshot is not None else 0, key)
        value = self._cache.get(cache_key)
        if value is None:
            if len(self._cache) > 50_000:
                self._cache.clear()
            value = self._cache[cache_key] = build()
        return value

    def _tokens(self, snapshot: Snapshot | None, key: str, text_of: Callable[[], str]) -> set[str]:
        return self._cached(snapshot, "tokens:" + key, lambda: set(index_tokens(text_of())))

    def _figures(self, snapshot: Snapshot | None, key: str, text_of: Callable[[], str]) -> set[str]:
        return self._cached(snapshot, "figures:" + key, lambda: figures_in(text_of()))

    def document_ordinal(self, snapshot: Snapshot, passage_index: int, anchor: str) -> str:
        """The ordinal of the event the passage's document is about (`first_ordinal`), "" for none."""
        document = snapshot.passages[passage_index].document
        return self._cached(None, f"ordinal:{snapshot.passages[passage_index].doc_id}:{anchor}",
                            lambda: first_ordinal(document["title"] + "\n" + document["text"], anchor) or "")

    def document_number(self, snapshot: Snapshot, passage_index: int) -> set[str]:
        """The figures of a document's own number, as its title or its head gives it ("Số:
        154/2026/NĐ-CP", "Số hiệu: 47/2014/QH13"): {"154/2026", "154", "2026"}."""
        passage = snapshot.passages[passage_index]
        document = passage.document

        def own() -> set[str]:
            head = [m.group(1) for m in OWN_NUMBER.finditer(document["text"][:_DOCUMENT_HEAD])]
            return figures_in(" ".join([*(m.group(0) for m in _DOCUMENT_NUMBER.finditer(document["title"])), *head]))
        return self._cached(None, f"number:{passage.doc_id}", own)

    def document_tokens(self, snapshot: Snapshot, passage_index: int) -> set[str]:
        passage = snapshot.passages[passage_index]
        return self._tokens(None, f"document{passage.doc_id}",
                            lambda: passage.document["title"] + "\n" + passage.document["text"])

    # -- evidence text ----------------------------------------------------------------------------
    @staticmethod
    def previous(snapshot: Snapshot, index: int):
        """The sentence an anaphoric one ("Đó là chủ đề của …") refers back to, in its document."""
        sentence = snapshot.sentences[index]
        if index == 0 or not _ANAPHORA.match(sentence.text) or SELF_REFERENCE.match(sentence.text.lower()):
            return None
        before = snapshot.sentences[index - 1]
        passage, passage_before = snapshot.passages[sentence.passage], snapshot.passages[before.passage]
        # Within its document, and never across an article's or section's heading: "Điều 30. …"
        # does not refer back to the last clause of Điều 29.
        same = passage_before.doc_id == passage.doc_id and passage_before.heading == passage.heading
        return before if same else None

    def evidence_text(self, snapshot: Snapshot, index: int) -> str:
        before = self.previous(snapshot, index)
        text = snapshot.sentences[index].text
        return before.text + " " + text if before else text

    # -- candidates -------------------------------------------------------------------------------
    def candidates(self, q: Question, query_vector, snapshot: Snapshot, dense_search,
                   exclude: frozenset[str] = frozenset()) -> list[Candidate]:
        """The candidate sentences with their features. `exclude` names documents (doc_id or file
        name) to leave out, as if not in the store: how refusals are learnt."""
        if not snapshot.sentences:
            return []
        sentence_scores = snapshot.sentence_index.scores(q.tokens)
        passage_scores = snapshot.passage_index.scores(q.tokens)
        if exclude:
            mask = snapshot.passage_mask(exclude)
            passage_scores = np.where(mask, 0.0, passage_scores).astype(np.float32)
            sentence_scores = np.where(mask[snapshot.owner], 0.0, sentence_scores).astype(np.float32)
        fused = sentence_scores + 0.5 * passage_scores[snapshot.owner]
        top_sentences = [int(i) for i in top_indexes(fused, LEXICAL_SENTENCES) if fused[i] > 0]
        top_passages = [int(i) for i in top_indexes(passage_scores, LEXICAL_PASSAGES) if passage_scores[i] > 0]
        dense: dict[int, float] = {}
        for chunk_id, similarity in dense_search(query_vector, DENSE_PASSAGES + (2 * DENSE_PASSAGES if exclude else 0)):
            position = snapshot.by_chunk_id.get(chunk_id)
            if position is None or (exclude and snapshot.passage_excluded(position, exclude)):
                continue  # a vector whose document is not live (or is left out) is ignored
            if len(dense) < DENSE_PASSAGES:
                dense[position] = similarity
        indexes = set(top_sentences)
        for position in list(dense) + top_passages:
            indexes.update(snapshot.sentences_of(position))
        if not indexes:
            return []
        dense_rank = {p: r for r, p in enumerate(sorted(dense, key=lambda p: dense[p], reverse=True))}
        lexical_rank = {i: r for r, i in enumerate(top_sentences)}
        best_dense = max(dense.values()) if dense else 0.0
        fused_max = float(fused[top_sentences[0]]) if top_sentences else 1.0
        passage_max = float(passage_scores.max()) or 1.0
        search = _Search(dense, dense_rank, best_dense, fused, fused_max, passage_scores, passage_max, lexical_rank)
        out = []
        for index in sorted(indexes):
            candidate = Candidate(index)
            CANDIDATE.compute("search", _Found(search, index, snapshot.sentences[index].passage), candidate.values)
            self._describe(q, snapshot, candidate)
            out.append(candidate)
        doc_of = lambda c: snapshot.passages[snapshot.sentences[c.index].passage].doc_id  # noqa: E731
        best_by_document: dict[str, float] = {}
        for candidate in out:
            doc_id = doc_of(candidate)
            best_by_document[doc_id] = max(best_by_document.get(doc_id, 0.0), candidate.values["coverage"])
        best = max(best_by_document.values())
        for candidate in out:
            coverage = candidate.values["coverage"]
            CANDIDATE.compute("documents", _Standing(coverage, best_by_document[doc_of(candidate)], best), candidate.values)
        return out

    def _is_list(self, snapshot: Snapshot, passage: int) -> bool:
        """A passage with two or more list items or clauses ("a) …", "1. …", "- …")."""
        key = f"list{snapshot.passages[passage].chunk_id}"
        return bool(self._cached(None, key, lambda: {"yes"} if is_list(snapshot.passages[passage].text) else set()))

    def _describe(self, q: Question, snapshot: Snapshot, candidate: Candidate) -> None:
        sighting = _Sighting(self, q, snapshot, candidate.index)
        if q.kind in SPECIFIC_KINDS + ("name",):
            candidate.fact = sighting.fact = find_fact(
                q.kind, sighting.text, fold(q.text), q.numbers, q.unit, [fold(t.lstrip(ACCENT_MARK)) for t in q.content],
                strict_unit=not q.english or q.unit_translated, money=q.money, label=q.label,
                count=q.count)
            if sighting.fact is not None and self._fact_about_another(sighting, sighting.fact):
                candidate.fact = sighting.fact = None
        CANDIDATE.compute("sentence", sighting, candidate.values)

    def _fact_about_another(self, s: _Sighting, fact: Fact) -> bool:
        """A fact found in the sentence before, which the candidate leans on ("Đến nay có thêm Quảng
        Nam với Nagasaki (ký MOU tháng 6/2017). Ngoài ra, … như tỉnh Cà Mau với tỉnh Nagasaki"), is
        about another subject when the candidate names one of the question's places or bodies and
        that sentence does not: "Cà Mau ký MOU năm nào?" is not answered by Quảng Nam's date."""
        before = self.previous(s.snapshot, s.index)
        if before is None or fact.start >= len(before.text) or not s.q.subjects:
            return False
        own, earlier = s.sentence_tokens(s.index), s.sentence_tokens(s.index - 1)  # `before` is the one before
        return any(all(t in own for t in entity) and not all(t in earlier for t in entity) for entity in s.q.subjects)
