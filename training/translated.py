"""Our questions asked in English, as officers and visitors also ask them of Vietnamese documents.

Translators who never saw the engine nor an answer wrote an English version of 983 questions of the
fit split (700 UIT-ViNewsQA questions of fitted articles, and our regulation and calibration
questions; `training/english_questions.jsonl`: id → English question, the gold answer stays the
Vietnamese span) and of 243 held-back ones (`training/blind/english_held.jsonl`: 200 news, 43
regulation questions, with their gold; only measured on). The reader and the answer model are
fitted on the first so that an English question is read, ranked and refused as well as a
Vietnamese one; Vietnamese names are typed without diacritics, as an English writer does.
"""
from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIT = ROOT / "training" / "english_questions.jsonl"
HELD = ROOT / "training" / "blind" / "english_held.jsonl"
# Written later (2026-12-06, thirteenth session), by translators who never saw the engine: the
# questions on regulations-dev2 (training/regulation_questions_dev2.jsonl and training/blind/regs3.jsonl)
# in English, a held-back set for the model of questions in English.
HELD2 = ROOT / "training" / "blind" / "english_held2.jsonl"


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def english_versions() -> dict[str, str]:
    """Question id → its English version (fit split only)."""
    return {row["id"]: row["question"] for row in _rows(FIT)} if FIT.exists() else {}


def held_english() -> list[dict]:
    """The held-back English questions, each a gold row (`original`: the Vietnamese question)."""
    return _rows(HELD)


def held_english2() -> list[dict]:
    """The held-back English questions on regulations-dev2 (its documents in store "regulations2")."""
    return _rows(HELD2)
