"""The server under concurrent chats: answers run off the event loop on a pool no larger than
the machine's cores, the loop keeps serving while they run, and `ngoaivu serve` in its own
process answers every update of a burst exactly once. No timings are asserted here: speed
lives in `ngoaivu bench`."""
from __future__ import annotations

import threading

import httpx

from config.settings import Settings, cores, default_workers
from retrieval.engine import AnswerEngine
from knowledge.answers import Answer
from ngoaivu.testing import webhook_load
from ngoaivu.testing.fake_bot_api import FakeBotApi
from tests.telegram_fixtures import (  # noqa: F401 - fixtures
    SECRET, fake_api, message_update, new_chat_id, serve_app,
)
from webhook.app import SECRET_HEADER, WEBHOOK_PATH

QUESTION = "Năm 2020 các địa phương ký bao nhiêu thỏa thuận quốc tế?"
WAIT = 60  # seconds: a bound on waits, never an expectation


class GatedEngine:
    """The real engine, holding each question until the test opens the gate; it records the
    threads that answered and how many questions were inside at once."""

    def __init__(self, engine: AnswerEngine) -> None:
        self.engine = engine
        self.gate = threading.Event()
        self.lock = threading.Lock()
        self.inside = 0
        self.most_inside = 0
        self.entered = threading.Semaphore(0)
        self.threads: set[str] = set()

    def ask(self, question: str) -> Answer:
        with self.lock:
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
            self.threads.add(threading.current_thread().name)
        self.entered.release()
        try:
            assert self.gate.wait(WAIT), "the test never opened the gate"
            return self.engine.ask(question)
        finally:
            with self.lock:
                self.inside -= 1

    def documents(self, include_history: bool = False) -> list[dict]:
        return self.engine.documents(include_history)


def _post_in_background(url: str, update: dict) -> threading.Thread:
    headers = {SECRET_HEADER: SECRET}
    thread = threading.Thread(target=httpx.post, args=(url,), daemon=True,
                              kwargs={"json": update, "headers": headers, "timeout": WAIT})
    thread.start()
    return thread


def test_the_loop_keeps_serving_while_answers_are_being_made(serve_app, engine):
    gated = GatedEngine(engine)
    served = serve_app(gated)
    chat = new_chat_id()
    pending = _post_in_background(served.url + WEBHOOK_PATH, message_update(chat, QUESTION))
    assert gated.entered.acquire(timeout=WAIT)

    # The engine is busy with the question; the server still answers other requests.
    assert served.client.get(served.url + "/healthz").json()["status"] == "ok"
    assert pending.is_alive() and served.replies(chat) == []

    gated.gate.set()
    pending.join(WAIT)
    assert "119" in served.replies(chat)[0]
    assert all(name.startswith("ngoaivu-answer") for name in gated.threads)


def test_answers_run_on_a_pool_no_larger_than_the_cores(serve_app, engine):
    gated = GatedEngine(engine)
    served = serve_app(gated)
    chats = [new_chat_id() for _ in range(cores() + 2)]
    pending = [_post_in_background(served.url + WEBHOOK_PATH, message_update(chat, QUESTION))
               for chat in chats]
    for _ in range(cores()):  # the pool fills up ...
        assert gated.entered.acquire(timeout=WAIT)
    gated.gate.set()  # ... and every question is answered once the gate opens
    for thread in pending:
        thread.join(WAIT)
    assert [len(served.replies(chat)) for chat in chats] == [1] * len(chats)
    assert gated.most_inside <= cores()
    assert len(gated.threads) <= cores()


def test_default_workers_follow_the_vector_store(monkeypatch):
    monkeypatch.delenv("NGOAIVU_WORKERS", raising=False)
    monkeypatch.delenv("CHROMA_HOST", raising=False)
    assert Settings.from_env().workers == 1 == default_workers("")  # the embedded store: one process
    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    assert Settings.from_env().workers == cores()  # a Chroma server: a process per core
    monkeypatch.setenv("NGOAIVU_WORKERS", "3")
    assert Settings.from_env().workers == 3


def test_serve_answers_every_update_of_a_burst_once(fresh_data_dir):
    """`ngoaivu serve` in its own process; this process posts 24 updates from 6 chats at once
    and hosts the Bot API the bot replies to."""
    with FakeBotApi() as api, webhook_load.serve(api, fresh_data_dir) as server:
        result = webhook_load.run_load(server, api, rate=1000, chats=6, updates=24, settle_seconds=WAIT)
    assert result["non_200"] == 0
    assert (result["answered"], result["missing"], result["extra"]) == (24, 0, 0)


def test_server_processes_share_telegrams_flood_limits():
    """Telegram allows a bot about 30 messages a second in all: with two workers sending as the
    same bot, each python-telegram-bot limiter lets through half (and half of a group's 20 a minute)."""
    from bot.telegram.channel import rate_limiter

    one, two = rate_limiter(1), rate_limiter(2)
    # AIORateLimiter keeps its limiters private; AsyncLimiter.max_rate is aiolimiter's public field.
    assert one._base_limiter.max_rate == 30 and two._base_limiter.max_rate == 15
    assert one._group_max_rate == 20 and two._group_max_rate == 10
