"""Fit the answer engine's selection and refusal weights, then report the held-back figures.

    .venv/bin/pip install -e ".[train]"
    .venv/bin/python training/fit_answer_model.py            # fit, write retrieval/weights/answer_model.json
    .venv/bin/python training/fit_answer_model.py --measure  # only measure the shipped weights

Data (nothing of it ships; only the fitted coefficients do):
- news: UIT-ViNewsQA test (../shared/datasets/vinewsqa-test), split BY ARTICLE: articles whose
  number ends in 0-6 are fitted on, 7-9 are held back. All 398 articles are in the store.
- regulations: our own officer questions on ../shared/datasets/regulations-dev
  (training/regulation_questions.jsonl, split BY DOCUMENT in its field "split"; and
  training/regulation_questions_more.jsonl, all on fitted documents).
- seeds: our calibration questions on the shipped articles (training/calibration_questions.jsonl), fitted on.
  ../shared/eval/dev.jsonl is never fitted on.
Refusal examples: every fitted question asked again with its source document(s) left out of the
store (leave-source-out), plus the out-of-scope questions.

Selection is cross-fitted (3 folds by document), so the refusal model learns from selection
scores on questions the selection model did not see.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sklearn  # noqa: F401  (before LightGBM loads: fitting needs its scikit-learn API, see retrieval.answering.scorer)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vietnamese.text import normalize  # noqa: E402
from retrieval.answering.answerer import Answerer, admissible  # noqa: E402
from retrieval.answering.evaluation import judge  # noqa: E402
from vietnamese.text import strip_diacritics  # noqa: E402
from retrieval.answering.features import (CANDIDATE_FEATURES, CONFIDENCE_FEATURES, READER_CONFIDENCE_FEATURES,  # noqa: E402
                                          READER_FEATURES, Candidate)
from retrieval.answering.question import Question, analyze, clean_question  # noqa: E402
from retrieval.answering.scorer import READER_WEIGHTS, WEIGHTS, AnswerModel, Linear, Trees  # noqa: E402
from training.stores import DATASETS, open_store  # noqa: E402
from training.translated import english_versions, held_english, held_english2  # noqa: E402

SEED = 13
FOLDS = 3
# The news set has ten times more questions than our regulation and seed sets; weigh each
# regulation and seed question more so that structured documents are not drowned out.
REFUSE_TARGET = 0.85
STORE_WEIGHT = {"news": 1.0, "regulations": 4.0, "seeds": 2.0}


class Features:
    """The feature names fitted on: the engine's own, plus the reader's with --reader."""

    select = CANDIDATE_FEATURES
    confidence = CONFIDENCE_FEATURES
    prerank = None  # with the reader: the shipped selection model without it, which picks what is read

    @classmethod
    def with_reader(cls, prerank) -> None:
        cls.select = CANDIDATE_FEATURES + READER_FEATURES
        cls.confidence = READER_CONFIDENCE_FEATURES
        cls.prerank = prerank


def _norm(text: str) -> str:
    import re
    import unicodedata
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text).casefold()).strip()


@dataclass
class Item:
    gold: dict
    store: str
    split: str  # fit / heldout
    group: str  # the document it is about (for folds)


def load_items() -> list[Item]:
    items = []
    for line in (DATASETS / "vinewsqa-test" / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        gold = json.loads(line)
        number = int(gold["sources"][0].split("_")[1].split(".")[0])
        items.append(Item(gold, "news", "fit" if number % 10 < 7 else "heldout", gold["sources"][0]))
    for name in ("regulation_questions.jsonl", "regulation_questions_more.jsonl"):
        path = ROOT / "training" / name
        for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else []:
            if line.strip():
                gold = json.loads(line)
                items.append(Item(gold, "regulations", gold["split"], (gold["sources"] or ["none:" + gold["id"]])[0]))
    for line in (ROOT / "training" / "calibration_questions.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            gold = json.loads(line)
            items.append(Item(gold, "seeds", "fit", (gold.get("sources") or ["none:" + gold["id"]])[0]))
    # Written on regulations never read before, before any answer was looked at: only measured.
    for line in (ROOT / "training" / "regulation_questions_dev2.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            gold = json.loads(line)
            items.append(Item(gold, "regulations2", "heldout", (gold["sources"] or ["none:" + gold["id"]])[0]))
    return items


def check_gold(items: list[Item]) -> None:
    """Our own question files must hold: unique ids, every source a file of the corpus, every gold
    answer verbatim (as the scorer compares) in one of its sources."""
    ids = [i.gold["id"] for i in items]
    duplicated = {i for i in ids if ids.count(i) > 1}
    assert not duplicated, f"duplicate question ids: {sorted(duplicated)}"
    texts = {}
    for item in (i for i in items if i.store in ("regulations", "regulations2")):
        for source in item.gold["sources"]:
            path = DATASETS / ("regulations-dev2" if item.store == "regulations2" else "regulations-dev") / "docs" / source
            assert path.exists(), f"{item.gold['id']}: no such document {source}"
            texts.setdefault(source, _norm(path.read_text(encoding="utf-8")))
        for answer in item.gold["answers"]:
            assert any(_norm(answer) in texts[s] for s in item.gold["sources"]), \
                f"{item.gold['id']}: answer {answer!r} is not in its sources"


ENGLISH = english_versions()


def variants(item: Item, rng: random.Random) -> list[str]:
    """The question as written, for a share of them also without diacritics (phones), and its
    English version where a translator wrote one (training/translated.py)."""
    question = item.gold["question"]
    out = [question]
    if item.split == "fit" and rng.random() < 0.3:
        out.append(strip_diacritics(question))
    if item.split == "fit" and item.gold["id"] in ENGLISH:
        out.append(ENGLISH[item.gold["id"]])
    return out


@dataclass
class Example:
    item: Item
    question: str
    left_out: bool  # asked with its source document(s) left out of the store
    candidates: list[Candidate]
    labels: np.ndarray
    q: Question
    snapshot: object


def collect(answerers: dict[str, Answerer], items: list[Item], rng: random.Random) -> list[Example]:
    examples = []
    started = time.monotonic()
    for position, item in enumerate(items, 1):
        answerer = answerers[item.store]
        for question in variants(item, rng):
            text = normalize(clean_question(question, 1000))
            q = analyze(text)
            vector = answerer.query_vector(text)
            sources = frozenset(item.gold["sources"])
            modes = [False] + ([True] if sources else [])
            for left_out in modes:
                snapshot = answerer.kb.snapshot()
                candidates = answerer.describer.candidates(q, vector, snapshot, answerer.kb.dense_search,
                                                           sources if left_out else frozenset())
                if candidates and Features.prerank is not None:
                    answerer.read(q, snapshot, candidates, Features.prerank)
                answers = [_norm(a) for a in item.gold["answers"]]
                labels = np.zeros(len(candidates))
                if answers and not left_out:
                    for i, c in enumerate(candidates):
                        passage = snapshot.passages[snapshot.sentences[c.index].passage]
                        text_of = _norm(answerer.describer.evidence_text(snapshot, c.index))
                        if passage.document["source"] in sources and any(a in text_of for a in answers):
                            labels[i] = 1.0
                examples.append(Example(item, question, left_out, candidates, labels, q, snapshot))
        if position % 200 == 0:
            print(f"  features: {position}/{len(items)} questions, {time.monotonic() - started:.0f} s",
                  file=sys.stderr, flush=True)
    return examples


def collect_cross_read(stores: dict, paths: list[Path], items: list[Item], rng: random.Random) -> list[Example]:
    """Every fit question read by a reader that was not fitted on its document (two readers, each
    fitted on one fold of our documents): the reader's scores here are those it gives to unseen
    text, as in service. Without this the reader is near perfect on the fit questions (0.95 top-1
    on news, 0.97 on regulations, against 0.75 and 0.56 held out) and the answer model learns to
    trust it far too much. The shipped reader may be either fold's or one fitted on all of them."""
    from retrieval.answering.reader import Reader
    from training.fit_reader import document_fold

    readers = [Reader(p, p.with_suffix(".json")) for p in paths]
    folds = [r.info.get("ours") for r in readers]
    if sorted(folds) != ["a", "b"]:
        raise SystemExit(f"--cross-readers: give the readers fitted on folds a and b, not {folds}")
    examples = []
    for reader, fold in zip(readers, folds):
        unseen = [i for i in items if document_fold(i.group) != fold]
        print(f"cross-read: {len(unseen)} questions read by the reader fitted on fold {fold}", file=sys.stderr)
        answerers = {name: Answerer(engine.kb, reader=reader) for name, engine in stores.items()}
        examples += collect(answerers, unseen, rng)
    return examples


def fit_linear(rows: np.ndarray, labels: np.ndarray, names: tuple[str, ...], weights=None, c: float = 1.0) -> Linear:
    from sklearn.linear_model import LogisticRegression

    mean = rows.mean(axis=0)
    scale = rows.std(axis=0)
    scale[scale < 1e-9] = 1.0
    model = LogisticRegression(C=c, max_iter=5000)
    model.fit((rows - mean) / scale, labels, sample_weight=weights)
    return Linear(names, mean, scale, model.coef_[0].astype(np.float64), float(model.intercept_[0]))


def candidate_matrix(examples: list[Example]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = [c.vector(Features.select) for e in examples if not e.left_out for c in e.candidates]
    labels = [label for e in examples if not e.left_out for label in e.labels]
    weights = [STORE_WEIGHT[e.item.store] for e in examples if not e.left_out for _ in e.candidates]
    return np.asarray(rows, dtype=np.float64), np.asarray(labels), np.asarray(weights)


def rank_with(select, example: Example, pinned_only: bool = True) -> list[Candidate]:
    """The candidates as the engine ranks them; only admissible ones, as the engine answers."""
    if not example.candidates:
        return []
    rows = np.asarray([c.vector(Features.select) for c in example.candidates], dtype=np.float64)
    for candidate, p in zip(example.candidates, select.probabilities(rows)):
        candidate.probability = float(p)
    ranked = sorted(example.candidates, key=lambda c: c.probability, reverse=True)
    return admissible(ranked, example.q) if pinned_only else ranked


def outcome(answerer: Answerer, example: Example, ranked: list[Candidate]) -> tuple[dict, bool]:
    """(confidence features, whether answering with the top candidate is right by the scorer's rules)."""
    values = answerer.evidence(example.q, example.snapshot, ranked)
    answer = answerer.compose(example.q, example.snapshot, ranked).to_dict()
    gold = example.item.gold
    right = bool(gold["answers"]) and not example.left_out and judge(gold, answer)[0]
    return values, right


def fit_trees(rows: np.ndarray, labels: np.ndarray, weights: np.ndarray, names: tuple[str, ...],
              trees: int, leaves: int) -> Trees:
    import lightgbm

    model = lightgbm.LGBMClassifier(n_estimators=trees, learning_rate=0.05, num_leaves=leaves, min_child_samples=20,
                                    subsample=0.8, subsample_freq=1, colsample_bytree=0.8, reg_lambda=1.0,
                                    random_state=SEED, n_jobs=2, verbose=-1)
    model.fit(rows, labels, sample_weight=weights)
    return Trees(names, model.booster_.model_to_string())


def fit_select(rows: np.ndarray, labels: np.ndarray, weights: np.ndarray, learner: str):
    if learner == "lgbm":
        return fit_trees(rows, labels, weights, Features.select, trees=300, leaves=15)
    return fit_linear(rows, labels, Features.select, weights)


def fit_confidence(rows: np.ndarray, labels: np.ndarray, weights: np.ndarray, learner: str):
    if learner == "lgbm":
        return fit_trees(rows, labels, weights, Features.confidence, trees=200, leaves=7)
    return fit_linear(rows, labels, Features.confidence, weights)


def wilson_lower(successes: int, trials: int, z: float = 1.645) -> float:
    """The one-sided 95% Wilson lower bound of a share: a threshold must refuse the target share of
    left-out questions with that confidence, not only on average (a small pool, e.g. the passages
    under headings, would otherwise set it by luck)."""
    if trials == 0:
        return 0.0
    p = successes / trials
    centre = p + z * z / (2 * trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return (centre - spread) / (1 + z * z / trials)


def trade_off(probabilities: np.ndarray, right: np.ndarray, out_of_scope: np.ndarray, label: str,
              stores: np.ndarray) -> tuple[float, int, int]:
    """Print answered/refused at each threshold; return the shipped threshold (the lowest, i.e. the
    most answers, that still refuses REFUSE_TARGET of the questions whose document is not in the
    store, by the share's 95% lower bound), the in-store questions answered right there, and how
    many in-store questions there are. The left-out questions refused there are also printed by
    store: pooled, the news questions outnumber the others."""
    print(f"confidence {label}: threshold  answered-right  answered-wrong  refused  in-store-right  "
          f"out-of-scope-refused  its-95%-lower-bound  (cross-validated, fit split)")
    chosen = None
    in_store = max(int((~out_of_scope).sum()), 1)
    for threshold in np.arange(0.05, 0.91, 0.01):
        answered = probabilities >= threshold
        good = int((answered & (right == 1)).sum())
        wrong = int((answered & (right == 0)).sum())
        refused_share = int((~answered & out_of_scope).sum()) / max(int(out_of_scope.sum()), 1)
        refused_bound = wilson_lower(int((~answered & out_of_scope).sum()), int(out_of_scope.sum()))
        first = chosen is None and refused_bound >= REFUSE_TARGET
        if first:
            chosen = (float(threshold), good, in_store)
        if first or round(threshold * 100) % 5 == 0:  # chosen on a fine grid, printed on a coarse one
            print(f"  {threshold:.2f}  {good:6d}  {wrong:6d}  {int((~answered).sum()):6d}  {good / in_store:.3f}  "
                  f"{refused_share:.3f}  {refused_bound:.3f}" + ("  <- lowest reaching the refusal target" if first else ""))
    if chosen is not None:
        answered = probabilities >= chosen[0]
        print("  left out, refused there: " + ", ".join(
            f"{s} {int((~answered & out_of_scope & (stores == s)).sum())}/{int((out_of_scope & (stores == s)).sum())}"
            for s in sorted(set(stores.tolist()))))
    return chosen or (0.9, 0, in_store)


def cross_fit(answerers: dict[str, Answerer], examples: list[Example], learner: str) -> tuple[list, list, int]:
    """Confidence rows and labels from selection models that never saw the question's document."""
    groups = sorted({e.item.group for e in examples})
    random.Random(SEED).shuffle(groups)
    fold_of = {g: i % FOLDS for i, g in enumerate(groups)}
    rows_out, labels_out, weights_out, left_out, groups_out, stores_out, top1 = [], [], [], [], [], [], 0
    for fold in range(FOLDS):
        rows, labels, weights = candidate_matrix([e for e in examples if fold_of[e.item.group] != fold])
        select = fit_select(rows, labels, weights, learner)
        for example in (e for e in examples if fold_of[e.item.group] == fold):
            ranked = rank_with(select, example)
            if not ranked:
                continue  # nothing admissible: refused whatever the weights
            if not example.left_out and example.labels.any():
                top1 += example.labels[example.candidates.index(ranked[0])] > 0
            values, right = outcome(answerers[example.item.store], example, ranked)
            rows_out.append([values[n] for n in Features.confidence])
            labels_out.append(float(right))
            weights_out.append(STORE_WEIGHT[example.item.store])
            left_out.append(example.left_out or not example.item.gold["answers"])
            groups_out.append(fold_of[example.item.group])
            stores_out.append(example.item.store)
    return rows_out, labels_out, (weights_out, left_out, groups_out, stores_out), top1


def fit(answerers: dict[str, Answerer], examples: list[Example], learners: list[str]) -> AnswerModel:
    answerable = [e for e in examples if not e.left_out and e.item.gold["answers"]]
    reachable = sum(e.labels.any() for e in answerable)
    print(f"answerable in store: {len(answerable)}; gold sentence among candidates: {reachable} "
          f"({reachable / max(len(answerable), 1):.3f})")
    best = None
    for learner in learners:
        confidence_rows, confidence_labels, extra, top1 = cross_fit(answerers, examples, learner)
        right = int(sum(confidence_labels))
        print(f"{learner}: best candidate holds the gold {top1}/{len(answerable)} ({top1 / max(len(answerable), 1):.3f}); "
              f"answered right if never refusing {right} ({right / max(len(answerable), 1):.3f}) (cross-fitted)")
        if best is None or right > best[0]:
            best = (right, learner, confidence_rows, confidence_labels, extra)
    _, learner, confidence_rows, confidence_labels, (confidence_weights, out_of_scope, folds, stores) = best
    rows, labels, weights = candidate_matrix(examples)
    select = fit_select(rows, labels, weights, learner)
    x, y = np.asarray(confidence_rows), np.asarray(confidence_labels)
    w, out_of_scope, folds, stores = (np.asarray(confidence_weights), np.asarray(out_of_scope), np.asarray(folds),
                                      np.asarray(stores))
    structured = x[:, Features.confidence.index("top_has_heading")] > 0
    print(f"select ({learner}): {len(labels)} candidates, {int(labels.sum())} positive; "
          f"confidence: {len(y)} questions, {int(y.sum())} answerable right")
    chosen = None
    for confidence_learner in ("lr", "lgbm"):
        # Cross-validated by the same document folds: the threshold is chosen on probabilities
        # the confidence model gave to questions it was not fitted on.
        probabilities = np.zeros(len(y))
        for fold in range(FOLDS):
            part = fit_confidence(x[folds != fold], y[folds != fold], w[folds != fold], confidence_learner)
            probabilities[folds == fold] = part.probabilities(x[folds == fold])
        # One threshold for plain text, one for passages under headings: each refuses the target
        # share of its own left-out questions.
        plain_threshold, plain_right, plain_total = trade_off(
            probabilities[~structured], y[~structured], out_of_scope[~structured], f"{confidence_learner}, plain text",
            stores[~structured])
        structured_threshold, structured_right, structured_total = trade_off(
            probabilities[structured], y[structured], out_of_scope[structured], f"{confidence_learner}, under headings",
            stores[structured])
        right_share = (plain_right + structured_right) / max(plain_total + structured_total, 1)
        print(f"  {confidence_learner}: in store answered right {right_share:.3f}")
        if chosen is None or right_share > chosen[3]:
            chosen = (confidence_learner, plain_threshold, structured_threshold, right_share)
    confidence_learner, threshold, structured_threshold, _ = chosen
    confidence = fit_confidence(x, y, w, confidence_learner)
    print(f"shipped: selection {learner}, confidence {confidence_learner}, thresholds {threshold:.2f} (plain text), "
          f"{structured_threshold:.2f} (under headings)")
    info = {"select": learner, "confidence": confidence_learner, "fitted_on": {"candidates": int(len(labels)), "questions": int(len(y))},
            "features": "retrieval/answering/features.py CANDIDATE_FEATURES, CONFIDENCE_FEATURES",
            "script": "training/fit_answer_model.py"}
    return AnswerModel(select, confidence, threshold, info, structured_threshold)


ANSWERS: list[dict] = []  # every measured answer, for --answers (a refactor must leave them equal)


def ask(answerer: Answerer, item: Item, question: str, left_out: bool) -> tuple[dict, dict]:
    """The engine's answer to `question` (about `item`), its document left out of the store if
    `left_out`, and the gold it is judged against (nothing to answer when left out)."""
    text = normalize(clean_question(question, 1000))
    exclude = frozenset(item.gold["sources"]) if left_out else frozenset()
    answer = answerer.answer(text, answerer.query_vector(text), exclude).to_dict()
    return answer, {**item.gold, "answers": [] if left_out else item.gold["answers"]}


def measure(answerers: dict[str, Answerer], items: list[Item], label: str, left_out: bool = False,
            without_diacritics: bool = False) -> dict:
    right = total = refused = 0
    failures = []
    for item in items:
        answerer = answerers[item.store]
        question = strip_diacritics(item.gold["question"]) if without_diacritics else item.gold["question"]
        answer, gold = ask(answerer, item, question, left_out)
        ok, why = judge(gold, answer)
        ANSWERS.append({"set": label, "id": item.gold["id"], "right": ok, "refused": answer["refused"],
                        "answer": answer["answer"], "citations": [[c["source"], c["location"], c["quote"]]
                                                                  for c in answer["citations"]]})
        right += ok
        total += 1
        refused += answer["refused"]
        if not ok:
            failures.append(f"{item.gold['id']}: {why} | {question} | {answer['answer'][:120]!r}")
    print(f"{label}: {right}/{total} = {right / max(total, 1):.3f} (refused {refused})")
    return {"right": right, "total": total, "refused": refused, "failures": failures}


def tradeoff(answerers: dict[str, Answerer], items: list[Item], label: str, thresholds: list[float]) -> None:
    """The held-back trade-off: every question answered once with refusal off, in the store and with
    its source left out; answering at threshold t is then exactly "confidence ≥ t" (the refusal is
    that one comparison), so one pass gives every row. One threshold for both kinds of text."""
    rows = {}
    for left_out in (False, True):
        scored = []
        for item in items:
            answer, gold = ask(answerers[item.store], item, item.gold["question"], left_out)
            ok = judge(gold, {**answer, "refused": False})[0] if not answer["refused"] else False
            scored.append((-1.0 if answer["refused"] else float(answer.get("confidence") or 0.0), ok))
        rows[left_out] = scored
    print(f"{label}: threshold  in-store-right  left-out-refused  ({len(items)} questions each)")
    for t in thresholds:
        right = sum(c >= t and ok for c, ok in rows[False]) / len(items)
        refused = sum(c < t for c, _ in rows[True]) / len(items)
        print(f"  {t:.2f}  {right:.3f}  {refused:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--measure", action="store_true", help="only measure the shipped weights")
    parser.add_argument("--show-failures", action="store_true")
    parser.add_argument("--stores", default="news,regulations,seeds,regulations2", help="comma-separated (for quick trials)")
    parser.add_argument("--news-questions", type=int, default=1400, help="news questions fitted on (sampled)")
    parser.add_argument("--dry-run", action="store_true", help="fit and measure, but do not write the weights")
    parser.add_argument("--output", type=Path, default=WEIGHTS, help="where to write the weights")
    parser.add_argument("--learners", default="lr", help="selection learners to compare (cross-fitted), e.g. lr,lgbm")
    parser.add_argument("--held-limit", type=int, default=0, help="measure on at most this many held-out questions a set")
    parser.add_argument("--answers", type=Path, help="write every measured answer here (JSON lines)")
    parser.add_argument("--fit-only", action="store_true",
                        help="write the weights and stop: measure them later (--measure), after development checks")
    parser.add_argument("--tradeoff", action="store_true",
                        help="also print the held-back news trade-off at several refusal thresholds")
    parser.add_argument("--english-only", action="store_true",
                        help="with --measure: only the held-back questions asked in English (training/translated.py)")
    parser.add_argument("--reader", action="store_true",
                        help="fit with the reader's scores (retrieval/weights/reader.onnx): writes answer_model_reader.json")
    parser.add_argument("--reader-file", type=Path,
                        help="with --reader: this reader (its .json beside it) instead of retrieval/weights/reader.onnx")
    parser.add_argument("--cross-readers", type=lambda text: [Path(p) for p in text.split(",")],
                        help="with --reader: A.onnx,B.onnx, readers fitted on one fold of our documents each "
                             "(fit_reader.py --ours a / b); every fit question is read by the one not fitted on its document")
    args = parser.parse_args()
    reader = None
    if args.reader:
        from retrieval.answering.reader import Reader

        reader = Reader(args.reader_file, args.reader_file.with_suffix(".json")) if args.reader_file else Reader()
        Features.with_reader(AnswerModel.load(WEIGHTS).select)
        if args.output == WEIGHTS:
            args.output = READER_WEIGHTS
    names = args.stores.split(",")
    items = load_items()
    check_gold(items)
    items = [i for i in items if i.store in names]
    news_fit = [i for i in items if i.store == "news" and i.split == "fit"]
    if len(news_fit) > args.news_questions:  # a fixed sample keeps fitting to minutes on 2 cores
        keep = {id(i) for i in random.Random(SEED).sample(news_fit, args.news_questions)}
        items = [i for i in items if not (i.store == "news" and i.split == "fit") or id(i) in keep]
    stores = {name: open_store(name) for name in names}
    if not args.measure:
        answerers = {name: Answerer(engine.kb, reader=reader) for name, engine in stores.items()}
        rng = random.Random(SEED)
        fit_items = [i for i in items if i.split == "fit"]
        print(f"fitting on {len(fit_items)} questions", file=sys.stderr)
        if reader is not None and args.cross_readers:
            examples = collect_cross_read(stores, args.cross_readers, fit_items, rng)
        else:
            if reader is not None and reader.info.get("ours", "all") != "none":
                print("warning: the reader was fitted on these questions; its scores here are better than on "
                      "unseen text (give --other-reader)", file=sys.stderr)
            examples = collect(answerers, fit_items, rng)
        model = fit(answerers, examples, args.learners.split(","))
        if reader is not None:
            model.prerank = Features.prerank
            model.info["reader_onnx_sha256"] = reader.info["onnx_sha256"]
            model.info["reader"] = {k: reader.info.get(k) for k in ("layers", "max_length", "data_sha256", "command", "ours")}
            if args.cross_readers:
                model.info["cross_read_by"] = [
                    {k: info.get(k) for k in ("onnx_sha256", "data_sha256", "command", "ours")}
                    for info in (json.loads(p.with_suffix(".json").read_text(encoding="utf-8")) for p in args.cross_readers)]
        if args.dry_run:
            for answerer in answerers.values():
                answerer._model = model
        else:
            model.save(args.output)
            print(f"wrote {args.output}")
        if args.fit_only:
            return
    model = AnswerModel.load(args.output) if args.measure or not args.dry_run else model
    answerers = {name: Answerer(engine.kb, model, reader=reader if model.prerank is not None else None)
                 for name, engine in stores.items()}
    held = [i for i in items if i.split == "heldout"]
    if args.held_limit:
        held = [i for store in names for i in [h for h in held if h.store == store][:args.held_limit]]
    if args.english_only:
        held = []
    results = {} if "news" not in names or not held else {
        "news held-out (all 398 articles in store)": measure(answerers, [i for i in held if i.store == "news"], "news held-out"),
        "news held-out, source left out (must refuse)": measure(answerers, [i for i in held if i.store == "news"],
                                                               "news held-out leave-source-out", left_out=True),
        "news held-out, no diacritics": measure(answerers, [i for i in held if i.store == "news"],
                                                "news held-out unaccented", without_diacritics=True),
        "news held-out, no diacritics, source left out": measure(
            answerers, [i for i in held if i.store == "news"], "news held-out unaccented leave-source-out",
            left_out=True, without_diacritics=True)}
    results |= {} if "regulations" not in names or not held else {
        "regulations held-out": measure(answerers, [i for i in held if i.store == "regulations"], "regulations held-out"),
        "regulations held-out, no diacritics": measure(answerers, [i for i in held if i.store == "regulations"],
                                                       "regulations held-out unaccented", without_diacritics=True),
        "regulations held-out, source left out (must refuse)": measure(
            answerers, [i for i in held if i.store == "regulations" and i.gold["sources"]],
            "regulations held-out leave-source-out", left_out=True),
    }
    results |= {} if "regulations2" not in names or not held else {
        "regulations-dev2 held-out": measure(answerers, [i for i in held if i.store == "regulations2"],
                                             "regulations-dev2 held-out"),
        "regulations-dev2 held-out, source left out": measure(
            answerers, [i for i in held if i.store == "regulations2" and i.gold["sources"]],
            "regulations-dev2 held-out leave-source-out", left_out=True),
    }
    # Asked in English (training/translated.py): the held-back questions' English versions, and those
    # of the regulations-dev2 questions (written in the thirteenth session).
    in_english = [(gold, "news" if gold["id"].startswith("uit") else "regulations") for gold in held_english()]
    in_english += [(gold, "regulations2") for gold in held_english2()]
    english = [Item(gold, store, "heldout", (gold["sources"] or ["none:" + gold["id"]])[0]) for gold, store in in_english]
    for store, label in (("news", "news"), ("regulations", "regulations"), ("regulations2", "regulations-dev2")):
        if store in names:
            part = [i for i in english if i.store == store]
            results[f"{label} held-out, in English"] = measure(answerers, part, f"{label} held-out English")
            results[f"{label} held-out, in English, source left out"] = measure(
                answerers, [i for i in part if i.gold["sources"]], f"{label} held-out English leave-source-out", left_out=True)
    if args.tradeoff and "news" in names:
        shipped = model.threshold
        # Just above 0: a question with no admissible candidate has confidence 0 and is refused, as always.
        model.threshold, model.structured_threshold = 1e-9, 1e-9
        tradeoff(answerers, [i for i in held if i.store == "news"], "news held-out trade-off",
                 sorted({0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, round(shipped, 2)}))
    if args.answers:
        args.answers.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in ANSWERS), encoding="utf-8")
    if args.show_failures:
        for name, result in results.items():
            print(f"\n# {name}")
            print("\n".join(result["failures"][:60]))


if __name__ == "__main__":
    main()
