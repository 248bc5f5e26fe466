"""The Chroma adapter: where chunk vectors live (embedded under the data directory, or a Chroma
server shared by every process), always embedded by our own function."""
from __future__ import annotations

import re
from pathlib import Path

from langchain_core.embeddings import Embeddings


def collection_name(embeddings: Embeddings) -> str:
    name = getattr(embeddings, "name", type(embeddings).__name__)
    return "ngoaivu_" + re.sub(r"[^a-zA-Z0-9]+", "_", name).strip("_").lower()[:50]


def chroma_client(data_dir: Path, host: str = "", port: int = 8000):
    """An embedded PersistentClient under the data directory, or the Chroma server at host:port."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if host:
        return chromadb.HttpClient(host=host, port=port, settings=chroma_settings)
    path = Path(data_dir) / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def open_vectors(embeddings: Embeddings, data_dir: Path, host: str = "", port: int = 8000):
    """The collection of our embeddings (a LangChain `Chroma` vector store)."""
    from langchain_chroma import Chroma

    # Our own embedding function, always: Chroma must never fall back to downloading its default.
    return Chroma(collection_name=collection_name(embeddings), embedding_function=embeddings,
                  client=chroma_client(data_dir, host, port), collection_metadata={"hnsw:space": "cosine"})
