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

from config.settings import Settings  # noqa: E402
from retrieval.answering import procedures as proc  # noqa: E402
from retrieval.engine import AnswerEngine  # noqa: E402
from retrieval.answering.evaluation import judge  # noqa: E402
from vietnamese.text import fold  # noqa: E402

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


class LoadedRegistry:
    """The registry's reading side over files loaded in this process (knowledge.loaders), for
    --records-only: the record path without building the vector store."""

    def __init__(self, files: list[Path]) -> None:
        from knowledge.loaders import load_file

        cached = CACHE / "loaded.json"  # loading 330 files (PDFs above all) takes minutes on a busy machine
        names = sorted(p.name for p in files)
        if cached.exists() and json.loads(cached.read_text())["names"] == names:
            self.rows = json.loads(cached.read_text())["rows"]
            return
        self.rows = {}
        for path in files:
            d = load_file(path)
            self.rows[d.doc_id] = {"doc_id": d.doc_id, "source": d.source, "text": d.text, "title": d.title,
                                   "publisher": d.publisher, "date": d.date, "version": 1,
                                   "content_hash": d.content_hash}
        cached.write_text(json.dumps({"names": names, "rows": self.rows}, ensure_ascii=False))

    def generation(self) -> int:
        return 1

    def live_changes(self, known, with_chunks=True):
        return 1, frozenset(self.rows), {k: v for k, v in self.rows.items() if k not in (known or ())}, []


class RecordsOnly:
    """AnswerEngine.ask's record step alone: a procedure question the records do not take is
    counted as passed on to the passage path (an empty, unrefused answer)."""

    def __init__(self, files: list[Path]) -> None:
        from retrieval.answering.question import clean_question
        from vietnamese.text import normalize

        self.procedures = proc.ProcedureAnswerer(proc.ProcedureBook(LoadedRegistry(files)))
        self._clean = lambda q: normalize(clean_question(q, 1000))

    def ask(self, question: str):
        from knowledge.answers import Answer

        started = time.perf_counter()
        answer = self.procedures.answer(self._clean(question)) or Answer(question, "(passage path)", False)
        answer.latency_ms = (time.perf_counter() - started) * 1000
        return answer


def fit(questions: list[dict], engine) -> None:
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
    grid = itertools.product([0.8, 0.9, 0.95], [0.3, 0.4, 0.5, 0.6, 0.7],
                             [0.02, 0.05, 0.1, 0.15, 0.2, 0.3], [0.3], [0.5, 1, 2, 3], [2, 3, 5, 8, 99])
    for explained, named, margin, lead, missing, unsaid in grid:
        right_held = n_held = right_out = n_out = 0
        for _, asked, matches, target in rows:
            d = proc.decide(asked, matches, explained, named, margin, lead, missing, unsaid)
            if target is not None:
                n_held += 1
                right_held += d.kind == "answer" and d.matches[0].held is target
            else:
                n_out += 1
                right_out += d.kind != "answer"
        score = 0.5 * right_held / max(n_held, 1) + 0.5 * right_out / max(n_out, 1)
        if best is None or score > best[0]:
            best = (score, explained, named, margin, lead, missing, unsaid, right_held, n_held, right_out, n_out)
    score, explained, named, margin, lead, missing, unsaid, rh, nh, ro, no = best
    print(f"fitted on the fit split: EXPLAINED_MIN={explained} NAMED_MIN={named} MARGIN={margin} LEAD_MIN={lead} "
          f"MISSING_MAX={missing} UNSAID_MAX={unsaid}: "
          f"named the right held procedure {rh}/{nh}, left-out not answered {ro}/{no}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fit", action="store_true")
    parser.add_argument("--show", type=int, default=15, help="failures to print")
    parser.add_argument("--records-only", action="store_true",
                        help="the record step alone, over the files loaded in this process (no vector store)")
    args = parser.parse_args()
    if args.records_only:
        started = time.monotonic()
        engine = RecordsOnly(sorted(FILES.iterdir()))
        built = {"files": len(list(FILES.iterdir())), "seconds": round(time.monotonic() - started, 1),
                 "passages": "(not built: records only)"}
    else:
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

    print(f"store: {built['files']} files {'loaded' if args.records_only else 'ingested'} in {built['seconds']} s, "
          f"{built['passages']} passages")
    for split in ("heldout", "fit"):
        held = [r for r in results if r[0]["split"] == split and r[0]["set"] == "held"]
        out = [r for r in results if r[0]["split"] == split and r[0]["set"] == "left_out"]
        no_value = [r for r in out if r[1]["refused"] or r[1].get("choices")]
        from_record = [r for r in out if r[1].get("records") and "procedure" in r[1]["records"][0]]
        print(f"{split}: held procedures {share(held)}; left out of the store: refused or choice list "
              f"{len(no_value)}/{len(out)}, answered from another procedure's record {len(from_record)}/{len(out)}, "
              f"passed on to the passage path {len(out) - len(no_value) - len(from_record)}/{len(out)}; "
              f"choice lists on held {sum(bool(r[1].get('choices')) for r in held)}")
        kinds: dict[str, list[bool]] = {}
        for r in held:
            kinds.setdefault(r[0]["kind"], []).append(r[2])
        print("   by field: " + ", ".join(f"{k} {sum(v)}/{len(v)}" for k, v in sorted(kinds.items())))
        unaccented = [r for r in held if r[0]["question"].lower() == fold(r[0]["question"])]
        print(f"   unaccented: {share(unaccented)}")
    record = [r[1]["latency_ms"] for r in results if r[1].get("records") and r[1]["records"] and "procedure" in r[1]["records"][0]]
    if record:
        q = statistics.quantiles(record, n=20)
        print(f"record answers: {len(record)}, p50 {statistics.median(record):.1f} ms, p95 {q[18]:.1f} ms")
    failures = [r for r in results if not r[2] and r[0]["set"] == "left_out"][:args.show // 2]
    failures += [r for r in results if not r[2] and r[0]["set"] != "left_out"][:args.show - len(failures)]
    for q, got, _, why in failures:
        print(f"  [{q['split']}/{q['kind']}] {why} | {q['question']} | want {q['answers'][:2]} | got {got['answer'][:160]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
