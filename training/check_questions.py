"""Check hand-written regulation question files before anyone scores or fits on them.

Usage:
    python training/check_questions.py training/regulation_questions_dev2.jsonl [more.jsonl ...]

Asserts, over all files given together:
- every row has id, question, answers, sources, kind, split; ids are unique;
- an out-of-scope row (kind "out_of_scope") has no answers and no sources, any other row has both;
- every source is a file of ../shared/datasets/regulations-dev/docs or regulations-dev2/docs;
- every gold span occurs in at least one of its sources, compared the way ../shared/eval/score.py
  compares a reply (Unicode NFC, case folding, whitespace collapsed) — a span that is not in the
  text can never be matched by a quoting engine, so it would only measure the question writer.

Then prints, per file, the count per kind, per source document, the share of questions typed
without diacritics, the English ones and the out-of-scope count. Exits non-zero on any failure.
It reads only the question files and the documents: it never runs the answering engine.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT.parent / "shared" / "datasets"
DOC_DIRS = ("regulations-dev/docs", "regulations-dev2/docs")
FIELDS = ("id", "question", "answers", "sources", "kind", "split")
# Function words that only an English question contains; Vietnamese typed without accents never
# has them as whole words, so they separate "English" from "Vietnamese without diacritics".
ENGLISH_WORDS = {"the", "what", "which", "how", "who", "when", "does", "do", "can", "must", "is",
                 "are", "of", "for", "to", "a", "an", "many", "long"}


def norm(text: str) -> str:
    """The scorer's comparison (../shared/eval/score.py: NFC, casefold, collapse whitespace)."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text).casefold()).strip()


def has_diacritics(text: str) -> bool:
    return "đ" in text.casefold() or any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", text))


def is_english(text: str) -> bool:
    words = re.findall(r"[a-z]+", text.casefold())
    return not has_diacritics(text) and sum(w in ENGLISH_WORDS for w in words) >= 2


def load_documents(datasets: Path) -> dict[str, str]:
    documents = {}
    for folder in DOC_DIRS:
        for path in sorted((datasets / folder).glob("*")):
            if path.is_file():
                documents[path.name] = norm(path.read_text(encoding="utf-8"))
    return documents


def check(paths: list[Path], datasets: Path) -> int:
    documents = load_documents(datasets)
    if not documents:
        print(f"no documents under {datasets} ({', '.join(DOC_DIRS)})")
        return 2
    errors: list[str] = []
    seen: dict[str, str] = {}
    for path in paths:
        rows = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                errors.append(f"{path.name}:{number}: not JSON ({error})")
                continue
            where = f"{path.name}:{number} {row.get('id')}"
            missing = [field for field in FIELDS if field not in row]
            if missing:
                errors.append(f"{where}: missing {missing}")
                continue
            if row["id"] in seen:
                errors.append(f"{where}: id already used in {seen[row['id']]}")
            seen[row["id"]] = path.name
            if not row["question"].strip():
                errors.append(f"{where}: empty question")
            out_of_scope = row["kind"] == "out_of_scope"
            if out_of_scope and (row["answers"] or row["sources"]):
                errors.append(f"{where}: out_of_scope must have empty answers and sources")
            if not out_of_scope and not (row["answers"] and row["sources"]):
                errors.append(f"{where}: answerable question needs answers and sources (or kind out_of_scope)")
            for source in row["sources"]:
                if source not in documents:
                    errors.append(f"{where}: source {source!r} is not in {' or '.join(DOC_DIRS)}")
            texts = [documents[s] for s in row["sources"] if s in documents]
            for answer in row["answers"]:
                if not norm(answer):
                    errors.append(f"{where}: empty gold span")
                elif texts and not any(norm(answer) in text for text in texts):
                    errors.append(f"{where}: gold span not found verbatim in its sources: {answer!r}")
            rows.append(row)
        report(path, rows)
    for error in errors:
        print("FAIL", error)
    print("OK" if not errors else f"{len(errors)} problem(s)")
    return 0 if not errors else 1


def report(path: Path, rows: list[dict]) -> None:
    total = len(rows)
    english = [r for r in rows if is_english(r["question"])]
    plain = [r for r in rows if not has_diacritics(r["question"]) and r not in english]
    out_of_scope = [r for r in rows if r["kind"] == "out_of_scope"]
    print(f"== {path.name}: {total} questions, splits {dict(Counter(r['split'] for r in rows))}")
    print("  per kind:")
    for kind, count in Counter(r["kind"] for r in rows).most_common():
        print(f"    {kind:14s} {count}")
    print("  per document (answerable questions):")
    for source, count in Counter(s for r in rows for s in r["sources"]).most_common():
        print(f"    {count:3d}  {source}")
    share = len(plain) / total if total else 0.0
    print(f"  without diacritics: {len(plain)}/{total} = {share:.2f}; English: {len(english)}; "
          f"out of scope: {len(out_of_scope)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--datasets", type=Path, default=DATASETS,
                        help=f"folder holding regulations-dev*/docs (default {DATASETS})")
    args = parser.parse_args()
    return check(args.files, args.datasets)


if __name__ == "__main__":
    sys.exit(main())
