"""`ngoaivu poll`: the same bot by long polling, as a real process against the fake Bot API."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ngoaivu.testing.fake_bot_api import TOKEN
from tests.telegram_fixtures import fake_api, message_update, new_chat_id  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
RUN = "from bot.telegram.channel import run_polling; from config.settings import Settings; " \
      "run_polling(Settings.from_env())"


def _wait_for(condition, what: str, process: subprocess.Popen, limit: float = 180) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"the bot exited before {what}: {process.stdout.read()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def test_polling_answers_a_question(fake_api, tmp_path):
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "NGOAIVU_DATA_DIR": str(tmp_path),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake_api.base_url,
        "TELEGRAM_FILE_BASE_URL": fake_api.file_base_url,
        "TELEGRAM_WEBHOOK_SECRET": "",
        "PUBLIC_URL": "",
    }
    process = subprocess.Popen([sys.executable, "-c", RUN], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for(lambda: fake_api.calls_of("getUpdates"), "the first getUpdates", process)
        deleted = fake_api.calls_of("deleteWebhook")
        assert deleted, "polling must remove a webhook first"
        assert fake_api.calls_of("getUpdates")[-1].params["allowed_updates"] == ["message", "callback_query"]

        chat = new_chat_id()
        fake_api.queue_update(message_update(chat, "Năm 2020 các địa phương ký bao nhiêu thỏa thuận quốc tế?"))
        _wait_for(lambda: fake_api.calls_of("sendMessage", chat), "the answer", process)
        assert "119" in fake_api.sent_texts(chat)[0]
        assert [c["command"] for c in fake_api.calls_of("setMyCommands")[-1].params["commands"]][0] == "start"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode == 0, process.stdout.read()
