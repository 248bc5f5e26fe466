"""Every question of the dev set (accented and stripped of accents), the calibration questions and
the procedure questions through `AnswerEngine.ask`, one JSON line each: a refactor must leave this
file unchanged, question by question.

    .venv/bin/python scripts/answers_dump.py --seeds-store DIR --procedure-store DIR > answers.jsonl
    diff before.jsonl after.jsonl

The seeds store holds the shipped articles (built in DIR on first use); the procedure store is the
one training/measure_procedures.py builds (training/.cache/procedures/store). Stores are opened
as they are: give each run its own copy, since opening one may refresh its caches.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config.settings import Settings  # noqa: E402
from retrieval.engine import AnswerEngine  # noqa: E402
from vietnamese.text import strip_diacritics  # noqa: E402

DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"
CALIBRATION = ROOT / "training" / "calibration_questions.jsonl"
PROCEDURES = ROOT / "training" / "procedure_questions.jsonl"


def questions(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def dump(engine: AnswerEngine, label: str, items: list[dict], stripped: bool = False) -> None:
    for item in items:
        question = strip_diacritics(item["question"]) if stripped else item["question"]
        answer = engine.ask(question)
        line = {"set": label, "id": item.get("id", ""), "question": question, "answer": answer.answer,
                "refused": answer.refused, "fact": answer.fact,
                "citations": [c.to_dict() for c in answer.citations],
                "records": answer.records, "choices": answer.choices}
        print(json.dumps(line, ensure_ascii=False), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds-store", type=Path, required=True)
    parser.add_argument("--procedure-store", type=Path, required=True)
    parser.add_argument("--dev", type=Path, default=DEV, help="the shared dev set (default: %(default)s)")
    args = parser.parse_args()
    seeds = AnswerEngine.open(Settings(data_dir=args.seeds_store))
    dump(seeds, "dev", questions(args.dev))
    dump(seeds, "dev-stripped", questions(args.dev), stripped=True)
    dump(seeds, "calibration", questions(CALIBRATION))
    del seeds
    procedures = AnswerEngine.open(Settings(data_dir=args.procedure_store))
    dump(procedures, "procedures", questions(PROCEDURES))


if __name__ == "__main__":
    main()
