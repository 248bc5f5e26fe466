"""Photos of documents sent in chat: an admin's photo, or album, becomes one document read by OCR
(Telegram through the Bot API stand-in, Zalo through the Zalo stand-in); anyone else gets a polite
reply and nothing is downloaded; questions are answered while a scan is being read."""
from __future__ import annotations

import itertools
import re
import time

import pytest

from bot import texts
from knowledge import ocr
from tests import admin_files as files
from tests.scans import photo_jpeg
from tests.telegram_fixtures import fake_api, message_update, new_chat_id, serve_app  # noqa: F401 - fixtures
from tests.test_zalo import APP_ID, OA_ID, _now_ms, new_user, serve_zalo, zalo  # noqa: F401 - fixtures

pytestmark = pytest.mark.skipif(bool(ocr.missing()), reason=f"OCR unavailable: {ocr.missing()}")

ADMIN = 880_000_022
ZALO_ADMIN = "8840000000000000022"
_ids = itertools.count(1)

PAGE_ONE = """# SỞ NGOẠI VỤ
# HƯỚNG DẪN CẤP THẺ ĐI LẠI CỦA DOANH NHÂN APEC
Doanh nghiệp nộp hồ sơ đề nghị cho phép sử dụng thẻ ABTC tại Bộ phận một cửa của Sở Ngoại vụ.
Thời hạn giải quyết hồ sơ đề nghị cho phép sử dụng thẻ ABTC là 05 ngày làm việc.
"""
PAGE_TWO = """Thẻ ABTC có giá trị sử dụng trong thời hạn 05 năm kể từ ngày cấp.
Lệ phí cấp thẻ ABTC lần đầu là 1.200.000 đồng một thẻ.
"""


def photo_update(chat_id: int, file_id: str, size: int, *, user_id: int, group: str = "", caption: str = "") -> dict:
    """A private message carrying a photo (the sizes Telegram keeps of it), as Telegram posts it."""
    update = message_update(chat_id, "x", user_id=user_id)
    message = update["message"]
    del message["text"]
    message["photo"] = [{"file_id": f"{file_id}-small", "file_unique_id": f"s{file_id}", "width": 90,
                         "height": 128, "file_size": 2000},
                        {"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 1700, "height": 2400,
                         "file_size": size}]
    if group:
        message["media_group_id"] = group
    if caption:
        message["caption"] = caption
    return update


@pytest.fixture(scope="module")
def engine(seed_data_dir, tmp_path_factory):
    from config.settings import Settings
    from retrieval.engine import AnswerEngine

    data = files.copy_data_dir(seed_data_dir, tmp_path_factory.mktemp("office-chat") / "data")
    return AnswerEngine.open(Settings(data_dir=data))


@pytest.fixture(scope="module")
def bot(serve_app, engine):
    return serve_app(engine, telegram_admin_ids=frozenset({str(ADMIN)}))


def send_photo(bot, image: bytes, *, user_id: int, group: str = "", caption: str = "") -> str:
    file_id = f"photo{next(_ids)}"
    bot.api.add_file(file_id, image, f"photos/{file_id}.jpg")
    update = photo_update(user_id, file_id, len(image), user_id=user_id, group=group, caption=caption)
    assert bot.post_update(update).status_code == 200
    return file_id


def test_an_admins_album_is_one_document_and_questions_are_answered_meanwhile(bot, engine):
    before = len(bot.replies(ADMIN))
    pages = [photo_jpeg(PAGE_ONE, angle=2.5), photo_jpeg(PAGE_TWO, angle=-2.0)]
    for image in pages:
        send_photo(bot, image, user_id=ADMIN, group="album-1", caption="Hướng dẫn thẻ ABTC")

    # While the album is read (seconds a page), an officer's question is answered at once.
    officer = new_chat_id()
    bot.say(officer, "Năm 2020 các địa phương ký bao nhiêu thỏa thuận quốc tế?")
    files.wait_for(lambda: bot.replies(officer), timeout=30, message="the officer's answer")
    assert bot.replies(officer)[-1] != texts.APOLOGY
    assert not any("Đã nạp" in r for r in bot.replies(ADMIN)[before:]), "the answer waited for the OCR"

    replies = files.wait_for(lambda: (r := bot.replies(ADMIN)[before:]) and any("Đã nạp" in x for x in r) and r,
                             message="the album's upload report")
    assert replies[0] == texts.PHOTO_RECEIVED.format(count=2)  # one upload for the album, not two
    report = next(r for r in replies if "Đã nạp" in r)
    assert "“Hướng dẫn thẻ ABTC”" in report  # the caption is the title
    assert "Đã nhận dạng chữ (OCR) 2/2 trang" in report
    assert len([r for r in replies if "Đã nạp" in r]) == 1
    assert len(bot.api.calls_of("getFile")) >= 2

    officer = new_chat_id()
    bot.say(officer, "Lệ phí cấp thẻ ABTC lần đầu là bao nhiêu?")
    assert "1.200.000 đồng" in bot.replies(officer)[-1]
    # The citation names the page (the second photo) the fee stands on.
    location = engine.ask("Lệ phí cấp thẻ ABTC lần đầu là bao nhiêu?").citations[0].location
    assert re.search(r"\btrang (?:1–)?2$", location), location


def test_a_non_admins_photos_get_one_polite_reply_and_are_never_downloaded(bot, engine):
    before = engine.documents(include_history=True)
    user = new_chat_id()
    downloads = len(bot.api.calls_of("getFile"))
    image = photo_jpeg(PAGE_TWO)
    for _ in range(3):
        send_photo(bot, image, user_id=user, group="album-of-a-guest")
    send_photo(bot, image, user_id=user)
    files.wait_for(lambda: len(bot.replies(user)) >= 2, message="replies to the guest")
    time.sleep(0.5)
    assert bot.replies(user) == [texts.PHOTO_NOT_ADMIN, texts.PHOTO_NOT_ADMIN]  # one per album, one per photo
    assert len(bot.api.calls_of("getFile")) == downloads
    assert engine.documents(include_history=True) == before


def image_event(user_id: str, urls: list[str], caption: str = "") -> dict:
    """A user_send_image event as Zalo posts it: one attachment of type image per photo."""
    return {
        "app_id": APP_ID, "user_id_by_app": f"app-{user_id}", "event_name": "user_send_image",
        "timestamp": _now_ms(), "sender": {"id": user_id}, "recipient": {"id": OA_ID},
        "message": {"msg_id": f"img{next(_ids):012d}", "text": caption, "attachments": [
            {"type": "image", "payload": {"thumbnail": url, "url": url}} for url in urls]},
    }


def test_zalo_an_admins_photo_becomes_a_document_and_a_guests_is_refused(
    serve_zalo, zalo, fresh_engine, fresh_data_dir
):
    served = serve_zalo(fresh_engine, fresh_data_dir, zalo_admin_ids=frozenset({ZALO_ADMIN}))
    guest = new_user()
    url = zalo.add_file("trang-1.jpg", photo_jpeg(PAGE_ONE, angle=3.0))
    before = fresh_engine.documents()
    assert served.post(image_event(guest, [url])).status_code == 200
    assert served.wait_delivered(guest) == [texts.PHOTO_NOT_ADMIN]
    assert zalo.calls_of("download") == [] and fresh_engine.documents() == before

    assert served.post(image_event(ZALO_ADMIN, [url], caption="Thẻ ABTC")).status_code == 200
    received, report = served.wait_delivered(ZALO_ADMIN, 2)
    assert received == texts.PHOTO_RECEIVED.format(count=1)
    assert report.startswith("Đã thêm tài liệu “Thẻ ABTC”") and "Đã nhận dạng chữ (OCR) 1/1 trang" in report
    user = new_user()
    served.say(user, "Thời hạn giải quyết hồ sơ sử dụng thẻ ABTC là bao nhiêu ngày?")
    [reply] = served.wait_delivered(user)
    assert "05 ngày làm việc" in reply
