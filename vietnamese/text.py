"""Vietnamese text: one Unicode form, one tone-mark placement, accent folding."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# The five tone marks as combining characters; vowel-quality marks (â, ơ, ư, ă) are kept apart.
TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
VOWELS = set("aăâeêioôơuưy")
WORD = re.compile(r"[^\W\d_]+")  # a word: letters only (a syllable, an abbreviation)
_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u2028\u2029\ufeff]")


@lru_cache(maxsize=65536)  # a few thousand syllables make up the language: indexing 100k chunks repeats them
def _retone_syllable(syllable: str) -> str:
    """Put the tone mark of an open oa/oe/uy syllable on its first vowel ("hoà" -> "hòa", "thuý" -> "thúy").

    The two styles differ only for the open syllables ending in oa, oe, uy; everywhere else the
    text already agrees, so nothing else is touched.
    """
    decomposed = unicodedata.normalize("NFD", syllable)
    tones = [c for c in decomposed if c in TONE_MARKS]
    if len(tones) != 1:
        return syllable
    bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONE_MARKS))
    lower = bare.lower()
    if len(lower) < 2 or lower[-2:] not in ("oa", "oe", "uy"):
        return syllable
    if lower.startswith("qu") and lower[-2:] == "uy":  # "quý": the u belongs to the initial
        return syllable
    # Open syllable whose vowel cluster is exactly the last two letters.
    if len(lower) >= 3 and lower[-3] in VOWELS:
        return syllable
    target = len(bare) - 2
    letter = unicodedata.normalize("NFD", bare[target])
    toned = letter[0] + tones[0] + letter[1:]
    return unicodedata.normalize("NFC", bare[:target] + toned + bare[target + 1:])


def normalize(text: str) -> str:
    """NFC, one tone-mark placement, no control characters; line breaks kept."""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    return WORD.sub(lambda m: _retone_syllable(m.group(0)), text)


class _Folding(dict):
    """Each character's folded form, worked out the first time it is seen: folding is then one
    str.translate (NFD is per character and the marks it yields are all dropped, so this is
    the same as decomposing the whole text)."""

    def __missing__(self, code: int) -> str:
        decomposed = unicodedata.normalize("NFD", chr(code))
        folded = self[code] = "".join(c for c in decomposed if not unicodedata.combining(c)).replace("đ", "d")
        return folded


_FOLDING = _Folding()


def fold_uncached(text: str) -> str:
    """fold() without its cache, for texts seen once (indexing would only crowd the cache)."""
    return text.lower().translate(_FOLDING)


@lru_cache(maxsize=65536)  # the same sentences are folded for question after question
def fold(text: str) -> str:
    """Lower-case without tone or vowel marks, đ -> d: what people type on phones."""
    return fold_uncached(text)


def fold_keeping_length(text: str) -> str:
    """fold() one character for one, so that offsets in the folded text are offsets in the text:
    a character that would fold into none or several (a lone combining mark) is kept as it is."""
    return "".join(f if len(f := _FOLDING[ord(c)]) == 1 else c for c in text.lower())


def strip_diacritics(text: str) -> str:
    """The text as typed on a phone without accents (case kept)."""
    return "".join(fold(c).upper() if c.isupper() else fold(c) for c in text)


def has_diacritics(text: str) -> bool:
    """True when the text carries Vietnamese marks, i.e. the writer typed accents."""
    return fold(text) != text.lower()
