"""The hand-written regulation question files stay checkable: every gold span is in its source.

Reads only the question files and ../shared/datasets/regulations-dev*/docs (skipped when the
shared datasets are not beside the project); it never starts the answering engine.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.check_questions import DATASETS, DOC_DIRS, check

ROOT = Path(__file__).resolve().parent.parent
QUESTION_FILES = sorted((ROOT / "training").glob("regulation_questions*.jsonl"))
DEV2 = "regulations-dev2/docs"

pytestmark = pytest.mark.skipif(not all((DATASETS / d).is_dir() for d in DOC_DIRS),
                                reason="shared/datasets/regulations-dev* not beside the project")


def test_every_question_file_passes_the_checker(capsys):
    assert any(p.name == "regulation_questions_dev2.jsonl" for p in QUESTION_FILES)
    assert check(QUESTION_FILES, DATASETS) == 0, capsys.readouterr().out


def test_held_back_dev2_set_keeps_its_promised_shape():
    rows = [json.loads(line) for line in
            (ROOT / "training" / "regulation_questions_dev2.jsonl").read_text(encoding="utf-8").splitlines()]
    documents = {p.name for p in (DATASETS / DEV2).glob("*.md")}
    assert len(rows) >= 64 and {r["split"] for r in rows} == {"heldout2"}
    assert sum(r["kind"] == "out_of_scope" for r in rows) >= 10
    assert {s for r in rows for s in r["sources"]} == documents  # every document is asked about
    fit = [json.loads(line) for line in
           (ROOT / "training" / "regulation_questions_dev2_fit.jsonl").read_text(encoding="utf-8").splitlines()]
    held_spans = {a.casefold() for r in rows for a in r["answers"]}
    assert not held_spans & {a.casefold() for r in fit for a in r["answers"]}  # no shared answers


def test_checker_names_each_kind_of_mistake(tmp_path, capsys):
    source = "thong-tu-71-2026-tt-bca-tam-hoan-xuat-canh.md"
    bad = tmp_path / "bad.jsonl"
    rows = [
        {"id": "x1", "question": "q", "answers": ["không quá 02 ngày làm việc"], "sources": [source]},
        {"id": "x1", "question": "q", "answers": ["không quá 99 ngày"], "sources": [source]},
        {"id": "x2", "question": "q", "answers": ["a"], "sources": ["no-such-file.md"]},
        {"id": "x3", "question": "q", "answers": ["không quá 02 ngày làm việc"], "sources": [source],
         "kind": "out_of_scope"},
    ]
    bad.write_text("".join(json.dumps({"kind": "deadline", "split": "fit", **r}, ensure_ascii=False) + "\n"
                           for r in rows), encoding="utf-8")
    assert check([bad], DATASETS) == 1
    out = capsys.readouterr().out
    assert "id already used" in out
    assert "gold span not found verbatim" in out and "99 ngày" in out
    assert "is not in" in out and "no-such-file.md" in out
    assert "out_of_scope must have empty answers and sources" in out
