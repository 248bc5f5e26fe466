"""Held-back questions asked of an office's whole store: procedures, regulations and the shipped
articles together (training/stores.py "mixed"), through AnswerEngine.ask — the one answer path
with its route, as served.

    .venv/bin/python training/measure_mixed.py [--show N]

Sets (only measured on): training/regulation_questions.jsonl split "heldout", the regulations-dev2
questions (training/regulation_questions_dev2.jsonl) and training/procedure_questions.jsonl split
"heldout" (held procedures; the ones left out of the procedures store are not in this store either).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from retrieval.answering.evaluation import judge  # noqa: E402
from training.stores import open_store  # noqa: E402


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--show", type=int, default=0, help="failures to print per set")
    args = parser.parse_args()
    sets = {
        "regulations held-out": [q for q in _jsonl(ROOT / "training" / "regulation_questions.jsonl")
                                 if q["split"] == "heldout"],
        "regulations-dev2 held-out": _jsonl(ROOT / "training" / "regulation_questions_dev2.jsonl"),
        "procedures held-back": [q for q in _jsonl(ROOT / "training" / "procedure_questions.jsonl")
                                 if q["split"] == "heldout"],
    }
    engine = open_store("mixed")
    for name, items in sets.items():
        right, refused, not_held, failures = 0, 0, 0, []
        for gold in items:
            answer = engine.ask(gold["question"]).to_dict()
            ok, why = judge(gold, answer)
            right += ok
            refused += answer["refused"]
            not_held += "không có thủ tục bạn hỏi" in answer["answer"]
            if not ok:
                failures.append(f"  {gold['id']}: {why} | {gold['question']} | {answer['answer'][:100]!r}")
        print(f"{name}: {right}/{len(items)} = {right / len(items):.3f} (refused {refused}, "
              f"of them \"procedure not held\" {not_held})", flush=True)
        print("\n".join(failures[:args.show]))


if __name__ == "__main__":
    main()
