"""Measure procedure answers: the store of rendered procedures, every question of
training/procedure_questions.jsonl through AnswerEngine.ask, scored with the shared scorer's rules.

    .venv/bin/python training/render_procedures.py     # the files and the questions (once)
    .venv/bin/python training/measure_procedures.py    # builds the store once, then measures
    .venv/bin/python training/measure_procedures.py --fit   # also: the name-match thresholds, fitted
                                                            # on the fit split only

The store (the shipped articles + every rendered file) is cached under training/.cache/procedures/
store; its ingest time and passage count are kept beside it.
"""
from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ngoaivu.settings import Settings  # noqa: E402
from retrieval import procedures as proc  # noqa: E402
from retrieval.engine import AnswerEngine  # noqa: E402
from retrieval.evaluation import judge  # noqa: E402

CACHE = ROOT / "training" / ".cache" / "procedures"
FILES = CACHE / "files"
STORE = CACHE / "store"
QUESTIONS = ROOT / "training" / "procedure_questions.jsonl"


def open_store() -> tuple[AnswerEngine, dict]:
    done = STORE / "complete.json"
    engine = AnswerEngine.open(Settings(data_dir=STORE))
    if not done.exists():
        files = sorted(FILES.iterdir())
        started = time.monotonic()
        for position, path in enumerate(files, 1):
            engine.ingest(path, actor="training")
            if position % 25 == 0:
                print(f"ingest {position}/{len(files)} {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
        seconds = time.monotonic() - started
        passages = sum(d.get("chunks", 0) for d in engine.documents() if d["source"] in {p.name for p in files})
        done.write_text(json.dumps({"files": len(files), "seconds": round(seconds, 1), "passages": passages}))
    return engine, json.loads(done.read_text())


def fit(questions: list[dict], engine: AnswerEngine) -> None:
    """Grid search of the match thresholds on the fit split only: right answers on held procedures
    plus refusals (or choice lists) on left-out ones, each half weighted equally."""
    book = engine.procedures.book
    held = book.current()
    fit_qs = [q for q in questions if q["split"] == "fit"]
    by_source = {h.document.get("source"): h for h in held}
    rows = []
    for q in fit_qs:
        asked = proc.read_question(q["question"])
        if asked.codes:
            continue
        matches = proc.rank(book, held, asked.words)
        target = by_source.get(q["sources"][0]) if q["sources"] else None
        rows.append((q, asked, matches, target))
    best = None
    grid = itertools.product([0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95], [0.3, 0.4, 0.5, 0.6, 0.7],
                             [0.02, 0.04, 0.06, 0.08, 0.1], [0.3, 0.45])
    for explained, named, margin, lead in grid:
        right_held = n_held = right_out = n_out = 0
        for q, asked, matches, target in rows:
            d = proc.decide(asked, matches, explained, named, margin, lead)
            if target is not None:
                n_held += 1
                right_held += d.kind == "answer" and d.matches[0].held is target
            else:
                n_out += 1
                right_out += d.kind != "answer"
        score = 0.5 * right_held / max(n_held, 1) + 0.5 * right_out / max(n_out, 1)
        if best is None or score > best[0]:
            best = (score, explained, named, margin, lead, right_held, n_held, right_out, n_out)
    score, explained, named, margin, lead, rh, nh, ro, no = best
    print(f"fitted on the fit split: EXPLAINED_MIN={explained} NAMED_MIN={named} MARGIN={margin} LEAD_MIN={lead}: "
          f"named the right held procedure {rh}/{nh}, left-out not answered {ro}/{no}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fit", action="store_true")
    parser.add_argument("--show", type=int, default=15, help="failures to print")
    args = parser.parse_args()
    engine, built = open_store()
    questions = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    engine.ask("lệ phí thủ tục")  # read the records once before timing
    if args.fit:
        fit(questions, engine)
    results = []
    for q in questions:
        got = engine.ask(q["question"]).to_dict()
        ok, why = judge(q, got)
        results.append((q, got, ok, why))

    def share(rows):
        return f"{sum(r[2] for r in rows)}/{len(rows)} = {sum(r[2] for r in rows) / max(len(rows), 1):.3f}"

    print(f"store: {built['files']} files ingested in {built['seconds']} s, {built['passages']} passages")
    for split in ("heldout", "fit"):
        held = [r for r in results if r[0]["split"] == split and r[0]["set"] == "held"]
        out = [r for r in results if r[0]["split"] == split and r[0]["set"] == "left_out"]
        no_value = [r for r in out if r[1]["refused"] or r[1].get("choices")]
        print(f"{split}: held procedures {share(held)}; left out of the store: refused or choice list "
              f"{len(no_value)}/{len(out)}; choice lists on held {sum(bool(r[1].get('choices')) for r in held)}")
        kinds: dict[str, list[bool]] = {}
        for r in held:
            kinds.setdefault(r[0]["kind"], []).append(r[2])
        print("   by field: " + ", ".join(f"{k} {sum(v)}/{len(v)}" for k, v in sorted(kinds.items())))
        unaccented = [r for r in held if r[0]["question"].lower() == __import__("knowledge.vietnamese", fromlist=["fold"]).fold(r[0]["question"])]
        print(f"   unaccented: {share(unaccented)}")
    record = [r[1]["latency_ms"] for r in results if r[1].get("records") and r[1]["records"] and "procedure" in r[1]["records"][0]]
    if record:
        q = statistics.quantiles(record, n=20)
        print(f"record answers: {len(record)}, p50 {statistics.median(record):.1f} ms, p95 {q[18]:.1f} ms")
    for q, got, ok, why in [r for r in results if not r[2]][:args.show]:
        print(f"  [{q['split']}/{q['kind']}] {why} | {q['question']} | want {q['answers'][:2]} | got {got['answer'][:160]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
