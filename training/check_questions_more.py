#!/usr/bin/env python3
"""Check regulation_questions_more.jsonl (ids m001...) against the regulation markdown files.

Copy of check_questions.py adapted for the supplementary question file:
ids look like m001, every question is in the "fit" split (no held-out minimums),
only the four target documents must have questions, and no question may repeat
(after normalisation) a question of regulation_questions.jsonl.

Usage:
    python check_questions_more.py [QUESTIONS.jsonl] [DOCS_DIR]

Verifies: one valid JSON object per line with the expected fields, unique ids,
allowed kind/split values, sources that exist, answer strings (2-12 words, no
markdown marks) that appear in at least one listed source after NFC + casefold +
whitespace collapsing (the same normalisation as shared/eval/score.py), the
split-by-document rule, and the minimum sizes of the held-out part.
Prints counts per split, kind and unaccented/English questions. Exit code 1 on
any failure; warnings do not fail.
"""
import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUESTIONS = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "regulation_questions_more.jsonl"
DOCS = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("/work/shared/datasets/regulations-dev/docs")

KINDS = {"figure", "date", "who", "definition", "list", "procedure", "scope", "other", "out_of_scope"}
SPLITS = {"fit", "heldout"}
BASE_QUESTIONS = HERE / "regulation_questions.jsonl"
TARGET_DOCS = {
    "224-2026-nd-cp-thi-hanh-luat-chuyen-doi-so.md",
    "nghi-dinh-232-2026-nd-cp-vi-tri-viec-lam-vien-chuc.md",
    "nghi-dinh-61-2026-nd-cp-phuong-tien-thiet-bi-ky-thuat-nghiep-vu-phat-hien-vphc.md",
    "nghi-dinh-196-2026-nd-cp-co-cau-to-chuc-van-phong-chinh-phu.md",
}
HELDOUT_DOCS = {
    "thong-tu-70-2026-tt-bca-sua-doi-giay-to-nguoi-nuoc-ngoai.md",
    "nghi-dinh-276-2026-nd-cp-co-cau-to-chuc-bo-noi-vu.md",
    "244-2026-nd-cp-phat-ngon-va-cung-cap-thong-tin-cho-bao-chi.md",
    "nghi-dinh-244-2026-nd-cp-phat-ngon-cung-cap-thong-tin-bao-chi.md",
}
PAIR_244 = {
    "244-2026-nd-cp-phat-ngon-va-cung-cap-thong-tin-cho-bao-chi.md",
    "nghi-dinh-244-2026-nd-cp-phat-ngon-cung-cap-thong-tin-bao-chi.md",
}
ENGLISH_WORDS = {"what", "which", "how", "who", "when", "does", "the", "under", "must", "is", "are", "can"}


def norm(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold()
    return re.sub(r"\s+", " ", text).strip()


def is_ascii_letters(text: str) -> bool:
    """True when the text carries no Vietnamese diacritics (and no đ)."""
    decomposed = unicodedata.normalize("NFD", text)
    if any(unicodedata.combining(ch) for ch in decomposed):
        return False
    return not any(ch in "đĐ" for ch in text)


def is_english(text: str) -> bool:
    words = set(re.findall(r"[a-z]+", text.lower()))
    return is_ascii_letters(text) and len(words & ENGLISH_WORDS) >= 2


def main() -> int:
    failures: list[str] = []
    warnings: list[str] = []
    docs = {p.name: norm(p.read_text(encoding="utf-8")) for p in sorted(DOCS.glob("*.md"))}
    if not docs:
        print(f"no markdown files in {DOCS}")
        return 1

    rows = []
    for n, line in enumerate(QUESTIONS.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            failures.append(f"line {n}: empty line")
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            failures.append(f"line {n}: invalid JSON ({exc})")
            continue
        if not isinstance(row, dict):
            failures.append(f"line {n}: not a JSON object")
            continue
        rows.append((n, row))

    base_questions = set()
    if BASE_QUESTIONS.exists() and BASE_QUESTIONS.resolve() != QUESTIONS.resolve():
        for line in BASE_QUESTIONS.read_text(encoding="utf-8").splitlines():
            if line.strip():
                base_questions.add(norm(json.loads(line)["question"]))
    qtexts = Counter(norm(row.get("question", "")) for _, row in rows)
    for qt, count in qtexts.items():
        if count > 1:
            failures.append(f"duplicate question {qt!r} ({count} times)")

    ids = Counter(row.get("id") for _, row in rows)
    for qid, count in ids.items():
        if count > 1:
            failures.append(f"duplicate id {qid} ({count} times)")

    for n, row in rows:
        qid = row.get("id", f"line {n}")
        expected = {"id", "question", "answers", "sources", "kind", "split"}
        if set(row) != expected:
            failures.append(f"{qid}: fields {sorted(row)} != {sorted(expected)}")
            continue
        if not isinstance(row["id"], str) or not re.fullmatch(r"m\d{3}", row["id"]):
            failures.append(f"{qid}: id should look like m001")
        if not isinstance(row["question"], str) or not row["question"].strip():
            failures.append(f"{qid}: empty question")
        if row["kind"] not in KINDS:
            failures.append(f"{qid}: unknown kind {row['kind']!r}")
        if norm(row["question"]) in base_questions:
            failures.append(f"{qid}: question repeats one of {BASE_QUESTIONS.name}")
        if row["split"] != "fit":
            failures.append(f"{qid}: split must be fit")
        if row["split"] not in SPLITS:
            failures.append(f"{qid}: unknown split {row['split']!r}")
        answers, sources = row["answers"], row["sources"]
        if not isinstance(answers, list) or not isinstance(sources, list):
            failures.append(f"{qid}: answers and sources must be lists")
            continue

        if row["kind"] == "out_of_scope":
            if answers or sources:
                failures.append(f"{qid}: out_of_scope must have empty answers and sources")
            continue
        if not answers:
            failures.append(f"{qid}: answerable question without answers (or wrong kind)")
        if not 1 <= len(answers) <= 3:
            failures.append(f"{qid}: {len(answers)} answers (want 1-3)")
        if not sources:
            failures.append(f"{qid}: no sources")
        for s in sources:
            if s not in docs:
                failures.append(f"{qid}: source {s!r} does not exist")
        want_split = "heldout" if set(sources) & HELDOUT_DOCS else "fit"
        if row["split"] != want_split:
            failures.append(f"{qid}: split {row['split']} but sources say {want_split}")

        in_both_244 = False
        for a in answers:
            if not isinstance(a, str) or not a.strip():
                failures.append(f"{qid}: empty answer")
                continue
            if any(mark in a for mark in "#*|"):
                failures.append(f"{qid}: markdown mark in answer {a!r}")
            words = len(a.split())
            if not 2 <= words <= 12:
                failures.append(f"{qid}: answer {a!r} has {words} words (want 2-12)")
            na = norm(a)
            found_in = [s for s in sources if s in docs and na in docs[s]]
            if not found_in:
                failures.append(f"{qid}: answer {a!r} not found in {sources}")
            if PAIR_244 <= set(found_in):
                in_both_244 = True
            corpus_hits = [name for name, text in docs.items() if na in text]
            if len(corpus_hits) >= 4:
                warnings.append(f"{qid}: answer {a!r} occurs in {len(corpus_hits)} files of the corpus")
        if PAIR_244 <= set(sources) and not in_both_244:
            warnings.append(f"{qid}: lists both 244 files but no answer string occurs in both")

    # ---- counts -----------------------------------------------------------------
    def summary(subset):
        kinds = Counter(r["kind"] for r in subset)
        unacc = sum(1 for r in subset if is_ascii_letters(r["question"]) and not is_english(r["question"]))
        eng = sum(1 for r in subset if is_english(r["question"]))
        lp = kinds["list"] + kinds["procedure"]
        return kinds, unacc, eng, lp

    all_rows = [r for _, r in rows]
    print(f"questions: {len(all_rows)}")
    for name, subset in [("all", all_rows)] + [(s, [r for r in all_rows if r.get("split") == s]) for s in sorted(SPLITS)]:
        kinds, unacc, eng, lp = summary(subset)
        print(f"[{name}] n={len(subset)} answerable={len(subset) - kinds['out_of_scope']} "
              f"out_of_scope={kinds['out_of_scope']} unaccented={unacc} english={eng} list+procedure={lp}")
        print("   kinds: " + ", ".join(f"{k}={v}" for k, v in sorted(kinds.items())))
    per_doc = Counter(s for r in all_rows for s in r.get("sources", []))
    print("questions per source file:")
    for name in sorted(docs):
        print(f"   {per_doc[name]:3d}  {name}")

    _, _, eng_all, _ = summary(all_rows)
    if eng_all > 5:
        failures.append(f"{eng_all} English questions (> 5)")
    unused = [name for name in docs if name in TARGET_DOCS and per_doc[name] == 0]
    others = [name for name in docs if name not in TARGET_DOCS and per_doc[name] > 0]
    if others:
        warnings.append(f"questions cite files outside the four target documents: {others}")
    if unused:
        failures.append(f"files without questions: {unused}")

    for w in warnings:
        print("WARN", w)
    for f in failures:
        print("FAIL", f)
    print("OK" if not failures else f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
