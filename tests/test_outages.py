"""Outages of the services `ngoaivu serve` leans on, for real: a Chroma server process and a
PostgreSQL cluster are stopped and started again while `ngoaivu serve` (its own process) answers
over HTTP and through the local Bot API stand-in. No 5xx, every chat question gets a reply, an
upload during the outage is refused whole (and absent), answering is whole again within 10 s of
the service's return; and a burst of 40 questions from 10 chats is answered once each, in order.

One Chroma server, one PostgreSQL and one `ngoaivu serve` for the whole module."""
from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ngoaivu.testing.fake_bot_api import FakeBotApi
from tests.postgres_server import PostgresServer, missing_reason
from tests.telegram_fixtures import SECRET, message_update, new_chat_id
from ngoaivu.testing.webhook_load import _cli, _free_port, prepare_data_dir, run_burst, run_load, serve
from webhook.app import SECRET_HEADER, WEBHOOK_PATH

CHROMA = Path(sys.executable).parent / "chroma"
ADMIN_TOKEN = "outage-admin-token"
ANSWERED = "Năm 2020 các địa phương ký bao nhiêu thỏa thuận quốc tế?"
QUESTIONS = [ANSWERED, "Hội nghị Ngoại vụ toàn quốc lần thứ 21 có chủ đề gì?",
             "TP.HCM có quan hệ hợp tác với bao nhiêu địa phương nước ngoài?", "Cách nấu phở bò ngon tại nhà?"]
RECOVERY_SECONDS = 10

pytestmark = [
    pytest.mark.skipif(not CHROMA.exists(), reason="the chromadb package's `chroma` command is missing"),
    pytest.mark.skipif(missing_reason() is not None, reason=str(missing_reason())),
]


class ChromaProcess:
    """`chroma run` on a fixed loopback port, stopped and started again on the same data."""

    def __init__(self, path: Path) -> None:
        self.path, self.port, self.process = path, _free_port(), None

    @property
    def env(self) -> dict:
        return {"CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(self.port)}

    def start(self) -> None:
        self.process = subprocess.Popen([str(CHROMA), "run", "--path", str(self.path), "--host", "127.0.0.1",
                                         "--port", str(self.port)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:  # a few seconds on an idle machine; minutes beside heavy jobs at a low priority
            _until(lambda: httpx.get(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout=2).status_code == 200,
                   300, "the Chroma server")
        except AssertionError:
            self.stop()
            raise

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _until(check, seconds: float, what: str) -> float:
    """Seconds until `check()` held (polled every 0.2 s); AssertionError after `seconds`."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            if check():
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """(Chroma, PostgreSQL, the Bot API stand-in, a data directory with the shipped articles
    indexed on both, the environment of `ngoaivu serve`)."""
    root = tmp_path_factory.mktemp("outages")
    chroma = ChromaProcess(root / "chroma")
    chroma.start()
    try:
        with PostgresServer() as postgres, FakeBotApi() as api:
            env = {**chroma.env, "NGOAIVU_DATABASE_URL": postgres.new_database(),
                   "NGOAIVU_ADMIN_TOKEN": ADMIN_TOKEN}
            prepare_data_dir(root / "data", env)
            yield chroma, postgres, api, root / "data", env
    finally:
        if chroma.process.poll() is None:
            chroma.stop()


@pytest.fixture(scope="module")
def services(stack):
    """(Chroma, PostgreSQL, the Bot API stand-in, `ngoaivu serve` on both)."""
    chroma, postgres, api, data_dir, env = stack
    with serve(api, data_dir, workers=1, extra_env=env) as server:
        yield chroma, postgres, api, server


def _ask(server, question: str = ANSWERED) -> dict:
    response = httpx.post(server.url + "/api/ask", json={"question": question}, timeout=60)
    assert response.status_code == 200, (response.status_code, response.text, server.log_tail())
    return response.json()


def _chat_round(server, api) -> None:
    """A question from each of three chats: each gets exactly one reply."""
    chats = [new_chat_id() for _ in range(3)]
    for chat, question in zip(chats, QUESTIONS):
        response = httpx.post(server.url + WEBHOOK_PATH, json=message_update(chat, question),
                              headers={SECRET_HEADER: SECRET}, timeout=60)
        assert response.status_code == 200
    for chat in chats:
        replies = api.sent_texts(chat)
        assert len(replies) == 1, (replies, server.log_tail())
        assert "lỗi" not in replies[0].lower(), replies[0]  # an answer or "try later", not the apology


def _upload(server, name: str, text: str) -> httpx.Response:
    return httpx.post(server.url + "/admin/api/documents", files={"file": (name, text.encode(), "text/plain")},
                      headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=120)


def _sources(server) -> list[str]:
    response = httpx.get(server.url + "/admin/api/documents", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                         timeout=30)
    assert response.status_code == 200, response.text
    return [row["source"] for row in response.json()]


def _ready(server) -> tuple[int, dict]:
    response = httpx.get(server.url + "/readyz", timeout=10)
    return response.status_code, response.json()


def test_all_is_well_before_any_outage(services):
    _, _, api, server = services
    answer = _ask(server)
    assert not answer["refused"] and answer["degraded"] == ""
    status, report = _ready(server)
    assert status == 200 and report["ready"], report
    assert {name for name, check in report["checks"].items() if check["ok"]} == {"database", "vectors", "bot_api"}
    _chat_round(server, api)


def test_with_the_chroma_server_stopped_questions_are_answered_from_the_lexical_index(services):
    chroma, _, api, server = services
    whole = _ask(server)
    kept = _upload(server, "quy-dinh-xe-2030.txt", "Quy định đón khách 2030\n\nMỗi đoàn khách được bố trí 6 xe.\n")
    assert kept.status_code == 201, kept.text
    chroma.stop()
    try:
        answer = _ask(server)
        assert answer["degraded"] == "vectors", answer
        assert not answer["refused"] and answer["fact"] == whole["fact"] == "119 thỏa thuận", answer  # lexical alone
        refused = _ask(server, "Cách nấu phở bò ngon tại nhà?")
        assert refused["refused"] and "tạm thời không tra cứu được" in refused["answer"], refused
        _chat_round(server, api)

        _until(lambda: _ready(server)[0] == 503, 5, "/readyz 503 (checks are cached for 2 s)")
        report = _ready(server)[1]
        assert not report["checks"]["vectors"]["ok"] and report["checks"]["database"]["ok"], report

        upload = _upload(server, "quy-dinh-xe-2031.txt", "Quy định đón khách 2031\n\nMỗi đoàn khách được bố trí 7 xe.\n")
        assert upload.status_code == 503, upload.text
        assert "Chroma" in upload.json()["detail"] and "chưa được nạp" in upload.json()["detail"]
        assert "quy-dinh-xe-2031.txt" not in _sources(server)  # refused whole: not listed
        deleted = httpx.delete(f"{server.url}/admin/api/documents/{kept.json()['doc_id']}",
                               headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=60)
        assert deleted.status_code == 200, deleted.text  # the registry decides what is live
    finally:
        chroma.start()
    # Recovery without a restart: whole answers again within 10 s of the server's return.
    _until(lambda: _ask(server)["degraded"] == "", RECOVERY_SECONDS, "answers with vectors again")
    _until(lambda: _ready(server)[0] == 200, RECOVERY_SECONDS, "/readyz 200 again")
    upload = _upload(server, "quy-dinh-xe-2031.txt", "Quy định đón khách 2031\n\nMỗi đoàn khách được bố trí 7 xe.\n")
    assert upload.status_code == 201, upload.text
    assert "quy-dinh-xe-2031.txt" in _sources(server)
    # The deleted document's vectors, left in the store during the outage, are gone after it.
    import chromadb

    client = chromadb.HttpClient(host="127.0.0.1", port=chroma.port)
    collection = client.get_collection(client.list_collections()[0].name)
    _until(lambda: not collection.get(where={"doc_id": kept.json()["doc_id"]}, include=[])["ids"], RECOVERY_SECONDS,
           "the reconcile after the outage")
    # A "try again later" is not a question the documents lack: not on the admins' list.
    listed = httpx.get(server.url + "/admin/api/unanswered", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                       timeout=30).json()
    assert "Cách nấu phở bò ngon tại nhà?" not in [row["question"] for row in listed], listed


def test_with_postgresql_stopped_questions_are_answered_and_refusals_kept_for_later(services):
    _, postgres, api, server = services
    postgres.stop()
    try:
        answer = _ask(server)
        assert not answer["refused"] and answer["degraded"] == "database", answer
        _chat_round(server, api)  # no rate limit, context or stored answer: still a reply each
        unanswered = "Thủ tục cấp thị thực cho đoàn nghệ thuật nước ngoài năm 2033 cần bao nhiêu ngày?"
        assert _ask(server, unanswered)["refused"]

        _until(lambda: _ready(server)[0] == 503, 5, "/readyz 503 (checks are cached for 2 s)")
        report = _ready(server)[1]
        assert not report["checks"]["database"]["ok"] and report["checks"]["vectors"]["ok"], report

        upload = _upload(server, "quy-dinh-xe-2032.txt", "Quy định đón khách 2032\n\nMỗi đoàn khách được bố trí 9 xe.\n")
        assert upload.status_code == 503, upload.text
        assert "Cơ sở dữ liệu" in upload.json()["detail"]
        listing = httpx.get(server.url + "/admin/api/documents", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                            timeout=30)
        assert listing.status_code == 503, listing.text
    finally:
        postgres.start()
    _until(lambda: _ask(server)["degraded"] == "", RECOVERY_SECONDS, "answers with the database again")
    _until(lambda: _ready(server)[0] == 200, RECOVERY_SECONDS, "/readyz 200 again")
    assert "quy-dinh-xe-2032.txt" not in _sources(server)
    # The refusal the database could not take is written with the next one.
    _ask(server, "Cách nấu phở bò ngon tại nhà?")
    listed = httpx.get(server.url + "/admin/api/unanswered", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                       timeout=30).json()
    assert unanswered in [row["question"] for row in listed], listed
    _chat_round(server, api)


def test_a_burst_of_40_questions_from_10_chats_is_answered_once_each_in_order(services):
    _, _, api, server = services
    result = run_burst(server, api, chats=10, updates=40)  # delivered as Telegram delivers
    assert result["non_200"] == 0, result
    assert (result["answered"], result["missing"], result["extra"]) == (40, 0, 0), result
    assert result["out_of_order"] == 0, result
    # Harsher than Telegram: all 40 POSTs at once. Each still answered exactly once.
    result = run_load(server, api, math.inf, chats=10, updates=40)
    assert result["non_200"] == 0, result
    assert (result["answered"], result["missing"], result["extra"]) == (40, 0, 0), result


# -- `ngoaivu serve` started while a service is down --------------------------------------------
# Machines reboot and compose files start services in any order: the server listens anyway, every
# Telegram question gets one clear "try again later" (or a lexical answer, with Chroma alone away),
# /api/ask and the admin API answer 503 with the reason, /readyz names the service; once it is
# back, real answers with no restart. A fault of our own at start-up still stops it.

TRY_LATER = ("tạm thời không tra cứu được", "thử lại sau ít phút")
OPEN_SECONDS = 60  # from the service's return to a real answer (retries every 5 s at most, then a cold start)


def _telegram(server, update: dict) -> None:
    response = httpx.post(server.url + WEBHOOK_PATH, json=update, headers={SECRET_HEADER: SECRET}, timeout=60)
    assert response.status_code == 200, (response.status_code, response.text, server.log_tail())


def _post_ask(server, question: str = ANSWERED) -> httpx.Response:
    return httpx.post(server.url + "/api/ask", json={"question": question}, timeout=60)


def _admin(server, method: str = "GET", path: str = "/admin/api/documents", **kwargs) -> httpx.Response:
    return httpx.request(method, server.url + path, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                         timeout=60, **kwargs)


def _answered(server) -> bool:
    response = _post_ask(server)
    return response.status_code == 200 and not response.json()["refused"] and response.json()["degraded"] == ""


def test_started_with_postgresql_down_it_says_try_later_then_answers_once_it_is_back(stack):
    _, postgres, api, data_dir, env = stack
    postgres.stop()
    back = False
    try:
        with serve(api, data_dir, workers=1, extra_env=env) as server:
            chat, retried = new_chat_id(), message_update(new_chat_id(), ANSWERED)
            _telegram(server, message_update(chat, ANSWERED))
            _telegram(server, retried)
            _telegram(server, retried)  # Telegram delivers it again: still one reply
            replies = api.sent_texts(chat)
            assert len(replies) == 1 and all(part in replies[0] for part in TRY_LATER), (replies, server.log_tail())
            assert len(api.sent_texts(retried["message"]["chat"]["id"])) == 1

            listing = new_chat_id()  # a command while waiting: the outage named, not a bug's apology
            _telegram(server, message_update(listing, "/tailieu"))
            assert api.sent_texts(listing) == ["Cơ sở dữ liệu tạm thời không truy cập được. Xin thử lại sau ít phút."], \
                api.sent_texts(listing)

            asked = _post_ask(server)
            assert asked.status_code == 503 and asked.headers["retry-after"], asked.text
            assert "Cơ sở dữ liệu" in asked.json()["detail"], asked.text
            listing = _admin(server)
            assert listing.status_code == 503 and "Cơ sở dữ liệu" in listing.json()["detail"], listing.text
            assert _admin(server, path="/admin/api/unanswered").status_code == 503
            assert _upload(server, "xe-2040.txt", "Quy định xe 2040\n\nMỗi đoàn 4 xe.\n").status_code == 503
            status, report = _ready(server)
            assert status == 503 and not report["checks"]["database"]["ok"], report
            assert httpx.get(server.url + "/healthz", timeout=10).json()["waiting_for"] == "database"
            # Zalo's outbox and tokens live in the database: 503, and Zalo delivers the event again.
            zalo = httpx.post(server.url + "/zalo/webhook", content=b"{}", headers={"X-ZEvent-Signature": "mac=0"},
                              timeout=10)
            assert zalo.status_code == 503 and zalo.headers["retry-after"], zalo.text
            postgres.start()
            back = True
            seconds = _until(lambda: _answered(server), OPEN_SECONDS, "a real answer after PostgreSQL's return")
            print(f"PostgreSQL back: a real answer after {seconds:.1f} s")
            _until(lambda: _ready(server)[0] == 200, 10, "/readyz 200")
            chat = new_chat_id()
            _telegram(server, message_update(chat, ANSWERED))
            assert "119" in api.sent_texts(chat)[0], api.sent_texts(chat)
            _telegram(server, retried)  # answered "try later" before: not answered again
            assert len(api.sent_texts(retried["message"]["chat"]["id"])) == 1
            assert server.log_tail(200_000).count("retrying in the background") == 1  # once per outage
    finally:
        if not back:
            postgres.start()


def test_started_with_the_chroma_server_down_it_answers_lexically_then_whole(stack):
    chroma, _, api, data_dir, env = stack
    chroma.stop()
    try:
        with serve(api, data_dir, workers=1, extra_env=env) as server:
            asked = _post_ask(server)
            assert asked.status_code == 200, (asked.text, server.log_tail())
            answer = asked.json()
            assert answer["degraded"] == "vectors" and answer["fact"] == "119 thỏa thuận", answer
            chat = new_chat_id()
            _telegram(server, message_update(chat, "Cách nấu phở bò ngon tại nhà?"))
            replies = api.sent_texts(chat)
            assert len(replies) == 1 and all(part in replies[0] for part in TRY_LATER), replies
            status, report = _ready(server)
            assert status == 503 and not report["checks"]["vectors"]["ok"] and report["checks"]["database"]["ok"]
            upload = _upload(server, "xe-2041.txt", "Quy định xe 2041\n\nMỗi đoàn 5 xe.\n")
            assert upload.status_code == 503 and "Chroma" in upload.json()["detail"], upload.text
            chroma.start()
            seconds = _until(lambda: _answered(server), OPEN_SECONDS, "answers with vectors after Chroma's return")
            print(f"Chroma back: a whole answer after {seconds:.1f} s")
            assert _upload(server, "xe-2041.txt", "Quy định xe 2041\n\nMỗi đoàn 5 xe.\n").status_code == 201
    finally:
        if chroma.process.poll() is not None:
            chroma.start()


def test_a_fault_of_our_own_at_start_up_still_stops_the_server(stack):
    """A bad setting is not waited out, even with the database down too."""
    _, postgres, _, data_dir, env = stack
    postgres.stop()
    try:
        run = subprocess.run(_cli("serve"), env={**os.environ, **env, "NGOAIVU_DATA_DIR": str(data_dir),
                                                 "PORT": "0", "NGOAIVU_WORKERS": "1",
                                                 "NGOAIVU_EMBEDDINGS": "no-such-model"},
                             capture_output=True, text=True, timeout=120)
    finally:
        postgres.start()
    assert run.returncode != 0
    assert "ngoaivu serve cannot start" in run.stderr + run.stdout, run.stderr[-2000:]


def test_a_fault_of_our_own_met_after_waiting_out_an_outage_stops_the_server_with_a_failure(stack):
    """PostgreSQL down at start-up is waited out; what it then holds is damaged (the analytics
    key is not hex): the server stops, logs why, and exits non-zero (a supervisor sees a failure)."""
    import sqlalchemy

    _, postgres, api, data_dir, env = stack
    from storage.database import Database, _postgres_url
    from storage.pseudonyms import Pseudonyms, keys

    Pseudonyms.in_database(Database(env["NGOAIVU_DATABASE_URL"]))  # the key exists (as after any earlier start)
    engine = sqlalchemy.create_engine(_postgres_url(env["NGOAIVU_DATABASE_URL"]), poolclass=sqlalchemy.pool.NullPool)
    where = keys.c.name == Pseudonyms.FILE_NAME
    with engine.begin() as db:
        original = db.scalar(sqlalchemy.select(keys.c.value).where(where))
        db.execute(keys.update().where(where).values(value="not a hex key"))
    postgres.stop()
    back = False
    try:
        with serve(api, data_dir, workers=1, extra_env=env) as server:
            assert _post_ask(server).status_code == 503  # waiting for PostgreSQL
            postgres.start()
            back = True
            server.process.wait(timeout=OPEN_SECONDS)
            assert server.process.returncode == 1, (server.process.returncode, server.log_tail())
            assert "ngoaivu serve cannot start" in server.log_tail(200_000), server.log_tail()
    finally:
        if not back:
            postgres.start()
        with engine.begin() as db:
            db.execute(keys.update().where(where).values(value=original))
        engine.dispose()
