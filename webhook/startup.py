"""Opening what `ngoaivu serve` needs (the answer engine, the dialogue's stores, the Zalo outbox)
when a service it leans on may be down: machines reboot and compose files start services in any
order, so an outage at start-up is waited out (retried in the background, logged once per
outage) while the server already listens and says "try again in a few minutes". A fault of our
own (a corrupt weights file, a bad setting) is raised: the server stops with it."""
from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, cast

from bot.dialogue import Dialogue, Engine, InvalidQuestion, Reply
from bot.zalo.channel import ZaloBot
from config.settings import Settings
from knowledge.answers import Answer
from retrieval.engine import UNAVAILABLE
from storage.outages import REASONS, Unavailable, outage_of, summary
from storage.pseudonyms import Pseudonyms

log = logging.getLogger(__name__)

# Between attempts: short at first (a service restarting with us is usually back in seconds),
# never longer than RETRY_MAX_SECONDS, so the server answers soon after the service returns.
RETRY_FIRST_SECONDS = 0.5
RETRY_MAX_SECONDS = 5.0
DELIVERIES_KEPT = 10_000  # deliveries remembered while waiting (Telegram retries within minutes)


@dataclass
class Opened:
    """What serving needs, all open."""

    engine: Engine
    dialogue: Dialogue
    zalo: ZaloBot | None  # None when the app was made without the Zalo channel


class Opening:
    """One attempt after another to open what serving needs; what opened is kept between them."""

    def __init__(self, settings: Settings, engine: Engine | None = None, zalo=None) -> None:
        self.settings = settings
        self.engine: Any = engine  # the AnswerEngine (or the one a test gave)
        self._open_zalo = zalo  # settings -> ZaloBot (webhook.zalo.open_zalo)
        self._snapshot_taken = engine is not None  # a given engine is the caller's business
        self.dialogue: Dialogue | None = None
        self.zalo: ZaloBot | None = None
        self.waiting_for = ""  # storage.outages.DATABASE or VECTORS while an outage is waited out
        self.detail = ""  # what the last attempt saw, for /readyz
        self.since = 0.0  # monotonic time the wait began

    def attempt(self) -> Opened | None:
        """Try once (blocking). What serving needs, or None while a service is unreachable;
        a fault of our own is raised."""
        try:
            if self.engine is None:
                from retrieval.engine import AnswerEngine

                self.engine = AnswerEngine.open(cast(Any, self.settings))  # Settings is an EngineConfig
            if not self._snapshot_taken:
                # The lexical indexes are built before the first question is taken, not by it;
                # the answer weights are read now too: a corrupt file stops the start-up instead
                # of failing every question.
                self.engine.kb.snapshot()
                self.engine.route_model  # noqa: B018 - loads the passage model and the route
                self._snapshot_taken = True
            if self.dialogue is None:
                self.dialogue = Dialogue(self.engine, self.settings)
            if self.zalo is None and self._open_zalo is not None:
                self.zalo = self._open_zalo(self.settings)
        except Exception as error:
            dependency = outage_of(error)
            if not dependency:
                raise
            if dependency != self.waiting_for:  # once per outage, not once per try
                if not self.waiting_for:
                    self.since = time.monotonic()
                log.warning("start-up: %s (%s); serving \"try again later\" and retrying in the background",
                            REASONS[dependency].lower(), summary(error))
            self.waiting_for, self.detail = dependency, f"{type(error).__name__}: {summary(error)}"
            return None
        if self.waiting_for:
            log.info("start-up: %s is reachable again; serving normally after %.0f s of waiting",
                     self.waiting_for, time.monotonic() - self.since)
            self.waiting_for = self.detail = ""
        return Opened(self.engine, self.dialogue, self.zalo)

    def retry_delays(self):
        """Seconds to wait before each next attempt: a short backoff, capped."""
        delay = RETRY_FIRST_SECONDS
        while True:
            yield delay
            delay = min(RETRY_MAX_SECONDS, delay * 2)

    def readiness(self) -> dict:
        """The /readyz report while waiting: the service waited for, not ready."""
        check = {"ok": False, "required": True, "detail": self.detail,
                 "waiting_seconds": round(time.monotonic() - self.since, 1)}
        return {"ready": False, "checks": {self.waiting_for: check},
                "detail": f"starting: {REASONS[self.waiting_for]}"}


class NotOpen:
    """Stands for a part that could not be opened yet (the engine, the refused-questions log):
    whatever is asked of it raises Unavailable, which the app turns into a 503 with the reason."""

    def __init__(self, opening: Opening) -> None:
        self._opening = opening

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        raise Unavailable(self._opening.waiting_for or "database")

    def close(self) -> None:  # nothing was opened
        pass


class WaitingDialogue(Dialogue):
    """The dialogue while serving waits for a service at start-up: the channels run as always,
    and each question gets the reply a question gets when the search is unavailable ("tạm thời
    không tra cứu được … thử lại sau ít phút"). Nothing is stored (the database may be the
    service missing); a delivery seen before (a Telegram retry) is dropped from memory, and the
    deliveries seen are handed to the real dialogue once it opens."""

    def __init__(self, settings: Settings, opening: Opening) -> None:
        self.opening = opening
        missing = cast(Any, NotOpen(opening))  # stands for the engine and both stores
        super().__init__(missing, settings, store=missing, questions=missing)
        # Pseudonyms only key the in-memory record of deliveries here: a key of this process.
        self._pseudonyms = Pseudonyms(secrets.token_bytes(32))
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._seen_lock = threading.Lock()

    def _key(self, channel: str, ident: object) -> str:
        return self._pseudonyms.of(channel, ident)

    def first_delivery(self, channel: str, delivery_id: object) -> bool:
        key = (channel, str(delivery_id))
        with self._seen_lock:
            if key in self._seen:
                return False
            self._seen[key] = None
            if len(self._seen) > DELIVERIES_KEPT:
                self._seen.popitem(last=False)
            return True

    def deliveries(self) -> list[tuple[str, str]]:
        """The deliveries answered while waiting (channel, id), oldest first."""
        with self._seen_lock:
            return list(self._seen)

    async def ask(self, channel: str, chat_id: object, user_id: object, text: str | None) -> Reply:
        try:
            asked = self.validate(text)
        except InvalidQuestion as invalid:
            return Reply(kind="invalid", text=invalid.message)
        answer = Answer(question=asked, answer=UNAVAILABLE, refused=True)
        answer.degraded = self.opening.waiting_for
        return Reply(kind="answer", text=UNAVAILABLE, answer=answer, asked=asked, question=asked)

    async def answer_only(self, question: str) -> Answer:
        raise Unavailable(self.opening.waiting_for or "database")

    def record_refusal(self, channel: str, user_id: object, question: str) -> None:
        pass  # "try again later" is not a question the documents lack

    def forget(self, channel: str, chat_id: object) -> None:
        pass  # no context is kept while waiting

    def last_answer(self, channel: str, chat_id: object):
        return None

    def stored_answer(self, channel: str, chat_id: object, answer_id: int):
        return None

    def vote(self, channel: str, chat_id: object, user_id: object, answer_id: int, up: bool):
        return None

    def pick(self, channel: str, chat_id: object, user_id: object, answer_id: int, number: int):
        return None
