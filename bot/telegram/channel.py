"""The Telegram channel: translates updates to the dialogue core and replies to HTML messages.

`TelegramChannel` is bot/channel.py's Channel for Telegram (replies go to the message they
answer); handlers are small; the wiring is in `build_application` at the bottom.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time

from telegram import (
    BotCommand, InlineKeyboardMarkup, LinkPreviewOptions, Message, MessageEntity, Update,
)
from telegram.constants import ChatAction, ChatType, FloodLimit, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    AIORateLimiter, Application, ApplicationBuilder, ApplicationHandlerStop,
    CallbackQueryHandler, CommandHandler, ContextTypes, Defaults, MessageHandler, TypeHandler,
    filters,
)

from bot import texts
from bot.admin import DocumentAdmin, Upload
from bot.channel import IncomingFile, UploadWords, apology, document_admin, receive_file
from bot.dialogue import Dialogue, Reply
from storage.conversations import StoredAnswer
from storage.outages import outage_of, summary
from bot.telegram.format import (
    admin_documents_html, answer_html, answer_keyboard, delete_keyboard, documents_html,
    plain_html, quote_html, quote_keyboard, sources_html, split_message, unanswered_html, upload_html,
    welcome_html,
)
from knowledge.loaders import clean_source_name
from config.settings import Settings

log = logging.getLogger(__name__)

CHANNEL = "telegram"
# The update types the handlers below use; setWebhook and getUpdates ask for just these.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
UNANSWERED_SHOWN = 15  # /chuatraloi lists this many; the admin page lists them all
TYPING_AFTER_SECONDS = 1.0  # answers take ~15 ms: "typing…" would be one Bot API call for nothing
TYPING_REFRESH_SECONDS = 4.5  # Telegram shows "typing…" for 5 s per sendChatAction
# The photos of an album arrive as separate updates a moment apart, sharing a media_group_id:
# the album is complete once none has come for this long.
ALBUM_QUIET_SECONDS = 2.0

COMMANDS = [
    BotCommand("start", "Lời chào và ví dụ câu hỏi"),
    BotCommand("help", "Hướng dẫn sử dụng"),
    BotCommand("tailieu", "Danh sách tài liệu đang lưu"),
    BotCommand("nguon", "Nguồn đầy đủ của câu trả lời gần nhất"),
    BotCommand("hoi", "Đặt câu hỏi (dùng trong nhóm)"),
]


# "thay 0a1b2c3d4e5f" in a file's caption: the upload is a new version of that document.
_REPLACES_CAPTION = re.compile(r"\bthay\s*:?\s*([0-9a-fA-F]{12})\b", re.IGNORECASE)

# The data of the buttons this bot makes, matched whole (ASCII digits, ids that fit SQLite's
# integers): anything else, however crafted, goes to stale_button.
SOURCE_BUTTON = re.compile(r"src:([0-9]{1,18}):([0-9]{1,3})\Z", re.ASCII)
BACK_BUTTON = re.compile(r"ans:([0-9]{1,18})\Z", re.ASCII)
PICK_BUTTON = re.compile(r"pick:([0-9]{1,18}):([0-9]{1,2})\Z", re.ASCII)
VOTE_BUTTON = re.compile(r"vote:([0-9]{1,18}):(up|down)\Z", re.ASCII)
DELETE_BUTTON = re.compile(r"(del|keep):([\w-]{1,40})\Z", re.ASCII)
# python-telegram-bot hands a button with empty data to the first handler with any pattern; this
# pattern matches no data at all, so that handler is stale_button.
EMPTY_BUTTON = re.compile(r"(?!)")


class TelegramChannel:
    """Telegram as a Channel (bot/channel.py): `chat` is the message replied to, text goes out as HTML."""

    name = CHANNEL
    words = UploadWords(not_admin=texts.UPLOAD_NOT_ADMIN, too_large=texts.UPLOAD_TOO_LARGE,
                        received=texts.UPLOAD_RECEIVED, rejected=texts.UPLOAD_REJECTED, failed=texts.UPLOAD_FAILED)

    def __init__(self, admin_ids: frozenset[str]) -> None:
        self.admin_ids = admin_ids  # TELEGRAM_ADMIN_IDS

    def is_admin(self, user: object) -> bool:
        return str(user) in self.admin_ids

    async def send_text(self, chat: Message, text: str) -> Message:
        return await chat.reply_text(plain_html(text))

    async def send_answer(self, chat: Message, reply: Reply) -> None:
        keyboard = None
        if reply.is_answer and reply.answer_id is not None:
            keyboard = answer_keyboard(reply.answer_id, reply.citations, reply.answer)
        await _send_html(chat, _reply_html(reply), keyboard)

    async def send_upload(self, chat: Message, upload: Upload) -> None:
        await chat.reply_text(upload_html(upload))

    async def show_progress(self, sent: Message, text: str) -> None:
        # Progress is a courtesy: an edit that fails (message gone, same text) is only logged.
        try:
            await sent.edit_text(plain_html(text))
        except TelegramError:
            log.debug("progress edit failed", exc_info=True)


def _dialogue(context: ContextTypes.DEFAULT_TYPE) -> Dialogue:
    return context.application.bot_data["dialogue"]


def _admin(context: ContextTypes.DEFAULT_TYPE) -> DocumentAdmin:
    return context.application.bot_data["admin"]


def _channel(context: ContextTypes.DEFAULT_TYPE) -> TelegramChannel:
    return context.application.bot_data["channel"]


def _is_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    user = update.effective_user
    return user is not None and _channel(context).is_admin(user.id)


def _message(update: Update) -> Message:
    """The message a handler answers (every message handler here is wired to updates with one)."""
    message = update.effective_message
    if not isinstance(message, Message):  # a forged update: on_error logs it
        raise ValueError(f"update {update.update_id} carries no message")
    return message


def _is_group(message: Message) -> bool:
    return message.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)


@contextlib.asynccontextmanager
async def _typing_if_slow(context: ContextTypes.DEFAULT_TYPE, chat_id: int):
    """Show "typing…" only while an answer is slow; a fast one goes out with no extra call."""
    done = asyncio.Event()

    async def finished_within(seconds: float) -> bool:
        try:
            await asyncio.wait_for(done.wait(), seconds)
            return True
        except asyncio.TimeoutError:
            return False

    async def keep_typing() -> None:
        delay = TYPING_AFTER_SECONDS
        while not await finished_within(delay):
            try:
                await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
            except TelegramError:
                pass  # a lost "typing" must not cost the answer
            delay = TYPING_REFRESH_SECONDS

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        # Not cancelled: a "typing" already in flight is finished first, so it never arrives
        # after the answer (Telegram would then show "typing…" under it).
        done.set()
        await task


async def _send_html(
    message: Message, html: str, keyboard: InlineKeyboardMarkup | None = None
) -> None:
    """Send HTML in as many parts as needed; buttons go under the last part."""
    parts = split_message(html)
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        await message.reply_text(
            part, reply_markup=keyboard if last else None,
            do_quote=_is_group(message) and i == 0,  # in groups, show which question is answered
        )


def _reply_html(reply: Reply) -> str:
    if not reply.is_answer or reply.answer is None:
        return plain_html(reply.text)
    return answer_html(
        reply.answer, question=reply.question, rewritten=reply.rewritten, note=reply.note
    )


def _stored_html(stored: StoredAnswer) -> str:
    return answer_html(stored.answer, question=stored.question, rewritten=stored.rewritten)


async def _answer(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str | None) -> None:
    message = _message(update)
    if not isinstance(text, str):  # only a forged update has a text that is a number or a list
        text = None
    user_id = update.effective_user.id if update.effective_user else message.chat.id
    async with _typing_if_slow(context, message.chat.id):
        reply = await _dialogue(context).ask(CHANNEL, message.chat.id, user_id, text)
    await _channel(context).send_answer(message, reply)


def _addressed_text(message: Message, username: str, bot_id: int) -> str | None:
    """The group message's text with the bot's @mention removed, or None if not addressed to it."""
    text = message.text or ""
    mention = f"@{username}".lower()
    mentioned = any(
        (entity.type == MessageEntity.MENTION and message.parse_entity(entity).lower() == mention)
        or (entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot_id)
        for entity in message.entities
    )
    replied = message.reply_to_message is not None and (
        message.reply_to_message.from_user is not None
        and message.reply_to_message.from_user.id == bot_id
    )
    if not (mentioned or replied):
        return None
    return re.sub(rf"@{re.escape(username)}\b", " ", text, flags=re.IGNORECASE)


# ---- handlers ------------------------------------------------------------------------------

async def drop_retried_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop an update already seen (Telegram retries a webhook delivery it thinks failed)."""
    dialogue = _dialogue(context)
    if not await dialogue.off_loop(dialogue.first_delivery, CHANNEL, update.update_id):
        log.info("Dropping retried update %s", update.update_id)
        raise ApplicationHandlerStop


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet, show example questions, and start the chat afresh."""
    dialogue = _dialogue(context)
    await dialogue.off_loop(dialogue.forget, CHANNEL, update.effective_chat.id)
    await _message(update).reply_text(welcome_html())


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Explain how to ask, follow up, check sources and use the bot in groups."""
    settings = _dialogue(context).settings
    text = texts.HELP.format(
        ttl_minutes=max(1, settings.context_ttl_seconds // 60), username=context.bot.username
    )
    if _is_admin(update, context):
        text += texts.ADMIN_HELP
    await _channel(context).send_text(_message(update), text)


async def documents_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/tailieu: list the documents the answers come from (for admins: ids and history too)."""
    if _is_admin(update, context):
        documents = await asyncio.to_thread(_admin(context).documents, True)
        await _send_html(_message(update), admin_documents_html(documents))
        return
    dialogue = _dialogue(context)
    documents = await dialogue.off_loop(dialogue.documents)
    await _send_html(_message(update), documents_html(documents))


async def document_upload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ingest a file an admin sent; anyone else's is refused before anything is downloaded."""
    message = _message(update)
    document = message.document
    caption = _REPLACES_CAPTION.search(message.caption or "")

    async def download() -> bytes:
        file = await document.get_file()
        return bytes(await file.download_as_bytearray())

    incoming = IncomingFile(
        clean_source_name(document.file_name or "", fallback=f"tep-{document.file_unique_id}"),
        (document.file_size,), download, replaces=caption.group(1).lower() if caption else "")
    await receive_file(_channel(context), _admin(context), message, update.effective_user.id, incoming)


async def photo_upload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An admin's photo of a document (or an album of them: one document) is read by OCR; anyone
    else gets a polite reply, once per album, and nothing is downloaded."""
    message = _message(update)
    albums: dict = context.application.bot_data.setdefault("albums", {})
    key = (message.chat_id, message.media_group_id) if message.media_group_id else None
    if not _is_admin(update, context):
        if key is None or key not in albums:
            if key is not None:
                albums[key] = None  # the rest of this album gets no reply of its own
                asyncio.get_running_loop().call_later(60, albums.pop, key, None)
            await _channel(context).send_text(message, texts.PHOTO_NOT_ADMIN)
        return
    if key is not None:
        album = albums.get(key)
        if album is not None:  # a later photo of an album the first photo's handler is collecting
            album["messages"].append(message)
            album["last"] = time.monotonic()
            return
        album = albums[key] = {"messages": [message], "last": time.monotonic()}
        try:
            while time.monotonic() - album["last"] < ALBUM_QUIET_SECONDS:
                await asyncio.sleep(0.2)
        finally:
            albums.pop(key, None)
        messages = sorted(album["messages"], key=lambda m: m.message_id)
    else:
        messages = [message]
    first = messages[0]
    caption = next((m.caption for m in messages if m.caption), "") or ""
    replaces = _REPLACES_CAPTION.search(caption)

    async def download() -> list[bytes]:
        images = []
        for m in messages:  # the largest size Telegram keeps of each photo
            file = await m.photo[-1].get_file()
            images.append(bytes(await file.download_as_bytearray()))
        return images

    incoming = IncomingFile(
        clean_source_name(f"anh_{first.date:%Y%m%d}_{first.photo[-1].file_unique_id}.jpg"),
        tuple(m.photo[-1].file_size for m in messages), download, photos=True,
        replaces=replaces.group(1).lower() if replaces else "",
        metadata={"title": " ".join(_REPLACES_CAPTION.sub("", caption).split())})
    await receive_file(_channel(context), _admin(context), first, update.effective_user.id, incoming)


async def delete_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/xoa MÃ: ask an admin to confirm deleting a document."""
    message = _message(update)
    if not _is_admin(update, context):
        await _channel(context).send_text(message, texts.ADMIN_ONLY)
        return
    parts = (message.text or "").split(maxsplit=1)
    live = await asyncio.to_thread(_admin(context).documents)
    if len(parts) < 2 or not parts[1].strip():
        example = live[0]["doc_id"] if live else "0a1b2c3d4e5f"
        await _channel(context).send_text(message, texts.DELETE_USAGE.format(example=example))
        return
    doc_id = parts[1].strip().split()[0]
    document = next((d for d in live if d["doc_id"] == doc_id), None)
    if document is None:
        await _channel(context).send_text(message, texts.DELETE_UNKNOWN.format(doc_id=doc_id))
        return
    confirm = texts.DELETE_CONFIRM.format(title=document["title"] or document["source"], doc_id=doc_id,
                                          chunks=document["chunks"])
    await message.reply_text(plain_html(confirm), reply_markup=delete_keyboard(doc_id))


async def delete_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Delete the document once an admin taps "Xóa" (or keep it on "Hủy")."""
    query = update.callback_query
    if not _is_admin(update, context):
        await query.answer(texts.ADMIN_ONLY, show_alert=True)
        return
    action, doc_id = context.match.groups()
    document = await asyncio.to_thread(_admin(context).document, doc_id)
    title = (document["title"] or document["source"]) if document else doc_id
    if action == "keep":
        await query.answer()
        await _edit(query, plain_html(texts.DELETE_CANCELLED.format(title=title)), None)
        return
    removed = await _admin(context).remove(doc_id, actor=f"telegram:{query.from_user.id}")
    text = texts.DELETE_DONE if removed else texts.DELETE_GONE
    await query.answer()
    await _edit(query, plain_html(text.format(title=title, doc_id=doc_id)), None)


async def unanswered_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/chuatraloi: the questions officers asked most that the documents could not answer."""
    message = _message(update)
    if not _is_admin(update, context):
        await _channel(context).send_text(message, texts.ADMIN_ONLY)
        return
    questions = await asyncio.to_thread(_dialogue(context).questions.unanswered, UNANSWERED_SHOWN)
    await _send_html(message, unanswered_html(questions, _local_time))


def _local_time(timestamp: float) -> str:
    return time.strftime("%d/%m/%Y %H:%M", time.localtime(timestamp))


async def sources_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/nguon: the last answer's sources in full, with their quoted passages."""
    message = _message(update)
    dialogue = _dialogue(context)
    stored = await dialogue.off_loop(dialogue.last_answer, CHANNEL, message.chat.id)
    if stored is None:
        await _channel(context).send_text(message, texts.NO_LAST_ANSWER)
    elif not stored.answer.citations:
        await _channel(context).send_text(message, texts.NO_SOURCES.format(question=stored.asked))
    else:
        await _send_html(message, sources_html(stored.asked, stored.answer.citations))


async def ask_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/hoi <câu hỏi>: ask explicitly (the way to ask in a group without a mention)."""
    parts = (_message(update).text or "").split(maxsplit=1)
    if len(parts) < 2 or not parts[1].strip():
        usage = texts.HOI_USAGE.format(example=texts.EXAMPLE_QUESTIONS[0])
        await _channel(context).send_text(_message(update), usage)
        return
    await _answer(update, context, parts[1])


async def private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a question typed in a private chat."""
    await _answer(update, context, _message(update).text)


async def group_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer in a group only when the bot is mentioned or its message is replied to."""
    text = _addressed_text(_message(update), context.bot.username, context.bot.id)
    if text is not None:
        await _answer(update, context, text)


async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Say that only typed questions are understood (photos, voice, stickers, files)."""
    await _channel(context).send_text(_message(update), texts.NOT_TEXT)


async def source_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show a citation's quoted passage in place of the answer, with a way back."""
    query = update.callback_query
    answer_id, n = (int(group) for group in context.match.groups())
    dialogue = _dialogue(context)
    stored = None
    if query.message is not None:  # None for a button under an inline-mode message: not ours
        stored = await dialogue.off_loop(dialogue.stored_answer, CHANNEL, query.message.chat.id, answer_id)
    citation = next((c for c in stored.answer.citations if c.n == n), None) if stored else None
    if citation is None:
        await query.answer(texts.ANSWER_GONE, show_alert=True)
        return
    await query.answer()
    # Editing keeps the chat tidy and has room for long passages (an alert holds 200 characters).
    await _edit(query, quote_html(citation), quote_keyboard(stored.id, stored.answer.citations, n))


async def back_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Put the answer back after a quote was shown."""
    query = update.callback_query
    answer_id = int(context.match.group(1))
    dialogue = _dialogue(context)
    stored = None
    if query.message is not None:
        stored = await dialogue.off_loop(dialogue.stored_answer, CHANNEL, query.message.chat.id, answer_id)
    if stored is None:
        await query.answer(texts.ANSWER_GONE, show_alert=True)
        return
    await query.answer()
    # The buttons sit under the last part of a split answer, so that part is the one restored.
    last_part = split_message(_stored_html(stored))[-1]
    await _edit(query, last_part, answer_keyboard(stored.id, stored.answer.citations, stored.answer))


async def vote_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Store 👍/👎 for the answer and thank the user."""
    query = update.callback_query
    answer_id, vote = int(context.match.group(1)), context.match.group(2)
    dialogue = _dialogue(context)
    stored = None
    if query.message is not None:
        stored = await dialogue.off_loop(
            dialogue.vote, CHANNEL, query.message.chat.id, query.from_user.id, answer_id, vote == "up",
        )
    if stored is None:
        await query.answer(texts.ANSWER_GONE, show_alert=True)
    else:
        await query.answer(texts.THANKS_UP if vote == "up" else texts.THANKS_DOWN)


async def pick_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A procedure picked from a choice list, or another field of the procedure answered: the
    answer comes as a new message (the one with the button stays as it was)."""
    query = update.callback_query
    answer_id, number = (int(group) for group in context.match.groups())
    message = query.message
    if not isinstance(message, Message):  # none under an inline-mode message; an inaccessible one is too old
        await query.answer(texts.ANSWER_GONE, show_alert=True)
        return
    dialogue = _dialogue(context)
    reply = await dialogue.off_loop(dialogue.pick, CHANNEL, message.chat.id, query.from_user.id, answer_id, number)
    if reply is None:
        await query.answer(texts.ANSWER_GONE, show_alert=True)
        return
    await query.answer()
    await _channel(context).send_answer(message, reply)


async def stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a tap on a button this version no longer knows, so the client stops waiting."""
    await update.callback_query.answer(texts.ANSWER_GONE, show_alert=True)


async def _edit(query, html: str, keyboard: InlineKeyboardMarkup | None) -> None:
    try:
        await query.edit_message_text(html, reply_markup=keyboard)
    except BadRequest as error:
        if "not modified" not in str(error).lower():  # the same button tapped twice
            raise


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure with its update id and send the user a short apology (naming the service
    when one we lean on is away: an outage is not a bug)."""
    update_id = update.update_id if isinstance(update, Update) else None
    error = context.error
    if outage_of(error) and error is not None:
        log.warning("Update %s met an outage: %s", update_id, summary(error))
    else:
        log.error("Error while handling update %s", update_id, exc_info=error)
    message = apology(error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        if update.callback_query:
            await update.callback_query.answer(message, show_alert=True)
        else:
            await context.bot.send_message(update.effective_chat.id, plain_html(message))
    except TelegramError:
        log.warning("Could not send the apology for update %s", update_id, exc_info=True)


async def register_commands(application: Application) -> None:
    """Show the Vietnamese command menu in Telegram clients."""
    try:
        await application.bot.set_my_commands(COMMANDS)
    except TelegramError:
        log.warning("setMyCommands failed; the command menu may be out of date", exc_info=True)


# ---- wiring --------------------------------------------------------------------------------

def rate_limiter(processes: int) -> AIORateLimiter:
    """Telegram's flood limits (about 30 messages a second for the whole bot, 20 a minute per
    group) for one of `processes` server processes sending as the same bot: each takes its share,
    so together they stay within the limits (a limiter per process would allow 30 a second each)."""
    share = max(1, processes)
    return AIORateLimiter(overall_max_rate=FloodLimit.MESSAGES_PER_SECOND / share,
                          group_max_rate=FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP / share, max_retries=2)


def build_application(settings: Settings, dialogue: Dialogue, *, polling: bool = False) -> Application:
    """The python-telegram-bot Application with every handler of this channel."""
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_file_base_url)
        .rate_limiter(rate_limiter(1 if polling else settings.workers))
        .defaults(Defaults(
            parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True),
        ))
    )
    if polling:
        builder = builder.post_init(register_commands)
    else:
        builder = builder.updater(None)  # the webhook server feeds updates itself
    application = builder.build()
    application.bot_data["dialogue"] = dialogue
    application.bot_data["channel"] = TelegramChannel(settings.telegram_admin_ids)
    application.bot_data["admin"] = document_admin(dialogue)

    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS
    new_text = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
    application.add_handler(TypeHandler(Update, drop_retried_update), group=-1)
    application.add_handlers([
        CommandHandler("start", start),
        CommandHandler("help", help_command),
        CommandHandler("tailieu", documents_command),
        CommandHandler("nguon", sources_command),
        CommandHandler("hoi", ask_command),
        CommandHandler("xoa", delete_command),
        CommandHandler("chuatraloi", unanswered_command),
        # Not blocking: the webhook answers Telegram at once while a long ingest runs.
        MessageHandler(filters.UpdateType.MESSAGE & private & filters.Document.ALL, document_upload,
                       block=False),
        # Not blocking either: the first photo of an album waits for the others to arrive.
        MessageHandler(filters.UpdateType.MESSAGE & private & filters.PHOTO, photo_upload, block=False),
        MessageHandler(new_text & private, private_text),
        MessageHandler(new_text & groups, group_text),
        MessageHandler(filters.UpdateType.MESSAGE & private & ~filters.TEXT, not_text),
        CallbackQueryHandler(stale_button, pattern=EMPTY_BUTTON),
        CallbackQueryHandler(source_button, pattern=SOURCE_BUTTON),
        CallbackQueryHandler(back_button, pattern=BACK_BUTTON),
        CallbackQueryHandler(vote_button, pattern=VOTE_BUTTON),
        CallbackQueryHandler(pick_button, pattern=PICK_BUTTON),
        CallbackQueryHandler(delete_button, pattern=DELETE_BUTTON),
        CallbackQueryHandler(stale_button),
    ])
    application.add_error_handler(on_error)
    return application


def run_polling(settings: Settings) -> None:
    """`ngoaivu poll`: run the same bot by long polling (for development)."""
    from retrieval.engine import AnswerEngine

    if not settings.telegram_bot_token:
        raise SystemExit("TELEGRAM_BOT_TOKEN is not set")
    # Settings is frozen and EngineConfig (retrieval/engine.py) declares settable fields: same values.
    dialogue = Dialogue(AnswerEngine.open(settings), settings)  # type: ignore[arg-type]
    application = build_application(settings, dialogue, polling=True)
    application.run_polling(allowed_updates=ALLOWED_UPDATES)
