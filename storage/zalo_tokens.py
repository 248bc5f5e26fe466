"""The Zalo OA token pair and where it is kept. The refresh token is single-use, so every new pair
is written to the data directory (atomically, readable by us only) before it is used, and server
workers refresh one at a time under a lock file. With several machines (NGOAIVU_DATABASE_URL) the
pair is kept in the shared database instead, under an advisory lock."""
from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy import Column, Float, MetaData, Table, Text, select
from sqlalchemy.exc import SQLAlchemyError

from config.settings import Settings
from storage.database import Database

log = logging.getLogger(__name__)

REFRESH_MARGIN_SECONDS = 15 * 60  # tokens live 25 hours; refresh this long before they end


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


metadata = MetaData()
zalo_tokens = Table(
    "zalo_tokens", metadata,
    Column("name", Text, primary_key=True),  # always "oa": one Official Account per deployment
    Column("access_token", Text, nullable=False),
    Column("refresh_token", Text, nullable=False),
    Column("expires_at", Float),
    Column("env_fingerprint", Text, nullable=False),
    Column("saved_at", Float, nullable=False),
)
ROW = "oa"


class DatabaseTokenStore:
    """The same duties as TokenStore (the file) (lock, load, save), in the database."""

    def __init__(self, database: Database) -> None:
        self.db = database
        self.path = f"the database table {zalo_tokens.name}"  # where, for log messages
        database.create(metadata)

    def lock(self):
        """Held by one process on any machine while it refreshes (blocking)."""
        held = self.db.lock("zalo-tokens")
        held.__enter__()
        return held

    @staticmethod
    def unlock(handle) -> None:
        handle.__exit__(None, None, None)

    def load(self) -> tuple[TokenPair, str] | None:
        with self.db.read() as db:
            row = db.execute(select(zalo_tokens).where(zalo_tokens.c.name == ROW)).first()
        if row is None:
            return None
        return TokenPair(row.access_token, row.refresh_token, row.expires_at), row.env_fingerprint

    def save(self, pair: TokenPair, fingerprint: str) -> None:
        values = {"access_token": pair.access_token, "refresh_token": pair.refresh_token,
                  "expires_at": pair.expires_at, "env_fingerprint": fingerprint, "saved_at": time.time()}
        insert = self.db.insert(zalo_tokens).values(name=ROW, **values)
        try:
            with self.db.write() as db:
                db.execute(insert.on_conflict_do_update(index_elements=[zalo_tokens.c.name], set_=values))
        except SQLAlchemyError as error:  # the caller treats a failed save like a failed disk write
            raise OSError(f"could not store the Zalo tokens: {error}") from error
