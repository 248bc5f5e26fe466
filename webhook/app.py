"""The FastAPI app: the Telegram webhook, the JSON question API, the Zalo webhook, the admin API
and page, liveness and readiness checks, and the OpenAPI docs (served offline: no CDN)."""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from contextlib import asynccontextmanager
from typing import AsyncIterator

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot, Update

from bot.chat_order import ChatTurns
from bot.dialogue import Dialogue, Engine
from bot.telegram.channel import ALLOWED_UPDATES, build_application, register_commands
from config.settings import Settings
from storage.outages import REASONS, Unavailable, outage_of, summary
from webhook.admin import include_admin
from webhook.ask import ask_router
from webhook.limits import body_or_refusal
from webhook.readiness import Readiness
from webhook.startup import Opened, Opening, WaitingDialogue
from webhook.zalo import include_zalo, open_zalo

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1_000_000  # Telegram updates are a few KB; anything bigger is not one


def _secret_ok(given: str | None, expected: str) -> bool:
    # An unset secret must not turn into "any request is fine".
    if not expected or given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def update_of(body: bytes, bot: Bot) -> Update | None:
    """The Update a webhook body holds, or None (logged) when it holds none."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as error:
        log.warning("Acknowledged a webhook body that is not JSON: %.200s", error)
        return None
    if not isinstance(data, dict) or type(data.get("update_id")) is not int:
        log.warning("Acknowledged a webhook body that is not an Update: %.200s", body[:200])
        return None
    try:
        return Update.de_json(data, bot)
    except Exception as error:  # noqa: BLE001 - the library raises many kinds on odd shapes
        log.warning("Acknowledged malformed update %s: %r", data["update_id"], error)
        return None


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    """The app. Without `engine`, the answer engine is opened from settings on startup."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opening = app.state.opening = Opening(settings, engine, open_zalo)
        try:
            opened = await asyncio.to_thread(opening.attempt)
        except Exception as error:  # noqa: BLE001 - a fault of our own: stop, saying what it was
            log.critical("ngoaivu serve cannot start: %s: %s", type(error).__name__, summary(error))
            raise
        app.state.telegram, app.state.telegram_retired, app.state.waiting = None, [], None
        if opened is not None:
            await _serve_with(app, opened, settings)
        else:  # a service is down: listen anyway, say "try again later", open it when it is back
            waiting = app.state.waiting = WaitingDialogue(settings, opening)
            app.state.engine, app.state.dialogue = waiting.engine, waiting
            if settings.telegram_bot_token:
                app.state.telegram = await _start_telegram(settings, waiting)
            app.state.opener = asyncio.create_task(_open_when_possible(app, opening, waiting, settings))
        if app.state.telegram is not None:
            await _register_webhook(app.state.telegram, settings)
        try:
            yield
        finally:
            opener = getattr(app.state, "opener", None)
            if opener is not None and not opener.done():
                opener.cancel()
                await asyncio.gather(opener, return_exceptions=True)
            for telegram in [app.state.telegram, *app.state.telegram_retired]:
                if telegram is not None and telegram.running:
                    await telegram.stop()
                    await telegram.shutdown()
            if app.state.zalo is not None:
                await app.state.zalo.close()  # pending replies finish, or wait on disk for the next start
            app.state.dialogue.close()
            if app.state.waiting is not None and app.state.waiting is not app.state.dialogue:
                app.state.waiting.close()

    # The docs' scripts and styles come from the fastapi-offline package: an offline network sees
    # them too (FastAPI's own /docs loads them from a CDN).
    app = FastAPIOffline(title="ngoaivu", lifespan=lifespan)
    include_outage_replies(app)
    turns = ChatTurns()  # a chat's updates one at a time, in order
    readiness = Readiness(settings)
    include_zalo(app, settings)  # POST /zalo/webhook and the Zalo API client
    app.include_router(ask_router(settings))  # POST /api/ask
    include_admin(app, settings)  # /admin/api/documents (Bearer NGOAIVU_ADMIN_TOKEN) and the /admin page

    @app.post(WEBHOOK_PATH)
    async def telegram_webhook(request: Request) -> Response:
        """Telegram delivers one Update per request; the reply is sent before we return."""
        # Checked before the body is read: a forged request costs us nothing.
        if not _secret_ok(request.headers.get(SECRET_HEADER), settings.telegram_webhook_secret):
            return JSONResponse({"detail": "forbidden"}, status_code=403)
        telegram = request.app.state.telegram
        if telegram is None:
            return JSONResponse({"detail": "Telegram is not configured"}, status_code=503)
        body = await body_or_refusal(request, MAX_UPDATE_BYTES, "update too large")
        if isinstance(body, JSONResponse):
            return body
        update = update_of(body, telegram.bot)
        if update is None:  # acknowledged: Telegram retries anything but a 2xx, forever
            return Response(status_code=200)
        chat = update.effective_chat
        try:
            if chat is None:
                await telegram.process_update(update)
            else:  # replies leave in the order the chat asked, even when updates arrive together
                async with turns.turn(chat.id, update.update_id):
                    await telegram.process_update(update)
        except Exception:  # noqa: BLE001 - Telegram would retry a 5xx: the user got an apology
            log.exception("Error while processing update %s", update.update_id)
        return Response(status_code=200)

    @app.get("/healthz")
    async def healthz(request: Request) -> dict:
        """Liveness: the engine is open and whether Telegram is wired."""
        return {
            "status": "ok",
            "telegram": request.app.state.telegram is not None,
            # The service start-up still waits for ("" once serving normally): see /readyz.
            "waiting_for": request.app.state.opening.waiting_for,
        }

    @app.get("/readyz", responses={503: {"description": "A required dependency is unreachable; `checks` says which"}})
    async def readyz(request: Request) -> JSONResponse:
        """Readiness for a load balancer: the database, the vector store and (reported, not
        required) the Telegram Bot API, each `{"ok", "ms", "kind" or "detail", "required"}`;
        checked at most every 2 s, each check within 1.5 s."""
        engine = getattr(request.app.state, "engine", None)
        if engine is None:
            return JSONResponse({"ready": False, "checks": {}, "detail": "starting"}, status_code=503)
        if request.app.state.dialogue is request.app.state.waiting:  # a service is down since start-up
            return JSONResponse(request.app.state.opening.readiness(), status_code=503)
        ready, report = await readiness.report(engine)
        return JSONResponse(report, status_code=200 if ready else 503)

    return app


def include_outage_replies(app: FastAPI) -> None:
    """A request that needs the database or the vector store while it is unreachable gets a 503
    saying which, not a 500 (a fault of our own stays a 500)."""
    async def unavailable(request: Request, error: Exception) -> Response:
        dependency = outage_of(error)
        if not dependency:
            raise error
        log.warning("%s %s: 503, %s unreachable: %s", request.method, request.url.path, dependency, summary(error))
        detail = str(error) if isinstance(error, Unavailable) else REASONS[dependency] + ". Xin thử lại sau ít phút."
        return JSONResponse({"detail": detail, "unavailable": dependency}, status_code=503,
                            headers={"Retry-After": "5"})

    for kind in (Unavailable, SQLAlchemyError, httpx.TransportError):
        app.add_exception_handler(kind, unavailable)


async def _start_telegram(settings: Settings, dialogue: Dialogue):
    telegram = build_application(settings, dialogue)
    await telegram.initialize()  # getMe: the bot's username is needed for group mentions
    await telegram.start()
    return telegram


async def _serve_with(app: FastAPI, opened: Opened, settings: Settings) -> None:
    """Answer with what `opened` holds, from now on."""
    app.state.engine, app.state.dialogue = opened.engine, opened.dialogue
    if opened.zalo is not None and app.state.zalo is None:
        app.state.zalo = opened.zalo
        await opened.zalo.resume(opened.dialogue)  # events an earlier run acknowledged but did not finish
    if settings.telegram_bot_token:
        waiting = app.state.telegram
        app.state.telegram = await _start_telegram(settings, opened.dialogue)
        if waiting is not None:
            app.state.telegram_retired.append(waiting)  # its updates in hand finish; closed at shutdown


async def _hand_over_deliveries(waiting: WaitingDialogue, dialogue: Dialogue) -> None:
    for channel, delivery in waiting.deliveries():
        await dialogue.off_loop(dialogue.first_delivery, channel, delivery)


async def _open_when_possible(app: FastAPI, opening: Opening, waiting: WaitingDialogue, settings: Settings) -> None:
    """Retry opening in the background until it succeeds, then serve normally (no restart). A
    fault of our own met on the way stops the server, as it would have at start-up."""
    for delay in opening.retry_delays():
        await asyncio.sleep(delay)
        try:
            opened = await asyncio.to_thread(opening.attempt)
        except Exception as error:  # noqa: BLE001 - logged, then the server stops
            log.critical("ngoaivu serve cannot start: %s: %s; stopping", type(error).__name__, summary(error))
            app.state.fault = error  # `ngoaivu serve` then exits non-zero, as at start-up
            signal.raise_signal(signal.SIGTERM)  # uvicorn's graceful shutdown
            return
        if opened is None:
            continue
        try:
            # A Telegram retry of an update answered "try again later" is not answered again:
            # the deliveries seen are recorded before the switch, and those of its last moments after.
            await _hand_over_deliveries(waiting, opened.dialogue)
            await _serve_with(app, opened, settings)
            await _hand_over_deliveries(waiting, opened.dialogue)
        except Exception:  # noqa: BLE001 - e.g. the Bot API away at this moment: try again
            log.exception("start-up: opened, but could not switch to serving normally; retrying")
            continue
        return  # `waiting` is closed at shutdown: the retired Telegram application may still use it


async def _register_webhook(telegram, settings: Settings) -> None:
    """setWebhook to PUBLIC_URL with the secret, asking only for the update types handled."""
    await register_commands(telegram)
    if not settings.public_url:
        log.info("PUBLIC_URL is not set: not registering the Telegram webhook")
        return
    if not settings.telegram_webhook_secret:
        log.error("TELEGRAM_WEBHOOK_SECRET is not set: not registering the webhook "
                  "(every webhook request would be refused)")
        return
    url = settings.public_url.rstrip("/") + WEBHOOK_PATH
    await telegram.bot.set_webhook(
        url=url, secret_token=settings.telegram_webhook_secret, allowed_updates=ALLOWED_UPDATES,
    )
    log.info("Telegram webhook registered at %s", url)
