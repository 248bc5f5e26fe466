"""The one way to the shared state: SQLAlchemy Core over SQLite files under the data directory
(the default, one machine) or one PostgreSQL server shared by every machine
(`NGOAIVU_DATABASE_URL=postgresql://…`). Callers write SQLAlchemy expressions, never SQL text,
so no module carries a dialect of its own."""
from __future__ import annotations

import fcntl
import hashlib
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import MetaData, Table, create_engine, event, func, inspect, select
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import NullPool
from sqlalchemy.schema import CreateColumn

CONNECT_TIMEOUT = 5  # seconds (libpq's connect_timeout)
_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for PostgreSQL advisory locks."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "big", signed=True)


def _postgres_url(url: str) -> str:
    """`postgresql://…` as people write it, with the psycopg 3 driver SQLAlchemy needs to be told of."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


class Database:
    """A SQLAlchemy engine with the few operations the stores need: consistent reads, writes
    (optionally serialized on a key), upserts, schema creation and a cross-process lock."""

    def __init__(self, url: str, *, wal: bool = False) -> None:
        self.url = url
        self.postgres = url.startswith(("postgresql", "postgres"))
        if self.postgres:
            self.path = None
            url = _postgres_url(url)
            with _engines_lock:  # one pool per server per process, shared by every store
                if url not in _engines:
                    # A server that does not answer (a host gone, not just a stopped server that
                    # refuses at once) fails a connection attempt after CONNECT_TIMEOUT, not never.
                    _engines[url] = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10,
                                                  connect_args={"connect_timeout": CONNECT_TIMEOUT})
                self.engine = _engines[url]
        else:
            self.path = Path(make_url(url).database)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Without WAL a connection per use, as sqlite3 is cheap to open (no handles left on temp
            # dirs); with WAL one kept open, or every last close would checkpoint and drop the log.
            pool = {"pool_size": 1, "max_overflow": 10} if wal else {"poolclass": NullPool}
            self.engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **pool)
            _sqlite_transactions(self.engine, wal)
        self._file_lock = threading.Lock()

    @classmethod
    def open(cls, url: str, data_dir: Path, name: str, *, wal: bool = False) -> "Database":
        """The server at `url` when one is given, else the SQLite file `<data_dir>/<name>.sqlite3`."""
        if url:
            return cls(url)
        return cls(f"sqlite:///{Path(data_dir) / (name + '.sqlite3')}", wal=wal)

    def close(self) -> None:
        if not self.postgres:
            self.engine.dispose()

    # -- schema -----------------------------------------------------------------------------
    def create(self, metadata: MetaData) -> None:
        """Create missing tables and indexes, and add columns that newer code declares."""
        with self.write(lock="schema") as db:
            metadata.create_all(db)
            inspector = inspect(db)
            for table in metadata.sorted_tables:
                present = {column["name"] for column in inspector.get_columns(table.name)}
                for column in table.columns:
                    if column.name not in present:
                        ddl = CreateColumn(column).compile(dialect=db.dialect)
                        db.exec_driver_sql(f"ALTER TABLE {db.dialect.identifier_preparer.quote(table.name)} ADD COLUMN {ddl}")

    # -- transactions -----------------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[Connection]:
        """One transaction that sees a single state of the database (writers never land half-way)."""
        with self.engine.connect() as db:
            if self.postgres:
                db = db.execution_options(isolation_level="REPEATABLE READ")
            with db.begin():
                yield db

    @contextmanager
    def write(self, lock: str = "") -> Iterator[Connection]:
        """One transaction, committed on success and rolled back on any error. With `lock`,
        writers using the same key run one at a time (read-count-insert steps stay atomic)."""
        with self.engine.connect() as db:
            if not self.postgres:
                db = db.execution_options(sqlite_immediate=True)  # the whole file, from the start
            with db.begin():
                if self.postgres and lock:
                    db.execute(select(func.pg_advisory_xact_lock(lock_key(lock))))
                yield db

    def insert(self, table: Table):
        """An INSERT that understands ON CONFLICT (upserts), in this database's dialect."""
        if self.postgres:
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(table)

    # -- the cross-process lock -------------------------------------------------------------
    @contextmanager
    def lock(self, name: str) -> Iterator[None]:
        """Held by one process at a time, on any machine: a PostgreSQL advisory lock, or a file
        lock beside the SQLite file. Released when the holder dies, too."""
        if self.postgres:
            with self.engine.connect() as db:
                db = db.execution_options(isolation_level="AUTOCOMMIT")  # no transaction held open
                db.execute(select(func.pg_advisory_lock(lock_key(name))))
                try:
                    yield
                finally:
                    db.execute(select(func.pg_advisory_unlock(lock_key(name))))
            return
        with open(self.path.with_suffix(".lock"), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _sqlite_transactions(engine: Engine, wal: bool) -> None:
    """Let SQLite transactions begin where SQLAlchemy says (pysqlite defers BEGIN to the first
    write, so reads would not be one snapshot); writers take the file at BEGIN."""

    @event.listens_for(engine, "connect")
    def _connect(connection, _record) -> None:
        connection.isolation_level = None
        if wal:  # readers and a writer at once: the conversation store of several processes
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
