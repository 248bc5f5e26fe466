"""Keyed pseudonyms for chat users: the records admins read never hold a chat or user id in clear.

A pseudonym is HMAC-SHA256 of "channel:id" under a random key kept in the data directory
(`analytics.key`, readable by the owner only), or in the shared database when several machines
serve (every machine must give a user the same pseudonym). The same user always gets the same pseudonym, so
"asked by 3 officers" can be counted, but without the key nobody can turn a pseudonym back into
an id, not even by hashing every plausible Telegram id.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from sqlalchemy import Column, MetaData, Table, Text, select

from storage.database import Database

KEY_BYTES = 32
metadata = MetaData()
keys = Table("secret_keys", metadata, Column("name", Text, primary_key=True), Column("value", Text, nullable=False))


class Pseudonyms:
    """Turns (channel, user id) into a stable, keyed pseudonym."""

    FILE_NAME = "analytics.key"

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the pseudonym key is too short")
        self._key = key

    @classmethod
    def in_dir(cls, data_dir: Path) -> "Pseudonyms":
        """The key under `data_dir`, created on first use (several processes may race: one wins)."""
        return cls(_load_or_create_key(Path(data_dir) / cls.FILE_NAME))

    @classmethod
    def in_database(cls, database: Database) -> "Pseudonyms":
        """The key in the shared database, created by whichever process comes first."""
        database.create(metadata)
        with database.write() as db:
            db.execute(database.insert(keys).values(name=cls.FILE_NAME, value=secrets.token_hex(KEY_BYTES))
                       .on_conflict_do_nothing(index_elements=[keys.c.name]))
            return cls(bytes.fromhex(db.scalar(select(keys.c.value).where(keys.c.name == cls.FILE_NAME))))

    def of(self, channel: str, user_id: object) -> str:
        """The pseudonym of a user; "" for no user (e.g. the anonymous JSON API)."""
        if user_id is None or str(user_id) == "":
            return ""
        message = f"{channel}:{user_id}".encode("utf-8")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]


def _load_or_create_key(path: Path) -> bytes:
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole to a private temporary file, then linked into place: another process sees
    # either no key or the complete key, and a second creator finds the first one's key.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(secrets.token_bytes(KEY_BYTES))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process was first: use its key
    finally:
        temporary.unlink(missing_ok=True)
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    key = path.read_bytes()
    if len(key) < 16:
        raise ValueError(f"{path} is damaged (shorter than 16 bytes); remove it to make a new key")
    return key
