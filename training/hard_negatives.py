"""The reader's hardest negatives: what our own first ranking puts ahead for fitted questions.

    .venv/bin/python -m training.hard_negatives   # writes training/.cache/reader/hard.jsonl

For every question of the news, regulation and seed sets (both splits: held-out groups are only
measured on), the engine's candidates are ranked by the shipped first ranking (the selection
model without the reader); the best-ranked candidate holding the gold answer is the positive and
the best-ranked others are the negatives, each as the reader reads it (heading path + sentence).
The reader then learns to tell apart exactly what it is shown when answering.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.vietnamese import normalize  # noqa: E402
from retrieval.question import analyze, clean_question  # noqa: E402
from retrieval.reader import reader_text  # noqa: E402
from retrieval.scorer import READER_WEIGHTS, AnswerModel  # noqa: E402
from training.fit_answer_model import _norm, load_items  # noqa: E402
from training.stores import open_store  # noqa: E402

OUTPUT = ROOT / "training" / ".cache" / "reader" / "hard.jsonl"
KEEP = 12  # negatives kept per question (the reader reads 8 when answering)


def main() -> None:
    prerank = AnswerModel.load(READER_WEIGHTS).prerank
    items = [i for i in load_items() if i.store != "regulations2" and i.gold["answers"] and i.gold["sources"]]
    engines: dict[str, object] = {}
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    started, written = time.monotonic(), 0
    with OUTPUT.open("w", encoding="utf-8") as out:
        for position, item in enumerate(items, 1):
            if item.store not in engines:
                engines[item.store] = open_store(item.store).answerer
            answerer = engines[item.store]
            text = normalize(clean_question(item.gold["question"], 1000))
            q = analyze(text)
            snapshot = answerer.kb.snapshot()
            candidates = answerer.describer.candidates(q, answerer.query_vector(text), snapshot,
                                                       answerer.kb.dense_search, frozenset())
            if not candidates:
                continue
            rows = np.asarray([c.vector(prerank.features) for c in candidates], dtype=np.float64)
            order = np.argsort(-prerank.probabilities(rows), kind="stable")
            answers = [_norm(a) for a in item.gold["answers"]]
            sources = set(item.gold["sources"])
            positive, negatives = None, []
            for i in order:
                c = candidates[int(i)]
                passage = snapshot.passages[snapshot.sentences[c.index].passage]
                sentence = answerer.describer.evidence_text(snapshot, c.index)
                read = reader_text(passage.heading, sentence)
                if any(a in _norm(sentence) for a in answers):
                    if positive is None and passage.document["source"] in sources:
                        positive = read
                    continue  # another sentence stating the answer is no negative
                if len(negatives) < KEEP and read not in negatives:
                    negatives.append(read)
            if positive is None or not negatives:
                continue
            out.write(json.dumps({"question": item.gold["question"], "positive": positive, "negatives": negatives,
                                  "source": item.store, "split": item.split}, ensure_ascii=False) + "\n")
            written += 1
            if position % 200 == 0:
                print(f"{position}/{len(items)} questions, {written} groups, {time.monotonic() - started:.0f} s",
                      file=sys.stderr, flush=True)
    print(f"wrote {written} groups to {OUTPUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
