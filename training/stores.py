"""The knowledge bases the answer model is fitted and measured on, built once and cached.

- news: the shipped articles + all 398 UIT-ViNewsQA test articles (../shared/datasets/vinewsqa-test)
- regulations: the shipped articles + the 8 regulations of ../shared/datasets/regulations-dev
- regulations2: the shipped articles + the regulations of regulations-dev and regulations-dev2
  (held back: only measured on, with training/regulation_questions_dev2.jsonl)
- seeds: the shipped articles only
- mixed: what an office holds after a while, all together: the shipped articles, the procedure files
  training/measure_procedures.py renders (training/.cache/procedures/files; build that store first),
  and the regulations of regulations-dev and regulations-dev2 (dev2's questions only measured)

Each lives under training/.cache/<name> (git-ignored); delete a folder to rebuild it.
"""
from __future__ import annotations

import sys
from pathlib import Path

from config.settings import Settings
from retrieval.engine import AnswerEngine

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT.parent / "shared" / "datasets"
CACHE = ROOT / "training" / ".cache"
CORPORA = {
    "news": DATASETS / "vinewsqa-test" / "docs",
    "regulations": DATASETS / "regulations-dev" / "docs",
    "seeds": None,
    "regulations2": [DATASETS / "regulations-dev" / "docs", DATASETS / "regulations-dev2" / "docs"],
    "mixed": [CACHE / "procedures" / "files", DATASETS / "regulations-dev" / "docs", DATASETS / "regulations-dev2" / "docs"],
}


def open_store(name: str) -> AnswerEngine:
    """The engine over one corpus; documents are ingested on the first call only."""
    directory = CACHE / name
    done = directory / "complete"
    engine = AnswerEngine.open(Settings(data_dir=directory))
    if not done.exists():
        folders = CORPORA[name]
        folders = folders if isinstance(folders, list) else [folders] if folders else []
        files = [path for folder in folders for path in sorted(folder.iterdir())]
        held = {d["source"] for d in engine.documents()}  # an interrupted build goes on where it stopped
        for position, path in enumerate(files, 1):
            if path.name not in held:
                engine.ingest(path, actor="training")
            if position % 50 == 0:
                print(f"{name}: {position}/{len(files)}", file=sys.stderr, flush=True)
        done.write_text("ok")
    return engine


if __name__ == "__main__":
    for corpus in sys.argv[1:] or list(CORPORA):
        store = open_store(corpus)
        print(corpus, len(store.documents()), "documents", file=sys.stderr)
