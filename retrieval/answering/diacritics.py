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
from typing import Callable

from vietnamese.text import WORD, fold, has_diacritics

TABLE = Path(__file__).resolve().parent.parent / "weights" / "diacritics.json.gz"
BREAK = re.compile(r"[.,;:!?()\[\]\"“”\n]")  # punctuation ends the context of the word before it
START, END = "<s>", "</s>"  # a run's edges, counted as words so that a run's ends are modelled
BIGRAM_WEIGHT = 0.8  # interpolation with the unigram probability (Jelinek–Mercer)
# How much the held documents' own spelling counts: log share of a syllable's forms that they use
# ("hộ" against "hỗ" in guidance on passports), times this. Chosen on fit questions about documents
# the counts never saw (syllables restored right, procedures 0.897 -> 0.904, regulations-dev2
# 0.838 -> 0.875; weights 0.25-1.5 tried).
HELD_WEIGHT = 0.5
HELD_MIN = 3  # uses of a syllable's forms below which the documents say nothing about it


class HeldForms:
    """How the held documents write each accented form: `frequency(form)` counts the rows of
    their lexical index that hold it. One per snapshot."""

    def __init__(self, frequency: Callable[[str], int]) -> None:
        self.frequency = frequency
        self._bonus: dict[str, float] = {}

    def bonus(self, form: str, forms: list[str]) -> float:
        """`form`'s weight among `forms`, the accented forms of one bare syllable (all of them
        counted once, the first time any is asked)."""
        if form not in self._bonus:
            counts = {f: self.frequency(f) for f in forms}
            total = sum(counts.values())
            for each, count in counts.items():
                self._bonus[each] = HELD_WEIGHT * math.log((count + 0.5) / (total + 0.5 * len(forms))) \
                    if total >= HELD_MIN and len(forms) > 1 else 0.0
        return self._bonus[form]


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

    def _decode(self, words: list[str], held: HeldForms | None = None) -> list[str]:
        """The likeliest accented forms of a run of known bare syllables (lower case)."""
        best: dict[str, tuple[float, list[str]]] = {START: (0.0, [])}
        for word in words + [END]:
            step: dict[str, tuple[float, list[str]]] = {}
            for form in self.forms[word] if word != END else [END]:
                local = held.bonus(form, self.forms[word]) if held is not None and word != END else 0.0
                score, path = max(((s + self._log_probability(prev, form) + local, p) for prev, (s, p) in best.items()),
                                  key=lambda pair: pair[0])
                step[form] = (score, path + [form])
            best = step
        return best[END][1][:-1]

    def restore(self, text: str, held: HeldForms | None = None) -> str:
        """`text` with accents put back, if it was typed without any; otherwise unchanged. `held`:
        the held documents' spelling, weighed in (not cached here: it changes with every upload)."""
        if has_diacritics(text):
            return text
        return self._restore(text, held) if held is not None else _restore_cached(self, text)

    def _restore(self, text: str, held: HeldForms | None = None) -> str:
        pieces: list[str] = []  # the text, with each known word's piece replaced once decoded
        run: list[int] = []  # indexes into `pieces` of the known words of the current run

        def flush() -> None:
            if not run:
                return
            for index, form in zip(run, self._decode([pieces[i].lower() for i in run], held)):
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
