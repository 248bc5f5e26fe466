"""A throwaway PostgreSQL server from Debian's `postgresql` package: initdb in a temp dir, pg_ctl
on a free port, its unix socket in that temp dir. Debian's server refuses to run as root, so as
root it runs as the `postgres` user."""
from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

_databases = itertools.count(1)


def _tool(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def missing_reason() -> str | None:
    """Why no server can be started here, or None."""
    if not (_tool("initdb") and _tool("pg_ctl")):
        return "PostgreSQL is not installed (Debian: apt-get install -y postgresql; .ci/run does)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no `postgres` user to run PostgreSQL as"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """Start with `with PostgresServer() as server:`; `server.new_database()` gives a fresh URL."""

    def __init__(self) -> None:
        # Directly under /tmp: pytest's own temp dirs are closed to other users.
        self.root = Path(tempfile.mkdtemp(prefix="ngoaivu-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_postgres = os.geteuid() == 0

    def _run(self, *command: str) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        return subprocess.run(prefix + list(command), capture_output=True, text=True, timeout=120, check=True)

    def __enter__(self) -> "PostgresServer":
        if self.as_postgres:
            os.chmod(self.root, 0o755)
            shutil.chown(self.root, "postgres", "postgres")
        try:
            self._run(_tool("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                      "--locale=C", "--no-sync")
            self.start()
        except subprocess.CalledProcessError as error:
            log = (self.root / "server.log").read_text() if (self.root / "server.log").exists() else ""
            shutil.rmtree(self.root, ignore_errors=True)
            raise RuntimeError(f"PostgreSQL did not start: {error.stderr}\n{log}") from error
        return self

    def stop(self) -> None:
        """Stop the server (fast shutdown: connections are cut, as in a crash or failover)."""
        self._run(_tool("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def start(self) -> None:
        """Start it again, on the same port and socket."""
        self._run(_tool("pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"), "-w", "-t", "60",
                  "-o", f"-p {self.port} -k {self.root} -c listen_addresses='' -c fsync=off "
                        f"-c max_connections=200", "start")

    def __exit__(self, *exc) -> None:
        try:
            self._run(_tool("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        """A postgresql:// URL (as NGOAIVU_DATABASE_URL takes it) reaching the server by its socket."""
        return f"postgresql://postgres@/{database}?host={self.root}&port={self.port}"

    def new_database(self) -> str:
        import psycopg

        name = f"ngoaivu_{os.getpid()}_{next(_databases)}"
        with psycopg.connect(f"host={self.root} port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)
