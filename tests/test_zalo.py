"""The Zalo channel end to end: the real app under uvicorn, Zalo's events signed as Zalo signs them,
and the fake Zalo API (ngoaivu/testing/fake_zalo_api.py) recording what the bot sends.

Work happens after the webhook has answered, so tests wait (bounded) for the calls they expect."""
from __future__ import annotations

import hashlib
import itertools
import json
import re
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator

import httpx
import pytest

from bot import texts
from config.settings import Settings
from retrieval.engine import AnswerEngine
from ngoaivu.testing.fake_zalo_api import APP_ID, APP_SECRET, OA_SECRET_KEY, TEXT_LIMIT, FakeZaloApi
from tests.admin_files import wait_for
from storage.zalo_tokens import TokenPair, TokenStore, env_fingerprint
from tests.telegram_fixtures import LiveServer
from webhook.app import create_app
from webhook.zalo import token_store

QUESTION = "Năm 2020 các địa phương ký bao nhiêu thỏa thuận quốc tế?"
OA_ID = "579745863508352884"
ADMIN_ID = "8840000000000000001"
WEBHOOK = "/zalo/webhook"

_users = itertools.count(7_310_000_000_000_000_001)
_messages = itertools.count(1)


def new_user() -> str:
    return str(next(_users))


def _now_ms() -> str:
    return str(int(time.time() * 1000))


def text_event(user_id: str, text: str, msg_id: str | None = None) -> dict:
    """A user_send_text event as Zalo posts it."""
    return {
        "app_id": APP_ID, "user_id_by_app": f"app-{user_id}", "event_name": "user_send_text",
        "timestamp": _now_ms(), "sender": {"id": user_id}, "recipient": {"id": OA_ID},
        "message": {"text": text, "msg_id": msg_id or f"msg{next(_messages):012d}"},
    }


def follow_event(user_id: str) -> dict:
    return {"app_id": APP_ID, "oa_id": OA_ID, "user_id_by_app": f"app-{user_id}",
            "event_name": "follow", "source": "oa_profile", "timestamp": _now_ms(),
            "follower": {"id": user_id}}


def file_event(user_id: str, url: str, name: str, size: int) -> dict:
    return {
        "app_id": APP_ID, "user_id_by_app": f"app-{user_id}", "event_name": "user_send_file",
        "timestamp": _now_ms(), "sender": {"id": user_id}, "recipient": {"id": OA_ID},
        "message": {"msg_id": f"msg{next(_messages):012d}", "attachments": [
            {"type": "file", "payload": {"url": url, "name": name, "size": str(size),
                                         "checksum": hashlib.md5(name.encode()).hexdigest(),
                                         "type": Path(name).suffix.lstrip(".")}}]},
    }


def sign(body: bytes, timestamp: str, *, app_id: str = APP_ID, key: str = OA_SECRET_KEY) -> str:
    """X-ZEvent-Signature: "mac=" + sha256(app id + body + timestamp + OA secret key), in hex."""
    digest = hashlib.sha256(app_id.encode() + body + timestamp.encode() + key.encode()).hexdigest()
    return f"mac={digest}"


@dataclass
class ZaloServed:
    """The running app, its settings and the fake Zalo API it talks to."""

    settings: Settings
    api: FakeZaloApi
    live: LiveServer
    client: httpx.Client

    def post(self, event: dict, signature: str | None = "sign") -> httpx.Response:
        body = json.dumps(event, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if signature == "sign":
            signature = sign(body, str(event["timestamp"]))
        if signature is not None:
            headers["X-ZEvent-Signature"] = signature
        return self.client.post(self.live.url + WEBHOOK, content=body, headers=headers)

    def say(self, user_id: str, text: str) -> dict:
        event = text_event(user_id, text)
        response = self.post(event)
        assert response.status_code == 200, response.text
        return event

    def wait_delivered(self, user_id: str, count: int = 1) -> list[str]:
        return wait_for(lambda: len(self.api.delivered(user_id)) >= count and
                        self.api.delivered(user_id), message=f"{count} message(s) to {user_id}")

    def stop(self) -> None:
        self.live.__exit__(None, None, None)

    @property
    def token_file(self) -> Path:
        return self.settings.data_dir / "zalo_tokens.sqlite3"

    def stored_tokens(self) -> TokenPair | None:
        """The pair the app has stored (read as another process would)."""
        stored = token_store(self.settings).load()
        return stored[0] if stored else None


@pytest.fixture
def zalo() -> Iterator[FakeZaloApi]:
    with FakeZaloApi() as api:
        yield api


@pytest.fixture
def serve_zalo(zalo, tmp_path) -> Iterator[Callable[..., ZaloServed]]:
    """Start the real app: serve_zalo(engine, data_dir=None, **settings_overrides)."""
    started: list[ZaloServed] = []

    def start(engine, data_dir: Path | None = None, **overrides) -> ZaloServed:
        if "zalo_access_token" not in overrides:
            overrides["zalo_access_token"], overrides["zalo_refresh_token"] = zalo.issue_tokens()
        settings = Settings(
            data_dir=data_dir or tmp_path / f"app-data-{len(started)}",
            zalo_app_id=APP_ID, zalo_app_secret=APP_SECRET, zalo_oa_secret_key=OA_SECRET_KEY,
            zalo_api_base_url=zalo.url, zalo_oauth_base_url=zalo.url,
            rate_limit_questions=1000,  # the rate limit has its own tests
        )
        settings = replace(settings, **overrides)
        live = LiveServer(create_app(settings, engine)).__enter__()
        served = ZaloServed(settings, zalo, live, httpx.Client(timeout=60))
        started.append(served)
        return served

    yield start
    for served in started:
        served.client.close()
        if served.live.thread.is_alive():
            served.stop()


# ---- answering -----------------------------------------------------------------------------

@pytest.mark.parametrize("numeric_timestamp", [False, True])
def test_a_question_is_answered_in_plain_text_with_numbered_sources(
    serve_zalo, zalo, engine, numeric_timestamp
):
    served = serve_zalo(engine)
    user = new_user()
    event = text_event(user, QUESTION)
    if numeric_timestamp:  # the MAC uses the timestamp as it appears in the body
        event["timestamp"] = int(event["timestamp"])
    response = served.post(event)
    assert response.status_code == 200

    [reply] = served.wait_delivered(user)
    expected = engine.ask(QUESTION)
    assert not expected.refused and expected.citations
    assert expected.fact in reply
    assert "<b>" not in reply and "&amp;" not in reply  # plain text, nothing escaped for HTML
    sources = reply.split(texts.SOURCES_HEADING, 1)[1]
    for citation in expected.citations:
        line = next(line for line in sources.splitlines() if line.startswith(f"[{citation.n}] "))
        assert citation.title in line
        assert citation.publisher in line and citation.date in line

    [call] = zalo.calls_of("send", user)
    assert call.token == served.settings.zalo_access_token
    assert call.params == {"recipient": {"user_id": user}, "message": {"text": reply}}


def test_a_follower_is_welcomed(serve_zalo, zalo, engine):
    served = serve_zalo(engine)
    user = new_user()
    assert served.post(follow_event(user)).status_code == 200
    [welcome] = served.wait_delivered(user)
    assert welcome.startswith(texts.WELCOME)
    assert all(question in welcome for question in texts.EXAMPLE_QUESTIONS)


def test_other_events_are_acknowledged_and_ignored(serve_zalo, zalo, engine):
    served = serve_zalo(engine)
    user = new_user()
    sticker = text_event(user, "")
    sticker["event_name"] = "user_send_sticker"
    sticker["message"] = {"msg_id": "sticker-1", "attachments": [
        {"type": "sticker", "payload": {"id": "bfe458bf64fa8da4d4eb", "url": "https://zalo.me/s.png"}}]}
    seen = text_event(user, "")
    seen["event_name"] = "user_seen_message"
    for event in (sticker, seen):
        assert served.post(event).status_code == 200
    served.say(user, QUESTION)  # a later question is answered, and it is the only message
    served.wait_delivered(user)
    assert len(zalo.calls_of("send", user)) == 1


@pytest.mark.parametrize("forgery", [
    "missing", "empty", "wrong-key", "wrong-app", "tampered-body", "other-timestamp", "not-hex",
])
def test_a_bad_or_missing_signature_is_refused_and_nothing_is_sent(serve_zalo, zalo, engine, forgery):
    served = serve_zalo(engine)
    user = new_user()
    event = text_event(user, QUESTION)
    body = json.dumps(event, ensure_ascii=False).encode("utf-8")
    timestamp = event["timestamp"]
    signature = {
        "missing": None,
        "empty": "",
        "wrong-key": sign(body, timestamp, key="not-the-oa-secret"),
        "wrong-app": sign(body, timestamp, app_id="999"),
        "tampered-body": sign(body.replace(b"2020", b"2021"), timestamp),
        "other-timestamp": sign(body, str(int(timestamp) + 1)),
        "not-hex": "mac=" + "g" * 64,
    }[forgery]
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-ZEvent-Signature"] = signature
    response = served.client.post(served.live.url + WEBHOOK, content=body, headers=headers)
    assert response.status_code == 401

    other = new_user()  # a genuine event afterwards is answered; the forged one never is
    served.say(other, QUESTION)
    served.wait_delivered(other)
    assert zalo.calls_of("send", user) == []
    assert [c.kind for c in zalo.calls] == ["send"]


def test_without_an_oa_secret_key_every_event_is_refused(serve_zalo, zalo, engine):
    served = serve_zalo(engine, zalo_oa_secret_key="")
    event = text_event(new_user(), QUESTION)
    body = json.dumps(event).encode()
    response = served.client.post(served.live.url + WEBHOOK, content=body,
                                  headers={"X-ZEvent-Signature": sign(body, event["timestamp"], key="")})
    assert response.status_code == 401


def test_a_replayed_event_is_answered_once(serve_zalo, zalo, engine):
    served = serve_zalo(engine)
    user = new_user()
    event = served.say(user, QUESTION)
    served.wait_delivered(user)
    assert served.post(event).status_code == 200  # Zalo retries with the same msg_id
    served.say(user, "Hội nghị Ngoại vụ toàn quốc lần thứ 18 có chủ đề gì?")
    served.wait_delivered(user, 2)
    answered = [c.text for c in zalo.calls_of("send", user)]
    assert len(answered) == 2 and answered[0] != answered[1]


def test_a_long_answer_is_split_on_paragraph_boundaries(serve_zalo, zalo, engine):
    served = serve_zalo(LongAnswerEngine(engine))
    user = new_user()
    served.say(user, QUESTION)
    # The answer ends with sources; wait until they have arrived.
    parts = wait_for(lambda: (lambda d: d if d and texts.SOURCES_HEADING in d[-1] else None)(
        served.api.delivered(user)), message="the last part, with the sources")

    long_answer = LongAnswerEngine(engine).ask(QUESTION)
    assert len(parts) >= 3
    assert all(0 < len(part) <= TEXT_LIMIT for part in parts)
    for paragraph in long_answer.answer.split("\n\n")[:-1]:  # each fits: never cut
        assert sum(paragraph in part for part in parts) == 1, paragraph[:60]
    joined = " ".join(" ".join(parts).split())
    assert " ".join(long_answer.answer.split()) in joined  # nothing lost, nothing reordered
    assert "[1] " in parts[-1]


class LongAnswerEngine(AnswerEngine):
    """The real engine, with answers that run on for many paragraphs and one very long one."""

    def __init__(self, inner: AnswerEngine) -> None:  # the inner engine's index, no copy
        self.inner = inner

    def ask(self, question: str):
        answer = self.inner.ask(question)
        quote = answer.citations[0].quote
        paragraphs = [f"Đoạn {i}. {quote}"[:450] for i in range(1, 9)]
        endless = " ".join(f"câu{i} {quote}" for i in range(30))  # no paragraph break at all
        assert len(endless) > TEXT_LIMIT
        return replace(answer, answer="\n\n".join([answer.answer, *paragraphs, endless]))

    def documents(self) -> list[dict]:
        return self.inner.documents()


# ---- tokens and errors -----------------------------------------------------------------------

def test_an_expired_token_is_refreshed_stored_before_use_and_kept_after_a_restart(
    serve_zalo, zalo, engine, tmp_path
):
    data_dir = tmp_path / "data"
    first_access, first_refresh = zalo.issue_tokens()
    env = {"zalo_access_token": first_access, "zalo_refresh_token": first_refresh}
    served = serve_zalo(engine, data_dir, **env)
    stored_when_sent: dict[str, str] = {}
    zalo.on_send = lambda call: stored_when_sent.setdefault(call.token, served.stored_tokens())
    zalo.expire(first_access)  # its 25 hours are over

    user = new_user()
    served.say(user, QUESTION)
    served.wait_delivered(user)
    failed, resent = zalo.calls_of("send", user)
    assert failed.token == first_access and failed.answer["error"] == -216
    [refresh] = zalo.calls_of("refresh")
    assert refresh.headers["secret_key"] == APP_SECRET
    assert refresh.params == {"refresh_token": first_refresh, "app_id": APP_ID,
                              "grant_type": "refresh_token"}
    new_access, new_refresh = refresh.answer["access_token"], refresh.answer["refresh_token"]
    assert resent.token == new_access and resent.ok and resent.text == failed.text

    stored = served.stored_tokens()
    assert (stored.access_token, stored.refresh_token) == (new_access, new_refresh)
    assert stored_when_sent[new_access] == stored  # stored before it was first used
    assert served.token_file.stat().st_mode & 0o077 == 0  # secrets: readable by the owner only

    served.stop()  # a restart with the same (now spent) environment pair
    restarted = serve_zalo(engine, data_dir, **env)
    other = new_user()
    restarted.say(other, QUESTION)
    restarted.wait_delivered(other)
    [call] = zalo.calls_of("send", other)
    assert call.token == new_access
    assert len(zalo.calls_of("refresh")) == 1


def test_an_upgrade_takes_over_the_token_file_and_spends_no_refresh_token(serve_zalo, zalo, engine, tmp_path):
    # A data directory an earlier version left: zalo_tokens.json holds the pair it refreshed last;
    # the environment's pair is long expired and its refresh token spent.
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env_access, env_refresh = zalo.issue_tokens()
    env = {"zalo_access_token": env_access, "zalo_refresh_token": env_refresh}
    kept_access, kept_refresh = zalo.issue_tokens()
    (data_dir / TokenStore.LEGACY_FILE).write_text(json.dumps({
        "access_token": kept_access, "refresh_token": kept_refresh, "expires_at": time.time() + 24 * 3600,
        "env_fingerprint": env_fingerprint(Settings(**env)), "saved_at": time.time()}))
    zalo.expire(env_access)
    zalo.refresh_tokens.discard(env_refresh)

    served = serve_zalo(engine, data_dir, **env)
    user = new_user()
    served.say(user, QUESTION)
    served.wait_delivered(user)
    [call] = zalo.calls_of("send", user)
    assert call.token == kept_access and zalo.calls_of("refresh") == []
    assert served.stored_tokens() == TokenPair(kept_access, kept_refresh, pytest.approx(time.time() + 24 * 3600, abs=60))
    assert not (data_dir / TokenStore.LEGACY_FILE).exists() and (data_dir / "zalo_tokens.json.migrated").exists()


def test_server_workers_share_the_refreshed_pair(serve_zalo, zalo, engine, tmp_path):
    data_dir = tmp_path / "data"
    access, refresh = zalo.issue_tokens()
    env = {"zalo_access_token": access, "zalo_refresh_token": refresh}
    first = serve_zalo(engine, data_dir, **env)  # two workers of one server: same data, same env
    second = serve_zalo(engine, data_dir, **env)
    zalo.expire(access)

    user = new_user()
    first.say(user, QUESTION)
    first.wait_delivered(user)
    [refresh_call] = zalo.calls_of("refresh")  # the first worker spent the refresh token

    other = new_user()
    second.say(other, QUESTION)  # the second still holds the old pair in memory
    second.wait_delivered(other)
    failed, resent = zalo.calls_of("send", other)
    assert failed.token == access and resent.token == refresh_call.answer["access_token"]
    assert len(zalo.calls_of("refresh")) == 1  # it took up the stored pair, no second refresh


def test_a_token_about_to_expire_is_refreshed_before_sending(serve_zalo, zalo, engine):
    served = serve_zalo(engine)
    zalo.expire(served.settings.zalo_access_token)
    user = new_user()
    served.say(user, QUESTION)
    served.wait_delivered(user)  # refreshed after the error; the new token lasts 25 hours
    assert len(zalo.calls_of("refresh")) == 1

    stored = served.stored_tokens()
    assert stored.expires_at > time.time() + 24 * 3600
    # Simulate the passing of 25 hours: the stored pair says it expires in a minute. The app only
    # reads the store at start-up, so restart it with the same data directory.
    store = token_store(served.settings)
    store.save(replace(stored, expires_at=time.time() + 60), store.load()[1])
    served.stop()
    restarted = serve_zalo(engine, served.settings.data_dir,
                           zalo_access_token=served.settings.zalo_access_token,
                           zalo_refresh_token=served.settings.zalo_refresh_token)
    other = new_user()
    before = len(zalo.calls)
    restarted.say(other, QUESTION)
    restarted.wait_delivered(other)
    kinds = [c.kind for c in zalo.calls[before:]]
    assert kinds == ["refresh", "send"]  # refreshed first: no failed send
    assert zalo.calls_of("send", other)[0].token == zalo.calls_of("refresh")[-1].answer["access_token"]


@pytest.mark.parametrize("failure", [{"status": 503}, {"status": 429}, {"error": -32}])
def test_a_transient_error_is_retried(serve_zalo, zalo, engine, failure):
    served = serve_zalo(engine)
    zalo.fail_next("send", **failure)
    user = new_user()
    served.say(user, QUESTION)
    [reply] = served.wait_delivered(user)
    first, second = zalo.calls_of("send", user)
    assert not first.ok and second.ok and first.text == second.text == reply


def test_a_transient_error_while_refreshing_is_retried(serve_zalo, zalo, engine):
    served = serve_zalo(engine)
    zalo.expire(served.settings.zalo_access_token)
    zalo.fail_next("refresh", status=502)
    user = new_user()
    served.say(user, QUESTION)
    served.wait_delivered(user)
    failed, succeeded = zalo.calls_of("refresh")
    assert failed.status == 502 and "access_token" in succeeded.answer
    assert failed.params["refresh_token"] == succeeded.params["refresh_token"]


def test_an_error_that_must_not_be_retried_is_logged_with_its_code(serve_zalo, zalo, engine, caplog):
    served = serve_zalo(engine)
    zalo.fail_next("send", error=-230, message="User has not interacted with the OA in the past 7 days")
    user = new_user()
    served.say(user, QUESTION)
    record = wait_for(lambda: next((r for r in caplog.records
                                    if user in r.getMessage() and "-230" in r.getMessage()), None),
                      message="the log of the -230 error")
    assert record.levelname == "ERROR"
    assert len(zalo.calls_of("send", user)) == 1  # logged after deciding not to retry
    assert zalo.delivered(user) == []


# ---- files ---------------------------------------------------------------------------------

FILE_NAME = "bao_cao_doi_ngoai_ha_giang_2025.txt"
FILE_TEXT = """Báo cáo tổng kết công tác đối ngoại tỉnh Hà Giang năm 2025
Sở Ngoại vụ tỉnh Hà Giang, ngày 20/12/2025

Năm 2025, Sở Ngoại vụ tỉnh Hà Giang đã tham mưu tổ chức đón tiếp 64 đoàn khách quốc tế đến thăm \
và làm việc tại tỉnh, tăng 12 đoàn so với năm 2024.

Tỉnh đã ký kết 7 thỏa thuận hợp tác quốc tế với các địa phương của Trung Quốc, Lào và Nhật Bản \
trong các lĩnh vực thương mại, du lịch và giáo dục.

Hội chợ thương mại biên giới Hà Giang – Vân Nam lần thứ năm được tổ chức tại thành phố Hà Giang \
từ ngày 14 đến ngày 17 tháng 10 năm 2025 với hơn 300 gian hàng.
"""
FILE_QUESTION = "Năm 2025 tỉnh Hà Giang đón tiếp bao nhiêu đoàn khách quốc tế?"


def test_an_admins_file_is_ingested_and_then_cited_by_its_name(
    serve_zalo, zalo, fresh_engine, fresh_data_dir
):
    served = serve_zalo(fresh_engine, fresh_data_dir, zalo_admin_ids=frozenset({ADMIN_ID}))
    data = FILE_TEXT.encode("utf-8")
    url = zalo.add_file(FILE_NAME, data)
    assert served.post(file_event(ADMIN_ID, url, FILE_NAME, len(data))).status_code == 200

    [confirmation] = served.wait_delivered(ADMIN_ID)
    assert "Báo cáo tổng kết công tác đối ngoại tỉnh Hà Giang năm 2025" in confirmation
    added = next(d for d in fresh_engine.documents() if d["source"] == FILE_NAME)
    assert re.search(rf"\b{added['chunks']} đoạn\b", confirmation)
    assert any(entry["actor"] == f"zalo:{ADMIN_ID}" and entry["action"] == "add"
               for entry in fresh_engine.kb.registry.audit_log())
    assert [c.params["name"] for c in zalo.calls_of("download")] == [FILE_NAME]

    user = new_user()
    served.say(user, FILE_QUESTION)
    [reply] = served.wait_delivered(user)
    assert "64 đoàn" in reply
    sources = reply.split(texts.SOURCES_HEADING, 1)[1]
    assert FILE_NAME in sources

    # The same file name sent again, revised: version 2, and the admin is told which one it replaced.
    revised = FILE_TEXT.replace("64 đoàn", "66 đoàn").encode("utf-8")
    url = zalo.add_file(FILE_NAME, revised)
    assert served.post(file_event(ADMIN_ID, url, FILE_NAME, len(revised))).status_code == 200
    confirmation = served.wait_delivered(ADMIN_ID, 2)[-1]
    assert confirmation.startswith("Đã thêm phiên bản 2 của tài liệu") and added["doc_id"] in confirmation
    served.say(user, FILE_QUESTION)
    reply = served.wait_delivered(user, 2)[-1]
    assert "66 đoàn" in reply and "64 đoàn" not in reply


def test_a_file_that_cannot_be_read_is_reported_to_the_admin(
    serve_zalo, zalo, fresh_engine, fresh_data_dir
):
    served = serve_zalo(fresh_engine, fresh_data_dir, zalo_admin_ids=frozenset({ADMIN_ID}))
    before = fresh_engine.documents()
    url = zalo.add_file("ghi_chu.txt", b"abc")
    served.post(file_event(ADMIN_ID, url, "ghi_chu.txt", 3))
    [reply] = served.wait_delivered(ADMIN_ID)
    assert reply.startswith(texts.FILE_REFUSED.format(reason=""))
    assert "ghi_chu.txt" in reply and "Traceback" not in reply
    assert fresh_engine.documents() == before


def test_a_non_admins_file_is_refused_and_never_downloaded(
    serve_zalo, zalo, fresh_engine, fresh_data_dir
):
    served = serve_zalo(fresh_engine, fresh_data_dir, zalo_admin_ids=frozenset({ADMIN_ID}))
    before = fresh_engine.documents()
    data = FILE_TEXT.encode("utf-8")
    url = zalo.add_file(FILE_NAME, data)
    user = new_user()
    served.post(file_event(user, url, FILE_NAME, len(data)))
    assert served.wait_delivered(user) == [texts.FILE_NOT_ALLOWED]
    assert zalo.calls_of("download") == []
    assert fresh_engine.documents() == before


def test_a_file_over_the_limit_is_not_downloaded(serve_zalo, zalo, engine):
    served = serve_zalo(engine, zalo_admin_ids=frozenset({ADMIN_ID}))
    url = zalo.add_file("lon.pdf", b"%PDF-1.4 not really")
    served.post(file_event(ADMIN_ID, url, "lon.pdf", 25 * 1024 * 1024))
    [reply] = served.wait_delivered(ADMIN_ID)
    assert "lon.pdf" in reply and "20 MB" in reply
    assert zalo.calls_of("download") == []


# ---- hostile requests and shutdown -------------------------------------------------------------

@pytest.mark.parametrize("age_seconds", [11 * 60, 24 * 3600, -10 * 60])
def test_a_signed_event_far_from_now_is_refused_as_a_replay(serve_zalo, zalo, engine, age_seconds):
    served = serve_zalo(engine)
    user = new_user()
    event = text_event(user, QUESTION)
    event["timestamp"] = str(int((time.time() - age_seconds) * 1000))
    assert served.post(event).status_code == 401
    served.say(new_user(), QUESTION)  # something is answered after it; the stale event never is
    wait_for(lambda: len(zalo.calls_of("send")) >= 1, message="the later answer")
    assert zalo.calls_of("send", user) == []


def test_a_body_over_the_cap_is_refused_while_it_is_read(serve_zalo, zalo, engine):
    served = serve_zalo(engine)
    url = served.live.url + WEBHOOK
    headers = {"X-ZEvent-Signature": "mac=" + "0" * 64}
    declared = served.client.post(url, content=b" " * 2_000_000, headers=headers)
    chunked = served.client.post(url, content=iter([b" " * 65536] * 32), headers=headers)  # no Content-Length
    assert (declared.status_code, chunked.status_code) == (413, 413)


@pytest.mark.parametrize("change", [
    {"event_name": ["user_send_text"]}, {"sender": "x"}, {"sender": {"id": {"a": 1}}}, {"message": []},
    {"message": {"text": {"a": 1}, "msg_id": []}}, {"event_name": "user_send_file", "message": {"attachments": "x"}},
    {"event_name": "user_send_file", "message": {"attachments": [None, 1, {"payload": []}]}}, {"follower": 1},
])
def test_a_signed_event_of_odd_shape_gets_no_server_error(serve_zalo, zalo, engine, change):
    served = serve_zalo(engine, zalo_admin_ids=frozenset({ADMIN_ID}))
    event = {**text_event(ADMIN_ID, QUESTION), **change}
    assert served.post(event).status_code == 200
    other = new_user()
    served.say(other, QUESTION)  # the server still answers
    served.wait_delivered(other)


class GatedEngine(AnswerEngine):
    """The real engine, whose answers wait until the gate opens (replies pending at shutdown)."""

    def __init__(self, inner: AnswerEngine) -> None:
        import threading

        self.inner, self.gate = inner, threading.Event()

    def ask(self, question: str):
        self.gate.wait(timeout=120)
        return self.inner.ask(question)


def _outbox_rows(data_dir: Path) -> list[tuple]:
    import sqlite3

    with sqlite3.connect(data_dir / "zalo_pending.sqlite3") as db:
        return db.execute("SELECT key, owner FROM zalo_pending").fetchall()


def test_a_shutdown_waits_for_pending_replies(serve_zalo, zalo, engine, tmp_path):
    served = serve_zalo(engine, tmp_path / "data")
    zalo.on_send = lambda call: time.sleep(0.5)  # Zalo is slow today
    users = [new_user() for _ in range(3)]
    for user in users:
        served.say(user, QUESTION)
    served.stop()  # at once: the replies are still on their way
    assert all(len(zalo.delivered(user)) == 1 for user in users)
    assert _outbox_rows(served.settings.data_dir) == []


def test_replies_still_pending_after_the_shutdown_wait_are_sent_by_the_next_start(serve_zalo, zalo, engine, tmp_path):
    data_dir = tmp_path / "data"
    gated = GatedEngine(engine)
    served = serve_zalo(gated, data_dir)
    served.live.server.config.app.state.zalo.shutdown_wait = 0.1
    users = [new_user() for _ in range(4)]
    for user in users:
        served.say(user, QUESTION)
    served.live.server.should_exit = True
    # The shutdown gives up waiting and leaves every event on disk for the next start ...
    wait_for(lambda: (lambda rows: len(rows) == len(users) and all(owner is None for _, owner in rows))(
        _outbox_rows(data_dir)), message="the pending events left on disk")
    gated.gate.set()
    served.stop()
    assert all(zalo.delivered(user) == [] for user in users)

    restarted = serve_zalo(engine, data_dir, zalo_access_token=served.settings.zalo_access_token,
                           zalo_refresh_token=served.settings.zalo_refresh_token)
    for user in users:  # ... which answers each of them, once
        [reply] = restarted.wait_delivered(user)
        assert "119" in reply
    wait_for(lambda: _outbox_rows(data_dir) == [], message="an empty outbox")
    restarted.say(users[0], QUESTION)  # and goes on answering
    restarted.wait_delivered(users[0], 2)
