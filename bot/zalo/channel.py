"""The Zalo Official Account channel: events from the webhook (webhook/zalo.py) answered through the
dialogue core, replies sent with the OA API client (bot/zalo/api.py) in plain text
(bot/zalo/format.py). Work runs after the webhook has answered Zalo."""
from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Awaitable

from bot import texts
from bot.admin import DocumentAdmin, now_answered_text, reading_text
from bot.dialogue import Dialogue
from bot.zalo.api import FileTooLarge, ZaloApi, ZaloApiError
from bot.zalo.format import reply_text, split_text, welcome_text
from storage.zalo_outbox import Outbox
from knowledge.loaders import MAX_FILE_BYTES, IngestError
from config.settings import Settings
from storage.outages import Unavailable

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

    def __init__(self, settings: Settings, api: ZaloApi, outbox: Outbox) -> None:
        self.settings = settings
        self.api = api
        self.outbox = outbox
        self.shutdown_wait = SHUTDOWN_WAIT_SECONDS
        self._tasks: set[asyncio.Task] = set()

    def is_admin(self, user_id: str) -> bool:
        return str(user_id) in self.settings.zalo_admin_ids

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

    async def say(self, user_id: str, text: str) -> None:
        """Send text in as many messages as needed; a failure is logged with Zalo's code."""
        try:
            await self.api.send_texts(user_id, split_text(text))
        except ZaloApiError as error:
            log.error("Zalo reply to user %s not sent: error code %s: %s",
                      user_id, error.code, error.message)

    async def answer(self, dialogue: Dialogue, user_id: str, text: str) -> None:
        """Answer a message typed to the OA (the chat is the user: OA chats are one-to-one)."""
        try:
            reply = await dialogue.ask(CHANNEL, user_id, user_id, text)
        except Exception:  # noqa: BLE001 - the user gets an apology, the log gets the cause
            log.exception("Error while answering Zalo user %s", user_id)
            await self.say(user_id, texts.APOLOGY)
            return
        await self.say(user_id, reply_text(reply))

    async def welcome(self, dialogue: Dialogue, user_id: str) -> None:
        """Greet a new follower and start the chat afresh."""
        await dialogue.off_loop(dialogue.forget, CHANNEL, user_id)
        await self.say(user_id, welcome_text())

    async def add_file(
        self, dialogue: Dialogue, user_id: str, attachment: Attachment | None
    ) -> None:
        """An admin's file is downloaded and added to the documents; anyone else's is refused."""
        if not self.is_admin(user_id):
            await self.say(user_id, texts.FILE_NOT_ALLOWED)
            return
        if attachment is None:
            await self.say(user_id, texts.FILE_MISSING)
            return
        data = await self._download(user_id, attachment)
        if data is None:
            return
        await self._ingest(dialogue, user_id, data, attachment.name)

    async def add_photos(self, dialogue: Dialogue, user_id: str, images: tuple[Attachment, ...],
                         caption: str = "") -> None:
        """An admin's photos of a document (one message: one document, read by OCR); anyone
        else gets a polite reply and nothing is downloaded. The caption, if any, is the title."""
        if not self.is_admin(user_id):
            await self.say(user_id, texts.PHOTO_NOT_ADMIN)
            return
        if not images:
            await self.say(user_id, texts.FILE_MISSING)
            return
        await self.say(user_id, texts.PHOTO_RECEIVED.format(count=len(images)))
        data = []
        for image in images:
            content = await self._download(user_id, image)
            if content is None:
                return
            data.append(content)
        await self._ingest(dialogue, user_id, data, images[0].name, title=" ".join(caption.split())[:200])

    async def _ingest(self, dialogue: Dialogue, user_id: str, data: bytes | list[bytes], name: str,
                      **metadata: str) -> None:
        admin = DocumentAdmin(dialogue.engine, self.settings.zalo_admin_ids, dialogue.questions)
        try:
            upload = await admin.upload(data, name, f"zalo:{user_id}", **metadata)
        except (IngestError, Unavailable) as error:
            await self.say(user_id, texts.FILE_REFUSED.format(reason=str(error)))
            return
        except Exception:  # noqa: BLE001 - the admin gets an apology, the log gets the cause
            log.exception("Error while adding %s sent by Zalo user %s", name, user_id)
            await self.say(user_id, texts.APOLOGY)
            return
        template = {"unchanged": texts.FILE_UNCHANGED, "replaced": texts.FILE_REPLACED}.get(
            upload.status, texts.FILE_ADDED)
        document = upload.document
        title = document.get("title") or document.get("source", "")
        reply = template.format(title=title, chunks=document.get("chunks", 0), source=document.get("source", ""),
                                version=document.get("version", 1), replaced=upload.replaced)
        if upload.status != "unchanged" and reading_text(upload.reading):  # a scan or a photo
            reply += "\n" + reading_text(upload.reading)
        if upload.now_answered:  # the refused questions this document answers now
            reply += "\n\n" + now_answered_text(upload.now_answered)
        await self.say(user_id, reply)

    async def _download(self, user_id: str, attachment: Attachment) -> bytes | None:
        """The attachment's bytes, or None after telling the admin why not."""
        limit_mb = MAX_FILE_BYTES // (1024 * 1024)
        too_large = texts.FILE_TOO_LARGE.format(name=attachment.name, limit=limit_mb)
        if attachment.size is not None and attachment.size > MAX_FILE_BYTES:
            await self.say(user_id, too_large)
            return None
        try:
            return await self.api.download(attachment.url, MAX_FILE_BYTES)
        except FileTooLarge:
            await self.say(user_id, too_large)
        except ZaloApiError as error:
            log.error("Could not download %s for Zalo user %s: %s", attachment.url, user_id, error)
            await self.say(user_id, texts.FILE_DOWNLOAD_FAILED.format(name=attachment.name))
        return None
