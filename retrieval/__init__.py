"""Finding and answering."""
import os

# Nothing may download model weights at run time: every hub client works from local files only.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from retrieval.models import Answer, Citation  # noqa: E402

__all__ = ["Answer", "Citation"]
