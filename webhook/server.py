"""`ngoaivu serve`: the FastAPI app under uvicorn."""
from __future__ import annotations

import uvicorn

from ngoaivu.settings import Settings
from webhook.app import create_app


def serve(settings: Settings) -> None:
    """Run the webhook server on settings.host:settings.port until interrupted."""
    # One worker: the dialogue's context, rate limits and dedupe live in this process.
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")
