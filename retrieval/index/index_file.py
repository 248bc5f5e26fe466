"""The lexical indexes of a snapshot on disk, so that a worker starting on a large knowledge base
reads them instead of tokenizing every passage again (at 100k chunks: seconds instead of minutes).

One numpy .npz file under the data directory (plain arrays; token lists as UTF-8 lines; no
pickle), replaced atomically. It is a cache of this machine: the registry stays the truth. Rows
are named by chunk id, so a file written at any earlier generation, or by another worker of the
machine, serves: what changed since is applied as a change (`Snapshot.restored`). A file from
another format, or from another version of the tokenizer (its source files are hashed into the
file; a sample of rows is also tokenized again), is ignored and rebuilt.
"""
from __future__ import annotations

import hashlib
import logging
import os
import random
import threading
from functools import lru_cache
from typing import Any
from pathlib import Path

import numpy as np

import vietnamese
from retrieval.index import lexical
from retrieval.index.lexical import BM25Index
from retrieval.index.snapshot import SavedIndexes, Snapshot

log = logging.getLogger(__name__)
FILE_NAME = "lexical-index.npz"
FORMAT = 1
CHECKED_ROWS = 16  # rows tokenized again on loading, per index


@lru_cache(maxsize=1)
def tokenizer_version() -> str:
    """A hash of the code that turns texts into index rows: any change to it retires saved files."""
    digest = hashlib.blake2b(digest_size=16)
    # The whole language package (search tokens use its folding, abbreviations and dates) and the
    # lexical index itself.
    for path in [*sorted(Path(vietnamese.__file__).parent.glob("*.py")), Path(lexical.__file__)]:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def path_in(data_dir: Path) -> Path:
    return Path(data_dir) / FILE_NAME


def save(snapshot: Snapshot, path: Path) -> None:
    """Write the snapshot's indexes; a reader sees the old file or the new one, never half."""
    arrays: dict[str, Any] = {"format": np.asarray(FORMAT), "tokenizer": _text_array(tokenizer_version()),
              "chunk_ids": _text_array("\n".join(p.chunk_id for p in snapshot.passages)),
              "sentence_counts": np.diff(np.asarray(snapshot.first_sentence, dtype=np.int64)),
              "fingerprints": snapshot.fingerprints()}
    arrays.update({f"sentences/{k}": v for k, v in snapshot.sentence_index.arrays().items()})
    arrays.update({f"passages/{k}": v for k, v in snapshot.passage_index.arrays().items()})
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            np.savez(handle, **arrays)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _text_array(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def load(path: Path) -> SavedIndexes | None:
    """The indexes saved at `path`; None when there are none or they cannot be used."""
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            if int(stored["format"]) != FORMAT or bytes(stored["tokenizer"]).decode() != tokenizer_version():
                log.info("lexical index file %s is of another format or tokenizer: rebuilding", path)
                return None
            text = bytes(stored["chunk_ids"]).decode("utf-8")
            chunk_ids = text.split("\n") if text else []
            counts = np.asarray(stored["sentence_counts"], dtype=np.int64)
            fingerprints = np.asarray(stored["fingerprints"], dtype=np.uint64)

            def index(prefix: str) -> BM25Index:
                named = {key[len(prefix):]: stored[key] for key in stored.files if key.startswith(prefix)}
                return BM25Index.of_arrays(named)

            saved = SavedIndexes(chunk_ids, counts, fingerprints, index("sentences/"), index("passages/"))
    except Exception as error:  # a damaged or foreign file only costs a rebuild
        log.warning("cannot read the lexical index file %s (%s): rebuilding", path, error)
        return None
    rows = len(chunk_ids)
    if (len(counts) != rows or len(fingerprints) != rows or saved.passage_index.size != rows
            or (counts < 0).any() or saved.sentence_index.size != int(counts.sum())):
        log.warning("lexical index file %s does not fit together: rebuilding", path)
        return None
    return saved


def agrees(snapshot: Snapshot, rows: int = CHECKED_ROWS, seed: int = 0) -> bool:
    """Whether sampled live rows are indexed as this code tokenizes their text now."""
    rng = random.Random(seed)
    live = [row for rows_of_document in snapshot.rows_of.values() for row in rows_of_document]
    for passage in rng.sample(live, min(rows, len(live))):
        if not snapshot.passage_index.holds(passage, snapshot.passages[passage].search_text):
            return False
        sentence = rng.choice(snapshot.sentences_of(passage)) if snapshot.sentences_of(passage) else None
        if sentence is not None and not snapshot.sentence_index.holds(sentence, snapshot.sentences[sentence].text):
            return False
    return True
