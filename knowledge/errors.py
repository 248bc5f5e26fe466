"""The refusal every reader of files raises: a Vietnamese message that says what to do."""
from __future__ import annotations


class IngestError(ValueError):
    """A file we cannot take, with a message for the admin who sent it."""
