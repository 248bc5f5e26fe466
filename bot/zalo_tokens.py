"""Zalo's token pair in the shared database, for several machines: the refresh token is single-use,
so every server process must see the pair the last refresh stored (one row, an advisory lock)."""
from __future__ import annotations

import time

from sqlalchemy import Column, Float, MetaData, Table, Text, select
from sqlalchemy.exc import SQLAlchemyError

from bot.zalo import TokenPair
from storage.database import Database

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
    """The same duties as bot.zalo.TokenStore (lock, load, save), in the database."""

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
