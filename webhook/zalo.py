"""The Zalo OA webhook: size and signature checked first, stale or replayed events refused, an
answer within Zalo's 2 seconds, the work after (bot/zalo/channel.py keeps it until it is done)."""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse

from bot.dialogue import Dialogue
from bot.zalo.channel import CHANNEL, ZaloBot, parse_event
from bot.zalo.api import ZaloApi
from storage.zalo_outbox import Outbox
from storage.zalo_tokens import TokenStore
from config.settings import Settings
from storage.outages import DATABASE, Unavailable
from webhook.limits import body_or_refusal

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/zalo/webhook"
SIGNATURE_HEADER = "X-ZEvent-Signature"
MAX_EVENT_BYTES = 256 * 1024  # events are a few KB; anything bigger is not one
# Zalo delivers (and retries) events within seconds; a signed event older than this is a replay.
MAX_EVENT_AGE_SECONDS = 10 * 60
MAX_CLOCK_SKEW_SECONDS = 2 * 60  # an event from the future: the two clocks disagree this much at most

router = APIRouter()


def token_store(settings: Settings) -> TokenStore:
    """The token pair's table: SQLite under the data directory, or the shared database when
    several machines serve (an older version's token file taken over first)."""
    return TokenStore.in_dir(settings.data_dir, settings.database_url)


def include_zalo(app: FastAPI, settings: Settings) -> None:
    """Add the Zalo webhook route; its channel (`open_zalo`) is opened with the engine, at start-up."""
    app.state.zalo = None
    app.include_router(router)


def open_zalo(settings: Settings) -> ZaloBot:
    """The Zalo channel: its API client (tokens loaded now) and its outbox (both in the database
    when one is configured, so this waits for it like the engine does)."""
    return ZaloBot(settings, ZaloApi(settings, token_store(settings)),
                   Outbox.in_dir(settings.data_dir, settings.database_url))


def expected_signature(body: bytes, timestamp: str, app_id: str, oa_secret_key: str) -> str:
    """Zalo's MAC: hex SHA-256 of app id + raw body + the body's timestamp + the OA secret key."""
    signed = b"".join([app_id.encode("utf-8"), body, timestamp.encode("utf-8"),
                       oa_secret_key.encode("utf-8")])
    return hashlib.sha256(signed).hexdigest()


def verified_event(body: bytes, signature: str | None, settings: Settings) -> dict | None:
    """The event when the signature is Zalo's, else None (unset keys verify nothing)."""
    if not signature or not settings.zalo_app_id or not settings.zalo_oa_secret_key:
        return None
    try:
        event = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
        return None
    timestamp = event.get("timestamp") if isinstance(event, dict) else None
    if timestamp is None or isinstance(timestamp, (dict, list, bool)):
        return None
    given = signature.strip()
    if given[:4].lower() == "mac=":
        given = given[4:].strip()
    expected = expected_signature(body, str(timestamp), settings.zalo_app_id,
                                  settings.zalo_oa_secret_key)
    if not hmac.compare_digest(given.lower().encode("utf-8", "replace"), expected.encode("ascii")):
        return None
    return event


def fresh(event: dict, now: float) -> bool:
    """Whether the event's timestamp (milliseconds, as Zalo sends it) is close to now."""
    try:
        sent = float(str(event.get("timestamp"))) / 1000
    except (TypeError, ValueError):
        return False
    return now - MAX_EVENT_AGE_SECONDS <= sent <= now + MAX_CLOCK_SKEW_SECONDS


@router.post(WEBHOOK_PATH)
async def zalo_webhook(request: Request) -> Response:
    """One event per request: acknowledged at once, handled in the background."""
    bot: ZaloBot | None = request.app.state.zalo
    signature = request.headers.get(SIGNATURE_HEADER)
    if not signature:  # checked before the body is read: a forged request costs us nothing
        return JSONResponse({"detail": "bad signature"}, status_code=401)
    if bot is None:
        # Still waiting at start-up for the database its outbox and tokens live in: a 503 (as
        # when the outbox cannot be written later on), and Zalo delivers the event again.
        raise Unavailable(request.app.state.opening.waiting_for or DATABASE)
    body = await body_or_refusal(request, MAX_EVENT_BYTES, "event too large")
    if isinstance(body, JSONResponse):
        return body
    event = verified_event(body, signature, bot.settings)
    if event is None:
        return JSONResponse({"detail": "bad signature"}, status_code=401)
    if not fresh(event, time.time()):
        log.warning("Refusing a Zalo event with timestamp %r (a replay, or a clock far off)",
                    str(event.get("timestamp"))[:40])
        return JSONResponse({"detail": "stale event"}, status_code=401)

    handled = parse_event(event)
    if handled is None:
        return Response(status_code=200)  # acknowledged, nothing to do
    dialogue: Dialogue = request.app.state.dialogue
    # Decided before answering 200, so a replay is dropped before any work is scheduled.
    if handled.key and not await dialogue.off_loop(dialogue.first_delivery, CHANNEL, handled.key):
        log.info("Dropping replayed Zalo event %s", handled.key)
        return Response(status_code=200)
    await bot.accept(dialogue, handled, event)
    return Response(status_code=200)
