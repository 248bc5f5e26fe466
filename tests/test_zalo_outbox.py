"""The Zalo outbox on the shared data layer: SQLite under the data directory (taking over a file
written before, whose rows were owned by bare pids) and PostgreSQL shared by several machines."""
from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys

from storage.database import Database
from storage.zalo_outbox import Outbox, pending

HOST = socket.gethostname()


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _own(outbox: Outbox, key: str, owner: str) -> None:
    with outbox.db.write() as db:
        db.execute(pending.update().where(pending.c.key == key).values(owner=owner))


def _exercise(first: Outbox, second: Outbox) -> None:
    first.add("live-elsewhere", {"n": 1})
    first.add("dead-here", {"n": 2})
    first.add("left", {"n": 3})
    first.add("mine", {"n": 4})
    _own(first, "live-elsewhere", "another-machine:1")  # cannot be looked at from here: not taken
    _own(first, "dead-here", f"{HOST}:{_dead_pid()}")  # a crashed process of this machine
    _own(first, "left", f"{HOST}:1")  # pid 1 lives: taken only once released ...
    assert first.count() == 4
    assert sorted(key for key, _ in second.claim()) == ["dead-here", "mine"]  # "mine": this pid, at start-up
    _own(second, "left", None)  # ... as a shutdown leaves it
    assert ("left", {"n": 3}) in second.claim()
    second.done("left")
    second.done("dead-here")
    assert second.release() == 1 and first.count() == 2  # "mine" left for the next start
    assert [key for key, _ in first.claim()] == ["mine"]


def test_the_outbox_in_sqlite_takes_over_an_older_file(tmp_path):
    with sqlite3.connect(tmp_path / "zalo_pending.sqlite3") as db:  # as the outbox wrote it before
        db.execute("CREATE TABLE pending (key TEXT PRIMARY KEY, event TEXT NOT NULL, at REAL NOT NULL, owner INTEGER)")
        db.execute("INSERT INTO pending VALUES ('old', '{\"text\": \"xin chào\"}', 1.0, NULL)")
        db.execute("INSERT INTO pending VALUES ('crashed', '{}', 2.0, ?)", (_dead_pid(),))
    outbox = Outbox.in_dir(tmp_path)
    assert sorted(key for key, _ in outbox.claim()) == ["crashed", "old"]
    assert ("old", {"text": "xin chào"}) in outbox.claim()
    with outbox.db.write() as db:
        db.execute(pending.delete())
    _exercise(outbox, Outbox.in_dir(tmp_path))


def test_the_outbox_is_shared_through_postgres(database_url, tmp_path):
    first = Outbox.in_dir(tmp_path / "a", database_url)
    second = Outbox(Database(database_url))
    _exercise(first, second)
    assert not list(tmp_path.glob("*/zalo_pending.sqlite3"))  # nothing on the machine
