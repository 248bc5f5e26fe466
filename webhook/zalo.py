"""The Zalo OA webhook: signature check first, an answer within Zalo's 2 seconds, work after."""
from __future__ import annotations

import hashlib
import hmac
import json
import logging

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse

from bot.dialogue import Dialogue
from bot.zalo import CHANNEL, TokenStore, ZaloApi, ZaloBot, attachment_of
from ngoaivu.settings import Settings

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/zalo/webhook"
SIGNATURE_HEADER = "X-ZEvent-Signature"
MAX_EVENT_BYTES = 1_000_000  # events are a few KB; anything bigger is not one
HANDLED_EVENTS = frozenset({"user_send_text", "follow", "user_send_file"})

router = APIRouter()


def include_zalo(app: FastAPI, settings: Settings) -> None:
    """Add the Zalo channel to the app: its webhook route and its API client (tokens loaded now)."""
    app.state.zalo = ZaloBot(settings, ZaloApi(settings, TokenStore.in_dir(settings.data_dir)))
    app.include_router(router)


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
    except ValueError:
        return None
    timestamp = event.get("timestamp") if isinstance(event, dict) else None
    if timestamp is None or isinstance(timestamp, (dict, list, bool)):
        return None
    given = signature.strip()
    if given[:4].lower() == "mac=":
        given = given[4:].strip()
    expected = expected_signature(body, str(timestamp), settings.zalo_app_id,
                                  settings.zalo_oa_secret_key)
    if not hmac.compare_digest(given.lower().encode("utf-8"), expected.encode("ascii")):
        return None
    return event


def _user_id(event: dict) -> str:
    # A follow event names the user as "follower"; messages as "sender".
    who = event.get("follower") if event.get("event_name") == "follow" else event.get("sender")
    if not isinstance(who, dict):
        who = event.get("sender") if isinstance(event.get("sender"), dict) else {}
    return str(who.get("id") or "")


def _delivery_key(event: dict, user_id: str) -> str:
    """What identifies the event across Zalo's retries: the message id, or who followed when."""
    message = event.get("message") if isinstance(event.get("message"), dict) else {}
    if message.get("msg_id"):
        return f"msg:{message['msg_id']}"
    if event.get("event_name") == "follow":
        return f"follow:{user_id}:{event.get('timestamp')}"
    return ""


def _work(bot: ZaloBot, dialogue: Dialogue, event: dict, user_id: str):
    """The coroutine that handles the event."""
    name = event["event_name"]
    if name == "follow":
        return bot.welcome(dialogue, user_id)
    if name == "user_send_file":
        return bot.add_file(dialogue, user_id, attachment_of(event))
    return bot.answer(dialogue, user_id, str((event.get("message") or {}).get("text") or ""))


@router.post(WEBHOOK_PATH)
async def zalo_webhook(request: Request) -> Response:
    """One event per request: acknowledged at once, handled in the background."""
    bot: ZaloBot = request.app.state.zalo
    signature = request.headers.get(SIGNATURE_HEADER)
    if not signature:  # checked before the body is read: a forged request costs us nothing
        return JSONResponse({"detail": "bad signature"}, status_code=401)
    declared = request.headers.get("content-length", "0")
    if not declared.isdigit() or int(declared) > MAX_EVENT_BYTES:
        return JSONResponse({"detail": "event too large"}, status_code=413)
    body = await request.body()
    if len(body) > MAX_EVENT_BYTES:
        return JSONResponse({"detail": "event too large"}, status_code=413)
    event = verified_event(body, signature, bot.settings)
    if event is None:
        return JSONResponse({"detail": "bad signature"}, status_code=401)

    name = event.get("event_name")
    user_id = _user_id(event)
    if name not in HANDLED_EVENTS or not user_id:
        return Response(status_code=200)  # acknowledged, nothing to do
    dialogue: Dialogue = request.app.state.dialogue
    key = _delivery_key(event, user_id)
    # Decided before answering 200, so a replay is dropped before any work is scheduled.
    if key and not await dialogue.off_loop(dialogue.first_delivery, CHANNEL, key):
        log.info("Dropping replayed Zalo event %s", key)
        return Response(status_code=200)
    bot.schedule(_work(bot, dialogue, event, user_id), f"{name} from {user_id}")
    return Response(status_code=200)
