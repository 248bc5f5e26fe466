"""What a chat channel (Telegram, Zalo) is to the dialogue core, and the one flow every channel
runs when a user sends a file or photos: admin check, size check, "received", download, ingest
with OCR progress, result. A channel only says things its own way (markup, buttons, limits)."""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Protocol, TypeVar, cast

from bot import texts
from bot.admin import DocumentAdmin, Engine as AdminEngine, Upload
from bot.dialogue import Dialogue, Reply
from knowledge.loaders import MAX_FILE_BYTES, IngestError
from storage.outages import REASONS, Unavailable, outage_of

log = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 5.0  # OCR progress shown at most this often (and at the last page)

Chat = TypeVar("Chat", contravariant=True)  # whom a channel replies to: a Telegram message, a Zalo user id


def apology(error: BaseException | None) -> str:
    """What a user is told when handling their message failed: the service, when one we lean on is
    away (an outage, not a bug), else a plain apology. Both say to try again in a few minutes."""
    dependency = outage_of(error)
    return texts.SERVICE_UNAVAILABLE.format(reason=REASONS[dependency]) if dependency else texts.APOLOGY


@dataclass(frozen=True)
class UploadWords:
    """A channel's wording of an upload's outcomes: templates from bot/texts.py, as plain text."""

    not_admin: str  # a file from someone who may not add documents
    too_large: str  # {name}, {limit} (MB)
    received: str  # {name}; "" says nothing until the result
    rejected: str  # {name}, {reason}: the file was refused (unreadable, a service away)
    failed: str  # {name}: a fault of ours; nothing was stored


class Channel(Protocol[Chat]):
    """What the dialogue core and the upload flow need of a chat channel."""

    name: str  # "telegram", "zalo": the dialogue's channel key and the audit actor's prefix
    words: UploadWords

    def is_admin(self, user: object) -> bool:
        """Whether this user may add and remove documents."""
        ...

    async def send_text(self, chat: Chat, text: str) -> Any:
        """Send plain text (escaped and split as the channel needs); what it returns is what
        `show_progress` edits (None: the channel cannot edit what it sent)."""
        ...

    async def send_answer(self, chat: Chat, reply: Reply) -> None:
        """Send a dialogue reply: the answer with its citations, and buttons where the channel has them."""
        ...

    async def send_upload(self, chat: Chat, upload: Upload) -> None:
        """Report an upload's result (added, new version, unchanged; OCR; questions answered now)."""
        ...

    async def show_progress(self, sent: Any, text: str) -> None:
        """Put `text` in place of a message sent earlier; a failure is only logged."""
        ...


class DownloadFailed(Exception):
    """The channel could not fetch what was sent; `text` tells the admin why (plain text)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


@dataclass(frozen=True)
class IncomingFile:
    """A file, or the photos of one document, as a channel describes them before any download."""

    name: str  # the source name the document gets
    sizes: tuple[int | None, ...]  # the size declared for each part; () when the message held none
    download: Callable[[], Awaitable[bytes | list[bytes]]]  # a file's bytes, or one bytes per photo
    photos: bool = False  # photos are read by OCR as one document
    replaces: str = ""  # the doc_id this upload is a new version of
    metadata: dict[str, str] = field(default_factory=dict)  # e.g. a title from the caption


C = TypeVar("C")


def document_admin(dialogue: Dialogue) -> DocumentAdmin:
    """Uploads and deletions for a channel's admins, on the dialogue's engine (the AnswerEngine,
    which the dialogue itself only asks), re-asking its refused questions after each upload."""
    return DocumentAdmin(cast(AdminEngine, dialogue.engine), dialogue.questions)


async def receive_file(channel: Channel[C], admin: DocumentAdmin, chat: C, user: object,
                       incoming: IncomingFile) -> None:
    """The whole of an upload in chat: refuse before downloading anything when the user is no
    admin or the file too large, say "received", download, ingest (OCR progress shown by
    editing "received" where the channel can), then the result or the reason nothing changed."""
    words = channel.words
    name = incoming.name
    if not channel.is_admin(user):
        await channel.send_text(chat, texts.PHOTO_NOT_ADMIN if incoming.photos else words.not_admin)
        return
    if not incoming.sizes:
        await channel.send_text(chat, texts.FILE_MISSING)
        return
    if any((size or 0) > MAX_FILE_BYTES for size in incoming.sizes):
        await channel.send_text(chat, words.too_large.format(name=name, limit=MAX_FILE_BYTES // (1024 * 1024)))
        return
    received_text = (texts.PHOTO_RECEIVED.format(count=len(incoming.sizes)) if incoming.photos
                     else words.received.format(name=name))
    received = await channel.send_text(chat, received_text) if received_text else None
    try:
        data = await incoming.download()
        upload = await admin.upload(data, name, f"{channel.name}:{user}", replaces=incoming.replaces,
                                    on_page=_progress(channel, received, name), **incoming.metadata)
    except DownloadFailed as failed:
        await channel.send_text(chat, failed.text)
        return
    except (IngestError, Unavailable) as error:
        await channel.send_text(chat, words.rejected.format(name=name, reason=error))
        return
    except Exception:  # noqa: BLE001 - the admin must hear that nothing was stored
        log.exception("Upload of %s by %s:%s failed", name, channel.name, user)
        await channel.send_text(chat, words.failed.format(name=name))
        return
    # A new message rather than an edit: the admin's phone rings when a long ingest is done.
    await channel.send_upload(chat, upload)


def _progress(channel: Channel, received: Any, name: str) -> Callable[[int, int], None] | None:
    """OCR's page callback (called from the writer thread): edits "received" now and then."""
    if received is None:
        return None
    loop = asyncio.get_running_loop()
    shown = {"at": 0.0}

    def on_page(done: int, total: int) -> None:
        now = time.monotonic()
        if total < 2 or (done < total and now - shown["at"] < PROGRESS_EVERY_SECONDS):
            return
        shown["at"] = now
        text = texts.OCR_PROGRESS.format(name=name, done=done, total=total)
        asyncio.run_coroutine_threadsafe(channel.show_progress(received, text), loop)

    return on_page
