"""Finding and answering: the index (retrieval.index) and answering (retrieval.answering), joined
by the engine every channel calls (retrieval.engine.AnswerEngine)."""
import os

# Nothing may download model weights at run time: every hub client works from local files only.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
