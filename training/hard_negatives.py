"""The reader's hardest negatives: what our own first ranking puts ahead for fitted questions.

    .venv/bin/python -m training.hard_negatives   # writes training/.cache/reader/hard.jsonl

For every question of the news, regulation and seed sets (both splits: held-out groups are only
measured on), and the English version of each fit question (`training/translated.py`), the engine's candidates are ranked by the shipped first ranking (the selection
model without the reader); the best-ranked candidate holding the gold answer is the positive and
the best-ranked others are the negatives, each as the reader reads it (heading path + sentence).
The reader then learns to tell apart exactly what it is shown when answering.

`elsewhere` holds what the first ranking puts ahead when the question's own document is left out
of the store (and, for an out-of-scope question, what it puts ahead at all): sentences that must
not read as an answer. The reader learns from them that nothing may answer (its "no answer" option).
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vietnamese.text import normalize  # noqa: E402
from retrieval.answering.question import analyze, clean_question  # noqa: E402
from retrieval.answering.reader import reader_text  # noqa: E402
from retrieval.answering.scorer import READER_WEIGHTS, AnswerModel  # noqa: E402
from training.fit_answer_model import _norm, load_items  # noqa: E402
from training.stores import open_store  # noqa: E402
from training.translated import english_versions  # noqa: E402

OUTPUT = ROOT / "training" / ".cache" / "reader" / "hard.jsonl"
KEEP = 12  # negatives kept per question (the reader reads 8 when answering)


def main() -> None:
    prerank = AnswerModel.load(READER_WEIGHTS).prerank
    english = english_versions()
    asked = [(i, i.gold["question"], i.store) for i in load_items() if i.store != "regulations2"]
    asked += [(i, english[i.gold["id"]], i.store + "-en") for i, _, _ in asked
              if i.split == "fit" and i.gold["id"] in english]
    engines: dict[str, object] = {}
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    started, written = time.monotonic(), 0
    with OUTPUT.open("w", encoding="utf-8") as out:
        for position, (item, question, kind) in enumerate(asked, 1):
            if item.store not in engines:
                engines[item.store] = open_store(item.store).answerer
            answerer = engines[item.store]
            text = normalize(clean_question(question, 1000))
            q = analyze(text)
            snapshot = answerer.kb.snapshot()
            vector = answerer.query_vector(text)
            answers = [_norm(a) for a in item.gold["answers"]]
            sources = frozenset(item.gold["sources"])

            def ranked(exclude: frozenset[str]) -> list[tuple[str, str, str]]:
                """(reader text, sentence, source) of the candidates, best first by the first ranking."""
                candidates = answerer.describer.candidates(q, vector, snapshot, answerer.kb.dense_search, exclude)
                if not candidates:
                    return []
                rows = np.asarray([c.vector(prerank.features) for c in candidates], dtype=np.float64)
                out = []
                for i in np.argsort(-prerank.probabilities(rows), kind="stable"):
                    c = candidates[int(i)]
                    passage = snapshot.passages[snapshot.sentences[c.index].passage]
                    sentence = answerer.describer.evidence_text(snapshot, c.index)
                    out.append((reader_text(passage.heading, sentence), sentence, passage.document["source"]))
                return out

            positive, negatives = None, []
            if answers and sources:
                for read, sentence, source in ranked(frozenset()):
                    if any(a in _norm(sentence) for a in answers):
                        if positive is None and source in sources:
                            positive = read
                        continue  # another sentence stating the answer is no negative
                    if len(negatives) < KEEP and read not in negatives:
                        negatives.append(read)
            elsewhere: list[str] = []
            for read, sentence, _ in ranked(sources):
                if len(elsewhere) >= KEEP:
                    break
                if not any(a in _norm(sentence) for a in answers) and read not in elsewhere:
                    elsewhere.append(read)
            if (positive is None or not negatives) and not elsewhere:
                continue
            out.write(json.dumps({"question": question, "positive": positive, "negatives": negatives,
                                  "elsewhere": elsewhere, "source": kind, "split": item.split,
                                  "document": item.group}, ensure_ascii=False) + "\n")
            written += 1
            if position % 200 == 0:
                print(f"{position}/{len(asked)} questions, {written} groups, {time.monotonic() - started:.0f} s",
                      file=sys.stderr, flush=True)
    print(f"wrote {written} groups to {OUTPUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
