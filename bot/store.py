"""What the conversation keeps on disk: answers given (for /nguon and buttons), 👍/👎 votes,
and the short-lived state of chats (previous question, rate-limit events, deliveries seen).

Keeping the short-lived state here rather than in memory means a restart or a second server
process sees the same context, limits and retried deliveries.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from retrieval.models import Answer, Citation

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    asked TEXT NOT NULL,          -- as the user typed it (cleaned)
    question TEXT NOT NULL,       -- as it was understood and sent to the engine
    rewritten INTEGER NOT NULL,   -- 1 when read as a follow-up of the previous question
    answer TEXT NOT NULL,
    refused INTEGER NOT NULL,
    fact TEXT NOT NULL,
    citations TEXT NOT NULL,      -- JSON list of Citation dicts
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS answers_by_chat ON answers (channel, chat_id, id);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    answer_id INTEGER NOT NULL REFERENCES answers (id),
    channel TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    vote INTEGER NOT NULL,        -- +1 for 👍, -1 for 👎
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (answer_id, user_id)   -- a second tap changes the vote, it does not add one
);
CREATE TABLE IF NOT EXISTS chat_context (
    chat_key TEXT PRIMARY KEY,    -- "channel:chat_id"; only the last question is kept
    question TEXT NOT NULL,
    at REAL NOT NULL              -- unix time
);
CREATE TABLE IF NOT EXISTS rate_events (
    user_key TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS rate_events_by_user ON rate_events (user_key, at);
CREATE TABLE IF NOT EXISTS deliveries (
    delivery_key TEXT PRIMARY KEY,  -- "channel:update_id"
    at REAL NOT NULL
);
"""
# Telegram stops retrying a webhook delivery well within a day; context and rate windows are
# minutes. (Context TTL and rate window are checked on read; this only bounds the tables.)
STATE_MEMORY_SECONDS = 24 * 3600
PRUNE_EVERY = 500  # writes between clean-ups of expired state


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def open_shared(path: Path, schema: str) -> sqlite3.Connection:
    """A connection to an SQLite file that server processes share (autocommit, WAL, waiting for
    each other's locks), for use from several threads under the caller's lock; schema created."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA busy_timeout=5000")  # other server processes share the file
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(schema)
    return db


@dataclass(frozen=True)
class StoredAnswer:
    """An answer as it was given in a chat."""

    id: int
    channel: str
    chat_id: str
    user_id: str
    asked: str
    question: str
    rewritten: bool
    answer: Answer


class ConversationStore:
    """SQLite file with the answers given and the feedback on them."""

    FILE_NAME = "conversation.sqlite3"

    def __init__(self, path: Path) -> None:
        self.path = path
        # One connection shared by the event loop and worker threads, serialized by a lock.
        self._db = open_shared(path, _SCHEMA)
        self._lock = threading.Lock()
        self._writes = 0

    @classmethod
    def in_dir(cls, data_dir: Path) -> "ConversationStore":
        return cls(Path(data_dir) / cls.FILE_NAME)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def save_answer(
        self, channel: str, chat_id: str, user_id: str, asked: str, question: str,
        rewritten: bool, answer: Answer,
    ) -> int:
        citations = json.dumps([c.to_dict() for c in answer.citations], ensure_ascii=False)
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO answers (channel, chat_id, user_id, asked, question, rewritten,"
                " answer, refused, fact, citations, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (channel, chat_id, user_id, asked, question, int(rewritten), answer.answer,
                 int(answer.refused), answer.fact, citations, _now()),
            )
            return int(cursor.lastrowid)

    def answer(self, answer_id: int) -> StoredAnswer | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM answers WHERE id = ?", (answer_id,)).fetchone()
        return _stored(row) if row else None

    def last_answer(self, channel: str, chat_id: str) -> StoredAnswer | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM answers WHERE channel = ? AND chat_id = ? ORDER BY id DESC LIMIT 1",
                (channel, chat_id),
            ).fetchone()
        return _stored(row) if row else None

    def save_vote(self, stored: StoredAnswer, user_id: str, vote: int, chat_id: str | None = None) -> None:
        """Keep a vote; `user_id`/`chat_id` are what to write (the dialogue passes pseudonyms)."""
        citations = json.dumps([c.to_dict() for c in stored.answer.citations], ensure_ascii=False)
        with self._lock:
            self._db.execute(
                "INSERT INTO feedback (answer_id, channel, chat_id, user_id, vote, question,"
                " answer, citations, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (answer_id, user_id) DO UPDATE SET vote = excluded.vote,"
                " created_at = excluded.created_at",
                (stored.id, stored.channel, stored.chat_id if chat_id is None else chat_id, user_id, vote,
                 stored.question,
                 stored.answer.answer, citations, _now()),
            )

    # -- short-lived chat state ------------------------------------------------------------
    def first_delivery(self, key: str, now: float) -> bool:
        """Mark a delivery seen; True only the first time (atomic across processes)."""
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO deliveries (delivery_key, at) VALUES (?, ?)", (key, now)
            )
            first = cursor.rowcount == 1
        self._wrote(now)
        return first

    def context(self, chat_key: str, now: float, ttl: float) -> str | None:
        """The chat's previous question if it is younger than `ttl` seconds."""
        with self._lock:
            row = self._db.execute(
                "SELECT question FROM chat_context WHERE chat_key = ? AND at >= ?",
                (chat_key, now - ttl),
            ).fetchone()
        return row["question"] if row else None

    def remember(self, chat_key: str, question: str, now: float) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO chat_context (chat_key, question, at) VALUES (?, ?, ?)"
                " ON CONFLICT (chat_key) DO UPDATE SET question = excluded.question, at = excluded.at",
                (chat_key, question, now),
            )
        self._wrote(now)

    def forget(self, chat_key: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM chat_context WHERE chat_key = ?", (chat_key,))

    def rate_wait(self, user_key: str, now: float, limit: int, window: float) -> float:
        """0 (and the event counted) when the user is under `limit` events per `window`
        seconds; otherwise the seconds until the oldest counted event leaves the window."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")  # count and insert as one step
            try:
                rows = self._db.execute(
                    "SELECT at FROM rate_events WHERE user_key = ? AND at > ? ORDER BY at",
                    (user_key, now - window),
                ).fetchall()
                if len(rows) >= limit:
                    wait = rows[len(rows) - limit]["at"] + window - now
                else:
                    wait = 0.0
                    self._db.execute(
                        "INSERT INTO rate_events (user_key, at) VALUES (?, ?)", (user_key, now)
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        self._wrote(now)
        return wait

    def prune(self, now: float, keep_seconds: float = STATE_MEMORY_SECONDS) -> None:
        """Drop short-lived state older than `keep_seconds` so the tables stay small."""
        with self._lock:
            for table in ("deliveries", "rate_events", "chat_context"):
                self._db.execute(f"DELETE FROM {table} WHERE at < ?", (now - keep_seconds,))

    def _wrote(self, now: float) -> None:
        self._writes += 1
        if self._writes % PRUNE_EVERY == 0:
            self.prune(now)

    # -- review ------------------------------------------------------------------------------
    def feedback(self) -> list[dict]:
        """Every vote, oldest first (for review and tests)."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM feedback ORDER BY id").fetchall()
        return [dict(row) for row in rows]

    def down_votes(self, limit: int) -> list[dict]:
        """The answers given 👎, newest vote first: question, answer, citations (JSON), channel,
        votes (how many 👎) and last_at (ISO time of the latest)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT answer_id, channel, question, answer, citations, COUNT(*) AS votes,"
                " MAX(created_at) AS last_at FROM feedback WHERE vote < 0"
                " GROUP BY answer_id, channel, question, answer, citations"
                " ORDER BY last_at DESC, answer_id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [dict(row) for row in rows]

    def delete_votes_before(self, cutoff: str) -> int:
        """Delete votes cast before `cutoff` (an ISO time like `_now()`'s); the number deleted."""
        with self._lock:
            cursor = self._db.execute("DELETE FROM feedback WHERE created_at < ?", (cutoff,))
            return cursor.rowcount


def _stored(row: sqlite3.Row) -> StoredAnswer:
    citations = [Citation(**c) for c in json.loads(row["citations"])]
    answer = Answer(
        question=row["question"], answer=row["answer"], refused=bool(row["refused"]),
        citations=citations, fact=row["fact"],
    )
    return StoredAnswer(
        id=row["id"], channel=row["channel"], chat_id=row["chat_id"], user_id=row["user_id"],
        asked=row["asked"], question=row["question"], rewritten=bool(row["rewritten"]),
        answer=answer,
    )
