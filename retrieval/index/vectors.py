"""The Chroma adapter: where chunk vectors live (embedded under the data directory, or a Chroma
server shared by every process), always embedded by our own function."""
from __future__ import annotations

import logging
import re
import time
from pathlib import Path

from langchain_core.embeddings import Embeddings

log = logging.getLogger(__name__)


def collection_name(embeddings: Embeddings) -> str:
    name = getattr(embeddings, "name", type(embeddings).__name__)
    return "ngoaivu_" + re.sub(r"[^a-zA-Z0-9]+", "_", name).strip("_").lower()[:50]


def chroma_client(data_dir: Path, host: str = "", port: int = 8000, timeout: float = 10.0):
    """An embedded PersistentClient under the data directory, or the Chroma server at host:port
    (each request given up after `timeout` seconds)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if host:
        client = chromadb.HttpClient(host=host, port=port, settings=chroma_settings)
        # Chroma's client waits forever (httpx timeout=None): a server that stops answering
        # without closing its connections would hold every question. Its httpx session takes a
        # timeout; the attribute path is Chroma's, so a version without it keeps its own.
        session = getattr(getattr(client, "_server", None), "_session", None)
        if session is not None and hasattr(session, "timeout"):
            import httpx

            session.timeout = httpx.Timeout(timeout)
        return client
    path = Path(data_dir) / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


# How many neighbours Chroma's HNSW search explores. At its default (100) a search missed true
# nearest passages (recall@10 0.978 on a store of 1,327 regulation passages, and a question could
# get other passages in another process); at 1,000 it found the exact ten on every question
# tried, in the same 3 ms. Our stores hold thousands of passages, not millions.
SEARCH_EF = 1000


def open_vectors(embeddings: Embeddings, data_dir: Path, host: str = "", port: int = 8000, timeout: float = 10.0):
    """The collection of our embeddings (a LangChain `Chroma` vector store)."""
    from langchain_chroma import Chroma

    # Our own embedding function, always: Chroma must never fall back to downloading its default.
    # The index settings as a configuration, not metadata: Chroma takes one or the other.
    store = Chroma(collection_name=collection_name(embeddings), embedding_function=embeddings,
                   client=chroma_client(data_dir, host, port, timeout),
                   collection_configuration={"hnsw": {"space": "cosine", "ef_search": SEARCH_EF}})
    search_widely(store._collection)
    return store


def search_widely(collection, attempts: int = 3) -> None:
    """A collection made before SEARCH_EF (or by another setting) is given it. Chroma reads it when
    it next loads the index, so a running process keeps the old one until it restarts. Another
    process writing to the store may hold its database a moment ("database is locked"): tried again,
    and if it still cannot be changed the store opens as it is (searching as before) and the next
    start tries again — never a reason not to answer."""
    hnsw = (collection.configuration_json or {}).get("hnsw") or {}
    if not hnsw or hnsw.get("ef_search", SEARCH_EF) >= SEARCH_EF:
        return
    for attempt in range(1, attempts + 1):
        try:
            collection.modify(configuration={"hnsw": {"ef_search": SEARCH_EF}})
            return
        except Exception as error:  # Chroma's errors differ by client kind and version
            if attempt == attempts:
                log.warning("could not widen the vector search to ef_search %d (%s); it stays at %s until "
                            "the next start", SEARCH_EF, error, hnsw.get("ef_search"))
                return
            time.sleep(0.5 * attempt)
