"""The knowledge base: keeps the registry (what is live), Chroma (vectors) and the searchable
snapshot in agreement. Adding a document is all-or-nothing."""
from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from langchain_core.embeddings import Embeddings

from knowledge.chunking import chunk_document
from knowledge.models import Document, search_text
from knowledge.seeds import seed_documents
from retrieval.registry import Registry
from retrieval.snapshot import Snapshot
from retrieval.vectors import open_vectors
from retrieval.write_lock import WriteLock

log = logging.getLogger(__name__)
BATCH = 64


class Place(Protocol):
    """Where the knowledge base lives (ngoaivu.settings.Settings is one)."""

    data_dir: Path
    chroma_host: str  # "" = embedded Chroma under data_dir
    chroma_port: int


@dataclass
class AddResult:
    document: Document
    chunks: int
    status: str  # "added", "replaced" or "unchanged"
    replaced: str = ""


class KnowledgeBase:
    """Adds, removes and searches documents; Chroma and the registry always agree afterwards."""

    def __init__(self, place: Place, embeddings: Embeddings, registry: Registry | None = None) -> None:
        self.embeddings = embeddings
        # `database_url` ("" = SQLite files under data_dir) is read softly: a Place may lack it.
        self.registry = registry or Registry.open(Path(place.data_dir), getattr(place, "database_url", ""))
        self.vectors = open_vectors(embeddings, Path(place.data_dir), place.chroma_host, place.chroma_port)
        # Writers on this data directory, or on this database from any machine, take turns.
        self._writing = WriteLock(lambda: self.registry.db.lock("registry-writers")).held
        self._snapshot_lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._compacting = False

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
        """The searchable state at the registry's generation. A new generation is applied as a
        change (only new documents are tokenized), so no question waits on a rebuild."""
        generation = self.registry.generation()
        current = self._snapshot
        if current is None or current.generation != generation:
            # Its own lock: questions never wait for a writer that is busy embedding.
            with self._snapshot_lock:
                current = self._snapshot
                if current is None or current.generation != generation:
                    current = self._snapshot = self._moved_on(current)
                    if current.wants_compaction() and not self._compacting:
                        self._compacting = True
                        threading.Thread(target=self._compact, name="ngoaivu-compact", daemon=True).start()
        return current

    def _moved_on(self, current: Snapshot | None) -> Snapshot:
        if current is None:
            return Snapshot.build(*self.registry.live_state())
        return current.updated(*self.registry.live_changes(current.live_documents))

    def _compact(self) -> None:
        """Merge the index segments and drop removed passages, off the request path."""
        try:
            while True:
                source = self._snapshot
                compacted = source.compacted()
                with self._snapshot_lock:
                    if self._snapshot is source:
                        self._snapshot = compacted
                        return
                    if not self._snapshot.wants_compaction():
                        return
        except Exception:  # only tidiness is lost: the snapshot in use stays correct
            log.exception("could not compact the lexical indexes")
        finally:
            self._compacting = False

    def dense_search(self, query_vector: list[float], k: int) -> list[tuple[str, float]]:
        """(chunk_id, cosine similarity) of the k nearest chunks."""
        results = self.vectors.similarity_search_by_vector_with_relevance_scores(query_vector, k=k)
        return [(doc.id, 1.0 - float(distance)) for doc, distance in results]

    def documents(self, include_history: bool = False) -> list[dict]:
        return self.registry.documents(include_history)
