"""Fit the one answer path's decision (retrieval/route.py): record, passage or refusal.

    .venv/bin/python training/fit_route.py            # collect (cached) and fit -> retrieval/weights/route.json
    .venv/bin/python training/fit_route.py --recollect

Fit questions only, each asked of the store it is about (built once and cached, git-ignored):
- procedures (training/measure_procedures.py's store): training/procedure_questions.jsonl split "fit"
  (held procedures and the fit procedures left out of the store) and the fit questions of
  training/procedure_list_questions.jsonl;
- seeds (the shipped articles): the conference-series questions training/series_questions.jsonl;
- regulations: training/regulation_questions.jsonl split "fit" and training/regulation_questions_more.jsonl;
- news: the UIT-ViNewsQA fit split (news_NNN with NNN % 10 < 7);
- and, asked of the procedures store (which holds the shipped articles too), the calibration questions
  of the shipped articles (training/calibration_questions.jsonl) and the series questions: there procedure
  records may take a question that is not about a procedure;
- mixed (training/stores.py: the procedures, the regulations and the shipped articles together): the
  regulation and procedure fit questions, as an office that holds both is asked them.
Only a question that gets a record candidate has anything to decide; for each, the record answer
and the passage answer are judged with the shared scorer's rules (a list: its exact set of codes),
and the label is the first that is right of: the record, the passage, a refusal (a refusal beats a
wrong answer). A three-way logistic model is fitted on those rows (C chosen by 5-fold
cross-validation on them: right choices); the weights record the feature names, the rows' hash,
this command and the sha256 of the passage model whose confidences they read.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "training"))

from vietnamese.text import normalize  # noqa: E402
from retrieval.answering import route  # noqa: E402
from retrieval.answering.evaluation import judge  # noqa: E402
from retrieval.answering.question import clean_question  # noqa: E402
from retrieval.answering.scorer import READER_WEIGHTS, WEIGHTS  # noqa: E402

CACHE = ROOT / "training" / ".cache"
DATASETS = ROOT.parent / "shared" / "datasets"
SEED = 20


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def questions() -> dict[str, list[dict]]:
    """Fit questions by the store they are asked of."""
    procedures = [q for q in _jsonl(ROOT / "training" / "procedure_questions.jsonl") if q["split"] == "fit"]
    lists = [{**q, "list": True} for q in _jsonl(ROOT / "training" / "procedure_list_questions.jsonl")
             if q["split"] == "fit"]
    regulations = [q for q in _jsonl(ROOT / "training" / "regulation_questions.jsonl") if q["split"] == "fit"]
    regulations += _jsonl(ROOT / "training" / "regulation_questions_more.jsonl")
    news = [q for q in _jsonl(DATASETS / "vinewsqa-test" / "gold.jsonl")
            if int(q["sources"][0].split("_")[1].split(".")[0]) % 10 < 7]
    series = _jsonl(ROOT / "training" / "series_questions.jsonl")
    calibration = _jsonl(ROOT / "training" / "calibration_questions.jsonl")
    # The procedures store holds the shipped articles too: there, questions about the articles meet
    # procedure records that may take them wrongly, the cases the decision must learn to give to
    # the passages.
    # An office holds regulations and procedures together: there a regulation question with a
    # field cue ("bao lâu", "hồ sơ", "điều kiện") meets procedure names too.
    return {"procedures": procedures + lists, "seeds": series, "regulations": regulations, "news": news,
            "procedures_beside": calibration + series, "mixed": regulations + procedures}


def open_engine(store: str):
    if store in ("procedures", "procedures_beside"):
        from measure_procedures import open_store
        return open_store()[0]
    from training.stores import open_store
    return open_store(store)


def passage_model_path(engine) -> Path:
    engine.answerer.model  # noqa: B018 - loads the reader and the model that goes with it
    return READER_WEIGHTS if engine.answerer.reader is not None else WEIGHTS


def right_list(gold: dict, got: dict) -> bool:
    codes = set() if got.get("refused") else {r.get("code") for r in got.get("records") or [] if "list" in r}
    return codes == set(gold["codes"])


def collect(store: str, items: list[dict]) -> list[dict]:
    """The rows of one store's questions that get a record candidate."""
    rows = []
    engine = open_engine(store)
    passage_model = route.file_sha256(passage_model_path(engine))
    started = time.monotonic()
    for gold in items:
        text = normalize(clean_question(gold["question"], 1000))
        engine.kb.begin_question()
        record = engine.record_candidate(text)
        if record is None:
            continue
        passage = engine.answerer.answer(text, engine.answerer.query_vector(text))
        got_record, got_passage = record.answer.to_dict(), passage.to_dict()
        if gold.get("list"):
            record_right, passage_right, refuse_right = right_list(gold, got_record), False, not gold["codes"]
        else:
            record_right, passage_right = judge(gold, got_record)[0], judge(gold, got_passage)[0]
            refuse_right = not gold["answers"]
        rows.append({"id": gold["id"], "store": store, "kind": record.evidence.get("kind"),
                     "premise_refuted": route.premise_refuted(record, passage, engine.procedures.book.doc_ids()),
                     "features": route.features(record, passage), "record_right": record_right,
                     "passage_right": passage_right, "refuse_right": refuse_right,
                     "passage_model_sha256": passage_model})
    print(f"{store}: {len(items)} questions, {len(rows)} with a record candidate, "
          f"{time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    return rows


def all_rows(recollect: bool) -> list[dict]:
    """Every store's rows, each store's cached under training/.cache (collected once)."""
    rows = []
    for store, items in questions().items():
        cached = CACHE / f"route_rows_{store}.jsonl"
        if recollect or not cached.exists():
            fresh = collect(store, items)
            cached.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in fresh), encoding="utf-8")
        rows.extend(_jsonl(cached))
    if len({r["passage_model_sha256"] for r in rows}) > 1:
        raise SystemExit("rows collected with different passage models: collect again (--recollect)")
    return rows


def label(row: dict) -> int:
    if row["record_right"]:
        return 0
    if row["passage_right"]:
        return 1
    return 2


def right_of(row: dict, choice: int) -> bool:
    return [row["record_right"], row["passage_right"], row["refuse_right"] or
            (row["record_right"] and bool(row["features"]["record_refused"]))][choice]


def fit_model(x: np.ndarray, y: np.ndarray, c: float):
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    model = LogisticRegression(C=c, max_iter=5000)
    model.fit((x - mean) / scale, y)
    coef = np.zeros((len(route.CHOICES), x.shape[1]))
    intercept = np.full(len(route.CHOICES), -30.0)  # a choice never seen right in the data is never made
    for i, k in enumerate(model.classes_):
        if len(model.classes_) == 2:  # binary: sklearn keeps one row, for the second class
            coef[k] = model.coef_[0] * (1 if i == 1 else -1) / 2
            intercept[k] = model.intercept_[0] * (1 if i == 1 else -1) / 2
        else:
            coef[k], intercept[k] = model.coef_[i], model.intercept_[i]
    return mean, scale, coef, intercept


def choices_of(mean, scale, coef, intercept, x: np.ndarray) -> np.ndarray:
    return np.argmax(((x - mean) / scale) @ coef.T + intercept, axis=1)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recollect", action="store_true")
    args = parser.parse_args()
    rows = all_rows(args.recollect)
    # A "not held" whose premise the passage answer refutes goes to the passage before the fitted
    # decision is asked (retrieval.answering.route.premise_refuted): those rows are not the model's to fit.
    ruled = [r for r in rows if r.get("premise_refuted")]
    rows = [r for r in rows if not r.get("premise_refuted")]
    print(f"premise refuted (passage answers): {len(ruled)} rows, right {sum(right_of(r, 1) for r in ruled)}, "
          f"records first right {sum(right_of(r, 0) for r in ruled)}")
    x = np.asarray([[r["features"][name] for name in route.FEATURES] for r in rows], dtype=np.float64)
    y = np.asarray([label(r) for r in rows])
    rng = np.random.default_rng(SEED)
    folds = rng.permutation(len(rows)) % 5
    before = sum(right_of(r, 0) for r in rows)  # the order used before: the record always
    best = None
    for c in (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0):
        chosen = np.zeros(len(rows), dtype=int)
        for k in range(5):
            train, test = folds != k, folds == k
            chosen[test] = choices_of(*fit_model(x[train], y[train], c), x[test])
        right = sum(right_of(r, int(ch)) for r, ch in zip(rows, chosen))
        print(f"C={c}: cross-fitted right {right}/{len(rows)} (records first: {before}/{len(rows)})")
        if best is None or right > best[0]:
            best = (right, c, chosen)
    right, c, chosen = best
    by_store = {}
    for r, ch in zip(rows, chosen):
        s = by_store.setdefault(r["store"], [0, 0, 0])
        s[0] += 1
        s[1] += right_of(r, 0)
        s[2] += right_of(r, int(ch))
    mean, scale, coef, intercept = fit_model(x, y, c)
    data = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows).encode()
    info = {
        "command": "python training/fit_route.py", "fitted": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "data_sha256": hashlib.sha256(data).hexdigest(), "rows": len(rows), "C": c,
        "passage_model_sha256": rows[0]["passage_model_sha256"],
        "cross_fitted": {"right": right, "records_first": before, "rows": len(rows),
                         "by_store": {k: {"rows": v[0], "records_first": v[1], "route": v[2]}
                                      for k, v in by_store.items()}},
        "labels": {name: int((y == i).sum()) for i, name in enumerate(route.CHOICES)},
        "premise_refuted": {"rows": len(ruled), "passage_right": sum(right_of(r, 1) for r in ruled),
                            "records_first_right": sum(right_of(r, 0) for r in ruled)},
    }
    model = route.RouteModel(route.FEATURES, mean, scale, coef, intercept, info)
    route.WEIGHTS.write_text(json.dumps(model.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(info["cross_fitted"], ensure_ascii=False))
    print(f"labels {info['labels']}; wrote {route.WEIGHTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
