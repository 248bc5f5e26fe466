"""`ngoaivu serve`: the FastAPI app under uvicorn."""
from __future__ import annotations

import uvicorn

from ngoaivu.settings import Settings
from webhook.app import create_app


def app_from_env():
    """App factory for worker processes: each reads the same environment."""
    return create_app(Settings.from_env())


def serve(settings: Settings) -> None:
    """Run the webhook server on settings.host:settings.port until interrupted."""
    if settings.workers > 1:
        # Workers share the registry and conversation store (SQLite under the data directory) and,
        # with CHROMA_HOST set, one Chroma server; each keeps its own lexical index in memory and
        # rebuilds it when the registry's generation counter moves.
        uvicorn.run("webhook.server:app_from_env", factory=True, workers=settings.workers,
                    host=settings.host, port=settings.port, log_level="info")
        return
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")
