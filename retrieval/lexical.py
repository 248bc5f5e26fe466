"""BM25 over accent-folded Vietnamese tokens (syllables, bigrams, numbers), plus accented unigrams
marked with "~" so that a question typed with diacritics prefers the words it actually wrote."""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

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


@dataclass
class Posting:
    rows: np.ndarray
    weights: np.ndarray  # BM25 term weight per row, without idf
    idf: float


class BM25Index:
    """An inverted index over a list of texts; `scores` returns one BM25 score per text."""

    def __init__(self, texts: list[str]) -> None:
        self.size = len(texts)
        counts = [Counter(index_tokens(t)) for t in texts]
        lengths = np.array([sum(c.values()) for c in counts], dtype=np.float32)
        average = float(lengths.mean()) if self.size else 1.0
        rows: dict[str, list[int]] = {}
        freqs: dict[str, list[int]] = {}
        for row, counter in enumerate(counts):
            for token, tf in counter.items():
                rows.setdefault(token, []).append(row)
                freqs.setdefault(token, []).append(tf)
        self.postings: dict[str, Posting] = {}
        for token, token_rows in rows.items():
            r = np.array(token_rows, dtype=np.int64)
            tf = np.array(freqs[token], dtype=np.float32)
            norm = K1 * (1 - B + B * lengths[r] / max(average, 1.0))
            df = len(token_rows)
            idf = math.log(1 + (self.size - df + 0.5) / (df + 0.5))
            self.postings[token] = Posting(r, tf * (K1 + 1) / (tf + norm), idf)
        self.max_idf = math.log(1 + (self.size + 0.5) / 0.5) if self.size else 1.0

    def idf(self, token: str) -> float:
        """Rarity of a token; a token the index never saw is as rare as can be."""
        posting = self.postings.get(token)
        return posting.idf if posting else self.max_idf

    def scores(self, tokens: list[str]) -> np.ndarray:
        total = np.zeros(self.size, dtype=np.float32)
        for token in set(tokens):
            posting = self.postings.get(token)
            if posting is not None:  # rows are unique within a posting, so plain fancy-index adds
                total[posting.rows] += posting.weights * posting.idf
        return total
