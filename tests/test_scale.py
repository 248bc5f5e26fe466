"""Beyond one process: a real Chroma server (`chroma run`) and several `ngoaivu serve` processes
sharing it and one registry (SQLite on one machine, or PostgreSQL across machines). A document
added through one process is answered by the others."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from config.settings import Settings
from retrieval.engine import AnswerEngine
from retrieval.answering.evaluation import evaluate
from tests.conftest import ROOT, SHARED_EVAL, run_cli

CHROMA = Path(sys.executable).parent / "chroma"
NEW_GUIDANCE = ("Quy định tiếp khách quốc tế năm 2032\n\n"
                "Theo Quy định số 91-QĐ/SNgV ngày 3/3/2032, mỗi đoàn khách cấp thứ trưởng được bố trí 5 xe đưa đón.\n")
QUESTION = "Mỗi đoàn khách cấp thứ trưởng được bố trí bao nhiêu xe đưa đón?"

pytestmark = pytest.mark.skipif(not CHROMA.exists(), reason="the chromadb package's `chroma` command is missing")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until(check, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def _chroma(path: Path) -> Iterator[tuple[str, int]]:
    """`chroma run` on a loopback port until the block ends."""
    port = _free_port()
    process = subprocess.Popen([str(CHROMA), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2).status_code == 200,
                    60, "the Chroma server")
        yield "127.0.0.1", port
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    """`chroma run` on a loopback port, stopped after the module."""
    with _chroma(tmp_path_factory.mktemp("chroma-server")) as address:
        yield address


@pytest.fixture(scope="module")
def server_data_dir(chroma_server, tmp_path_factory) -> Path:
    """A registry whose vectors live in the Chroma server, seeded once for the module."""
    directory = tmp_path_factory.mktemp("server-registry")
    host, port = chroma_server
    AnswerEngine.open(Settings(data_dir=directory, chroma_host=host, chroma_port=port))
    return directory


def _env(chroma_server, data_dir: Path, **extra) -> dict:
    host, port = chroma_server
    return {"NGOAIVU_DATA_DIR": str(data_dir), "CHROMA_HOST": host, "CHROMA_PORT": str(port), **extra}


def test_vectors_live_in_the_server_not_on_disk(chroma_server, server_data_dir):
    host, port = chroma_server
    engine = AnswerEngine.open(Settings(data_dir=server_data_dir, chroma_host=host, chroma_port=port))
    assert not (server_data_dir / "chroma").exists()
    assert len(engine.kb.vectors.get(include=[])["ids"]) == len(engine.kb.snapshot().passages) > 100


@pytest.mark.skipif(not SHARED_EVAL.exists(), reason="shared/eval not beside the project")
def test_dev_questions_against_the_chroma_server(chroma_server, server_data_dir):
    host, port = chroma_server
    engine = AnswerEngine.open(Settings(data_dir=server_data_dir, chroma_host=host, chroma_port=port))
    report = evaluate(engine, SHARED_EVAL)
    assert report.right >= 29, report.text()


def test_a_document_added_through_one_process_is_answered_by_every_other(chroma_server, server_data_dir, tmp_path):
    servers, urls = [], []
    try:
        for _ in range(2):
            port = _free_port()
            env = {**os.environ, **_env(chroma_server, server_data_dir, HOST="127.0.0.1", PORT=str(port),
                                        TELEGRAM_BOT_TOKEN="")}
            servers.append(subprocess.Popen([sys.executable, "-c", "from ngoaivu.cli import main; main()", "serve"],
                                            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            _wait_until(lambda: httpx.get(url + "/healthz", timeout=2).status_code == 200, 120, url)
            assert httpx.post(url + "/api/ask", json={"question": QUESTION}, timeout=60).json()["refused"]

        guidance = tmp_path / "quy-dinh-tiep-khach.txt"
        guidance.write_text(NEW_GUIDANCE, encoding="utf-8")
        added = run_cli("ingest", str(guidance), data_dir=server_data_dir, env=_env(chroma_server, server_data_dir))
        assert added.returncode == 0, added.stderr
        added_at = time.monotonic()

        for url in urls:
            def answered() -> bool:
                body = httpx.post(url + "/api/ask", json={"question": QUESTION}, timeout=60).json()
                return not body["refused"] and "5 xe" in body["answer"] and \
                    body["citations"][0]["source"] == "quy-dinh-tiep-khach.txt"
            _wait_until(answered, max(0.2, 5.0 - (time.monotonic() - added_at)), f"{url} to answer within 5 s")
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)


ADMIN_TOKEN = "admin-token-for-the-scale-test-0123456789"


def _serve(env: dict, data_dir: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    environment = {**os.environ, **env, "NGOAIVU_DATA_DIR": str(data_dir), "HOST": "127.0.0.1", "PORT": str(port),
                   "NGOAIVU_ADMIN_TOKEN": ADMIN_TOKEN, "PUBLIC_URL": ""}
    process = subprocess.Popen([sys.executable, "-c", "from ngoaivu.cli import main; main()", "serve"],
                               env=environment, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, f"http://127.0.0.1:{port}"


def _cites(url: str, source: str) -> bool:
    body = httpx.post(url + "/api/ask", json={"question": QUESTION}, timeout=60).json()
    return any(c["source"] == source for c in body["citations"])


def test_two_machines_share_postgresql_and_a_chroma_server(database_url, tmp_path):
    """Servers A and B with different data directories (nothing shared on disk), one PostgreSQL
    and one Chroma server: uploads, deletions and feedback through one are seen by the other."""
    from ngoaivu.testing.fake_bot_api import TOKEN, FakeBotApi
    from tests.telegram_fixtures import SECRET, callback_update, message_update
    from webhook.app import SECRET_HEADER, WEBHOOK_PATH

    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with _chroma(tmp_path / "chroma") as (host, port), FakeBotApi() as api:
        shared = {"NGOAIVU_DATABASE_URL": database_url, "CHROMA_HOST": host, "CHROMA_PORT": str(port)}
        telegram = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET,
                    "TELEGRAM_API_BASE_URL": api.base_url, "TELEGRAM_FILE_BASE_URL": api.file_base_url}
        servers = [_serve({**shared, **telegram}, tmp_path / "a"), _serve({**shared, "TELEGRAM_BOT_TOKEN": ""},
                                                                        tmp_path / "b")]
        (_, a), (_, b) = servers
        try:
            for _, url in servers:
                _wait_until(lambda: httpx.get(url + "/healthz", timeout=2).status_code == 200, 180, url)
                assert not _cites(url, "quy-dinh-tiep-khach.txt")

            uploaded = httpx.post(a + "/admin/api/documents", headers=admin, timeout=120,
                                  files={"file": ("quy-dinh-tiep-khach.txt", NEW_GUIDANCE.encode("utf-8"))})
            assert uploaded.status_code == 201, uploaded.text
            added_at = time.monotonic()

            def b_answers() -> bool:
                body = httpx.post(b + "/api/ask", json={"question": QUESTION}, timeout=60).json()
                return not body["refused"] and "5 xe" in body["answer"] and \
                    body["citations"][0]["source"] == "quy-dinh-tiep-khach.txt"
            _wait_until(b_answers, max(0.2, 5.0 - (time.monotonic() - added_at)), "B to answer within 5 s")

            doc_id = uploaded.json()["doc_id"]
            deleted = httpx.delete(f"{b}/admin/api/documents/{doc_id}", headers=admin, timeout=60)
            assert deleted.status_code == 200, deleted.text
            deleted_at = time.monotonic()
            _wait_until(lambda: not _cites(a, "quy-dinh-tiep-khach.txt"),
                        max(0.2, 5.0 - (time.monotonic() - deleted_at)), "A to stop citing within 5 s")
            for _ in range(5):  # and never again
                assert not _cites(a, "quy-dinh-tiep-khach.txt")

            # 👎 through A's Telegram webhook (the real python-telegram-bot, a local Bot API server) …
            chat = 7_700_001
            sent = httpx.post(a + WEBHOOK_PATH, json=message_update(chat, "Năm 2020 các địa phương ký bao nhiêu "
                                                                         "thỏa thuận quốc tế?"),
                              headers={SECRET_HEADER: SECRET}, timeout=60)
            assert sent.status_code == 200
            [answer_call] = api.calls_of("sendMessage", chat)
            buttons = {b["text"]: b["callback_data"] for row in answer_call.params["reply_markup"]["inline_keyboard"]
                       for b in row}
            tapped = httpx.post(a + WEBHOOK_PATH, json=callback_update(answer_call.result, buttons["👎"], user_id=chat),
                                headers={SECRET_HEADER: SECRET}, timeout=60)
            assert tapped.status_code == 200
            # … is listed by B's admin API (another data directory: it reads the shared database)
            listed = httpx.get(b + "/admin/api/feedback", headers=admin, timeout=60)
            assert listed.status_code == 200, listed.text
            assert [(v["question"], v["votes"], v["channel"]) for v in listed.json()] == \
                [("Năm 2020 các địa phương ký bao nhiêu thỏa thuận quốc tế?", 1, "telegram")]
            assert listed.json()[0]["citations"][0]["source"]
            shared = {"registry.sqlite3", "conversation.sqlite3", "analytics.sqlite3", "analytics.key",
                      "zalo_tokens.json", "zalo_tokens.sqlite3", "zalo_pending.sqlite3"}  # all in PostgreSQL
            assert not [p for p in tmp_path.glob("[ab]/*") if p.name in shared]
            assert not (tmp_path / "a" / "registry.sqlite3").exists() and not (tmp_path / "a" / "chroma").exists()
        finally:
            for process, _ in servers:
                process.terminate()
                process.wait(timeout=30)
