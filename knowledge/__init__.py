"""Documents in, clean chunks out; and the nouns every room shares (Document, Chunk, Answer, Citation)."""
from knowledge.models import Chunk, Document

__all__ = ["Chunk", "Document"]
