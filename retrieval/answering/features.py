"""Candidate answers and what is known about each: the features the fitted scorer weighs.

Retrieval proposes sentences: the best BM25 sentences (accent-folded, with their passage's score
added), every sentence of the best BM25 passages and of the nearest passages by e5 similarity.
Each candidate is then described by named numbers (coverage of the question's words weighted by
rarity, phrase matches, heading match, dense similarity and rank, figures and names the question
pins down, a fact of the asked-for kind, …). Nothing here decides: `retrieval.answering.scorer` does, with
weights fitted on data (`training/fit_answer_model.py`).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from knowledge.markup import ITEM_START, is_list
from vietnamese.dates import date_forms
from vietnamese.text import fold, normalize
from retrieval.answering.facts import Fact, find_fact, names_others
from retrieval.index.lexical import ACCENT_MARK, index_tokens
from retrieval.answering.question import Question
from retrieval.index.snapshot import Snapshot

LEXICAL_SENTENCES = 40
LEXICAL_PASSAGES = 6
DENSE_PASSAGES = 10
CONTEXT_WEIGHT = 0.7  # a word found in the sentence's passage (or heading) counts this much
SPECIFIC_KINDS = ("number", "date", "person", "place", "theme")
KINDS = ("number", "date", "person", "place", "theme", "name", "procedure", "other")
_FIGURE = re.compile(r"\d+(?:[.,/-]\d+)*")
_COMPARISON = re.compile(r"\bso với[^,.;:)]*")
# A sentence that leans on the one before: a connective ("Theo đó", "Như vậy", "Ngoài ra") or a
# demonstrative among its first words ("Cách làm này", "Bệnh này", "Con số đó").
_ANAPHORA = re.compile(r"^(?:Theo đó|Như vậy|Do đó|Vì vậy|Vì thế|Ngoài ra|Bên cạnh đó|Tuy nhiên|Sau đó|Trước đó)\b"
                       r"|^(?:[^\s,.;:]+\s+){0,3}(?:này|đó|ấy)\b", re.IGNORECASE)

# Per candidate, in this order; the fitted weights name them, so renaming one means refitting.
CANDIDATE_FEATURES = (
    "coverage", "coverage_own", "coverage_heading", "bigrams_own", "bigrams_context",
    "dense", "dense_gap", "dense_reciprocal_rank", "lexical_sentence", "lexical_passage",
    "lexical_reciprocal_rank", "pinned", "figures_in_sentence", "question_has_figures", "elsewhere",
    "fact_found", "fact_missing_specific", "fact_copula", "fact_unit_words", "fact_owner",
    "english", "accented", "log_length", "in_list", "document_best_coverage", "coverage_gap",
    "anaphoric", "list_asked", "list_asked_list_passage", "has_heading", "yes_no", "coverage_window",
    "list_heading_match",
) + tuple(f"kind_{kind}" for kind in KINDS) + tuple(f"fact_found_{kind}" for kind in SPECIFIC_KINDS)


# What the reader adds to the candidates it read (the leading ones by the first ranking).
READER_FEATURES = ("read", "reader", "reader_gap", "reader_reciprocal_rank", "prerank_logit")
READ_TOP = 8  # candidates the reader reads a question: its cost grows with each (measured in `ngoaivu bench`)


def read_candidates(scores_of: Callable[[list[str]], np.ndarray], snapshot: Snapshot, candidates: list["Candidate"],
                    describer: "Describer", first: np.ndarray) -> None:
    """Have the reader score the READ_TOP candidates the first ranking (`first`: its probabilities)
    puts ahead, each read as its heading path and sentence, and record its scores as features."""
    from retrieval.answering.reader import reader_text

    order = np.argsort(-first, kind="stable")[:READ_TOP]
    texts = [reader_text(snapshot.passages[snapshot.sentences[candidates[i].index].passage].heading,
                         describer.evidence_text(snapshot, candidates[i].index)) for i in order]
    scores = scores_of(texts)
    best, floor = float(scores.max()), float(scores.min()) - 1.0
    rank = {int(i): r for r, i in enumerate(order[np.argsort(-scores, kind="stable")])}
    for i, candidate in enumerate(candidates):
        p = min(max(float(first[i]), 1e-6), 1 - 1e-6)
        candidate.values["prerank_logit"] = math.log(p / (1 - p))
        candidate.values.update({"read": 0.0, "reader": floor, "reader_gap": floor - best, "reader_reciprocal_rank": 0.0})
    for i, score in zip(order, scores):
        candidate = candidates[int(i)]
        candidate.values.update({"read": 1.0, "reader": float(score), "reader_gap": float(score) - best,
                                 "reader_reciprocal_rank": 1.0 / (1 + rank[int(i)])})


def figures_in(text: str) -> set[str]:
    """The figures a text states about its subject: whole numbers, plus the day/month and the
    year of dates ("12/8/2018" states "12/8" and "2018", "6/2020" states "2020"; neither states
    "12"). A baseline after "so với" is not what the text is about."""
    figures: set[str] = set()
    for match in _FIGURE.finditer(_COMPARISON.sub(" ", normalize(text))):
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
    return figures


def states_ordinal(text: str, number: str, anchor: str) -> bool:
    """Whether a text states the ordinal `number` ("lần thứ 33" in the question): as "thứ 33", or
    right after the word the question puts before it ("Hội nghị Ngoại vụ 19" for "Ngoại vụ lần thứ
    19"); "Kết luận 33" or "33-KL/TW" does not."""
    return re.search(rf"\bthu\s+{number}(?!\d)|\b{re.escape(anchor)}\s+{number}(?![\d/-])", fold(text)) is not None


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
        self._cache: dict[tuple[int, str], set[str]] = {}

    def _cached(self, snapshot: Snapshot | None, key: str, build: Callable[[], set[str]]) -> set[str]:
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

    def document_tokens(self, snapshot: Snapshot, passage_index: int) -> set[str]:
        passage = snapshot.passages[passage_index]
        return self._tokens(None, f"document{passage.doc_id}",
                            lambda: passage.document["title"] + "\n" + passage.document["text"])

    # -- evidence text ----------------------------------------------------------------------------
    @staticmethod
    def previous(snapshot: Snapshot, index: int):
        """The sentence an anaphoric one ("Đó là chủ đề của …") refers back to, in its document."""
        sentence = snapshot.sentences[index]
        if index == 0 or not _ANAPHORA.match(sentence.text):
            return None
        before = snapshot.sentences[index - 1]
        same = snapshot.passages[before.passage].doc_id == snapshot.passages[sentence.passage].doc_id
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
        dense_rank = {p: r for r, p in enumerate(sorted(dense, key=dense.get, reverse=True))}
        lexical_rank = {i: r for r, i in enumerate(top_sentences)}
        best_dense = max(dense.values()) if dense else 0.0
        fused_max = float(fused[top_sentences[0]]) if top_sentences else 1.0
        passage_max = float(passage_scores.max()) or 1.0
        out = []
        for index in sorted(indexes):
            passage = snapshot.sentences[index].passage
            similarity = dense.get(passage)
            candidate = Candidate(index)
            candidate.values.update({
                "dense": similarity if similarity is not None else 0.0,
                "dense_gap": (similarity - best_dense) if similarity is not None else -0.2,
                "dense_reciprocal_rank": 1.0 / (1 + dense_rank[passage]) if passage in dense_rank else 0.0,
                "lexical_sentence": float(fused[index]) / (fused_max or 1.0),
                "lexical_passage": float(passage_scores[passage]) / passage_max,
                "lexical_reciprocal_rank": 1.0 / (1 + lexical_rank[index]) if index in lexical_rank else 0.0,
            })
            self._describe(q, snapshot, candidate)
            out.append(candidate)
        best_by_document: dict[str, float] = {}
        for candidate in out:
            doc_id = snapshot.passages[snapshot.sentences[candidate.index].passage].doc_id
            best_by_document[doc_id] = max(best_by_document.get(doc_id, 0.0), candidate.values["coverage"])
        best = max(best_by_document.values())
        for candidate in out:
            doc_id = snapshot.passages[snapshot.sentences[candidate.index].passage].doc_id
            candidate.values["document_best_coverage"] = best_by_document[doc_id]
            candidate.values["coverage_gap"] = candidate.values["coverage"] - best
        return out

    def _is_list(self, snapshot: Snapshot, passage: int) -> bool:
        """A passage with two or more list items or clauses ("a) …", "1. …", "- …")."""
        key = f"list{snapshot.passages[passage].chunk_id}"
        return bool(self._cached(None, key, lambda: {"yes"} if is_list(snapshot.passages[passage].text) else set()))

    def _describe(self, q: Question, snapshot: Snapshot, candidate: Candidate) -> None:
        index = candidate.index
        sentence = snapshot.sentences[index]
        passage = snapshot.passages[sentence.passage]
        text = self.evidence_text(snapshot, index)
        own = self._tokens(snapshot, f"evidence{index}", lambda: text)
        context = self._tokens(None, f"passage{passage.chunk_id}", lambda: passage.search_text)
        heading = self._tokens(None, f"heading{passage.chunk_id}",
                               lambda: passage.document["title"] + "\n" + passage.heading)
        document = self.document_tokens(snapshot, sentence.passage)
        idf = snapshot.sentence_index.idf
        # The sentences just before and after, in the same passage: a question often paraphrases
        # the sentence beside the one that holds the answer.
        window = [self._tokens(snapshot, f"sentence{i}", lambda i=i: snapshot.sentences[i].text)
                  for i in (index - 1, index + 1)
                  if 0 <= i < len(snapshot.sentences) and snapshot.sentences[i].passage == sentence.passage]
        total = found = found_own = found_heading = found_window = 0.0
        for token in q.content:
            weight = idf(token)
            total += weight
            in_own = token in own
            found_own += weight if in_own else 0.0
            found_window += weight if in_own or any(token in w for w in window) else 0.0
            found += weight if in_own else CONTEXT_WEIGHT * weight if token in context else 0.0
            found_heading += weight if token in heading else 0.0
        coverage = found / total if total else 0.0
        coverage_heading = found_heading / total if total else 0.0
        list_passage = q.wants_list and self._is_list(snapshot, sentence.passage)
        elsewhere = 0.0
        if q.subjects:
            local = own | self._tokens(None, f"title{passage.doc_id}", lambda: passage.document["title"])
            if index > 0:
                local = local | self._tokens(snapshot, f"sentence{index - 1}", lambda: snapshot.sentences[index - 1].text)
            absent = sum(not all(t in local for t in entity) for entity in q.subjects)
            elsewhere = float(bool(absent) and names_others(text, fold(q.text)))
        own_figures = self._figures(snapshot, f"evidence{index}", lambda: text)
        context_figures = self._figures(None, f"passage{passage.chunk_id}", lambda: passage.search_text)
        pinned = all(n in own_figures or n in context_figures for n in q.numbers) and \
            all(all(t in document for t in entity) for entity in q.entities) and \
            all(states_ordinal(text, n, anchor) or states_ordinal(passage.search_text, n, anchor)
                for n, anchor in q.ordinals)
        values = candidate.values
        values.update({
            "coverage": coverage,
            "coverage_own": found_own / total if total else 0.0,
            "coverage_heading": coverage_heading,
            "coverage_window": found_window / total if total else 0.0,
            "bigrams_own": sum(b in own for b in q.bigrams) / len(q.bigrams) if q.bigrams else 0.0,
            "bigrams_context": sum(b in context for b in q.bigrams) / len(q.bigrams) if q.bigrams else 0.0,
            "pinned": float(pinned),
            "figures_in_sentence": float(bool(q.numbers) and all(n in own_figures for n in q.numbers)),
            "question_has_figures": float(bool(q.numbers)),
            "elsewhere": elsewhere,
            "english": float(q.english),
            "accented": float(q.accented),
            "log_length": math.log1p(len(text)),
            "in_list": float(ITEM_START.match(sentence.text) is not None),
            "anaphoric": float(self.previous(snapshot, index) is not None),
            "list_asked": float(q.wants_list),
            "has_heading": float(bool(passage.heading)),
            "yes_no": float(q.yes_no),
            "list_asked_list_passage": float(list_passage),
            # A list asked for, and a list whose heading says what the question asks ("Cơ cấu tổ chức").
            "list_heading_match": float(list_passage) * coverage_heading,
            f"kind_{q.kind}": 1.0,
        })
        if q.kind in SPECIFIC_KINDS + ("name",):
            candidate.fact = find_fact(q.kind, text, fold(q.text), q.numbers, q.unit,
                                       [fold(t.lstrip(ACCENT_MARK)) for t in q.content], strict_unit=not q.english,
                                       money=q.money)
        fact = candidate.fact
        values["fact_found"] = float(fact is not None)
        values["fact_missing_specific"] = float(fact is None and q.kind in SPECIFIC_KINDS)
        if fact is not None:
            values["fact_copula"] = float(fact.copula)
            values["fact_unit_words"] = float(min(fact.unit_words, 3))
            values["fact_owner"] = {True: 1.0, False: -1.0, None: 0.0}[fact.owner]
            if q.kind in SPECIFIC_KINDS:
                values[f"fact_found_{q.kind}"] = 1.0
