"""The knowledge base: the registry (what is live) plus Chroma (vectors) plus the lexical indexes,
kept in agreement. Adding a document is all-or-nothing."""
from __future__ import annotations

import fcntl
import hashlib
import logging
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from langchain_core.embeddings import Embeddings

from knowledge.chunking import chunk_document
from knowledge.models import Document, search_text
from knowledge.seeds import seed_documents
from ngoaivu.settings import Settings
from retrieval.registry import Registry
from retrieval.snapshot import Snapshot

log = logging.getLogger(__name__)
BATCH = 64


@dataclass
class AddResult:
    document: Document
    chunks: int
    status: str  # "added", "replaced" or "unchanged"
    replaced: str = ""


def _collection_name(embeddings: Embeddings) -> str:
    name = getattr(embeddings, "name", type(embeddings).__name__)
    return "ngoaivu_" + re.sub(r"[^a-zA-Z0-9]+", "_", name).strip("_").lower()[:50]


def chroma_client(settings: Settings):
    """An embedded PersistentClient under the data directory, or a Chroma server when configured."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
    path = Path(settings.data_dir) / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


class KnowledgeBase:
    """Adds, removes and searches documents; Chroma and the registry always agree afterwards."""

    def __init__(self, settings: Settings, embeddings: Embeddings, registry: Registry | None = None) -> None:
        from langchain_chroma import Chroma

        self.embeddings = embeddings
        self.registry = registry or Registry(Path(settings.data_dir) / "registry.sqlite3")
        # Our own embedding function, always: Chroma must never fall back to downloading its default.
        self.vectors = Chroma(collection_name=_collection_name(embeddings), embedding_function=embeddings,
                              client=chroma_client(settings), collection_metadata={"hnsw:space": "cosine"})
        self._lock = threading.RLock()
        self._lock_path = self.registry.path.with_suffix(".lock")
        self._lock_depth = 0
        self._snapshot_lock = threading.Lock()
        self._snapshot: Snapshot | None = None

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """One writer at a time: threads of this process, and other processes on this data directory
        (several `ngoaivu serve` workers share it)."""
        with self._lock:
            if self._lock_depth:  # re-entered by this thread (ensure_ready -> add): already held
                self._lock_depth += 1
                try:
                    yield
                finally:
                    self._lock_depth -= 1
                return
            with open(self._lock_path, "a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                self._lock_depth = 1
                try:
                    yield
                finally:
                    self._lock_depth = 0
                    fcntl.flock(handle, fcntl.LOCK_UN)

    # -- building -------------------------------------------------------------------------------
    def ensure_ready(self, progress=None) -> None:
        """Seed the shipped articles on first use, then repair any disagreement with Chroma."""
        with self._writing():
            if not self.registry.get_meta("seeded"):
                for document in seed_documents():
                    self.add(document, actor="seed", progress=progress)
                self.registry.set_meta("seeded", "1")
            self.reconcile(progress=progress)

    def reconcile(self, progress=None) -> dict:
        """Delete vectors of chunks that are not live; embed live chunks that have no vector."""
        with self._writing():
            live = {row["chunk_id"]: row for row in self.registry.active_chunks()}
            stored = set(self.vectors.get(include=[])["ids"])
            extra = sorted(stored - set(live))
            missing = [live[i] for i in live if i not in stored]
            if extra:
                self.vectors.delete(ids=extra)
            documents = self.registry.active_documents() if missing else {}
            for start in range(0, len(missing), BATCH):
                batch = missing[start:start + BATCH]
                self.vectors.add_texts([search_text(documents[r["doc_id"]]["title"], r.get("heading") or "", r["text"])
                                        for r in batch],
                                       metadatas=[self._metadata(documents[r["doc_id"]]) for r in batch],
                                       ids=[r["chunk_id"] for r in batch])
                if progress:
                    progress(len(batch))
            if extra or missing:
                log.info("reconciled: %d stale vectors removed, %d missing vectors embedded", len(extra), len(missing))
            return {"removed": len(extra), "embedded": len(missing)}

    @staticmethod
    def _metadata(document: dict) -> dict:
        return {key: document[key] for key in ("doc_id", "source", "title", "publisher", "date")}

    # -- changing -------------------------------------------------------------------------------
    def add(self, document: Document, actor: str = "cli", replaces: str = "", progress=None) -> AddResult:
        """Make a document searchable. Identical content changes nothing. A new version (the old one
        retired) only when someone says so: `replaces` names it, or the same file name is uploaded
        again; equal titles are a guess and never replace anything. On any error nothing changes."""
        with self._writing():
            same = self.registry.find_by_hash(document.content_hash)
            if same:
                for key in ("doc_id", "source", "title", "publisher", "date", "version"):
                    setattr(document, key, same[key])  # report the copy that is already live
                return AddResult(document, 0, "unchanged", "")
            # Content seen before (then deleted or replaced) gets a new id, so that its history stays.
            attempt = 0
            while self.registry.document(document.doc_id) is not None:
                attempt += 1
                document.doc_id = hashlib.sha256(f"{document.content_hash}:{attempt}".encode()).hexdigest()[:12]
            previous = (self.registry.document(replaces) if replaces
                        else self.registry.find_active_by_source(document.source) if document.source else None)
            if replaces and (previous is None or previous["status"] != "active"):
                raise KeyError(replaces)
            if previous:
                document.version = previous["version"] + 1
            chunks = chunk_document(document)
            ids = [c.chunk_id for c in chunks]
            metadata = self._metadata(document.metadata())
            try:
                for start in range(0, len(chunks), BATCH):
                    batch = chunks[start:start + BATCH]
                    self.vectors.add_texts([search_text(document.title, c.heading, c.text) for c in batch],
                                           metadatas=[metadata] * len(batch),
                                           ids=[c.chunk_id for c in batch])
                    if progress:
                        progress(len(batch))
                self.registry.publish(document, chunks, actor, replaces=previous["doc_id"] if previous else "")
            except BaseException:
                self._discard_vectors(ids)
                raise
            if previous:
                self._discard_vectors(self._chunk_ids_of(previous["doc_id"]))
            return AddResult(document, len(chunks), "replaced" if previous else "added",
                             previous["doc_id"] if previous else "")

    def remove(self, doc_id: str, actor: str = "cli") -> bool:
        """Retire a document: it is never searched or cited again."""
        with self._writing():
            if not self.registry.remove(doc_id, actor):
                return False
            self._discard_vectors(self._chunk_ids_of(doc_id))
            return True

    def _chunk_ids_of(self, doc_id: str) -> list[str]:
        return self.vectors.get(where={"doc_id": doc_id}, include=[])["ids"]

    def _discard_vectors(self, ids: list[str]) -> None:
        try:
            if ids:
                self.vectors.delete(ids=ids)
        except Exception:  # the registry decides what is live; reconcile() cleans up later
            log.exception("could not delete %d vectors; reconcile will", len(ids))

    # -- reading --------------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """The searchable state, rebuilt only when the registry generation moved."""
        generation = self.registry.generation()
        current = self._snapshot
        if current is None or current.generation != generation:
            # Its own lock: questions never wait for a writer that is busy embedding.
            with self._snapshot_lock:
                if self._snapshot is None or self._snapshot.generation != generation:
                    self._snapshot = Snapshot.build(self.registry)
                current = self._snapshot
        return current

    def dense_search(self, query_vector: list[float], k: int) -> list[tuple[str, float]]:
        """(chunk_id, cosine similarity) of the k nearest chunks."""
        results = self.vectors.similarity_search_by_vector_with_relevance_scores(query_vector, k=k)
        return [(doc.id, 1.0 - float(distance)) for doc, distance in results]

    def documents(self, include_history: bool = False) -> list[dict]:
        return self.registry.documents(include_history)
