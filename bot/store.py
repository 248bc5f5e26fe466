"""What the conversation keeps on disk: answers given (for /nguon and buttons) and 👍/👎 votes."""
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
"""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


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
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # One connection shared by the event loop and worker threads, serialized by a lock.
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)

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

    def save_vote(self, stored: StoredAnswer, user_id: str, vote: int) -> None:
        citations = json.dumps([c.to_dict() for c in stored.answer.citations], ensure_ascii=False)
        with self._lock:
            self._db.execute(
                "INSERT INTO feedback (answer_id, channel, chat_id, user_id, vote, question,"
                " answer, citations, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (answer_id, user_id) DO UPDATE SET vote = excluded.vote,"
                " created_at = excluded.created_at",
                (stored.id, stored.channel, stored.chat_id, user_id, vote, stored.question,
                 stored.answer.answer, citations, _now()),
            )

    def feedback(self) -> list[dict]:
        """Every vote, oldest first (for review and tests)."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM feedback ORDER BY id").fetchall()
        return [dict(row) for row in rows]


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
