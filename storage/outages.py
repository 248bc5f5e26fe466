"""Telling an outage of a service we lean on (the database, the Chroma server) from a fault of
our own: an outage gets a clear "try again later" (HTTP 503), a fault stays a logged error."""
from __future__ import annotations

import re

DATABASE = "database"
VECTORS = "vectors"

# What each outage means to an admin, in Vietnamese (channels escape it).
REASONS = {
    DATABASE: "Cơ sở dữ liệu tạm thời không truy cập được",
    VECTORS: "Kho vectơ (máy chủ Chroma) tạm thời không truy cập được",
}


SQLITE_OUTAGES = ("database is locked", "unable to open", "disk I/O")
# PostgreSQL refusing us for what we asked, not for being away: a wrong user, password or
# database name in NGOAIVU_DATABASE_URL. Waiting would never help, so it is a fault (start-up
# stops on it). Connection failures carry no SQLSTATE, only the server's message (English unless
# the server's lc_messages says otherwise; a translated one is taken for an outage, logged).
POSTGRES_REFUSALS = re.compile(r'FATAL:\s+(password authentication failed|(database|role) ".*" does not exist'
                               r'|no pg_hba\.conf entry)')


class Unavailable(Exception):
    """A service we need is unreachable; `dependency` is DATABASE or VECTORS."""

    def __init__(self, dependency: str, detail: str = "") -> None:
        super().__init__(detail or REASONS.get(dependency, dependency))
        self.dependency = dependency


def _database_error(error: BaseException) -> bool:
    import sqlite3

    from sqlalchemy import exc

    if isinstance(error, exc.TimeoutError):
        return True  # no pooled connection came free in time
    if isinstance(error, exc.DBAPIError):
        if isinstance(error.orig, sqlite3.Error):  # a local file: "no such table" is ours, a lock is not
            return any(sign in str(error.orig) for sign in SQLITE_OUTAGES)
        if POSTGRES_REFUSALS.search(str(error.orig)):
            return False
        # PostgreSQL's operational errors are the server's: refused, gone, shut down, disk full.
        return error.connection_invalidated or isinstance(error, (exc.OperationalError, exc.InterfaceError))
    try:
        import psycopg
    except ImportError:  # SQLite only
        return False
    return isinstance(error, psycopg.OperationalError) and not POSTGRES_REFUSALS.search(str(error))


def _vectors_error(error: BaseException) -> bool:
    import httpx

    # The Chroma client talks HTTP through httpx: refused, reset, timed out, or the server's
    # gateway saying it is not there.
    if isinstance(error, httpx.TransportError):
        return True
    return isinstance(error, httpx.HTTPStatusError) and error.response.status_code in (502, 503, 504)


def summary(error: BaseException) -> str:
    """The first line of an error's message (a driver's message runs over several), for a log line."""
    lines = str(error).splitlines()
    return lines[0][:200] if lines else type(error).__name__


def outage_of(error: BaseException | None) -> str:
    """DATABASE or VECTORS when `error` (or what caused it) is such an outage, else ""."""
    seen = 0
    while error is not None and seen < 10:  # the chain of causes, bounded
        if isinstance(error, Unavailable):
            return error.dependency
        if _database_error(error):
            return DATABASE
        if _vectors_error(error):
            return VECTORS
        error = error.__cause__ or error.__context__
        seen += 1
    return ""
