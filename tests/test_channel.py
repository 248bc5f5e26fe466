"""The upload flow every channel runs (bot/channel.py), driven through a channel that records
what it is asked to send, over the real engine and document administration. The Telegram and
Zalo end-to-end tests run the same flow through their own channels."""
from __future__ import annotations

import asyncio
import logging

from bot import texts
from bot.admin import DocumentAdmin, Upload
from bot.channel import DownloadFailed, IncomingFile, UploadWords, receive_file
from bot.dialogue import Reply

ADMIN = 42
WORDS = UploadWords(not_admin="no files from you", too_large="big {name} {limit}", received="got {name}",
                    rejected="refused {name}: {reason}", failed="failed {name}")
TEXT = ("Theo Quy định số 17-QĐ/SNgV ngày 4/4/2033, mỗi đoàn khách cấp bộ trưởng được bố trí 3 phiên dịch viên "
        "tiếng Hàn trong suốt chuyến thăm.").encode()


class Recorder:
    """A Channel that keeps what it is asked to say; "sent" messages are their index."""

    name = "recorder"
    words = WORDS

    def __init__(self) -> None:
        self.said: list[str] = []
        self.uploads: list[Upload] = []

    def is_admin(self, user: object) -> bool:
        return user == ADMIN

    async def send_text(self, chat: str, text: str) -> int:
        self.said.append(text)
        return len(self.said) - 1

    async def send_answer(self, chat: str, reply: Reply) -> None:
        self.said.append(reply.text)

    async def send_upload(self, chat: str, upload: Upload) -> None:
        self.uploads.append(upload)

    async def show_progress(self, sent: object, text: str) -> None:
        self.said.append(f"edit {sent}: {text}")


def _file(name: str, content: bytes | Exception, *, size: int | None = None, photos: int = 0) -> tuple[IncomingFile, list]:
    downloads: list[str] = []

    async def download() -> bytes | list[bytes]:
        downloads.append(name)
        if isinstance(content, Exception):
            raise content
        return [content] * photos if photos else content

    sizes = (size,) * (photos or 1)
    return IncomingFile(name, sizes, download, photos=bool(photos)), downloads


def _receive(admin: DocumentAdmin, user: object, incoming: IncomingFile) -> Recorder:
    channel = Recorder()
    asyncio.run(receive_file(channel, admin, "chat", user, incoming))
    return channel


def test_nothing_is_downloaded_for_someone_who_is_no_admin_or_a_file_too_large(engine):
    admin = DocumentAdmin(engine)
    before = engine.documents()
    for user, incoming, said in [
        (7, _file("a.txt", TEXT), ["no files from you"]),
        (7, _file("anh.jpg", TEXT, photos=2), [texts.PHOTO_NOT_ADMIN]),
        (ADMIN, _file("lon.pdf", TEXT, size=21 * 1024 * 1024), ["big lon.pdf 20"]),
        (ADMIN, _file("anh.jpg", TEXT, size=21 * 1024 * 1024, photos=3), ["big anh.jpg 20"]),
    ]:
        (file, downloads) = incoming
        assert _receive(admin, user, file).said == said
        assert downloads == []
    nothing = IncomingFile("", (), _file("x", b"")[0].download)  # a message whose attachment is gone
    assert _receive(admin, ADMIN, nothing).said == [texts.FILE_MISSING]
    assert engine.documents() == before


def test_a_failed_download_or_a_refused_file_changes_nothing_and_says_why(engine, caplog):
    admin = DocumentAdmin(engine)
    before = engine.documents()
    assert _receive(admin, ADMIN, _file("a.txt", DownloadFailed("link expired"))[0]).said == ["got a.txt", "link expired"]
    with caplog.at_level(logging.ERROR):
        assert _receive(admin, ADMIN, _file("b.txt", ConnectionResetError())[0]).said == ["got b.txt", "failed b.txt"]
    assert "Upload of b.txt by recorder:42 failed" in caplog.text
    [received, refused] = _receive(admin, ADMIN, _file("bang.csv", b"a,b\n1,2\n")[0]).said
    assert received == "got bang.csv" and refused.startswith("refused bang.csv: ") and len(refused) > 30
    photos = _receive(admin, ADMIN, _file("anh.jpg", b"not an image", photos=2)[0]).said
    assert photos[0] == texts.PHOTO_RECEIVED.format(count=2) and photos[1].startswith("refused anh.jpg: ")
    assert engine.documents() == before


def test_an_admins_file_is_added_under_the_channels_name_and_reported(fresh_engine):
    channel = _receive(DocumentAdmin(fresh_engine), ADMIN, _file("phien-dich.txt", TEXT, size=len(TEXT))[0])
    assert channel.said == ["got phien-dich.txt"]
    [upload] = channel.uploads
    assert upload.status == "added" and upload.document["source"] == "phien-dich.txt"
    assert fresh_engine.kb.registry.audit_log()[0]["actor"] == "recorder:42"
    assert "3 phiên dịch viên" in fresh_engine.ask("Đoàn khách cấp bộ trưởng được bố trí bao nhiêu phiên dịch viên?").answer
