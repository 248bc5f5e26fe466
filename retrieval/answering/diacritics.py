"""Accents put back on a question typed without them ("bo noi vu" -> "bộ nội vụ").

Officers often type on phones without accents. Lexical search folds accents away anyway, but the
e5 embedding reads an unaccented question as a different, rarer text: measured on 250 held-back
news questions, answers right fell from 161 (accented) to 133 (typed bare), and 150 came back
when the accented question was embedded instead. So the question is embedded as restored here.

The restorer is a syllable bigram model (counts fitted by `training/fit_diacritics.py` on
Vietnamese text, shipped as gzipped JSON) decoded with Viterbi: each bare syllable may be any
accented syllable that folds to it, and the likeliest sequence wins. A word it does not know
(a name, an English word, a code) is kept as typed.
"""
from __future__ import annotations

import gzip
import json
import math
import re
from functools import lru_cache
from pathlib import Path

from vietnamese.text import fold, has_diacritics

TABLE = Path(__file__).resolve().parent.parent / "weights" / "diacritics.json.gz"
WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
BREAK = re.compile(r"[.,;:!?()\[\]\"“”\n]")  # punctuation ends the context of the word before it
START, END = "<s>", "</s>"  # a run's edges, counted as words so that a run's ends are modelled
BIGRAM_WEIGHT = 0.8  # interpolation with the unigram probability (Jelinek–Mercer)


class DiacriticRestorer:
    """Puts the likeliest accents on the syllables of an unaccented text."""

    def __init__(self, unigrams: dict[str, int], bigrams: dict[str, int]) -> None:
        self.unigrams = unigrams
        self.bigrams = bigrams
        self.total = sum(unigrams.values()) or 1
        self.forms: dict[str, list[str]] = {}
        for syllable in unigrams:
            self.forms.setdefault(fold(syllable), []).append(syllable)

    @classmethod
    def load(cls, path: Path = TABLE) -> "DiacriticRestorer":
        data = json.loads(gzip.decompress(Path(path).read_bytes()).decode("utf-8"))
        return cls(data["unigrams"], data["bigrams"])

    def _log_probability(self, previous: str, syllable: str) -> float:
        unigram = self.unigrams.get(syllable, 0) / self.total
        pair = self.bigrams.get(f"{previous} {syllable}", 0) / self.unigrams.get(previous, self.total)
        return math.log(BIGRAM_WEIGHT * pair + (1 - BIGRAM_WEIGHT) * unigram + 1e-12)

    def _decode(self, words: list[str]) -> list[str]:
        """The likeliest accented forms of a run of known bare syllables (lower case)."""
        best: dict[str, tuple[float, list[str]]] = {START: (0.0, [])}
        for word in words + [END]:
            step: dict[str, tuple[float, list[str]]] = {}
            for form in self.forms[word] if word != END else [END]:
                score, path = max(((s + self._log_probability(prev, form), p) for prev, (s, p) in best.items()),
                                  key=lambda pair: pair[0])
                step[form] = (score, path + [form])
            best = step
        return best[END][1][:-1]

    def restore(self, text: str) -> str:
        """`text` with accents put back, if it was typed without any; otherwise unchanged."""
        if has_diacritics(text):
            return text
        return _restore_cached(self, text)

    def _restore(self, text: str) -> str:
        pieces: list[str] = []  # the text, with each known word's piece replaced once decoded
        run: list[int] = []  # indexes into `pieces` of the known words of the current run

        def flush() -> None:
            if not run:
                return
            for index, form in zip(run, self._decode([pieces[i].lower() for i in run])):
                pieces[index] = _with_case(pieces[index], form)
            run.clear()

        position = 0
        for match in WORD.finditer(text):
            gap = text[position:match.start()]
            if BREAK.search(gap):
                flush()
            pieces.append(gap)
            pieces.append(match.group(0))
            if match.group(0).lower() in self.forms:
                run.append(len(pieces) - 1)
            else:
                flush()
            position = match.end()
        flush()
        return "".join(pieces) + text[position:]


@lru_cache(maxsize=4096)  # a question asked again (or by another channel) is not decoded again
def _restore_cached(restorer: DiacriticRestorer, text: str) -> str:
    return restorer._restore(text)


def _with_case(typed: str, form: str) -> str:
    """`form` in the case the word was typed in ("Noi" -> "Nội", "BO" -> "BỘ")."""
    if typed.isupper() and len(typed) > 1:
        return form.upper()
    if typed[0].isupper():
        return form[0].upper() + form[1:]
    return form
