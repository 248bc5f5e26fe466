"""Zalo events acknowledged but not yet handled, kept on disk from the moment the webhook answers
Zalo (which then never sends them again) until their reply has gone out. A shutdown waits for
them a while; whatever is left, and whatever a crash left, the next start handles: none is lost.

SQLite under the data directory. Several server workers share it: each row names the process
that handles it, and a starting process takes up only rows no live process owns."""
from __future__ import annotations

import json
import os
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pending (
    key TEXT PRIMARY KEY,   -- the delivery key (message id, or who followed when)
    event TEXT NOT NULL,    -- the event as Zalo sent it (JSON)
    at REAL NOT NULL,       -- when it was acknowledged (unix time)
    owner INTEGER           -- pid of the process handling it; NULL: nobody (left at shutdown)
);
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


class Outbox:
    """Pending Zalo events: `add` before acknowledging, `done` once handled, `release` at shutdown,
    `claim` at start-up."""

    FILE_NAME = "zalo_pending.sqlite3"

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        with self._connect() as db:
            db.executescript(_SCHEMA)

    @classmethod
    def in_dir(cls, data_dir: Path) -> "Outbox":
        return cls(Path(data_dir) / cls.FILE_NAME)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        try:
            with db:  # one transaction
                yield db
        finally:
            db.close()

    def add(self, key: str, event: dict) -> None:
        with self._connect() as db:
            db.execute("INSERT OR REPLACE INTO pending VALUES (?, ?, ?, ?)",
                       (key, json.dumps(event, ensure_ascii=False), time.time(), os.getpid()))

    def done(self, key: str) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM pending WHERE key = ?", (key,))

    def release(self) -> int:
        """Leave this process's unfinished events to the next start; how many were left."""
        with self._connect() as db:
            return db.execute("UPDATE pending SET owner = NULL WHERE owner = ?", (os.getpid(),)).rowcount

    def claim(self) -> list[tuple[str, dict]]:
        """Take up the events nobody live is handling (left at shutdown, or by a crashed process;
        at start-up this process handles nothing yet, so rows under its own pid are stale too)."""
        me = os.getpid()
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")  # two workers starting together never take the same row
            rows = db.execute("SELECT key, event, owner FROM pending ORDER BY at").fetchall()
            taken = [(key, event) for key, event, owner in rows
                     if owner is None or owner == me or not _alive(owner)]
            db.executemany("UPDATE pending SET owner = ? WHERE key = ?", [(me, key) for key, _ in taken])
        return [(key, json.loads(event)) for key, event in taken]

    def count(self) -> int:
        with self._connect() as db:
            return db.execute("SELECT COUNT(*) FROM pending").fetchone()[0]
