"""The HTTP face: the FastAPI app that hosts the Telegram webhook and the JSON API."""
