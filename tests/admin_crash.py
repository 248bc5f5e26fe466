"""Run in a child process by tests/test_admin_store.py: `python -m tests.admin_crash MODE DATA_DIR`.

  crash  ingest a long document and die by SIGKILL half-way (after the first batch of vectors)
  raw    print the store as found, without the start-up repair
  state  open the engine as `ngoaivu` does (start-up repair included), print the store, and
         whether the crashed document's question is answered from it
"""
from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

from langchain_core.embeddings import Embeddings

from config.settings import Settings
from retrieval.index.embeddings import E5Embeddings
from retrieval.engine import AnswerEngine
from retrieval.index.knowledge_base import KnowledgeBase
from tests.admin_files import many_paragraphs

SOURCE = "huong-dan-le-tan-lao-cai.txt"
QUESTION = "Hướng dẫn lễ tân đối ngoại của tỉnh Lào Cai nội dung hướng dẫn số 7 là gì?"


class DiesOnSecondBatch(Embeddings):
    """Serves the first batch (one real vector, copied), then the process is killed outright."""

    def __init__(self, inner: Embeddings) -> None:
        self.inner, self.name, self.calls = inner, inner.name, 0

    def embed_documents(self, texts):
        self.calls += 1
        if self.calls == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return [self.inner.embed_query("đoạn")] * len(texts)

    def embed_query(self, text):
        return self.inner.embed_query(text)


def _state(kb: KnowledgeBase) -> dict:
    return {"generation": kb.registry.generation(),
            "documents": sorted([d["doc_id"], d["status"]] for d in kb.documents(include_history=True)),
            "live_chunks": sorted(r["chunk_id"] for r in kb.registry.active_chunks()),
            "vectors": sorted(kb.vectors.get(include=[])["ids"])}


def main(mode: str, data_dir: str) -> None:
    settings = Settings(data_dir=Path(data_dir))
    if mode == "crash":
        engine = AnswerEngine(KnowledgeBase(settings, DiesOnSecondBatch(E5Embeddings())))
        engine.ingest_bytes(many_paragraphs(400, "Hướng dẫn lễ tân đối ngoại của tỉnh Lào Cai"), SOURCE, "test")
        raise SystemExit("not killed: the document fitted in one batch")
    if mode == "raw":
        print(json.dumps(_state(KnowledgeBase(settings, E5Embeddings()))))
        return
    engine = AnswerEngine.open(settings)
    answer = engine.ask(QUESTION)
    print(json.dumps({**_state(engine.kb), "cited": [c.source for c in answer.citations]}))


if __name__ == "__main__":
    main(*sys.argv[1:3])
