"""Where the questions the bot could not answer are kept: a SQLite file under the data directory,
or a table in the shared PostgreSQL database (storage/database.py).

One row per refused question as it was asked: when, on which channel, by whom (a keyed
pseudonym, never an id), the question and its grouping key. A row leaves the open list when
the question is answered on re-asking (`answered_at` is set); it is deleted after the retention
period. Grouping and counting happen in Python over the open rows, so the SQL stays portable.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Column, Float, Index, Integer, MetaData, Table, Text, delete, select, update

from storage.database import Database

metadata = MetaData()
refused_questions = Table(
    "refused_questions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", Text, nullable=False),  # "telegram", "zalo", "api"
    Column("user_key", Text, nullable=False),  # keyed pseudonym of the user (storage/pseudonyms.py); "" if none
    Column("question", Text, nullable=False),  # as it was understood and sent to the engine
    Column("question_key", Text, nullable=False),  # case, marks, spacing and punctuation folded away
    Column("asked_at", Float, nullable=False),  # unix time
    Column("answered_at", Float),  # set when re-asking it got an answer
    Index("refused_open", "answered_at", "question_key"),
    Index("refused_by_time", "asked_at"),
    sqlite_autoincrement=True,
)


@dataclass(frozen=True)
class RefusedQuestion:
    """One time a question was refused."""

    channel: str
    user_key: str
    question: str
    question_key: str
    asked_at: float


class AnalyticsStore:
    """The refused questions (shared by server processes, on one machine or several)."""

    FILE_NAME = "analytics.sqlite3"

    def __init__(self, path: Path | None = None, *, database: Database | None = None) -> None:
        self.db = database or Database(f"sqlite:///{path}", wal=True)
        self.path = self.db.path
        self.db.create(metadata)

    @classmethod
    def in_dir(cls, data_dir: Path, database_url: str = "") -> "AnalyticsStore":
        """The store at `database_url`, or analytics.sqlite3 under `data_dir`."""
        return cls(database=Database.open(database_url, data_dir, Path(cls.FILE_NAME).stem, wal=True))

    def close(self) -> None:
        self.db.close()

    def add(self, refused: RefusedQuestion) -> None:
        with self.db.write() as db:
            db.execute(refused_questions.insert().values(
                channel=refused.channel, user_key=refused.user_key, question=refused.question,
                question_key=refused.question_key, asked_at=refused.asked_at))

    def open_questions(self) -> list[RefusedQuestion]:
        """Every refusal not answered since, newest first."""
        columns = [refused_questions.c[name] for name in ("channel", "user_key", "question", "question_key",
                                                          "asked_at")]
        query = (select(*columns).where(refused_questions.c.answered_at.is_(None))
                 .order_by(refused_questions.c.asked_at.desc(), refused_questions.c.id.desc()))
        with self.db.read() as db:
            return [RefusedQuestion(**row._mapping) for row in db.execute(query)]

    def mark_answered(self, question_keys: list[str], at: float) -> int:
        """Close the open refusals of these questions; the number of rows closed."""
        closed = 0
        with self.db.write() as db:
            for key in question_keys:
                closed += db.execute(update(refused_questions)
                                     .where(refused_questions.c.question_key == key,
                                            refused_questions.c.answered_at.is_(None))
                                     .values(answered_at=at)).rowcount
        return closed

    def delete_before(self, cutoff: float) -> int:
        """Delete the records asked before `cutoff` (retention); the number deleted."""
        with self.db.write() as db:
            return db.execute(delete(refused_questions).where(refused_questions.c.asked_at < cutoff)).rowcount

    def all_rows(self) -> list[dict]:
        """Every stored row, for review and tests."""
        with self.db.read() as db:
            return [dict(row._mapping) for row in db.execute(select(refused_questions).order_by(refused_questions.c.id))]
