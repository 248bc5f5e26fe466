"""Time from a webhook request to the bot's sendMessage, with the real app, PTB and engine.

    .venv/bin/python scripts/bench_webhook.py [--runs 20] [--data-dir DIR]

The app runs under uvicorn on a loopback port and talks to the local fake Bot API
(tests/fake_bot_api.py), which stamps each call on arrival; both share this process's
perf_counter clock. Each run posts one Update from a fresh chat, sequentially.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from retrieval.engine import AnswerEngine  # noqa: E402
from tests.fake_bot_api import FakeBotApi  # noqa: E402
from tests.telegram_fixtures import (  # noqa: E402
    LiveServer, Served, app_settings, message_update, new_chat_id,
)
from webhook.app import create_app  # noqa: E402

QUESTIONS = [
    "Năm 2020 các địa phương ký bao nhiêu thỏa thuận quốc tế?",
    "Hội nghị Ngoại vụ toàn quốc lần thứ 21 có chủ đề gì?",
    "Hội nghị Ngoại vụ toàn quốc lần thứ 18 khai mạc ở đâu?",
    "Trong 3 năm qua các địa phương đã ký bao nhiêu thỏa thuận hợp tác?",
    "Cách nấu phở bò ngon tại nhà?",
]


def bench(runs: int = 20, data_dir: Path | None = None) -> dict:
    """Median and spread (ms) of webhook request -> sendMessage over `runs` questions."""
    import httpx

    with tempfile.TemporaryDirectory() as tmp, FakeBotApi() as api:
        engine_dir = data_dir or Path(tmp) / "engine"
        engine = AnswerEngine.open(app_settings(engine_dir, api))
        settings = app_settings(Path(tmp) / "app", api)
        with LiveServer(create_app(settings, engine)) as live, httpx.Client(timeout=60) as client:
            served = Served(live.url, settings, api, client)
            served.say(new_chat_id(), QUESTIONS[0])  # warm-up: connections, caches
            to_send, round_trip = [], []
            for i in range(runs):
                chat = new_chat_id()
                update = message_update(chat, QUESTIONS[i % len(QUESTIONS)])
                started = time.perf_counter()
                response = served.post_update(update)
                finished = time.perf_counter()
                assert response.status_code == 200
                [sent] = api.calls_of("sendMessage", chat)
                to_send.append((sent.at - started) * 1000)
                round_trip.append((finished - started) * 1000)
    return {
        "runs": runs,
        "median_ms": statistics.median(to_send),
        "min_ms": min(to_send),
        "max_ms": max(to_send),
        "median_round_trip_ms": statistics.median(round_trip),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="an existing data directory to reuse (default: build the seeds afresh)")
    args = parser.parse_args()
    result = bench(args.runs, args.data_dir)
    print(f"webhook request -> sendMessage, {result['runs']} runs: "
          f"median {result['median_ms']:.1f} ms (min {result['min_ms']:.1f}, "
          f"max {result['max_ms']:.1f}); full request median {result['median_round_trip_ms']:.1f} ms")


if __name__ == "__main__":
    main()
