"""Documents in, clean chunks out."""
from knowledge.models import Chunk, Document

__all__ = ["Chunk", "Document"]
