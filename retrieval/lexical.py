"""BM25 over accent-folded Vietnamese tokens (syllables, bigrams, numbers), plus accented unigrams
marked with "~" so that a question typed with diacritics prefers the words it actually wrote.

Postings are kept in flat numpy arrays (compressed sparse columns): at 100k chunks a dict of
small arrays per token costs gigabytes, these cost tens of megabytes.
"""
from __future__ import annotations

import math
from array import array
from collections import Counter

import numpy as np

from knowledge.vietnamese import search_tokens

K1 = 1.2
B = 0.75
ACCENT_MARK = "~"


def index_tokens(text: str) -> list[str]:
    """What a passage is indexed under: folded tokens and "~"-marked accented unigrams."""
    folded = search_tokens(text)
    accented = [ACCENT_MARK + t for t in search_tokens(text, accented=True) if "_" not in t]
    return folded + accented


class BM25Index:
    """An inverted index over a list of texts; `scores` returns one BM25 score per text."""

    def __init__(self, texts: list[str]) -> None:
        self.size = len(texts)
        vocabulary: dict[str, int] = {}
        # Compact typed arrays while collecting: Python lists of ints cost ~10x more at 100k chunks.
        rows, columns, frequencies = array("i"), array("i"), array("i")
        lengths = np.zeros(self.size, dtype=np.float32)
        for row, text in enumerate(texts):
            counter = Counter(index_tokens(text))
            lengths[row] = sum(counter.values())
            for token, tf in counter.items():
                rows.append(row)
                columns.append(vocabulary.setdefault(token, len(vocabulary)))
                frequencies.append(tf)
        self.vocabulary = vocabulary
        column = np.frombuffer(columns, dtype=np.int32)
        order = np.argsort(column, kind="stable")
        self._rows = np.frombuffer(rows, dtype=np.int32)[order]
        tf = np.frombuffer(frequencies, dtype=np.int32)[order].astype(np.float32)
        average = float(lengths.mean()) if self.size else 1.0
        norm = K1 * (1 - B + B * lengths[self._rows] / max(average, 1.0))
        document_frequency = np.bincount(column, minlength=len(vocabulary)).astype(np.int64)
        self._offsets = np.concatenate([[0], np.cumsum(document_frequency)])
        self._idf = np.log1p((self.size - document_frequency + 0.5) / (document_frequency + 0.5)).astype(np.float32)
        # The BM25 weight of each posting, idf included: a query only adds them up.
        self._weights = (tf * (K1 + 1) / (tf + norm)) * np.repeat(self._idf, document_frequency)
        self.max_idf = math.log(1 + (self.size + 0.5) / 0.5) if self.size else 1.0

    def __contains__(self, token: str) -> bool:
        return token in self.vocabulary

    def idf(self, token: str) -> float:
        """Rarity of a token; a token the index never saw is as rare as can be."""
        column = self.vocabulary.get(token)
        return float(self._idf[column]) if column is not None else self.max_idf

    def scores(self, tokens: list[str]) -> np.ndarray:
        total = np.zeros(self.size, dtype=np.float32)
        for token in set(tokens):
            column = self.vocabulary.get(token)
            if column is not None:  # rows are unique within a column, so plain fancy-index adds
                start, end = self._offsets[column], self._offsets[column + 1]
                total[self._rows[start:end]] += self._weights[start:end]
        return total
