"""Where the questions the bot could not answer are kept: one SQLite file, plain portable SQL.

One row per refused question as it was asked: when, on which channel, by whom (a keyed
pseudonym, never an id), the question and its grouping key. A row leaves the open list when
the question is answered on re-asking (`answered_at` is set); it is deleted after the retention
period. Grouping and counting happen in Python over the open rows, so the SQL stays portable.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from bot.store import open_shared

_SCHEMA = """
CREATE TABLE IF NOT EXISTS refused_questions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,        -- "telegram", "zalo", "api"
    user_key TEXT NOT NULL,       -- keyed pseudonym of the user (bot/pseudonyms.py); "" if none
    question TEXT NOT NULL,       -- as it was understood and sent to the engine
    question_key TEXT NOT NULL,   -- case, marks, spacing and punctuation folded away
    asked_at REAL NOT NULL,       -- unix time
    answered_at REAL              -- set when re-asking it got an answer
);
CREATE INDEX IF NOT EXISTS refused_open ON refused_questions (answered_at, question_key);
CREATE INDEX IF NOT EXISTS refused_by_time ON refused_questions (asked_at);
"""


@dataclass(frozen=True)
class RefusedQuestion:
    """One time a question was refused."""

    channel: str
    user_key: str
    question: str
    question_key: str
    asked_at: float


class AnalyticsStore:
    """SQLite file with the refused questions (shared by server processes)."""

    FILE_NAME = "analytics.sqlite3"

    def __init__(self, path: Path) -> None:
        self.path = path
        # One connection shared by the event loop and worker threads, serialized by a lock.
        self._db = open_shared(path, _SCHEMA)
        self._lock = threading.Lock()

    @classmethod
    def in_dir(cls, data_dir: Path) -> "AnalyticsStore":
        return cls(Path(data_dir) / cls.FILE_NAME)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add(self, refused: RefusedQuestion) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO refused_questions (channel, user_key, question, question_key, asked_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (refused.channel, refused.user_key, refused.question, refused.question_key,
                 refused.asked_at),
            )

    def open_questions(self) -> list[RefusedQuestion]:
        """Every refusal not answered since, newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT channel, user_key, question, question_key, asked_at FROM refused_questions"
                " WHERE answered_at IS NULL ORDER BY asked_at DESC, id DESC"
            ).fetchall()
        return [RefusedQuestion(**dict(row)) for row in rows]

    def mark_answered(self, question_keys: list[str], at: float) -> int:
        """Close the open refusals of these questions; the number of rows closed."""
        closed = 0
        with self._lock:
            for key in question_keys:
                cursor = self._db.execute(
                    "UPDATE refused_questions SET answered_at = ?"
                    " WHERE question_key = ? AND answered_at IS NULL",
                    (at, key),
                )
                closed += cursor.rowcount
        return closed

    def delete_before(self, cutoff: float) -> int:
        """Delete the records asked before `cutoff` (retention); the number deleted."""
        with self._lock:
            cursor = self._db.execute("DELETE FROM refused_questions WHERE asked_at < ?", (cutoff,))
            return cursor.rowcount

    def all_rows(self) -> list[dict]:
        """Every stored row, for review and tests."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM refused_questions ORDER BY id").fetchall()
        return [dict(row) for row in rows]
