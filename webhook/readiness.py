"""GET /readyz: whether this process can serve, per dependency, for a load balancer. Distinct
from /healthz (liveness: the process runs). Cheap and bounded: the checks run at most once per
CACHE_SECONDS whatever the request rate, side by side, each within CHECK_TIMEOUT seconds."""
from __future__ import annotations

import asyncio
import logging
import time

import httpx
from sqlalchemy import select

from config.settings import Settings
from storage.outages import summary

log = logging.getLogger(__name__)

CACHE_SECONDS = 2.0
CHECK_TIMEOUT = 1.5
# Telegram is outside the deployment and the same for every machine: unreachable, it is reported
# but does not take the machine out of the load balancer (/api/ask and Zalo still work).
REQUIRED = ("database", "vectors")


class Readiness:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._checked_at = float("-inf")
        self._result: tuple[bool, dict] | None = None
        self._lock = asyncio.Lock()

    async def report(self, engine) -> tuple[bool, dict]:
        """(ready, {"ready", "checks": {name: {"ok", "ms", "detail"?}}}), at most CACHE_SECONDS old."""
        async with self._lock:  # concurrent callers share one round of checks
            if self._result is None or time.monotonic() - self._checked_at >= CACHE_SECONDS:
                self._result = await self._check(engine)
                self._checked_at = time.monotonic()
            return self._result

    async def _check(self, engine) -> tuple[bool, dict]:
        checks = {"database": self._database(engine), "vectors": self._vectors()}
        if self.settings.telegram_bot_token:
            checks["bot_api"] = self._bot_api()
        results = await asyncio.gather(*(_timed(check) for check in checks.values()))
        report = dict(zip(checks, results))
        for name, result in report.items():
            result["required"] = name in REQUIRED
        ready = all(report[name]["ok"] for name in REQUIRED if name in report)
        return ready, {"ready": ready, "checks": report}

    async def _database(self, engine) -> str:
        def select_one() -> None:
            with engine.kb.registry.db.read() as db:
                db.execute(select(1)).scalar_one()

        await asyncio.to_thread(select_one)  # a thread left behind by a timeout ends with the driver's
        return "postgresql" if self.settings.database_url else "sqlite"

    async def _vectors(self) -> str:
        if not self.settings.chroma_host:
            return "embedded"  # files under the data directory, in this process
        url = f"http://{self.settings.chroma_host}:{self.settings.chroma_port}/api/v2/heartbeat"
        async with httpx.AsyncClient(timeout=CHECK_TIMEOUT) as client:
            (await client.get(url)).raise_for_status()
        return "chroma server"

    async def _bot_api(self) -> str:
        url = f"{self.settings.telegram_api_base_url}{self.settings.telegram_bot_token}/getMe"
        async with httpx.AsyncClient(timeout=CHECK_TIMEOUT) as client:
            response = await client.get(url)
        if response.status_code >= 500 or response.status_code == 429:
            raise RuntimeError(f"HTTP {response.status_code}")
        if not response.json().get("ok"):
            raise RuntimeError(response.json().get("description", "not ok"))
        return "telegram"


async def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        kind = await asyncio.wait_for(check, CHECK_TIMEOUT)
        result = {"ok": True, "kind": kind}
    except asyncio.TimeoutError:
        result = {"ok": False, "detail": f"no answer within {CHECK_TIMEOUT} s"}
    except Exception as error:  # noqa: BLE001 - what failed is the report
        result = {"ok": False, "detail": f"{type(error).__name__}: {summary(error)}"}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result
