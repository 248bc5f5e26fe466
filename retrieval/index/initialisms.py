"""What the held documents spell out for an abbreviation: "KTNV" is whatever four-word phrase with
those initials they use most ("kỹ thuật nghiệp vụ", 126 times in a decree that also says "KTNV"
never). Built from a snapshot's passages on first use (one letter per word: about 40 ms for
100,000 words), so an admin's new abbreviation-heavy guidance is understood from its next question."""
from __future__ import annotations

import bisect
import re
import threading
from collections import Counter
from functools import cached_property

from vietnamese.abbreviations import WORD, initials
from vietnamese.text import fold_keeping_length

MIN_USES = 3  # a phrase seen fewer times is chance ("don vi co" for "DVC" in a short text)
MIN_SHARE = 0.4  # of all phrases with those initials, so the reading is the documents' own


class Initialisms:
    def __init__(self, texts: list[str]) -> None:
        self._texts = texts
        self._offsets: list[int] = []
        parts = []
        position = 0
        for text in texts:
            letters = initials(WORD.findall(fold_keeping_length(text)))
            self._offsets.append(position)
            parts.append(letters + " ")  # a space: no phrase runs from one passage into the next
            position += len(letters) + 1
        self._stream = "".join(parts)
        self._found: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def phrase(self, written: str, key: str) -> str | None:
        """The phrase (as the documents write it, accents and all) whose initials are `key`, or None
        when none is used often and clearly enough, or when the documents use the abbreviation as
        written ("GDP", "ASEAN") at least as often: then it is their word, found as it is."""
        with self._lock:
            if written not in self._found:
                phrase, uses = self._spell(key)
                literal = re.compile(r"(?<![\w&])" + re.escape(written) + r"(?![\w&])", re.IGNORECASE)
                if phrase and len(literal.findall(self._joined)) >= uses:
                    phrase = None
                self._found[written] = phrase
            return self._found[written]

    @cached_property
    def _joined(self) -> str:
        return "\n".join(self._texts)

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
