"""Score the engine against a gold question file, with the rules of shared/eval/score.py."""
from __future__ import annotations

import json
import re
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.answers import MAX_ANSWER_CHARS
from vietnamese.text import strip_diacritics

CITATIONS_CONSIDERED = 3


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text).casefold()).strip()


def judge(gold: dict, got: dict) -> tuple[bool, str]:
    """(right, why not) for one answer, exactly as the shared scorer decides."""
    refused = bool(got.get("refused"))
    if not gold["answers"]:
        return refused, "" if refused else "should refuse"
    if refused:
        return False, "refused"
    answer = got.get("answer") or ""
    if len(answer) > MAX_ANSWER_CHARS:
        return False, f"answer too long ({len(answer)} chars)"
    if not any(_norm(a) in _norm(answer) for a in gold["answers"]):
        return False, "gold answer missing"
    cited = [c.get("source") for c in (got.get("citations") or [])[:CITATIONS_CONSIDERED]]
    if not any(s in gold["sources"] for s in cited):
        return False, f"wrong citations {cited}"
    return True, ""


@dataclass
class Report:
    results: list[tuple[dict, dict, bool, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def right(self) -> int:
        return sum(ok for _, _, ok, _ in self.results)

    def by_kind(self) -> dict[str, tuple[int, int]]:
        kinds: dict[str, list[bool]] = {}
        for gold, _, ok, _ in self.results:
            kinds.setdefault("out_of_scope" if not gold["answers"] else "answerable", []).append(ok)
        return {k: (sum(v), len(v)) for k, v in sorted(kinds.items())}

    def text(self) -> str:
        lines = [f"  {g['id']}: {why} | {g['question']}" for g, _, ok, why in self.results if not ok]
        lines = lines or ["  no failures"]
        lines += [f"{kind}: {right}/{total}" for kind, (right, total) in self.by_kind().items()]
        total = len(self.results)
        lines.append(f"seconds: {self.seconds:.1f}")
        lines.append(f"score: {self.right}/{total} = {self.right / max(total, 1):.3f}")
        return "\n".join(lines)


def evaluate(engine, gold_path: Path, without_diacritics: bool = False) -> Report:
    golds = [json.loads(line) for line in gold_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    report = Report()
    started = time.monotonic()
    for gold in golds:
        question = strip_diacritics(gold["question"]) if without_diacritics else gold["question"]
        got = engine.ask(question).to_dict()
        ok, why = judge(gold, got)
        report.results.append((gold, got, ok, why))
    report.seconds = time.monotonic() - started
    return report
