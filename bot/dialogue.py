"""The platform-neutral dialogue core: every chat channel (Telegram now, Zalo later) asks it.

It takes (chat, user, text) and returns a `Reply`. It owns what a conversation needs beyond
the answer engine: input checks, follow-ups read with the chat's previous question (bounded
and expiring), a per-user rate limit, dedupe of retried deliveries, the answers given (for
/nguon and buttons) and the 👍/👎 feedback.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Protocol, TypeVar

from bot import texts
from bot.analytics import QuestionLog
from bot.followup import Resolution, picked, resolve, with_procedure
from storage.conversations import ConversationStore, StoredAnswer
from config.settings import Settings, cores
from knowledge.answers import Answer, Citation
from retrieval.answering.question import InvalidQuestion, clean_question  # noqa: F401 - re-exported
from storage.outages import VECTORS, outage_of, summary

T = TypeVar("T")
log = logging.getLogger(__name__)


def unanswered(answer: Answer) -> bool:
    """A refusal of the documents, for the admins' list: not one made while the vector store was
    away (lexical search alone), which says "try again later" instead."""
    return answer.refused and VECTORS not in answer.degraded.split(",")


class Engine(Protocol):
    """What the dialogue needs of the answer engine (retrieval.engine.AnswerEngine)."""

    def ask(self, question: str) -> Answer: ...

    def documents(self) -> list[dict]: ...


@dataclass(frozen=True)
class Reply:
    """What to say back. `kind` is "answer", or "invalid"/"rate_limited" for a notice in `text`."""

    kind: str
    text: str
    answer: Answer | None = None
    asked: str = ""  # the question as typed (cleaned)
    question: str = ""  # the question as understood (follow-ups rewritten)
    rewritten: bool = False
    answer_id: int | None = None  # key of the stored answer, for source and feedback buttons
    note: str = ""  # a hint to show after the answer

    @property
    def is_answer(self) -> bool:
        return self.kind == "answer"

    @property
    def refused(self) -> bool:
        return self.answer.refused if self.answer else False

    @property
    def fact(self) -> str:
        return self.answer.fact if self.answer else ""

    @property
    def citations(self) -> list[Citation]:
        return self.answer.citations if self.answer else []


class Dialogue:
    """One conversation core shared by all chats of all channels."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        store: ConversationStore | None = None,
        clock: Callable[[], float] = time.time,  # wall time: shared with other processes
        questions: QuestionLog | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        # The state lives in the database so that restarts and several server processes agree.
        self.store = store or ConversationStore.in_dir(settings.data_dir, settings.database_url)
        self.clock = clock
        # Refused questions and 👎, for admins (bot/analytics.py).
        self.questions = questions or QuestionLog.in_dir(
            settings.data_dir, self.store, settings.analytics_days, clock, settings.database_url)
        # Nothing blocking runs on the event loop. Answering is CPU-bound, so one thread per core:
        # more would only queue inside the interpreter instead of in front of the pool. The
        # store's other short calls get one thread of their own and never wait behind an answer.
        self._answering = ThreadPoolExecutor(cores(), thread_name_prefix="ngoaivu-answer")
        self._storing = ThreadPoolExecutor(1, thread_name_prefix="ngoaivu-store")

    def close(self) -> None:
        """Stop the worker threads (after the calls already queued) and close the files kept open."""
        self._answering.shutdown(wait=True)
        self._storing.shutdown(wait=True)
        self.questions.close()
        self.store.close()

    async def off_loop(self, call: Callable[..., T], *args, **kwargs) -> T:
        """Run a short blocking call (the store, the registry) on the store thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._storing, functools.partial(call, *args, **kwargs))

    async def answer_only(self, question: str) -> Answer:
        """The engine's answer with no conversation around it (the JSON API), off the loop."""
        return await asyncio.get_running_loop().run_in_executor(self._answering, self.engine.ask, question)

    def _key(self, channel: str, ident: object) -> str:
        """A keyed pseudonym of a chat, a user or a delivery: what is stored names nobody in clear."""
        return self.questions.pseudonyms.of(channel, ident)

    def validate(self, text: str | None) -> str:
        """The cleaned question; raises InvalidQuestion with a Vietnamese message."""
        return clean_question(text, self.settings.max_question_chars, texts.EXAMPLE_QUESTIONS[0])

    def first_delivery(self, channel: str, delivery_id: object) -> bool:
        """True the first time a delivery (e.g. a Telegram update_id) is seen; False on retries.
        With the database away it is taken as new: a retry answered twice beats none answered."""
        return self._despite_outage("the delivery check", True, self.store.first_delivery,
                                    self._key(channel, delivery_id), self.clock())

    @staticmethod
    def _despite_outage(what: str, fallback: T, call: Callable[..., T], *args) -> T:
        """`call(*args)`, or `fallback` (logged) when the database is unreachable: a conversation's
        bookkeeping must never cost the officer the answer. Other errors propagate."""
        try:
            return call(*args)
        except Exception as error:
            if not outage_of(error):
                raise
            log.warning("%s skipped, the database is unreachable: %s", what, summary(error))
            return fallback

    def previous_question(self, channel: str, chat_id: object) -> str | None:
        """The chat's previous question while it is still fresh (only the last one is kept)."""
        return self.store.context(
            self._key(channel, chat_id), self.clock(), self.settings.context_ttl_seconds
        )

    def forget(self, channel: str, chat_id: object) -> None:
        """Drop the chat's context (e.g. on /start)."""
        self.store.forget(self._key(channel, chat_id))

    def _rate_wait(self, channel: str, user_id: object) -> int:
        """Seconds the user must wait before asking again (0: go ahead; the question counts)."""
        limit = self.settings.rate_limit_questions
        if limit <= 0:
            return 0
        wait = self.store.rate_wait(
            self._key(channel, user_id), self.clock(), limit, self.settings.rate_limit_seconds
        )
        return max(1, math.ceil(wait)) if wait > 0 else 0

    async def ask(self, channel: str, chat_id: object, user_id: object, text: str | None) -> Reply:
        """Answer a user's message in a chat. Engine errors propagate to the channel."""
        try:
            asked = self.validate(text)
        except InvalidQuestion as invalid:
            return Reply(kind="invalid", text=invalid.message)
        # One hop off the loop for the whole turn: rate limit, context, engine, stores.
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._answering, self._turn, channel, chat_id, user_id, asked)

    def _turn(self, channel: str, chat_id: object, user_id: object, asked: str) -> Reply:
        """A checked question's reply (blocking: runs on an answering thread)."""
        # With the database away the question is still answered: no rate limit, no follow-up
        # context, and the answer not kept for /nguon and the buttons (each logged).
        wait = self._despite_outage("the rate limit", 0, self._rate_wait, channel, user_id)
        if wait:
            return Reply(kind="rate_limited", text=texts.RATE_LIMITED.format(seconds=wait))
        previous = self._despite_outage("the chat's context", None, self.previous_question, channel, chat_id)
        reading = resolve(previous, asked)
        if previous is not None:  # a number or a bare field after a procedure answer names that procedure
            last = self.last_answer(channel, chat_id)
            about = with_procedure(asked, last.question, last.answer) if last is not None else None
            if about:
                reading = Resolution(about, True, True)
        return self._answer_turn(channel, chat_id, user_id, asked, reading, previous)

    def pick(self, channel: str, chat_id: object, user_id: object, answer_id: int, number: int) -> Reply | None:
        """A button under an answer: a procedure of its choice list, or a field of its procedure
        (blocking; None when the answer is unknown here or has no such button)."""
        stored = self.stored_answer(channel, chat_id, answer_id)
        question = picked(stored.question, stored.answer, number) if stored is not None else None
        if question is None:
            return None
        wait = self._rate_wait(channel, user_id)
        if wait:
            return Reply(kind="rate_limited", text=texts.RATE_LIMITED.format(seconds=wait))
        previous = self._despite_outage("the chat's context", None, self.previous_question, channel, chat_id)
        return self._answer_turn(channel, chat_id, user_id, question, Resolution(question, True, True), previous)

    def _answer_turn(self, channel: str, chat_id: object, user_id: object, asked: str, reading: Resolution,
                     previous: str | None) -> Reply:
        """`previous`: the chat's question before this one, if still fresh (None also when the
        database is away)."""
        answer = self.engine.ask(reading.question)
        self._despite_outage("keeping the chat's context", None, self.store.remember,
                             self._key(channel, chat_id), reading.question, self.clock())
        answer_id = self._despite_outage(
            f"keeping the answer to {asked[:80]!r}", None, self.store.save_answer,
            channel, self._key(channel, chat_id), self._key(channel, user_id), asked, reading.question, reading.rewritten, answer,
        )
        # A choice list ("which of these procedures?") asks back; it is not a question left unanswered.
        if unanswered(answer) and not any(c.get("kind") == "choice" for c in answer.choices):
            self.record_refusal(channel, user_id, reading.question)
        note = ""
        if reading.follow_up and previous is None and answer.refused:
            note = texts.FOLLOW_UP_WITHOUT_CONTEXT
        return Reply(
            kind="answer", text=answer.answer, answer=answer, asked=asked,
            question=reading.question, rewritten=reading.rewritten, answer_id=answer_id, note=note,
        )

    def record_refusal(self, channel: str, user_id: object, question: str) -> None:
        """Note a question the documents could not answer (admins see it; the user is a pseudonym).
        With the database away it waits in memory and is written with the next one."""
        try:
            self.questions.record_refusal(channel, user_id, question)
        except Exception as error:  # noqa: BLE001 - the officer still gets the reply; the log gets the cause
            if outage_of(error):
                log.warning("a refused question waits for the database (%d waiting)", self.questions.pending())
            else:
                log.exception("Could not record a refused question")

    def stored_answer(self, channel: str, chat_id: object, answer_id: int) -> StoredAnswer | None:
        """An answer given in this chat (None for unknown ids or another chat's answer)."""
        stored = self.store.answer(answer_id)
        if stored is None or stored.channel != channel or stored.chat_id != self._key(channel, chat_id):
            return None
        return stored

    def last_answer(self, channel: str, chat_id: object) -> StoredAnswer | None:
        """The chat's most recent answer, for /nguon."""
        return self.store.last_answer(channel, self._key(channel, chat_id))

    def vote(
        self, channel: str, chat_id: object, user_id: object, answer_id: int, up: bool
    ) -> StoredAnswer | None:
        """Store 👍/👎 for an answer given in this chat; None when the answer is unknown."""
        stored = self.stored_answer(channel, chat_id, answer_id)
        if stored is not None:
            self.store.save_vote(stored, self._key(channel, user_id), 1 if up else -1)
        return stored

    def documents(self) -> list[dict]:
        """The documents the engine holds."""
        return self.engine.documents()
