"""The knowledge base: keeps the registry (what is live), Chroma (vectors) and the searchable
snapshot in agreement. Adding a document is all-or-nothing."""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

from langchain_core.embeddings import Embeddings

from knowledge.chunking import chunk_document
from knowledge.models import Document, search_text
from knowledge.seeds import seed_documents
from retrieval.index import index_file
from retrieval.index.registry import Registry
from retrieval.index.snapshot import Snapshot
from retrieval.index.vectors import open_vectors
from retrieval.index.write_lock import WriteLock
from storage.outages import DATABASE, VECTORS, outage_of, summary

log = logging.getLogger(__name__)
BATCH = 64
FRESH_WAIT = 2.0  # seconds a question waits for a change made elsewhere; then the snapshot before it answers
# After the vector store failed, questions skip it (lexical search alone) for this long before it
# is tried again: an unreachable server must not cost every question a connection attempt.
VECTORS_RETRY_SECONDS = 2.0


class Place(Protocol):
    """Where the knowledge base lives (config.settings.Settings is one; read only)."""

    @property
    def data_dir(self) -> Path: ...

    @property
    def chroma_host(self) -> str: ...  # "" = embedded Chroma under data_dir

    @property
    def chroma_port(self) -> int: ...


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
        self._place = place
        self._vectors = None  # connected on first use (see `vectors`)
        self._vectors_opening = threading.Lock()
        # Writers on this data directory, or on this database from any machine, take turns.
        self._writing = WriteLock(lambda: self.registry.db.lock("registry-writers")).held
        self._index_path = index_file.path_in(place.data_dir)
        self._updating = threading.Lock()  # one change to the snapshot at a time
        self._changed = threading.Condition()  # told when a new snapshot is in place
        self._snapshot: Snapshot | None = None
        self._catching_up = False  # an updater thread is running
        self._asked = 0  # questions that found the snapshot behind the registry
        self._compacting = False
        self._workers: list[threading.Thread] = []  # background updates, compactions and saves
        self._vectors_retry_at = 0.0  # monotonic time before which the vector store is not tried
        self._vectors_down = False  # the last attempt failed: its recovery triggers a reconcile
        self._registry_down = False
        self._question = threading.local()  # which services the current thread's question went without

    @property
    def vectors(self):
        """The vector store, connected on first use: a Chroma server that is down when the process
        starts does not keep the knowledge base from opening (the lexical indexes answer meanwhile,
        as during an outage later on). Raises while the server cannot be reached."""
        if self._vectors is None:
            with self._vectors_opening:
                if self._vectors is None:
                    place = self._place
                    self._vectors = open_vectors(self.embeddings, Path(place.data_dir), place.chroma_host,
                                                 place.chroma_port, getattr(place, "chroma_timeout_seconds", 10.0))
        return self._vectors

    # -- building -------------------------------------------------------------------------------
    def ensure_ready(self, progress=None) -> None:
        """Seed the shipped articles on first use, then repair any disagreement with Chroma. With
        the vector store unreachable, a seeded knowledge base still opens (answers come from the
        lexical indexes, and the store's first success reconciles it); an unseeded one cannot,
        since nothing is published without its vectors: the outage is raised."""
        with self._writing():
            if not self.registry.get_meta("seeded"):
                for document in seed_documents():
                    self.add(document, actor="seed", progress=progress)
                self.registry.set_meta("seeded", "1")
            try:
                self.reconcile(progress=progress)
            except Exception as error:
                if outage_of(error) != VECTORS:
                    raise
                self._vectors_down = True  # dense_search's first success reconciles
                self._vectors_retry_at = time.monotonic() + VECTORS_RETRY_SECONDS
                log.warning("the vector store is unreachable at start-up (%s): answering from the lexical "
                            "indexes until it answers", summary(error))

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
        result = self._add(document, actor, replaces, progress)
        if result.status != "unchanged":
            self._caught_up_after_writing()
        return result

    def _add(self, document: Document, actor: str, replaces: str, progress) -> AddResult:
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
                self._discard_vectors_of(previous["doc_id"])
            return AddResult(document, len(chunks), "replaced" if previous else "added",
                             previous["doc_id"] if previous else "")

    def remove(self, doc_id: str, actor: str = "cli") -> bool:
        """Retire a document: it is never searched or cited again."""
        with self._writing():
            if not self.registry.remove(doc_id, actor):
                return False
            self._discard_vectors_of(doc_id)
        self._caught_up_after_writing()
        return True

    def _chunk_ids_of(self, doc_id: str) -> list[str]:
        return self.vectors.get(where={"doc_id": doc_id}, include=[])["ids"]

    def _discard_vectors(self, ids: list[str]) -> None:
        try:
            if ids:
                self.vectors.delete(ids=ids)
        except Exception:  # the registry decides what is live; reconcile() cleans up later
            self._vectors_down = True  # (the store's recovery reconciles)
            log.exception("could not delete %d vectors; reconcile will", len(ids))

    def _discard_vectors_of(self, doc_id: str) -> None:
        """Delete a retired document's vectors; with the vector store away, its recovery will."""
        try:
            ids = self._chunk_ids_of(doc_id)
        except Exception:
            self._vectors_down = True
            log.exception("could not find the vectors of %s; reconcile will delete them", doc_id)
            return
        self._discard_vectors(ids)

    # -- reading --------------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """The searchable state at the registry's generation. A change made elsewhere is applied
        in the background (only new documents are tokenized) while the snapshot before it keeps
        answering; a question waits for it at most FRESH_WAIT seconds. Only the very first
        snapshot of a process is waited for (read from the saved indexes when there are some).
        With the registry's database unreachable, the snapshot in hand answers (marked degraded)."""
        try:
            generation = self.registry.generation()
        except Exception:
            if self._snapshot is None:
                raise
            self._went_without(DATABASE)
            if not self._registry_down:
                self._registry_down = True
                log.exception("the registry cannot be read: answering from the indexes in hand")
            return self._snapshot
        if self._registry_down:
            self._registry_down = False
            log.info("the registry is readable again")
        current = self._snapshot
        if current is None:
            with self._updating:
                if self._snapshot is None:
                    self._install(*self._first())
            return cast(Snapshot, self._snapshot)  # read after `generation`: as new as this question
        if current.generation == generation:
            return current
        self._catch_up_soon()
        with self._changed:  # (a registry put back from a backup may also go back a generation)
            self._changed.wait_for(lambda: self._snapshot.generation != current.generation, timeout=FRESH_WAIT)
            return cast(Snapshot, self._snapshot)  # installed snapshots are never taken back

    def _first(self) -> tuple[Snapshot, bool]:
        """(the snapshot, whether it was built from nothing and so is worth saving)."""
        state = self.registry.live_state()
        saved = index_file.load(self._index_path)
        if saved is not None:
            try:
                snapshot = Snapshot.restored(*state, saved)
                if index_file.agrees(snapshot):
                    return snapshot, False
                log.info("the saved lexical indexes were tokenized otherwise: rebuilding")
            except Exception:  # a file that does not fit only costs the build below
                log.exception("could not use the saved lexical indexes: rebuilding")
        started = time.perf_counter()
        snapshot = Snapshot.build(*state)
        log.info("lexical indexes of %d passages built in %.1f s", len(snapshot.passages),
                 time.perf_counter() - started)
        return snapshot, True

    def _install(self, snapshot: Snapshot, save: bool = False) -> None:
        """Make `snapshot` the one questions use (the caller holds `_updating`)."""
        with self._changed:
            self._snapshot = snapshot
            self._changed.notify_all()
        if snapshot.wants_compaction() and not self._compacting:
            self._compacting = True
            self._in_background(self._compact, "ngoaivu-compact")
        elif save:
            self._in_background(lambda: self._save(snapshot), "ngoaivu-save-index")

    def _catch_up(self) -> None:
        """Apply what changed in the registry since the snapshot: one updater at a time."""
        with self._updating:
            current = self._snapshot
            if current is not None and current.generation != self.registry.generation():
                self._install(current.updated(*self.registry.live_changes(current.live_documents)))

    def _catch_up_soon(self) -> None:
        with self._changed:
            self._asked += 1
            if self._catching_up:
                return  # the running updater reads the registry again for this request
            self._catching_up = True
        self._in_background(self._catch_up_in_background, "ngoaivu-index-update")

    def _in_background(self, work, name: str) -> None:
        worker = threading.Thread(target=work, name=name, daemon=True)
        self._workers = [w for w in self._workers if w.is_alive()] + [worker]
        worker.start()

    def close(self, timeout: float = 120.0) -> None:
        """Wait for background index work (updates, compaction, the saved file) to finish: before
        the data directory is removed or the process exits on purpose."""
        deadline = time.monotonic() + timeout
        while True:
            running = [w for w in self._workers if w.is_alive()]
            if not running or time.monotonic() > deadline:
                return
            running[0].join(max(0.0, deadline - time.monotonic()))

    def _catch_up_in_background(self) -> None:
        try:
            while True:
                with self._changed:
                    asked = self._asked
                self._catch_up()  # reads the registry after every request counted in `asked`
                with self._changed:
                    if self._asked == asked:  # none since: done (in the same hold as the check)
                        self._catching_up = False
                        return
        except Exception:  # the snapshot in use stays correct; the next question tries again
            log.exception("could not apply a registry change to the lexical indexes")
            with self._changed:
                self._catching_up = False

    def _caught_up_after_writing(self) -> None:
        """A writer's own process sees its change at once (other processes on their next question)."""
        try:
            self._catch_up()
        except Exception:
            log.exception("could not apply this change to the lexical indexes; the next question will")

    def _compact(self) -> None:
        """Merge the index segments and drop removed passages, off the request path; then save."""
        try:
            while True:
                source = self._snapshot
                compacted = source.compacted()
                with self._updating:
                    if self._snapshot is source:
                        with self._changed:
                            self._snapshot = compacted
                        break
                    if not self._snapshot.wants_compaction():
                        return
            self._save(compacted)
        except Exception:  # only tidiness is lost: the snapshot in use stays correct
            log.exception("could not compact the lexical indexes")
        finally:
            self._compacting = False

    def _save(self, snapshot: Snapshot) -> None:
        """Keep the indexes on disk for the next start of a worker on this machine."""
        try:
            started = time.perf_counter()
            index_file.save(snapshot, self._index_path)
            log.info("lexical indexes saved in %.1f s", time.perf_counter() - started)
        except Exception:  # only the next cold start is slower
            log.exception("could not save the lexical indexes to %s", self._index_path)

    def dense_search(self, query_vector: list[float], k: int) -> list[tuple[str, float]]:
        """(chunk_id, cosine similarity) of the k nearest chunks; none, and the question marked
        degraded, while the vector store fails (candidates then come from the lexical indexes).
        Its first success afterwards reconciles the vectors with the registry in the background."""
        if time.monotonic() < self._vectors_retry_at:
            self._went_without(VECTORS)
            return []
        try:
            results = self.vectors.similarity_search_by_vector_with_relevance_scores(query_vector, k=k)
        except Exception as error:
            self._vectors_retry_at = time.monotonic() + VECTORS_RETRY_SECONDS
            self._went_without(VECTORS)
            if not self._vectors_down:
                self._vectors_down = True
                log.exception("the vector store failed: answering from the lexical indexes alone")
            else:
                log.warning("the vector store still fails (%s): lexical search alone", type(error).__name__)
            return []
        if self._vectors_down:
            self._vectors_down = False
            log.info("the vector store answers again: reconciling it with the registry")
            self._in_background(self._reconcile_quietly, "ngoaivu-reconcile")
        return [(doc.id, 1.0 - float(distance)) for doc, distance in results]

    def _reconcile_quietly(self) -> None:
        """Vectors deleted or added while the store was away are put right; a failure waits for
        the next recovery or start-up."""
        try:
            self.reconcile()
        except Exception:
            log.exception("could not reconcile the vector store after its outage")

    # -- what a question went without ------------------------------------------------------------
    def begin_question(self) -> None:
        """Start noting, for this thread, the services the next question has to do without."""
        self._question.without = set()

    def _went_without(self, dependency: str) -> None:
        without = getattr(self._question, "without", None)
        if without is not None:
            without.add(dependency)

    def degraded(self) -> str:
        """The services this thread's question went without since begin_question(): "vectors",
        "database", "database,vectors"; "" when all was well."""
        return ",".join(sorted(getattr(self._question, "without", None) or ()))

    def vectors_down(self) -> bool:
        """Whether the vector store failed at its last use (and is not yet known to be back)."""
        return self._vectors_down

    def documents(self, include_history: bool = False) -> list[dict]:
        return self.registry.documents(include_history)
