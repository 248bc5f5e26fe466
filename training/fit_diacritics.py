"""Fit the syllable counts that put accents back on unaccented questions (retrieval/answering/diacritics.py).

    .venv/bin/python training/fit_diacritics.py            # write retrieval/weights/diacritics.json.gz
    .venv/bin/python training/fit_diacritics.py --measure  # syllables restored right, held-back text

Counted on the shipped articles, the fitted part of the news set (articles ending in 0-6) and the
fitted regulations, never on the held-back articles and regulations that the answer engine is
measured on. Measured on the held-back questions: the share of syllables restored as written.
"""
from __future__ import annotations

import argparse
import gzip
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vietnamese.text import has_diacritics, normalize  # noqa: E402
from retrieval.answering.diacritics import BREAK, WORD, END, START, TABLE, DiacriticRestorer  # noqa: E402
from vietnamese.text import strip_diacritics  # noqa: E402
from training.fit_answer_model import Item, load_items  # noqa: E402
from training.stores import DATASETS  # noqa: E402

MIN_BIGRAM = 2  # a pair seen once says little and would double the file


def fitted_texts(items: list[Item]) -> list[str]:
    held_sources = {s for i in items if i.split == "heldout" for s in i.gold["sources"]}
    paths = sorted((ROOT / "knowledge" / "seeds").glob("*.txt"))
    paths += [p for p in sorted((DATASETS / "vinewsqa-test" / "docs").glob("*.txt"))
              if int(p.stem.split("_")[1]) % 10 < 7]
    paths += [p for p in sorted((DATASETS / "regulations-dev" / "docs").glob("*.md")) if p.name not in held_sources]
    assert not any(p.name in held_sources for p in paths)
    # Questions read unlike articles ("… ngày nào?", "… là gì?"): the fitted questions are counted too.
    questions = "\n".join(i.gold["question"] for i in items if i.split == "fit")
    return [normalize(p.read_text(encoding="utf-8")) for p in paths] + [normalize(questions)]


def count(texts: list[str]) -> tuple[Counter, Counter]:
    unigrams: Counter = Counter()
    bigrams: Counter = Counter()
    for text in texts:
        for line in BREAK.split(text):
            if not has_diacritics(line):
                continue  # slugs, addresses, English: not Vietnamese as written
            words = [w.lower() for w in WORD.findall(line)]
            if not words:
                continue
            unigrams.update(words + [START, END])
            # START/END: which forms begin and end a sentence ("… ngày nào", not "… ngày não").
            bigrams.update(f"{a} {b}" for a, b in zip([START] + words, words + [END]))
    return unigrams, bigrams


def measure(restorer: DiacriticRestorer, questions: list[str]) -> float:
    right = total = 0
    for question in questions:
        typed = WORD.findall(normalize(question))
        restored = WORD.findall(restorer.restore(strip_diacritics(normalize(question))))
        for written, guess in zip(typed, restored):
            total += 1
            right += written.lower() == guess.lower()
    share = right / max(total, 1)
    print(f"held-back questions: {len(questions)}; syllables restored as written: {right}/{total} = {share:.3f}")
    return share


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--measure", action="store_true")
    parser.add_argument("--output", type=Path, default=TABLE)
    args = parser.parse_args()
    items = load_items()
    if not args.measure:
        unigrams, bigrams = count(fitted_texts(items))
        data = {"unigrams": dict(sorted(unigrams.items())),
                "bigrams": {k: v for k, v in sorted(bigrams.items()) if v >= MIN_BIGRAM}}
        args.output.write_bytes(gzip.compress(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
                                              mtime=0))
        print(f"wrote {args.output}: {len(data['unigrams'])} syllables, {len(data['bigrams'])} pairs, "
              f"{args.output.stat().st_size // 1024} KiB")
    restorer = DiacriticRestorer.load(args.output)
    measure(restorer, [i.gold["question"] for i in items if i.split == "heldout"])


if __name__ == "__main__":
    main()
