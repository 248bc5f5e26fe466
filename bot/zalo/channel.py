"""The Zalo Official Account channel: events from the webhook (webhook/zalo.py) answered through the
dialogue core, replies sent with the OA API client (bot/zalo/api.py) in plain text
(bot/zalo/format.py); `ZaloBot` is bot/channel.py's Channel for Zalo (a chat is a user id: OA
chats are one-to-one). Work runs after the webhook has answered Zalo."""
from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Awaitable

from bot import texts
from bot.admin import Upload
from bot.channel import DownloadFailed, IncomingFile, UploadWords, apology, document_admin, receive_file
from bot.dialogue import Dialogue, Reply
from bot.zalo.api import FileTooLarge, ZaloApi, ZaloApiError
from bot.zalo.format import reply_text, split_text, upload_text, welcome_text
from storage.zalo_outbox import Outbox
from knowledge.loaders import MAX_FILE_BYTES
from config.settings import Settings

log = logging.getLogger(__name__)

CHANNEL = "zalo"
HANDLED_EVENTS = frozenset({"user_send_text", "follow", "user_send_file", "user_send_image"})
MAX_IMAGES = 20  # photos of one message read as one document
SHUTDOWN_WAIT_SECONDS = 25.0  # at shutdown, pending replies get this long; the rest wait on disk


@dataclass(frozen=True)
class Attachment:
    """A file a user sent: where to fetch it, its name and the size Zalo declares."""

    url: str
    name: str
    size: int | None


@dataclass(frozen=True)
class ZaloEvent:
    """What the bot needs of a webhook event, every field checked for its type."""

    name: str  # user_send_text, follow, user_send_file or user_send_image
    user_id: str
    text: str = ""
    attachment: Attachment | None = None
    key: str = ""  # identifies the event across Zalo's retries; "" when nothing does
    images: tuple[Attachment, ...] = ()  # the photos of a user_send_image event, in order


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _scalar(value: object) -> str:
    """A string or number as text; anything else (a list, an object, true) as ""."""
    return str(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ""


def attachment_of(event: dict) -> Attachment | None:
    """The first file attachment of a user_send_file event."""
    message = _dict(event.get("message"))
    items = message.get("attachments")
    for item in items if isinstance(items, list) else []:
        payload = _dict(_dict(item).get("payload"))
        url = _scalar(payload.get("url"))
        if not url.startswith(("https://", "http://")):
            continue
        size = _scalar(payload.get("size"))
        name = PurePosixPath(_scalar(payload.get("name")).replace("\\", "/")).name
        name = name or f"zalo_{_scalar(message.get('msg_id')) or 'tep'}"
        return Attachment(url, name, int(size) if size.isdigit() else None)
    return None


def images_of(event: dict) -> tuple[Attachment, ...]:
    """The photos of a user_send_image event (attachments of type "image", payload.url)."""
    message = _dict(event.get("message"))
    items = message.get("attachments")
    found = []
    for item in items if isinstance(items, list) else []:
        item = _dict(item)
        payload = _dict(item.get("payload"))
        url = _scalar(payload.get("url"))
        if _scalar(item.get("type")) not in ("image", "") or not url.startswith(("https://", "http://")):
            continue
        size = _scalar(payload.get("size"))
        name = f"anh_zalo_{_scalar(message.get('msg_id')) or 'tin'}.jpg"
        found.append(Attachment(url, name, int(size) if size.isdigit() else None))
    return tuple(found[:MAX_IMAGES])


def parse_event(event: object) -> ZaloEvent | None:
    """The event when it is one the bot handles and names its user; None otherwise."""
    if not isinstance(event, dict):
        return None
    name = _scalar(event.get("event_name"))
    if name not in HANDLED_EVENTS:
        return None
    # A follow event names the user as "follower"; messages as "sender".
    who = _dict(event.get("follower")) if name == "follow" else {}
    user_id = _scalar(who.get("id")) or _scalar(_dict(event.get("sender")).get("id"))
    if not user_id:
        return None
    message = _dict(event.get("message"))
    msg_id = _scalar(message.get("msg_id"))
    key = f"msg:{msg_id}" if msg_id else ""
    if not key and name == "follow":
        key = f"follow:{user_id}:{_scalar(event.get('timestamp'))}"
    return ZaloEvent(name, user_id, _scalar(message.get("text")),
                     attachment_of(event) if name == "user_send_file" else None, key,
                     images_of(event) if name == "user_send_image" else ())


class ZaloBot:
    """Answers Zalo users through the dialogue core; work runs after the webhook has returned,
    and is kept in the outbox until it is done, so a shutdown or a crash loses none of it."""

    name = CHANNEL
    words = UploadWords(not_admin=texts.FILE_NOT_ALLOWED, too_large=texts.FILE_TOO_LARGE, received="",
                        rejected=texts.FILE_REFUSED, failed=texts.APOLOGY)

    def __init__(self, settings: Settings, api: ZaloApi, outbox: Outbox) -> None:
        self.settings = settings
        self.api = api
        self.outbox = outbox
        self.shutdown_wait = SHUTDOWN_WAIT_SECONDS
        self._tasks: set[asyncio.Task] = set()

    # -- the Channel (bot/channel.py) ----------------------------------------------------------
    def is_admin(self, user: object) -> bool:
        return str(user) in self.settings.zalo_admin_ids

    async def send_text(self, chat: str, text: str) -> None:
        """Send text in as many messages as needed; a failure is logged with Zalo's code."""
        try:
            await self.api.send_texts(chat, split_text(text))
        except ZaloApiError as error:
            log.error("Zalo reply to user %s not sent: error code %s: %s",
                      chat, error.code, error.message)

    async def send_answer(self, chat: str, reply: Reply) -> None:
        await self.send_text(chat, reply_text(reply))

    async def send_upload(self, chat: str, upload: Upload) -> None:
        await self.send_text(chat, upload_text(upload))

    async def show_progress(self, sent: object, text: str) -> None:
        """Nothing: a Zalo message cannot be edited (send_text returns None, so this is never called)."""

    # -- events ----------------------------------------------------------------------------------
    async def accept(self, dialogue: Dialogue, event: ZaloEvent, raw: dict) -> None:
        """Keep the event on disk, then handle it in the background (Zalo wants the webhook
        answered within 2 seconds)."""
        key = event.key or f"anon:{uuid.uuid4().hex}"
        await asyncio.to_thread(self.outbox.add, key, raw)
        self.schedule(self._handle(dialogue, event, key), f"{event.name} from {event.user_id}")

    async def resume(self, dialogue: Dialogue) -> int:
        """At start-up: handle the events an earlier run acknowledged but did not finish."""
        left = await asyncio.to_thread(self.outbox.claim)
        for key, raw in left:
            event = parse_event(raw)
            if event is None:
                await asyncio.to_thread(self.outbox.done, key)
                continue
            self.schedule(self._handle(dialogue, event, key), f"{event.name} from {event.user_id} (resumed)")
        if left:
            log.info("Resuming %d Zalo event(s) left by an earlier run", len(left))
        return len(left)

    async def close(self) -> None:
        """At shutdown: let pending work finish for a while; what is left stays on disk."""
        pending = set(self._tasks)
        if pending:
            log.info("Waiting up to %.0f s for %d Zalo reply(ies)", self.shutdown_wait, len(pending))
            _, pending = await asyncio.wait(pending, timeout=self.shutdown_wait)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        left = await asyncio.to_thread(self.outbox.release)
        if left:
            log.warning("%d Zalo event(s) not finished at shutdown: the next start handles them", left)

    async def _handle(self, dialogue: Dialogue, event: ZaloEvent, key: str) -> None:
        """Handle one event; once done (or failed for good), it leaves the outbox."""
        try:
            if event.name == "follow":
                await self.welcome(dialogue, event.user_id)
            elif event.name == "user_send_file":
                await self.add_file(dialogue, event.user_id, event.attachment)
            elif event.name == "user_send_image":
                await self.add_photos(dialogue, event.user_id, event.images, event.text)
            else:
                await self.answer(dialogue, event.user_id, event.text)
        except Exception:  # noqa: BLE001 - failed for good: logged, not retried at every start
            log.exception("Zalo %s from %s failed", event.name, event.user_id)
        # Not reached when cancelled at shutdown: the event stays for the next start.
        await asyncio.to_thread(self.outbox.done, key)

    def schedule(self, work: Awaitable[None], what: str) -> None:
        """Run `work` in the background, holding a reference until it is done."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)  # a strong reference, or the task may be collected mid-way

        def finished(done: asyncio.Task) -> None:
            self._tasks.discard(done)
            if not done.cancelled() and done.exception() is not None:
                log.error("Zalo %s failed", what, exc_info=done.exception())

        task.add_done_callback(finished)

    async def answer(self, dialogue: Dialogue, user_id: str, text: str) -> None:
        """Answer a message typed to the OA (the chat is the user: OA chats are one-to-one)."""
        try:
            reply = await dialogue.ask(CHANNEL, user_id, user_id, text)
        except Exception as error:  # noqa: BLE001 - the user gets an apology, the log gets the cause
            log.exception("Error while answering Zalo user %s", user_id)
            await self.send_text(user_id, apology(error))
            return
        await self.send_answer(user_id, reply)

    async def welcome(self, dialogue: Dialogue, user_id: str) -> None:
        """Greet a new follower and start the chat afresh."""
        await dialogue.off_loop(dialogue.forget, CHANNEL, user_id)
        await self.send_text(user_id, welcome_text())

    async def add_file(self, dialogue: Dialogue, user_id: str, attachment: Attachment | None) -> None:
        """An admin's file is downloaded and added to the documents (the same file name again is a
        new version); anyone else's is refused and never downloaded."""
        attachments = (attachment,) if attachment is not None else ()
        name = attachment.name if attachment is not None else ""
        await receive_file(self, document_admin(dialogue), user_id, user_id,
                           self._incoming(name, attachments, photos=False))

    async def add_photos(self, dialogue: Dialogue, user_id: str, images: tuple[Attachment, ...],
                         caption: str = "") -> None:
        """An admin's photos of a document (one message: one document, read by OCR); anyone
        else gets a polite reply and nothing is downloaded. The caption, if any, is the title."""
        name = images[0].name if images else ""
        await receive_file(self, document_admin(dialogue), user_id, user_id,
                           self._incoming(name, images, photos=True, title=" ".join(caption.split())[:200]))

    def _incoming(self, name: str, attachments: tuple[Attachment, ...], photos: bool, **metadata: str) -> IncomingFile:
        """What bot/channel.py needs to know of the attachments, and how to fetch them."""

        async def download() -> bytes | list[bytes]:
            data = [await self._download(attachment) for attachment in attachments]
            return data if photos else data[0]

        return IncomingFile(name, tuple(a.size for a in attachments), download, photos=photos, metadata=metadata)

    async def _download(self, attachment: Attachment) -> bytes:
        """The attachment's bytes; DownloadFailed saying why not."""
        try:
            return await self.api.download(attachment.url, MAX_FILE_BYTES)
        except FileTooLarge:
            raise DownloadFailed(texts.FILE_TOO_LARGE.format(
                name=attachment.name, limit=MAX_FILE_BYTES // (1024 * 1024))) from None
        except ZaloApiError as error:
            log.error("Could not download %s: %s", attachment.url, error)
            raise DownloadFailed(texts.FILE_DOWNLOAD_FAILED.format(name=attachment.name)) from None
