"""The Zalo Official Account channel: plain-text replies, the OA API client and the event handlers.

Zalo shows plain text only and no buttons, so an answer goes out as one text (split below the
message limit) with its numbered sources written out. The API client keeps a valid access token:
the refresh token is single-use, so every new pair is written to the data directory before it is
used, and server workers refresh one at a time under a lock file, taking up each other's pairs.
The HTTP route is in `webhook/zalo.py`.
"""
from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
import logging
import os
import tempfile
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any, AsyncIterator, Awaitable, Callable

import httpx

from bot import texts
from bot.admin import DocumentAdmin, now_answered_text
from bot.splitting import split_paragraphs, utf16_len
from bot.dialogue import Dialogue, Reply
from knowledge.loaders import MAX_FILE_BYTES, IngestError
from ngoaivu.settings import Settings
from retrieval.models import Answer, Citation

log = logging.getLogger(__name__)

CHANNEL = "zalo"
MESSAGE_LIMIT = 2000  # characters of one OA text message
SEND_PATH = "/v3.0/oa/message/cs"  # customer-service ("tư vấn") messages, the reply to a user
TOKEN_PATH = "/v4/oa/access_token"

# Error codes in the JSON answers of the OA API.
TOKEN_ERRORS = frozenset({-216, -220})  # access token invalid / expired or removed
TRANSIENT_ERRORS = frozenset({-32})  # the app reached its API call limit: worth a later try

REFRESH_MARGIN_SECONDS = 15 * 60  # tokens live 25 hours; refresh this long before they end
RETRY_ATTEMPTS = 4
RETRY_BASE_DELAY = 0.5  # seconds; doubled after each failed attempt …
RETRY_MAX_DELAY = 8.0  # … up to this
API_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
DOWNLOAD_TIMEOUT = httpx.Timeout(60.0, connect=10.0)


# ---- formatting ---------------------------------------------------------------------------

text_length = utf16_len  # Zalo's limit, counted safely for any character


def source_line(citation: Citation) -> str:
    """"[1] Title — Publisher, 03/01/2020 (file.txt)"; the file name only when not the title."""
    title = citation.title or citation.source or citation.doc_id
    if citation.location:  # "Điều 5, khoản 2 — Nghị định …"
        title = f"{citation.location} — {title}"
    where = ", ".join(part for part in (citation.publisher, citation.date) if part)
    line = f"[{citation.n}] {title}"
    if where:
        line += f" — {where}"
    if citation.source and citation.source != title:
        line += f" ({citation.source})"
    return line


def answer_text(
    answer: Answer, *, question: str = "", rewritten: bool = False, note: str = ""
) -> str:
    """The full reply to a question as plain text, sources numbered at the end."""
    blocks = []
    if rewritten and question:
        blocks.append(texts.UNDERSTOOD_AS.format(question=question))
    body = answer.answer.strip()
    fact = "" if answer.refused else answer.fact.strip()
    if fact and fact not in body:  # lead with the asked-for fact, as the other channels do
        body = f"{fact}\n{body}"
    blocks.append(body)
    if note:
        blocks.append(note)
    if answer.citations and not answer.refused:  # a refusal lists its leads in its own text
        lines = [texts.SOURCES_HEADING] + [source_line(c) for c in answer.citations]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def reply_text(reply: Reply) -> str:
    """What to send for a dialogue reply: the answer with sources, or the notice."""
    if not reply.is_answer or reply.answer is None:
        return reply.text
    return answer_text(
        reply.answer, question=reply.question, rewritten=reply.rewritten, note=reply.note
    )


def welcome_text() -> str:
    """The greeting with example questions (sent when a user follows the OA)."""
    examples = "\n".join(f"• {q}" for q in texts.EXAMPLE_QUESTIONS)
    return f"{texts.WELCOME}\n\n{texts.EXAMPLES_HEADING}\n{examples}"


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split plain text into messages within the limit, on paragraph boundaries where possible."""
    return split_paragraphs(text.strip(), limit)


# ---- tokens -------------------------------------------------------------------------------

@dataclass(frozen=True)
class TokenPair:
    """An OA access token and the single-use refresh token issued with it."""

    access_token: str
    refresh_token: str
    expires_at: float | None = None  # unix time; None when unknown (a pair from the environment)

    def expiring(self, now: float, margin: float = REFRESH_MARGIN_SECONDS) -> bool:
        return self.expires_at is not None and now >= self.expires_at - margin


def env_fingerprint(settings: Settings) -> str:
    """Identifies the pair given in the environment, without storing it a second time."""
    pair = f"{settings.zalo_access_token}\n{settings.zalo_refresh_token}"
    return hashlib.sha256(pair.encode("utf-8")).hexdigest()


class TokenStore:
    """The current token pair in a JSON file under the data directory, replaced atomically."""

    FILE_NAME = "zalo_tokens.json"

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def in_dir(cls, data_dir: Path) -> "TokenStore":
        return cls(Path(data_dir) / cls.FILE_NAME)

    def lock(self) -> IO:
        """Take the store's lock file (blocking): server workers refresh one at a time."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path.with_suffix(".lock"), "a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
        except BaseException:
            handle.close()
            raise
        return handle

    @staticmethod
    def unlock(handle: IO) -> None:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()

    def load(self) -> tuple[TokenPair, str] | None:
        """The stored pair and the fingerprint of the environment pair it descends from."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            pair = TokenPair(data["access_token"], data["refresh_token"], data.get("expires_at"))
            return pair, data.get("env_fingerprint", "")
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.error("Ignoring unreadable Zalo token file %s: %s", self.path, error)
            return None

    def save(self, pair: TokenPair, fingerprint: str) -> None:
        """Write the pair so that a crash leaves either the old file or the new one, whole."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "access_token": pair.access_token, "refresh_token": pair.refresh_token,
            "expires_at": pair.expires_at, "env_fingerprint": fingerprint, "saved_at": time.time(),
        }
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".zalo_tokens.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:  # mkstemp: readable by us only
                json.dump(data, file)
                file.flush()
                os.fsync(file.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(self.path.parent)


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def initial_tokens(settings: Settings, store: TokenStore) -> TokenPair | None:
    """The stored pair, unless the environment now holds another pair than the one it came from."""
    stored = store.load()
    from_env = settings.zalo_access_token or settings.zalo_refresh_token
    if stored and (not from_env or stored[1] == env_fingerprint(settings)):
        return stored[0]
    if stored:
        # The operator put a new pair in the environment (e.g. after re-authorizing the OA).
        log.info("ZALO_ACCESS_TOKEN/ZALO_REFRESH_TOKEN changed: using them, not the stored pair")
    if not from_env:
        return None
    return TokenPair(settings.zalo_access_token, settings.zalo_refresh_token)


# ---- the API client -----------------------------------------------------------------------

class ZaloApiError(Exception):
    """A failed Zalo call: `code` is Zalo's error code (None for HTTP or network failures)."""

    def __init__(self, code: int | None, message: str, *, retryable: bool = False) -> None:
        super().__init__(f"code {code}: {message}" if code is not None else message)
        self.code, self.message, self.retryable = code, message, retryable


class FileTooLarge(Exception):
    """The attachment is over the size limit (nothing more is downloaded)."""


def _error_code(data: dict) -> int:
    try:
        return int(data.get("error") or 0)
    except (TypeError, ValueError):
        return -1


def _seconds(value: Any) -> float | None:
    """expires_in as a number (Zalo sends it as a string)."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if seconds > 0 else None


def _json_of(response: httpx.Response, what: str) -> dict:
    """The JSON answer, or ZaloApiError: HTTP 5xx and 429 are worth retrying, other 4xx are not."""
    status = response.status_code
    if status >= 500 or status == 429:
        raise ZaloApiError(None, f"{what}: HTTP {status}", retryable=True)
    if status >= 400:
        raise ZaloApiError(None, f"{what}: HTTP {status} {response.text[:200]}")
    try:
        data = response.json()
    except ValueError:
        raise ZaloApiError(None, f"{what}: the answer is not JSON", retryable=True) from None
    if not isinstance(data, dict):
        raise ZaloApiError(None, f"{what}: unexpected answer {str(data)[:200]}")
    return data


class ZaloApi:
    """The OA API as this bot uses it: send text, keep the token fresh, download attachments."""

    def __init__(
        self, settings: Settings, store: TokenStore, *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock, self._sleep = clock, sleep
        self.tokens = initial_tokens(settings, store)  # loaded once, at start-up
        self._fingerprint = env_fingerprint(settings)
        self._refreshing = asyncio.Lock()  # one refresh at a time: the refresh token is single-use

    @asynccontextmanager
    async def _http(self, timeout: httpx.Timeout = API_TIMEOUT) -> AsyncIterator[httpx.AsyncClient]:
        async with httpx.AsyncClient(timeout=timeout) as http:
            yield http

    async def _retrying(self, what: str, call: Callable[[], Awaitable[Any]]) -> Any:
        """Run `call`, retrying transient failures with bounded exponential backoff."""
        for attempt in range(1, RETRY_ATTEMPTS + 1):
            try:
                return await call()
            except ZaloApiError as error:
                if not error.retryable:
                    raise
                if attempt == RETRY_ATTEMPTS:
                    # Marked final so that an outer retry loop does not multiply the attempts.
                    raise ZaloApiError(error.code, f"{error.message} (gave up after {attempt} "
                                                   f"attempts)") from error
                delay = min(RETRY_MAX_DELAY, RETRY_BASE_DELAY * 2 ** (attempt - 1))
                log.warning("%s failed (%s); retrying in %.1f s", what, error, delay)
                await self._sleep(delay)
        raise AssertionError("unreachable")

    # -- sending ------------------------------------------------------------------------------
    async def send_texts(self, user_id: str, parts: list[str]) -> None:
        """Send the parts in order; ZaloApiError stops at the first part that cannot be sent."""
        async with self._http() as http:
            for part in parts:
                await self._send_text(http, user_id, part)

    async def _send_text(self, http: httpx.AsyncClient, user_id: str, text: str) -> dict:
        url = self.settings.zalo_api_base_url.rstrip("/") + SEND_PATH
        body = {"recipient": {"user_id": user_id}, "message": {"text": text}}

        async def attempt() -> dict:
            token = await self._access_token(http)
            data = await self._post_message(http, url, body, token)
            code = _error_code(data)
            if code in TOKEN_ERRORS:
                log.info("Zalo refused the access token (code %s); refreshing it", code)
                await self._refresh(http, stale=token)
                data = await self._post_message(http, url, body, self.tokens.access_token)
                code = _error_code(data)
            if code:
                message = str(data.get("message", ""))
                raise ZaloApiError(code, message, retryable=code in TRANSIENT_ERRORS)
            return data

        # A timed-out send may have been delivered; a rare duplicate beats a lost answer.
        return await self._retrying(f"Zalo message to {user_id}", attempt)

    async def _post_message(
        self, http: httpx.AsyncClient, url: str, body: dict, token: str
    ) -> dict:
        try:
            response = await http.post(url, json=body, headers={"access_token": token})
        except httpx.TransportError as error:  # timeouts, refused or dropped connections
            raise ZaloApiError(None, f"send: {error!r}", retryable=True) from None
        return _json_of(response, "send")

    # -- tokens -------------------------------------------------------------------------------
    async def _access_token(self, http: httpx.AsyncClient) -> str:
        """The access token, refreshed first when it is about to expire."""
        tokens = self.tokens
        if tokens is None or not (tokens.access_token or tokens.refresh_token):
            raise ZaloApiError(None, "no Zalo token: set ZALO_ACCESS_TOKEN and ZALO_REFRESH_TOKEN")
        if not tokens.access_token or tokens.expiring(self.clock()):
            try:
                await self._refresh(http, stale=tokens.access_token)
            except ZaloApiError:
                if tokens.access_token and self.clock() < (tokens.expires_at or 0):
                    log.warning("Zalo token refresh failed; using the current token until it "
                                "expires", exc_info=True)
                    return tokens.access_token
                raise
        return self.tokens.access_token

    async def _refresh(self, http: httpx.AsyncClient, stale: str) -> None:
        """Trade the refresh token for a new pair, stored before it is used."""
        async with self._refreshing:
            if self.tokens is not None and self.tokens.access_token != stale:
                return  # another message refreshed it while this one waited
            handle = await asyncio.to_thread(self.store.lock)
            try:
                if not await self._adopt_stored(stale):
                    await self._refresh_locked(http)
            finally:
                self.store.unlock(handle)

    async def _adopt_stored(self, stale: str) -> bool:
        """Take up a fresh pair another server worker stored (its refresh spent ours)."""
        stored = await asyncio.to_thread(self.store.load)
        if stored is None or stored[1] != self._fingerprint or stored[0].access_token == stale:
            return False
        self.tokens = stored[0]
        log.info("Using the Zalo token pair another worker refreshed")
        return not stored[0].expiring(self.clock())

    async def _refresh_locked(self, http: httpx.AsyncClient) -> None:
        """The refresh itself, under the store's lock."""
        current = self.tokens
        settings = self.settings
        refresh_token = current.refresh_token if current else ""
        if not (settings.zalo_app_id and settings.zalo_app_secret and refresh_token):
            raise ZaloApiError(None, "cannot refresh the Zalo token: ZALO_APP_ID, "
                                     "ZALO_APP_SECRET or a refresh token is missing")
        pair = await self._retrying(
            "Zalo token refresh", lambda: self._request_tokens(http, refresh_token)
        )
        try:
            await asyncio.to_thread(self.store.save, pair, self._fingerprint)
        except OSError:
            # The old refresh token is spent: the new pair in memory is all that is left.
            log.critical("Could not store the new Zalo tokens in %s; they will be lost on "
                         "restart", self.store.path, exc_info=True)
        self.tokens = pair
        log.info("Zalo access token refreshed (valid for %s s)",
                 round(pair.expires_at - self.clock()) if pair.expires_at else "unknown")

    async def _request_tokens(self, http: httpx.AsyncClient, refresh_token: str) -> TokenPair:
        url = self.settings.zalo_oauth_base_url.rstrip("/") + TOKEN_PATH
        form = {"refresh_token": refresh_token, "app_id": self.settings.zalo_app_id,
                "grant_type": "refresh_token"}
        try:
            headers = {"secret_key": self.settings.zalo_app_secret}
            response = await http.post(url, data=form, headers=headers)
        except httpx.TransportError as error:
            raise ZaloApiError(None, f"token refresh: {error!r}", retryable=True) from None
        data = _json_of(response, "token refresh")
        if data.get("access_token") and data.get("refresh_token"):
            seconds = _seconds(data.get("expires_in"))
            expires_at = self.clock() + seconds if seconds else None
            return TokenPair(str(data["access_token"]), str(data["refresh_token"]), expires_at)
        reason = (data.get("error_description") or data.get("error_name") or data.get("message")
                  or data)
        raise ZaloApiError(_error_code(data), f"token refresh refused: {reason}; the OA may need "
                                              "to be authorized again")

    # -- files --------------------------------------------------------------------------------
    async def download(self, url: str, limit: int) -> bytes:
        """An attachment's bytes; FileTooLarge as soon as it passes `limit`."""

        async def attempt() -> bytes:
            try:
                async with self._http(DOWNLOAD_TIMEOUT) as http:
                    async with http.stream("GET", url, follow_redirects=True) as response:
                        if response.status_code >= 400:
                            await response.aread()
                            _json_of(response, "download")  # raises with the right retryability
                        declared = response.headers.get("content-length", "")
                        if declared.isdigit() and int(declared) > limit:
                            raise FileTooLarge(declared)
                        chunks, total = [], 0
                        async for chunk in response.aiter_bytes():
                            total += len(chunk)
                            if total > limit:
                                raise FileTooLarge(str(total))
                            chunks.append(chunk)
                        return b"".join(chunks)
            except httpx.TransportError as error:
                raise ZaloApiError(None, f"download: {error!r}", retryable=True) from None

        return await self._retrying("Zalo file download", attempt)


# ---- the channel --------------------------------------------------------------------------

@dataclass(frozen=True)
class Attachment:
    """A file a user sent: where to fetch it, its name and the size Zalo declares."""

    url: str
    name: str
    size: int | None


def attachment_of(event: dict) -> Attachment | None:
    """The first file attachment of a user_send_file event."""
    message = event.get("message") or {}
    for item in message.get("attachments") or []:
        payload = (item or {}).get("payload") or {}
        url = str(payload.get("url") or "")
        if not url.startswith(("https://", "http://")):
            continue
        size = str(payload.get("size") or "")
        name = PurePosixPath(str(payload.get("name") or "").replace("\\", "/")).name
        name = name or f"zalo_{message.get('msg_id', 'tep')}"
        return Attachment(url, name, int(size) if size.isdigit() else None)
    return None


class ZaloBot:
    """Answers Zalo users through the dialogue core; work runs after the webhook has returned."""

    def __init__(self, settings: Settings, api: ZaloApi) -> None:
        self.settings = settings
        self.api = api
        self._tasks: set[asyncio.Task] = set()

    def is_admin(self, user_id: str) -> bool:
        return str(user_id) in self.settings.zalo_admin_ids

    def schedule(self, work: Awaitable[None], what: str) -> None:
        """Run `work` in the background (Zalo wants the webhook answered within 2 seconds)."""
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
        admin = DocumentAdmin(dialogue.engine, self.settings.zalo_admin_ids, dialogue.questions)
        try:
            upload = await admin.upload(data, attachment.name, f"zalo:{user_id}")
        except IngestError as error:
            await self.say(user_id, texts.FILE_REFUSED.format(reason=str(error)))
            return
        except Exception:  # noqa: BLE001 - the admin gets an apology, the log gets the cause
            log.exception("Error while adding %s sent by Zalo user %s", attachment.name, user_id)
            await self.say(user_id, texts.APOLOGY)
            return
        template = {"unchanged": texts.FILE_UNCHANGED, "replaced": texts.FILE_REPLACED}.get(
            upload.status, texts.FILE_ADDED)
        document = upload.document
        title = document.get("title") or document.get("source", "")
        reply = template.format(title=title, chunks=document.get("chunks", 0), source=document.get("source", ""),
                                version=document.get("version", 1), replaced=upload.replaced)
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
