"""What the held documents spell out for an abbreviation: "KTNV" is whatever four-word phrase with
those initials they use most ("kỹ thuật nghiệp vụ", 126 times in a decree that also says "KTNV"
never). Built from a snapshot's passages on first use, each passage's letters kept with it (one
letter per word: about 40 ms for 100,000 words, once), so an admin's new abbreviation-heavy
guidance is understood from its next question."""
from __future__ import annotations

import bisect
import re
import threading
from collections import Counter
from typing import Callable

from vietnamese.abbreviations import initials
from vietnamese.text import WORD, fold_keeping_length

MIN_USES = 3  # a phrase seen fewer times is chance ("don vi co" for "DVC" in a short text)
MIN_SHARE = 0.4  # of all phrases with those initials, so the reading is the documents' own


def letters_of(text: str) -> str:
    """One letter per word of a passage: what Initialisms searches (a passage keeps it, so a new
    snapshot costs only its new passages)."""
    return initials(WORD.findall(fold_keeping_length(text)))


class Initialisms:
    def __init__(self, texts: list[str], letters: list[str] | None = None,
                 literal: Callable[[str], int] | None = None) -> None:
        """`literal`: how often the documents write an abbreviation as it is (by default counted
        in `texts`; a snapshot asks its lexical index instead)."""
        self._texts = texts
        self._literal = literal or self._count_written
        letters = letters if letters is not None else [letters_of(text) for text in texts]
        self._offsets: list[int] = []
        position = 0
        for part in letters:
            self._offsets.append(position)
            position += len(part) + 1
        self._stream = " ".join(letters) + " "  # a space: no phrase runs from one passage into the next
        self._found: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def phrase(self, written: str, key: str) -> str | None:
        """The phrase (as the documents write it, accents and all) whose initials are `key`, or None
        when none is used often and clearly enough, or when the documents use the abbreviation as
        written ("GDP", "ASEAN") at least as often: then it is their word, found as it is."""
        with self._lock:
            if written not in self._found:
                phrase, uses = self._spell(key)
                if phrase and self._literal(written) >= uses:
                    phrase = None
                self._found[written] = phrase
            return self._found[written]

    def _count_written(self, written: str) -> int:
        pattern = re.compile(r"(?<![\w&])" + re.escape(written) + r"(?![\w&])", re.IGNORECASE)
        return sum(len(pattern.findall(text)) for text in self._texts)

    def _spell(self, key: str) -> tuple[str | None, int]:
        folded_of: dict[int, tuple[str, list[tuple[int, int]]]] = {}
        seen: Counter[str] = Counter()
        written: dict[str, Counter[str]] = {}
        at = self._stream.find(key)
        while at >= 0:
            passage = bisect.bisect_right(self._offsets, at) - 1
            first = at - self._offsets[passage]
            text = self._texts[passage]
            if passage not in folded_of:
                folded = fold_keeping_length(text)
                folded_of[passage] = folded, [m.span() for m in WORD.finditer(folded)]
            folded, words = folded_of[passage]
            spans = words[first:first + len(key)]
            phrase = " ".join(folded[a:b] for a, b in spans)
            seen[phrase] += 1
            written.setdefault(phrase, Counter())[" ".join(text[a:b].lower() for a, b in spans)] += 1
            at = self._stream.find(key, at + 1)
        if not seen:
            return None, 0
        best, uses = seen.most_common(1)[0]
        if uses < MIN_USES or uses < MIN_SHARE * sum(seen.values()):
            return None, 0
        return written[best].most_common(1)[0][0], uses
