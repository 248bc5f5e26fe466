"""The Zalo OA token pair, kept in the shared data layer (storage/database.py): a table in
zalo_tokens.sqlite3 under the data directory (readable by us only), or in the PostgreSQL database
every machine shares (NGOAIVU_DATABASE_URL). The refresh token is single-use, so every new pair
is stored before it is used, and processes on any machine refresh one at a time under the
database's cross-process lock (an advisory lock on PostgreSQL, a lock file beside the SQLite file).
A zalo_tokens.json written by an earlier version is taken over once at start-up."""
from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

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


def initial_tokens(settings: Settings, store: "TokenStore") -> TokenPair | None:
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
LOCK = "zalo-tokens"  # the cross-process lock a refresh holds


class TokenStore:
    """The token pair's row: `lock` (held while refreshing), `load`, `save`."""

    NAME = "zalo_tokens"  # the SQLite file's name under the data directory
    LEGACY_FILE = "zalo_tokens.json"  # where versions before the data layer kept the pair

    def __init__(self, database: Database) -> None:
        self.db = database
        self.path = f"the table {zalo_tokens.name} of {database.path or 'the database'}"  # for log messages
        database.create(metadata)

    @classmethod
    def in_dir(cls, data_dir: Path, database_url: str = "") -> "TokenStore":
        """The store at `database_url`, or zalo_tokens.sqlite3 under `data_dir`; a token file an
        earlier version left in `data_dir` is taken over first."""
        if not database_url:
            _private_file(Path(data_dir) / (cls.NAME + ".sqlite3"))
        store = cls(Database.open(database_url, data_dir, cls.NAME))
        store.take_over(Path(data_dir) / cls.LEGACY_FILE)
        return store

    def lock(self) -> AbstractContextManager[None]:
        """Held by one process on any machine while it refreshes (blocking); give it to `unlock`."""
        held = self.db.lock(LOCK)
        held.__enter__()
        return held

    @staticmethod
    def unlock(handle: AbstractContextManager[None]) -> None:
        handle.__exit__(None, None, None)

    def load(self) -> tuple[TokenPair, str] | None:
        """The stored pair and the fingerprint of the environment pair it descends from."""
        row = self._row()
        if row is None:
            return None
        return TokenPair(row.access_token, row.refresh_token, row.expires_at), row.env_fingerprint

    def _row(self):
        with self.db.read() as db:
            return db.execute(select(zalo_tokens).where(zalo_tokens.c.name == ROW)).first()

    def save(self, pair: TokenPair, fingerprint: str, saved_at: float | None = None) -> None:
        """Store the pair (in one transaction: the old pair or the new one, whole); OSError when
        it cannot be stored, as a failed disk write would."""
        values = {"access_token": pair.access_token, "refresh_token": pair.refresh_token,
                  "expires_at": pair.expires_at, "env_fingerprint": fingerprint,
                  "saved_at": time.time() if saved_at is None else saved_at}
        insert = self.db.insert(zalo_tokens).values(name=ROW, **values)
        try:
            with self.db.write() as db:
                db.execute(insert.on_conflict_do_update(index_elements=[zalo_tokens.c.name], set_=values))
        except SQLAlchemyError as error:
            raise OSError(f"could not store the Zalo tokens: {error}") from error

    def take_over(self, legacy: Path) -> None:
        """Move the pair of an earlier version's token file into the table (unless the table holds
        a pair saved later), then rename the file to *.migrated: an upgrade spends no refresh token."""
        if not legacy.exists():
            return
        handle = self.lock()  # not while another process refreshes; and one process takes it over
        try:
            if not legacy.exists():
                return  # another process took it over while this one waited
            try:
                data = json.loads(legacy.read_text(encoding="utf-8"))
                pair = TokenPair(str(data["access_token"]), str(data["refresh_token"]), data.get("expires_at"))
                fingerprint, saved_at = str(data.get("env_fingerprint", "")), float(data.get("saved_at") or 0)
            except (OSError, ValueError, KeyError, TypeError) as error:
                log.error("Ignoring unreadable Zalo token file %s: %s", legacy, error)
                return
            row = self._row()
            if row is None or row.saved_at < saved_at:
                self.save(pair, fingerprint, saved_at)
            legacy.rename(legacy.with_name(legacy.name + ".migrated"))
            log.info("Zalo tokens taken over from %s into %s", legacy, self.path)
        finally:
            self.unlock(handle)


def _private_file(path: Path) -> None:
    """Create the SQLite file readable by us only (its journals take its mode): it holds secrets."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    os.chmod(path, 0o600)  # also a file made before with the umask's mode
