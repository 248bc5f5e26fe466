"""The Zalo OA API as this bot uses it: send text, keep the access token fresh (storage/zalo_tokens.py),
download attachments; transient failures retried with bounded backoff."""
from __future__ import annotations

import asyncio
import logging
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Awaitable, Callable

import httpx

from storage.zalo_tokens import TokenPair, TokenStore, env_fingerprint, initial_tokens
from config.settings import Settings

log = logging.getLogger(__name__)

SEND_PATH = "/v3.0/oa/message/cs"  # customer-service ("tư vấn") messages, the reply to a user
TOKEN_PATH = "/v4/oa/access_token"

# Error codes in the JSON answers of the OA API.
TOKEN_ERRORS = frozenset({-216, -220})  # access token invalid / expired or removed
TRANSIENT_ERRORS = frozenset({-32})  # the app reached its API call limit: worth a later try

RETRY_ATTEMPTS = 4
RETRY_BASE_DELAY = 0.5  # seconds; doubled after each failed attempt …
RETRY_MAX_DELAY = 8.0  # … up to this
API_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
DOWNLOAD_TIMEOUT = httpx.Timeout(60.0, connect=10.0)


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
                await asyncio.to_thread(self.store.unlock, handle)  # on PostgreSQL, a round trip

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
