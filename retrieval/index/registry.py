"""The registry: which documents and chunks are live. It is the source of truth; Chroma holds
their vectors and is reconciled against it. Tables in the shared database (storage/database.py):
a SQLite file under the data directory, or PostgreSQL."""
from __future__ import annotations

import json
import time
from pathlib import Path

from sqlalchemy import (Column, Float, ForeignKey, Index, Integer, MetaData, Table, Text, cast, func, select,
                        update)
from sqlalchemy.engine import Connection

from knowledge.models import Chunk, Document
from storage.database import Database

ACTIVE = "active"
SUPERSEDED = "superseded"
DELETED = "deleted"
FILE_NAME = "registry"  # registry.sqlite3 under the data directory when no database URL is set

metadata = MetaData()
meta = Table("meta", metadata, Column("key", Text, primary_key=True), Column("value", Text, nullable=False))
documents = Table(
    "documents", metadata,
    Column("doc_id", Text, primary_key=True), Column("source", Text, nullable=False),
    Column("title", Text, nullable=False), Column("publisher", Text, nullable=False),
    Column("date", Text, nullable=False), Column("version", Integer, nullable=False),
    Column("content_hash", Text, nullable=False), Column("text", Text, nullable=False),
    Column("status", Text, nullable=False), Column("replaces", Text), Column("created_at", Float, nullable=False),
    Index("documents_hash", "content_hash"),
    Index("documents_source", "source"),
)
chunks = Table(
    "chunks", metadata,
    Column("chunk_id", Text, primary_key=True), Column("doc_id", Text, ForeignKey("documents.doc_id"), nullable=False),
    Column("idx", Integer, nullable=False), Column("text", Text, nullable=False),
    Column("start", Integer, nullable=False), Column("end", Integer, nullable=False),
    Column("sentences", Text, nullable=False),  # JSON list of [start, end] offsets in the document text
    Column("heading", Text, nullable=False, server_default=""),  # heading path inside the document
    Index("chunks_doc", "doc_id"),
)
audit = Table(
    "audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True), Column("at", Float, nullable=False),
    Column("actor", Text, nullable=False), Column("action", Text, nullable=False), Column("doc_id", Text),
    Column("detail", Text, nullable=False),
    sqlite_autoincrement=True,
)
_CHUNK_COLUMNS = [chunks.c.chunk_id, chunks.c.doc_id, chunks.c.idx, chunks.c.text, chunks.c.start, chunks.c.end,
                  chunks.c.sentences, chunks.c.heading]
_IN_BATCH = 500  # ids per IN (...) list


class Registry:
    """Documents, their chunks, an audit log and a generation counter that bumps on every change."""

    def __init__(self, path: Path | None = None, *, database: Database | None = None) -> None:
        self.db = database or Database(f"sqlite:///{path}")
        self.path = self.db.path  # the SQLite file, or None on a database server
        self.db.create(metadata)

    @classmethod
    def open(cls, data_dir: Path, database_url: str = "") -> "Registry":
        """The registry at `database_url`, or in registry.sqlite3 under `data_dir`."""
        return cls(database=Database.open(database_url, data_dir, FILE_NAME))

    def get_meta(self, key: str, default: str = "") -> str:
        with self.db.read() as db:
            value = db.scalar(select(meta.c.value).where(meta.c.key == key))
        return default if value is None else value

    def set_meta(self, key: str, value: str) -> None:
        with self.db.write() as db:
            self._set_meta(db, key, value)

    def _set_meta(self, db: Connection, key: str, value: str) -> None:
        insert = self.db.insert(meta).values(key=key, value=value)
        db.execute(insert.on_conflict_do_update(index_elements=[meta.c.key], set_={"value": value}))

    def generation(self) -> int:
        return int(self.get_meta("generation", "0"))

    def find_by_hash(self, content_hash: str) -> dict | None:
        return self._one(select(documents).where(documents.c.content_hash == content_hash,
                                                 documents.c.status == ACTIVE))

    def find_active_by_source(self, source: str) -> dict | None:
        """The live document uploaded under this file name (its newest version)."""
        return self._one(select(documents).where(documents.c.source == source, documents.c.status == ACTIVE)
                         .order_by(documents.c.version.desc()))

    def document(self, doc_id: str) -> dict | None:
        return self._one(select(documents).where(documents.c.doc_id == doc_id))

    def _one(self, query) -> dict | None:
        with self.db.read() as db:
            row = db.execute(query.limit(1)).first()
        return dict(row._mapping) if row else None

    def publish(self, document: Document, chunk_list: list[Chunk], actor: str, replaces: str = "") -> None:
        """Make a document live in one transaction, superseding the version it replaces."""
        with self.db.write() as db:
            if replaces:
                db.execute(update(documents).where(documents.c.doc_id == replaces).values(status=SUPERSEDED))
            row = {"doc_id": document.doc_id, "source": document.source, "title": document.title,
                   "publisher": document.publisher, "date": document.date, "version": document.version,
                   "content_hash": document.content_hash, "text": document.text, "status": ACTIVE,
                   "replaces": replaces or None, "created_at": time.time()}
            insert = self.db.insert(documents).values(row)
            db.execute(insert.on_conflict_do_update(index_elements=[documents.c.doc_id],
                                                    set_={k: v for k, v in row.items() if k != "doc_id"}))
            db.execute(chunks.delete().where(chunks.c.doc_id == document.doc_id))
            if chunk_list:
                db.execute(chunks.insert(), [
                    {"chunk_id": c.chunk_id, "doc_id": c.doc_id, "idx": c.index, "text": c.text, "start": c.start,
                     "end": c.end, "sentences": json.dumps(c.sentences), "heading": c.heading} for c in chunk_list])
            self._audit(db, actor, "add", document.doc_id,
                        f"{document.source} v{document.version} ({len(chunk_list)} đoạn)"
                        + (f", thay {replaces}" if replaces else ""))

    def remove(self, doc_id: str, actor: str) -> bool:
        with self.db.write() as db:
            changed = db.execute(update(documents).where(documents.c.doc_id == doc_id, documents.c.status == ACTIVE)
                                 .values(status=DELETED)).rowcount
            if changed:
                self._audit(db, actor, "remove", doc_id, "")
        return bool(changed)

    def _audit(self, db: Connection, actor: str, action: str, doc_id: str, detail: str) -> None:
        db.execute(audit.insert().values(at=time.time(), actor=actor, action=action, doc_id=doc_id, detail=detail))
        # Bumped in place (a row lock on PostgreSQL): two writers can never read the same number.
        db.execute(self.db.insert(meta).values(key="generation", value="0")
                   .on_conflict_do_nothing(index_elements=[meta.c.key]))
        db.execute(update(meta).where(meta.c.key == "generation")
                   .values(value=cast(cast(meta.c.value, Integer) + 1, Text)))

    def documents(self, include_history: bool = False) -> list[dict]:
        count = select(func.count()).select_from(chunks).where(chunks.c.doc_id == documents.c.doc_id).scalar_subquery()
        query = select(documents.c.doc_id, documents.c.source, documents.c.title, documents.c.publisher,
                       documents.c.date, documents.c.version, documents.c.status, documents.c.replaces,
                       documents.c.created_at, documents.c.content_hash, count.label("chunks"))
        if not include_history:
            query = query.where(documents.c.status == ACTIVE)
        with self.db.read() as db:
            return [dict(row._mapping) for row in db.execute(query.order_by(documents.c.source, documents.c.version))]

    @staticmethod
    def _chunks_of(db: Connection, doc_ids: list[str] | None) -> list[dict]:
        query = (select(*_CHUNK_COLUMNS).join(documents, documents.c.doc_id == chunks.c.doc_id)
                 .where(documents.c.status == ACTIVE))
        found = []
        for batch in _batches(doc_ids):
            selected = query if batch is None else query.where(chunks.c.doc_id.in_(batch))
            result = db.execute(selected.order_by(documents.c.source, chunks.c.doc_id, chunks.c.idx))
            names = list(result.keys())  # once, not per row: 100k chunks are read at a cold start
            for row in result:
                item = dict(zip(names, row))
                item["sentences"] = json.loads(item["sentences"])
                found.append(item)
        return found

    @staticmethod
    def _documents_of(db: Connection, doc_ids: list[str] | None) -> dict[str, dict]:
        found: dict[str, dict] = {}
        for batch in _batches(doc_ids):
            query = select(documents).where(documents.c.status == ACTIVE)
            if batch is not None:
                query = query.where(documents.c.doc_id.in_(batch))
            found.update((row.doc_id, dict(row._mapping)) for row in db.execute(query))
        return found

    def active_chunks(self) -> list[dict]:
        with self.db.read() as db:
            return self._chunks_of(db, None)

    def active_documents(self) -> dict[str, dict]:
        with self.db.read() as db:
            return self._documents_of(db, None)

    def live_state(self) -> tuple[int, dict[str, dict], list[dict]]:
        """(generation, live documents, their chunks) read in one transaction, so that a writer
        in another thread or process never lands half-way through."""
        generation, _live, found, found_chunks = self.live_changes(None)
        return generation, found, found_chunks

    def live_changes(self, known: frozenset[str] | None, with_chunks: bool = True
                     ) -> tuple[int, frozenset[str], dict[str, dict], list[dict]]:
        """(generation, ids of the live documents, the live documents not in `known` with their
        chunks), in one transaction: what a searcher holding `known` must add and drop."""
        with self.db.read() as db:
            value = db.scalar(select(meta.c.value).where(meta.c.key == "generation"))
            live = frozenset(db.scalars(select(documents.c.doc_id).where(documents.c.status == ACTIVE)))
            wanted = None if known is None else sorted(live - known)
            if wanted == []:
                return int(value or 0), live, {}, []
            return (int(value or 0), live, self._documents_of(db, wanted),
                    self._chunks_of(db, wanted) if with_chunks else [])

    def audit_log(self, limit: int = 100) -> list[dict]:
        with self.db.read() as db:
            return [dict(row._mapping) for row in db.execute(select(audit).order_by(audit.c.id.desc()).limit(limit))]


def _batches(ids: list[str] | None):
    if ids is None:
        yield None
        return
    for start in range(0, len(ids), _IN_BATCH):
        yield ids[start:start + _IN_BATCH]
