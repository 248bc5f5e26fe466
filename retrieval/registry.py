"""The registry: which documents and chunks are live (SQLite). It is the source of truth; Chroma
holds their vectors and is reconciled against it."""
from __future__ import annotations

import json
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from knowledge.models import Chunk, Document

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, source TEXT NOT NULL, title TEXT NOT NULL, publisher TEXT NOT NULL,
    date TEXT NOT NULL, version INTEGER NOT NULL, content_hash TEXT NOT NULL, text TEXT NOT NULL,
    status TEXT NOT NULL, replaces TEXT, created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_hash ON documents(content_hash);
CREATE INDEX IF NOT EXISTS documents_source ON documents(source);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents(doc_id), idx INTEGER NOT NULL,
    text TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL, sentences TEXT NOT NULL,
    heading TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    doc_id TEXT, detail TEXT NOT NULL
);
"""
ACTIVE = "active"
SUPERSEDED = "superseded"
DELETED = "deleted"


class Registry:
    """Documents, their chunks, an audit log and a generation counter that bumps on every change."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        with self._connect() as db:
            db.executescript(SCHEMA)
            columns = {row["name"] for row in db.execute("PRAGMA table_info(chunks)")}
            if "heading" not in columns:  # a registry written before passages had heading paths
                db.execute("ALTER TABLE chunks ADD COLUMN heading TEXT NOT NULL DEFAULT ''")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        try:
            with db:  # one transaction: committed on success, rolled back on any error
                yield db
        finally:
            db.close()

    def get_meta(self, key: str, default: str = "") -> str:
        with self._connect() as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def generation(self) -> int:
        return int(self.get_meta("generation", "0"))

    def find_by_hash(self, content_hash: str) -> dict | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM documents WHERE content_hash = ? AND status = ?",
                             (content_hash, ACTIVE)).fetchone()
        return dict(row) if row else None

    def find_active_by_source(self, source: str) -> dict | None:
        """The live document uploaded under this file name (its newest version)."""
        with self._connect() as db:
            row = db.execute("SELECT * FROM documents WHERE source = ? AND status = ? ORDER BY version DESC",
                             (source, ACTIVE)).fetchone()
        return dict(row) if row else None

    def publish(self, document: Document, chunks: list[Chunk], actor: str, replaces: str = "") -> None:
        """Make a document live in one transaction, superseding the version it replaces."""
        with self._connect() as db:
            if replaces:
                db.execute("UPDATE documents SET status = ? WHERE doc_id = ?", (SUPERSEDED, replaces))
            db.execute(
                "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (document.doc_id, document.source, document.title, document.publisher, document.date,
                 document.version, document.content_hash, document.text, ACTIVE, replaces or None, time.time()),
            )
            db.execute("DELETE FROM chunks WHERE doc_id = ?", (document.doc_id,))
            db.executemany(
                "INSERT INTO chunks (chunk_id, doc_id, idx, text, start, end, sentences, heading) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(c.chunk_id, c.doc_id, c.index, c.text, c.start, c.end, json.dumps(c.sentences), c.heading)
                 for c in chunks],
            )
            self._audit(db, actor, "add", document.doc_id,
                        f"{document.source} v{document.version} ({len(chunks)} đoạn)" + (f", thay {replaces}" if replaces else ""))

    def remove(self, doc_id: str, actor: str) -> bool:
        with self._connect() as db:
            changed = db.execute("UPDATE documents SET status = ? WHERE doc_id = ? AND status = ?",
                                 (DELETED, doc_id, ACTIVE)).rowcount
            if changed:
                self._audit(db, actor, "remove", doc_id, "")
        return bool(changed)

    def _audit(self, db: sqlite3.Connection, actor: str, action: str, doc_id: str, detail: str) -> None:
        db.execute("INSERT INTO audit (at, actor, action, doc_id, detail) VALUES (?, ?, ?, ?, ?)",
                   (time.time(), actor, action, doc_id, detail))
        row = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        db.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (str(int(row[0]) + 1 if row else 1),))

    def documents(self, include_history: bool = False) -> list[dict]:
        query = ("SELECT d.doc_id, d.source, d.title, d.publisher, d.date, d.version, d.status, d.replaces, "
                 "d.created_at, d.content_hash, (SELECT COUNT(*) FROM chunks c WHERE c.doc_id = d.doc_id) AS chunks "
                 "FROM documents d")
        if not include_history:
            query += f" WHERE d.status = '{ACTIVE}'"
        with self._connect() as db:
            return [dict(row) for row in db.execute(query + " ORDER BY d.source, d.version")]

    def document(self, doc_id: str) -> dict | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return dict(row) if row else None

    @staticmethod
    def _active_chunks(db: sqlite3.Connection) -> list[dict]:
        rows = db.execute(
            "SELECT c.chunk_id, c.doc_id, c.idx, c.text, c.start, c.end, c.sentences, c.heading FROM chunks c "
            "JOIN documents d ON d.doc_id = c.doc_id WHERE d.status = ? ORDER BY d.source, c.idx",
            (ACTIVE,)).fetchall()
        return [{**dict(row), "sentences": json.loads(row["sentences"])} for row in rows]

    @staticmethod
    def _active_documents(db: sqlite3.Connection) -> dict[str, dict]:
        rows = db.execute("SELECT * FROM documents WHERE status = ?", (ACTIVE,)).fetchall()
        return {row["doc_id"]: dict(row) for row in rows}

    def active_chunks(self) -> list[dict]:
        with self._connect() as db:
            return self._active_chunks(db)

    def active_documents(self) -> dict[str, dict]:
        with self._connect() as db:
            return self._active_documents(db)

    def live_state(self) -> tuple[int, dict[str, dict], list[dict]]:
        """(generation, live documents, their chunks) read in one transaction, so that a writer
        in another thread or process never lands half-way through."""
        with self._connect() as db:
            db.execute("BEGIN")
            row = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
            return int(row[0]) if row else 0, self._active_documents(db), self._active_chunks(db)

    def audit_log(self, limit: int = 100) -> list[dict]:
        with self._connect() as db:
            return [dict(r) for r in db.execute("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))]
