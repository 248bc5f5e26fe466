"""BM25 over accent-folded Vietnamese tokens (syllables, bigrams, numbers), plus accented unigrams
marked with "~" so that a question typed with diacritics prefers the words it actually wrote.

Postings are kept in flat numpy arrays (compressed sparse columns): at 100k chunks a dict of
small arrays per token costs gigabytes, these cost tens of megabytes.

An index changes in place: new texts become a small segment of their own and removed rows are
masked, so an upload costs the tokenizing of its own texts, not a rebuild. Document frequencies,
the average length and so every score are those of the live rows, exactly as if the index had
been built from scratch; `compacted()` merges the segments and drops dead rows (in the background)
without tokenizing anything again.
"""
from __future__ import annotations

import math
from array import array
from collections import Counter
from dataclasses import dataclass
from itertools import repeat

import numpy as np

from vietnamese.search import search_forms

K1 = 1.2
B = 0.75
ACCENT_MARK = "~"


def index_tokens(text: str) -> list[str]:
    """What a passage is indexed under: folded tokens and "~"-marked accented unigrams."""
    folded, accented = search_forms(text)
    return folded + [ACCENT_MARK + t for t in accented if "_" not in t]


@dataclass(frozen=True)
class _Segment:
    """Postings of some rows, grouped by token: rows[offsets[c]:offsets[c + 1]] hold token c."""

    vocabulary: dict[str, int]
    offsets: np.ndarray  # int64, one more than the vocabulary
    rows: np.ndarray  # int32, row numbers in the whole index
    tf: np.ndarray  # float32, term frequency of each posting
    dead: np.ndarray  # int32, per token: postings in rows that are no longer live

    @classmethod
    def of_texts(cls, texts: list[str], first_row: int) -> tuple["_Segment", np.ndarray]:
        """The segment of `texts` (rows first_row, first_row + 1, …) and their lengths."""
        vocabulary: dict[str, int] = {}
        # Compact typed arrays while collecting: Python lists of ints cost ~10x more at 100k chunks.
        rows, columns, frequencies = array("i"), array("i"), array("i")
        lengths = np.zeros(len(texts), dtype=np.float32)
        number = vocabulary.setdefault
        for row, text in enumerate(texts):
            tokens = index_tokens(text)
            counter = Counter(tokens)
            lengths[row] = len(tokens)
            rows.extend(repeat(first_row + row, len(counter)))
            columns.extend([number(token, len(vocabulary)) for token in counter])
            frequencies.extend(counter.values())
        column = np.frombuffer(columns, dtype=np.int32)
        segment = cls.of_postings(vocabulary, column, np.frombuffer(rows, dtype=np.int32),
                                  np.frombuffer(frequencies, dtype=np.int32).astype(np.float32))
        return segment, lengths

    @classmethod
    def of_postings(cls, vocabulary: dict[str, int], column: np.ndarray, rows: np.ndarray,
                    tf: np.ndarray) -> "_Segment":
        order = np.argsort(column, kind="stable")
        frequency = np.bincount(column, minlength=len(vocabulary))
        return cls(vocabulary, np.concatenate([[0], np.cumsum(frequency)]).astype(np.int64), rows[order], tf[order],
                   np.zeros(len(vocabulary), dtype=np.int32))

    def live_frequency(self, column: int) -> int:
        return int(self.offsets[column + 1] - self.offsets[column] - self.dead[column])

    def columns(self) -> np.ndarray:
        """The token of each posting."""
        return np.repeat(np.arange(len(self.vocabulary), dtype=np.int32), np.diff(self.offsets))

    def killing(self, dead_rows: np.ndarray) -> "_Segment":
        """The same postings with `dead_rows` (a boolean mask over all rows) no longer counted."""
        hit = np.flatnonzero(dead_rows[self.rows])
        if not len(hit):
            return self
        column = np.searchsorted(self.offsets, hit, side="right") - 1
        dead = np.bincount(column, minlength=len(self.vocabulary)).astype(np.int32)
        return _Segment(self.vocabulary, self.offsets, self.rows, self.tf, self.dead + dead)


class BM25Index:
    """An inverted index over a list of texts; `scores` returns one BM25 score per text (row).
    Rows removed by `updated` keep their number and score 0 until `compacted`."""

    def __init__(self, texts: list[str]) -> None:
        segment, lengths = _Segment.of_texts(texts, 0)
        self._set(([segment] if texts else []), lengths, np.ones(len(texts), dtype=bool), len(texts))

    def _set(self, segments: list[_Segment], lengths: np.ndarray, live: np.ndarray, main_size: int) -> None:
        self._segments = segments
        self.main_size = main_size  # rows of the first segment: the rest came by `updated`
        self._lengths = lengths
        self._live = live
        self._dead_rows = np.flatnonzero(~live)
        self.size = len(lengths)  # rows, live or not: the length of `scores`
        self.live_size = int(live.sum())
        average = float(lengths[live].mean()) if self.live_size else 1.0
        self._norm = (K1 * (1 - B + B * lengths / max(average, 1.0))).astype(np.float32)
        self.max_idf = math.log(1 + (self.live_size + 0.5) / 0.5) if self.live_size else 1.0

    @classmethod
    def _of(cls, segments: list[_Segment], lengths: np.ndarray, live: np.ndarray, main_size: int) -> "BM25Index":
        index = cls.__new__(cls)
        index._set(segments, lengths, live, main_size)
        return index

    # -- changing -------------------------------------------------------------------------------
    def updated(self, new_texts: list[str], removed_rows) -> "BM25Index":
        """A new index (this one is left as it is, for questions already using it) with
        `removed_rows` masked and `new_texts` added as rows size, size + 1, …; only those texts
        are tokenized."""
        live = np.concatenate([self._live, np.ones(len(new_texts), dtype=bool)])
        dead = np.zeros(len(live), dtype=bool)
        removed = np.asarray(removed_rows, dtype=np.int64)
        dead[removed] = live[removed]  # only rows that were still live
        live[removed] = False
        segments = [segment.killing(dead) for segment in self._segments] if dead.any() else list(self._segments)
        lengths = self._lengths
        if new_texts:
            segment, new_lengths = _Segment.of_texts(new_texts, self.size)
            segments.append(segment)
            lengths = np.concatenate([lengths, new_lengths])
        return self._of(segments, lengths, live, self.main_size if self._segments else len(lengths))

    def is_live(self, row: int) -> bool:
        return bool(self._live[row])

    @property
    def segments(self) -> int:
        return len(self._segments)

    @property
    def dead_size(self) -> int:
        return self.size - self.live_size

    def compacted(self) -> "BM25Index":
        """One segment over the live rows only, renumbered in order (row r becomes the number of
        live rows before it), without tokenizing again."""
        renumber = np.cumsum(self._live, dtype=np.int64) - 1
        vocabulary: dict[str, int] = {}
        columns, rows, tfs = [], [], []
        for segment in sorted(self._segments, key=lambda s: -len(s.vocabulary)):
            if not vocabulary:  # the largest segment's numbering is kept: no dict rebuilt for it
                vocabulary = dict(segment.vocabulary)
                mapping = np.arange(len(vocabulary), dtype=np.int32)
            else:
                mapping = np.fromiter((vocabulary.setdefault(t, len(vocabulary)) for t in segment.vocabulary),
                                      dtype=np.int32, count=len(segment.vocabulary))
            keep = self._live[segment.rows]
            columns.append(mapping[segment.columns()[keep]])
            rows.append(renumber[segment.rows[keep]].astype(np.int32))
            tfs.append(segment.tf[keep])
        if not vocabulary:
            return BM25Index([])
        column = np.concatenate(columns)
        # Tokens only dead rows had are dropped, so the vocabulary does not grow forever.
        frequency = np.bincount(column, minlength=len(vocabulary))
        if (frequency == 0).any():
            kept = np.flatnonzero(frequency)
            tokens = list(vocabulary)
            vocabulary = {tokens[c]: i for i, c in enumerate(kept)}
            new_column = np.full(len(frequency), -1, dtype=np.int32)
            new_column[kept] = np.arange(len(kept), dtype=np.int32)
            column = new_column[column]
        segment = _Segment.of_postings(vocabulary, column, np.concatenate(rows), np.concatenate(tfs))
        return self._of([segment], self._lengths[self._live], np.ones(self.live_size, dtype=bool), self.live_size)

    # -- saving -------------------------------------------------------------------------------
    def arrays(self) -> dict[str, np.ndarray]:
        """Everything this index holds, as named plain arrays (tokens as UTF-8 lines): saved with
        numpy's npz and read back by `of_arrays`, with no pickle in between."""
        out = {"lengths": self._lengths, "live": self._live, "main_size": np.asarray(self.main_size),
               "segments": np.asarray(len(self._segments))}
        for n, segment in enumerate(self._segments):
            tokens = np.frombuffer("\n".join(segment.vocabulary).encode("utf-8"), dtype=np.uint8)
            out.update({f"{n}.tokens": tokens, f"{n}.offsets": segment.offsets, f"{n}.rows": segment.rows,
                        f"{n}.tf": segment.tf, f"{n}.dead": segment.dead})
        return out

    @classmethod
    def of_arrays(cls, arrays) -> "BM25Index":
        """The index `arrays()` described; ValueError when the arrays do not fit together."""
        lengths = np.asarray(arrays["lengths"], dtype=np.float32)
        live = np.asarray(arrays["live"], dtype=bool)
        if len(live) != len(lengths):
            raise ValueError("lengths and live rows differ")
        segments = []
        for n in range(int(arrays["segments"])):
            text = bytes(arrays[f"{n}.tokens"]).decode("utf-8")
            tokens = text.split("\n") if text else []
            offsets = np.asarray(arrays[f"{n}.offsets"], dtype=np.int64)
            rows = np.asarray(arrays[f"{n}.rows"], dtype=np.int32)
            tf = np.asarray(arrays[f"{n}.tf"], dtype=np.float32)
            dead = np.asarray(arrays[f"{n}.dead"], dtype=np.int32)
            vocabulary = dict(zip(tokens, range(len(tokens))))
            if (len(vocabulary) != len(tokens) or len(offsets) != len(tokens) + 1 or len(dead) != len(tokens)
                    or offsets[-1] != len(rows) or len(rows) != len(tf)
                    or (len(rows) and not 0 <= rows.min() <= rows.max() < len(lengths))):
                raise ValueError(f"segment {n} does not fit together")
            segments.append(_Segment(vocabulary, offsets, rows, tf, dead))
        return cls._of(segments, lengths, live, int(arrays["main_size"]))

    def holds(self, row: int, text: str) -> bool:
        """Whether row `row` is indexed as `text` is tokenized now (a check of saved indexes
        against the tokenizer of this version of the code)."""
        counts = Counter(index_tokens(text))
        if not self._live[row] or self._lengths[row] != sum(counts.values()):
            return False
        for token, tf in counts.items():
            found = 0.0
            for segment in self._segments:
                column = segment.vocabulary.get(token)
                if column is not None:
                    start, end = segment.offsets[column], segment.offsets[column + 1]
                    found += float(segment.tf[start:end][segment.rows[start:end] == row].sum())
            if found != tf:
                return False
        return True

    # -- reading --------------------------------------------------------------------------------
    def frequency(self, token: str) -> int:
        """How many live rows hold the token."""
        return self._frequency(token)

    def _frequency(self, token: str) -> int:
        total = 0
        for segment in self._segments:
            column = segment.vocabulary.get(token)
            if column is not None:
                total += segment.live_frequency(column)
        return total

    def __contains__(self, token: str) -> bool:
        return self._frequency(token) > 0

    def idf(self, token: str) -> float:
        """Rarity of a token; a token the index never saw is as rare as can be."""
        frequency = self._frequency(token)
        if not frequency:
            return self.max_idf
        return float(np.float32(math.log1p((self.live_size - frequency + 0.5) / (frequency + 0.5))))

    def scores(self, tokens: list[str]) -> np.ndarray:
        total = np.zeros(self.size, dtype=np.float32)
        for token in set(tokens):
            frequency = self._frequency(token)
            if not frequency:
                continue
            idf = np.float32(math.log1p((self.live_size - frequency + 0.5) / (frequency + 0.5)))
            for segment in self._segments:
                column = segment.vocabulary.get(token)
                if column is None:
                    continue
                # rows are unique within a column, so plain fancy-index adds
                start, end = segment.offsets[column], segment.offsets[column + 1]
                rows, tf = segment.rows[start:end], segment.tf[start:end]
                total[rows] += idf * (tf * (K1 + 1) / (tf + self._norm[rows]))
        if len(self._dead_rows):
            total[self._dead_rows] = 0
        return total
