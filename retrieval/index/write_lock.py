"""One writer at a time: threads of this process, and every other process that shares the
registry (a file lock beside the SQLite file, or a PostgreSQL advisory lock across machines)."""
from __future__ import annotations

import threading
from contextlib import AbstractContextManager, contextmanager
from typing import Callable, Iterator


class WriteLock:
    """Re-entrant within a thread (ensure_ready -> add); `cross_process` is taken once, outermost."""

    def __init__(self, cross_process: Callable[[], AbstractContextManager]) -> None:
        self._cross_process = cross_process
        self._lock = threading.RLock()
        self._depth = 0

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._lock:
            if self._depth:  # re-entered by this thread: already held
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            with self._cross_process():
                self._depth = 1
                try:
                    yield
                finally:
                    self._depth = 0
