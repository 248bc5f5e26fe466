"""Webhook load for `ngoaivu bench`: the real app under uvicorn, the local Bot API server, and N
chats posting updates at once. Bounded: a fixed number of updates, each with a timeout."""
from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import httpx

from retrieval.engine import AnswerEngine
from tests.fake_bot_api import FakeBotApi
from tests.telegram_fixtures import SECRET, LiveServer, app_settings, message_update, new_chat_id
from webhook.app import SECRET_HEADER, WEBHOOK_PATH, create_app

QUESTIONS = [
    "Năm 2020 các địa phương ký bao nhiêu thỏa thuận quốc tế?",
    "Hội nghị Ngoại vụ toàn quốc lần thứ 21 có chủ đề gì?",
    "quy che 272 ban hanh ngay nao",
    "Cách nấu phở bò ngon tại nhà?",
]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else float("nan")


def measure(concurrent_chats: int, updates: int, engine: AnswerEngine | None = None) -> dict:
    """Send `updates` questions from `concurrent_chats` chats at once (each chat waits for its
    previous answer, as a person does) and time each request to its sendMessage."""
    with tempfile.TemporaryDirectory() as tmp, FakeBotApi() as api:
        engine = engine or AnswerEngine.open(app_settings(Path(tmp) / "engine", api))
        settings = app_settings(Path(tmp) / "app", api, rate_limit_questions=100_000)
        with LiveServer(create_app(settings, engine)) as live:
            chats = [new_chat_id() for _ in range(concurrent_chats)]
            starts: dict[int, list[float]] = {chat: [] for chat in chats}
            per_chat = max(1, updates // concurrent_chats)

            async def chat_worker(client: httpx.AsyncClient, chat: int) -> None:
                for i in range(per_chat):
                    starts[chat].append(time.perf_counter())
                    await client.post(live.url + WEBHOOK_PATH, json=message_update(chat, QUESTIONS[i % len(QUESTIONS)]),
                                      headers={SECRET_HEADER: SECRET})

            async def run() -> float:
                async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=concurrent_chats)) as client:
                    begin = time.perf_counter()
                    await asyncio.gather(*(chat_worker(client, chat) for chat in chats))
                    return time.perf_counter() - begin

            elapsed = asyncio.run(run())
            latencies = []
            for chat in chats:
                sent = [call.at for call in api.calls_of("sendMessage", chat)]
                latencies.extend((at - start) * 1000 for at, start in zip(sent, starts[chat]))
            total = sum(len(s) for s in starts.values())
            return {"updates": total, "answered": len(latencies), "elapsed_s": elapsed,
                    "updates_per_second": total / elapsed,
                    "p50_ms": _percentile(latencies, 0.5), "p95_ms": _percentile(latencies, 0.95)}
