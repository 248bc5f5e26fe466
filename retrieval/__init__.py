"""Finding and answering."""
from retrieval.models import Answer, Citation

__all__ = ["Answer", "Citation"]
