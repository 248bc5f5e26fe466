"""What officers asked and the bot could not answer, and the answers they judged 👎: the list of
documents admins should add.

Every refused question from every channel is recorded (with a pseudonym, never a user id);
questions that differ only in case, marks, spacing or punctuation are one group. When a document
is uploaded, the open questions are asked again and those now answered leave the list.
Records older than NGOAIVU_ANALYTICS_DAYS are deleted.
"""
from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from storage.analytics import AnalyticsStore, RefusedQuestion
from storage.pseudonyms import Pseudonyms
from storage.conversations import ConversationStore
from vietnamese.text import fold, normalize
from knowledge.answers import Answer

log = logging.getLogger(__name__)

REASK_LIMIT = 500  # open questions re-asked per upload, most asked first …
REASK_SECONDS = 20.0  # … for at most this long (an answer takes 15-130 ms: the REST upload waits)
PRUNE_EVERY_SECONDS = 3600.0  # retention is in days: an hourly clean-up is plenty
# Refusals that could not be written (the database away) wait in memory, with their own time,
# and are written before the next one; past this many the oldest are dropped, each logged.
PENDING_LIMIT = 10_000
_WORDS = re.compile(r"\w+", re.UNICODE)


def question_key(question: str) -> str:
    """The group of a question: "Năm 2020 …?" and "nam  2020 …" are the same question."""
    return " ".join(_WORDS.findall(fold(normalize(question)).replace("_", " ")))


@dataclass(frozen=True)
class UnansweredQuestion:
    """A group of refused questions, as admins see it."""

    question: str  # the latest wording
    count: int  # times asked (and refused) since it was last answered
    last_asked: float  # unix time
    channels: list[str]
    users: int  # distinct askers (pseudonyms; the anonymous API counts as none)
    key: str

    def to_dict(self) -> dict:
        return {
            "question": self.question, "count": self.count,
            "last_asked": datetime.fromtimestamp(self.last_asked, timezone.utc).isoformat(timespec="seconds"),
            "channels": self.channels, "users": self.users,
        }


class QuestionLog:
    """Records refusals and 👎, lists them for admins, and re-asks them after uploads."""

    def __init__(
        self, store: AnalyticsStore, pseudonyms: Pseudonyms, conversation: ConversationStore,
        retention_days: int = 180, clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.pseudonyms = pseudonyms
        self.conversation = conversation
        self.retention_days = retention_days
        self.clock = clock
        self._pruned_at = float("-inf")
        self._pending: deque[RefusedQuestion] = deque()  # refusals the database did not take yet
        self._pending_lock = threading.Lock()

    @classmethod
    def in_dir(cls, data_dir: Path, conversation: ConversationStore, retention_days: int = 180,
               clock: Callable[[], float] = time.time, database_url: str = "") -> "QuestionLog":
        """Files under `data_dir`, or the shared database at `database_url`."""
        store = AnalyticsStore.in_dir(data_dir, database_url)
        pseudonyms = Pseudonyms.in_database(store.db) if database_url else Pseudonyms.in_dir(data_dir)
        return cls(store, pseudonyms, conversation, retention_days, clock)

    def close(self) -> None:
        self.store.close()

    # -- recording ---------------------------------------------------------------------------
    def record_refusal(self, channel: str, user_id: object, question: str) -> None:
        """Keep a refused question with the time, the channel and the asker's pseudonym."""
        key = question_key(question)
        if not key:
            return  # nothing to group by (no word at all): not a question an admin can act on
        now = self.clock()
        self._keep(RefusedQuestion(channel, self.pseudonyms.of(channel, user_id), question, key, now))
        self.flush()
        self.prune_if_due(now)

    def _keep(self, refused: RefusedQuestion) -> None:
        with self._pending_lock:
            self._pending.append(refused)
            while len(self._pending) > PENDING_LIMIT:
                dropped = self._pending.popleft()
                log.error("dropped a refused question the database did not take: %r", dropped.question)

    def pending(self) -> int:
        """Refusals waiting for the database."""
        return len(self._pending)

    def flush(self) -> None:
        """Write the waiting refusals, oldest first; they stay waiting (and this raises) while the
        database cannot take them."""
        with self._pending_lock:
            while self._pending:
                try:
                    self.store.add(self._pending[0])
                except Exception:
                    log.warning("%d refused question(s) wait for the database", len(self._pending))
                    raise
                self._pending.popleft()

    # -- reading -----------------------------------------------------------------------------
    def unanswered(self, limit: int | None = None) -> list[UnansweredQuestion]:
        """The open questions, most asked first (then most recently asked)."""
        self.prune_if_due(self.clock())
        groups: dict[str, dict] = {}
        for row in self.store.open_questions():  # newest first: the first seen is the latest wording
            group = groups.get(row.question_key)
            if group is None:
                group = groups[row.question_key] = {
                    "question": row.question, "count": 0, "last": row.asked_at,
                    "channels": [], "users": set(),
                }
            group["count"] += 1
            if row.channel not in group["channels"]:
                group["channels"].append(row.channel)
            if row.user_key:
                group["users"].add(row.user_key)
        listed = [
            UnansweredQuestion(g["question"], g["count"], g["last"], sorted(g["channels"]),
                               len(g["users"]), key)
            for key, g in groups.items()
        ]
        listed.sort(key=lambda q: (-q.count, -q.last_asked, q.key))
        return listed if limit is None else listed[:limit]

    def down_votes(self, limit: int = 100) -> list[dict]:
        """The 👎 answers with their questions and citations, newest first."""
        self.prune_if_due(self.clock())
        judged = []
        for row in self.conversation.down_votes(limit):
            judged.append({
                "question": row["question"], "answer": row["answer"],
                "citations": json.loads(row["citations"]), "channel": row["channel"],
                "votes": row["votes"], "last_voted": row["last_at"],
            })
        return judged

    # -- closing the loop --------------------------------------------------------------------
    def reask(self, ask: Callable[[str], Answer], limit: int = REASK_LIMIT,
              budget_seconds: float = REASK_SECONDS) -> list[str]:
        """Ask the open questions again, most asked first, within the time budget; those answered
        now leave the list. Returns them."""
        now_answered: list[UnansweredQuestion] = []
        deadline = time.monotonic() + budget_seconds
        for question in self.unanswered(limit):
            if time.monotonic() > deadline:
                log.info("Re-asking stopped after %.0f s; the rest wait for the next upload", budget_seconds)
                break
            if not ask(question.question).refused:
                now_answered.append(question)
        if now_answered:
            self.store.mark_answered([q.key for q in now_answered], self.clock())
        return [q.question for q in now_answered]

    def ask_again(self, question: str, ask: Callable[[str], Answer]) -> Answer:
        """Ask one listed question again (the admin page's button); answered -> it leaves the list."""
        answer = ask(question)
        if not answer.refused:
            self.store.mark_answered([question_key(question)], self.clock())
        return answer

    # -- retention ---------------------------------------------------------------------------
    def prune_if_due(self, now: float) -> None:
        if now - self._pruned_at >= PRUNE_EVERY_SECONDS:
            self.prune(now)

    def prune(self, now: float) -> None:
        """Delete refusals and votes older than the retention period."""
        self._pruned_at = now
        cutoff = now - self.retention_days * 86400
        refused = self.store.delete_before(cutoff)
        votes = self.conversation.delete_votes_before(
            datetime.fromtimestamp(cutoff, timezone.utc).isoformat(timespec="seconds"))
        if refused or votes:
            log.info("Retention: deleted %s refused questions and %s votes older than %s days",
                     refused, votes, self.retention_days)
