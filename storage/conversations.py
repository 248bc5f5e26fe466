"""What the conversation keeps on disk: answers given (for /nguon and buttons), 👍/👎 votes,
and the short-lived state of chats (previous question, rate-limit events, deliveries seen).
Chats, users and deliveries are named by the keyed pseudonyms the dialogue passes in
(storage/pseudonyms.py), never by their ids.

Keeping the short-lived state here rather than in memory means a restart or a second server
process sees the same context, limits and retried deliveries.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import (Column, Float, ForeignKey, Index, Integer, MetaData, Table, Text, UniqueConstraint, delete, func,
                        select)

from knowledge.answers import Answer, Citation
from storage.database import Database

metadata = MetaData()
answers = Table(
    "answers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", Text, nullable=False),
    Column("chat_id", Text, nullable=False),
    Column("user_id", Text, nullable=False),
    Column("asked", Text, nullable=False),  # as the user typed it (cleaned)
    Column("question", Text, nullable=False),  # as it was understood and sent to the engine
    Column("rewritten", Integer, nullable=False),  # 1 when read as a follow-up of the previous question
    Column("answer", Text, nullable=False),
    Column("refused", Integer, nullable=False),
    Column("fact", Text, nullable=False),
    Column("citations", Text, nullable=False),  # JSON list of Citation dicts
    Column("created_at", Text, nullable=False),
    Index("answers_by_chat", "channel", "chat_id", "id"),
    sqlite_autoincrement=True,
)
feedback = Table(
    "feedback", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("answer_id", Integer, ForeignKey("answers.id"), nullable=False),
    Column("channel", Text, nullable=False),
    Column("chat_id", Text, nullable=False),
    Column("user_id", Text, nullable=False),
    Column("vote", Integer, nullable=False),  # +1 for 👍, -1 for 👎
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("citations", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    UniqueConstraint("answer_id", "user_id"),  # a second tap changes the vote, it does not add one
    sqlite_autoincrement=True,
)
# What a record answer was about (retrieval.answering.procedures: the procedure, or the procedures to choose
# from), so that a button or a numbered reply can ask about it again. Its own table: stores made
# before it existed gain it at start-up, and most answers have no row here.
answer_records = Table(
    "answer_records", metadata,
    Column("answer_id", Integer, ForeignKey("answers.id"), primary_key=True),
    Column("records", Text, nullable=False),  # JSON: Answer.records
    Column("choices", Text, nullable=False),  # JSON: Answer.choices
)
chat_context = Table(
    "chat_context", metadata,
    Column("chat_key", Text, primary_key=True),  # "channel:chat_id"; only the last question is kept
    Column("question", Text, nullable=False),
    Column("at", Float, nullable=False),  # unix time
)
rate_events = Table(
    "rate_events", metadata,
    Column("user_key", Text, nullable=False),
    Column("at", Float, nullable=False),
    Index("rate_events_by_user", "user_key", "at"),
)
deliveries = Table(
    "deliveries", metadata,
    Column("delivery_key", Text, primary_key=True),  # "channel:update_id"
    Column("at", Float, nullable=False),
)
# Telegram stops retrying a webhook delivery well within a day; context and rate windows are
# minutes. (Context TTL and rate window are checked on read; this only bounds the tables.)
STATE_MEMORY_SECONDS = 24 * 3600
PRUNE_EVERY = 500  # writes between clean-ups of expired state


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
    """The answers given and the feedback on them, plus short-lived chat state: a SQLite file
    under the data directory, or tables in the shared PostgreSQL database."""

    FILE_NAME = "conversation.sqlite3"

    def __init__(self, path: Path | None = None, *, database: Database | None = None) -> None:
        # WAL: the event loop, worker threads and other server processes read while one writes.
        self.db = database or Database(f"sqlite:///{path}", wal=True)
        self.path = self.db.path
        self._writes = 0
        self.db.create(metadata)

    @classmethod
    def in_dir(cls, data_dir: Path, database_url: str = "") -> "ConversationStore":
        """The store at `database_url`, or conversation.sqlite3 under `data_dir`."""
        return cls(database=Database.open(database_url, data_dir, Path(cls.FILE_NAME).stem, wal=True))

    def close(self) -> None:
        self.db.close()

    def save_answer(
        self, channel: str, chat_id: str, user_id: str, asked: str, question: str,
        rewritten: bool, answer: Answer,
    ) -> int:
        citations = json.dumps([c.to_dict() for c in answer.citations], ensure_ascii=False)
        with self.db.write() as db:
            result = db.execute(answers.insert().values(
                channel=channel, chat_id=chat_id, user_id=user_id, asked=asked, question=question,
                rewritten=int(rewritten), answer=answer.answer, refused=int(answer.refused), fact=answer.fact,
                citations=citations, created_at=_now()))
            answer_id = int(result.inserted_primary_key[0])
            if answer.choices or any("procedure" in r for r in answer.records):
                db.execute(answer_records.insert().values(
                    answer_id=answer_id, records=json.dumps(answer.records, ensure_ascii=False),
                    choices=json.dumps(answer.choices, ensure_ascii=False)))
            return answer_id

    def answer(self, answer_id: int) -> StoredAnswer | None:
        with self.db.read() as db:
            row = db.execute(select(answers).where(answers.c.id == answer_id)).first()
            return self._with_records(db, _stored(row)) if row else None

    @staticmethod
    def _with_records(db, stored: StoredAnswer) -> StoredAnswer:
        row = db.execute(select(answer_records).where(answer_records.c.answer_id == stored.id)).first()
        if row is not None:
            stored.answer.records = json.loads(row.records)
            stored.answer.choices = json.loads(row.choices)
        return stored

    def last_answer(self, channel: str, chat_id: str) -> StoredAnswer | None:
        with self.db.read() as db:
            row = db.execute(select(answers).where(answers.c.channel == channel, answers.c.chat_id == chat_id)
                             .order_by(answers.c.id.desc()).limit(1)).first()
            return self._with_records(db, _stored(row)) if row else None

    def save_vote(self, stored: StoredAnswer, user_id: str, vote: int) -> None:
        citations = json.dumps([c.to_dict() for c in stored.answer.citations], ensure_ascii=False)
        insert = self.db.insert(feedback).values(
            answer_id=stored.id, channel=stored.channel, chat_id=stored.chat_id,
            user_id=user_id, vote=vote,
            question=stored.question, answer=stored.answer.answer, citations=citations, created_at=_now())
        with self.db.write() as db:
            db.execute(insert.on_conflict_do_update(
                index_elements=[feedback.c.answer_id, feedback.c.user_id],
                set_={"vote": insert.excluded.vote, "created_at": insert.excluded.created_at}))

    # -- short-lived chat state ------------------------------------------------------------
    def first_delivery(self, key: str, now: float) -> bool:
        """Mark a delivery seen; True only the first time (atomic across processes)."""
        with self.db.write() as db:
            inserted = db.execute(self.db.insert(deliveries).values(delivery_key=key, at=now)
                                  .on_conflict_do_nothing(index_elements=[deliveries.c.delivery_key])
                                  .returning(deliveries.c.delivery_key))
            first = inserted.first() is not None
        self._wrote(now)
        return first

    def context(self, chat_key: str, now: float, ttl: float) -> str | None:
        """The chat's previous question if it is younger than `ttl` seconds."""
        with self.db.read() as db:
            return db.scalar(select(chat_context.c.question)
                             .where(chat_context.c.chat_key == chat_key, chat_context.c.at >= now - ttl))

    def remember(self, chat_key: str, question: str, now: float) -> None:
        insert = self.db.insert(chat_context).values(chat_key=chat_key, question=question, at=now)
        with self.db.write() as db:
            db.execute(insert.on_conflict_do_update(
                index_elements=[chat_context.c.chat_key],
                set_={"question": insert.excluded.question, "at": insert.excluded.at}))
        self._wrote(now)

    def forget(self, chat_key: str) -> None:
        with self.db.write() as db:
            db.execute(delete(chat_context).where(chat_context.c.chat_key == chat_key))

    def rate_wait(self, user_key: str, now: float, limit: int, window: float) -> float:
        """0 (and the event counted) when the user is under `limit` events per `window`
        seconds; otherwise the seconds until the oldest counted event leaves the window."""
        with self.db.write(lock="rate:" + user_key) as db:  # count and insert as one step
            times = list(db.scalars(select(rate_events.c.at)
                                    .where(rate_events.c.user_key == user_key, rate_events.c.at > now - window)
                                    .order_by(rate_events.c.at)))
            if len(times) >= limit:
                wait = times[len(times) - limit] + window - now
            else:
                wait = 0.0
                db.execute(rate_events.insert().values(user_key=user_key, at=now))
        self._wrote(now)
        return wait

    def prune(self, now: float, keep_seconds: float = STATE_MEMORY_SECONDS) -> None:
        """Drop short-lived state older than `keep_seconds` so the tables stay small."""
        with self.db.write() as db:
            for table in (deliveries, rate_events, chat_context):
                db.execute(delete(table).where(table.c.at < now - keep_seconds))

    def _wrote(self, now: float) -> None:
        self._writes += 1
        if self._writes % PRUNE_EVERY == 0:
            self.prune(now)

    # -- review ------------------------------------------------------------------------------
    def feedback(self) -> list[dict]:
        """Every vote, oldest first (for review and tests)."""
        with self.db.read() as db:
            return [dict(row._mapping) for row in db.execute(select(feedback).order_by(feedback.c.id))]

    def down_votes(self, limit: int) -> list[dict]:
        """The answers given 👎, newest vote first: question, answer, citations (JSON), channel,
        votes (how many 👎) and last_at (ISO time of the latest)."""
        last_at = func.max(feedback.c.created_at).label("last_at")
        grouped = (feedback.c.answer_id, feedback.c.channel, feedback.c.question, feedback.c.answer,
                   feedback.c.citations)
        query = (select(*grouped, func.count().label("votes"), last_at).where(feedback.c.vote < 0)
                 .group_by(*grouped).order_by(last_at.desc(), feedback.c.answer_id.desc()).limit(limit))
        with self.db.read() as db:
            return [dict(row._mapping) for row in db.execute(query)]

    def delete_votes_before(self, cutoff: str) -> int:
        """Delete votes cast before `cutoff` (an ISO time like `_now()`'s); the number deleted."""
        with self.db.write() as db:
            return db.execute(delete(feedback).where(feedback.c.created_at < cutoff)).rowcount


def _stored(found) -> StoredAnswer:
    row = found._mapping
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
