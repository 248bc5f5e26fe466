"""Zalo events acknowledged but not yet handled, kept from the moment the webhook answers Zalo
(which then never sends them again) until their reply has gone out. A shutdown waits for them a
while; whatever is left, and whatever a crash left, the next start handles: none is lost.

A table of the shared data layer (storage/database.py): zalo_pending.sqlite3 under the data
directory, or the shared PostgreSQL database. Several server processes share it: each row names
the process that handles it (host and pid), and a starting process takes up only rows no live
process owns: rows left at shutdown, and rows of dead processes of its own machine (another
machine's processes cannot be looked at from here, so their rows wait for that machine's next
start, as they did when each machine kept its own file)."""
from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

from sqlalchemy import Column, Float, MetaData, Table, Text, delete, func, inspect, select, text, update

from storage.database import Database

metadata = MetaData()
pending = Table(
    "zalo_pending", metadata,
    Column("key", Text, primary_key=True),  # the delivery key (message id, or who followed when)
    Column("event", Text, nullable=False),  # the event as Zalo sent it (JSON)
    Column("at", Float, nullable=False),  # when it was acknowledged (unix time)
    Column("owner", Text),  # "host:pid" of the process handling it; NULL: nobody (left at shutdown)
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _orphaned(owner: str | None) -> bool:
    """Nobody live handles a row of this owner: none, this process (at start-up it handles
    nothing yet), or a dead process of this machine."""
    if owner is None or owner == _me():
        return True
    host, _, pid = owner.rpartition(":")
    return host == socket.gethostname() and pid.isdigit() and not _alive(int(pid))


class Outbox:
    """Pending Zalo events: `add` before acknowledging, `done` once handled, `release` at shutdown,
    `claim` at start-up."""

    NAME = "zalo_pending"  # the SQLite file's name under the data directory

    def __init__(self, database: Database) -> None:
        self.db = database
        self.db.create(metadata)
        if not self.db.postgres:
            self._take_over_old_table()

    @classmethod
    def in_dir(cls, data_dir: Path, database_url: str = "") -> "Outbox":
        """The outbox at `database_url`, or zalo_pending.sqlite3 under `data_dir`."""
        return cls(Database.open(database_url, data_dir, cls.NAME))

    def _take_over_old_table(self) -> None:
        # Files written before the shared data layer kept the rows in a table "pending", owned by
        # a bare pid: they move over once, owned by this machine's process of that pid.
        with self.db.write(lock=self.NAME) as db:
            if "pending" not in inspect(db).get_table_names():
                return
            host = socket.gethostname()
            for key, event, at, owner in db.execute(text("SELECT key, event, at, owner FROM pending")).all():
                db.execute(delete(pending).where(pending.c.key == key))
                db.execute(pending.insert().values(key=key, event=event, at=at,
                                                   owner=None if owner is None else f"{host}:{owner}"))
            db.execute(text("DROP TABLE pending"))

    def add(self, key: str, event: dict) -> None:
        row = {"key": key, "event": json.dumps(event, ensure_ascii=False), "at": time.time(), "owner": _me()}
        insert = self.db.insert(pending).values(**row)
        with self.db.write() as db:
            db.execute(insert.on_conflict_do_update(index_elements=["key"], set_=row))

    def done(self, key: str) -> None:
        with self.db.write() as db:
            db.execute(delete(pending).where(pending.c.key == key))

    def release(self) -> int:
        """Leave this process's unfinished events to the next start; how many were left."""
        with self.db.write() as db:
            return db.execute(update(pending).where(pending.c.owner == _me()).values(owner=None)).rowcount

    def claim(self) -> list[tuple[str, dict]]:
        """Take up the events nobody live is handling (left at shutdown, or by a crashed process)."""
        # Serialized: two processes starting together never take the same row.
        with self.db.write(lock=self.NAME) as db:
            rows = db.execute(select(pending.c.key, pending.c.event, pending.c.owner).order_by(pending.c.at)).all()
            taken = [(key, event) for key, event, owner in rows if _orphaned(owner)]
            for key, _ in taken:
                db.execute(update(pending).where(pending.c.key == key).values(owner=_me()))
        return [(key, json.loads(event)) for key, event in taken]

    def count(self) -> int:
        with self.db.read() as db:
            return db.execute(select(func.count()).select_from(pending)).scalar_one()
