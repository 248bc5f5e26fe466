"""Tokens for lexical search: folded (or accented) syllables, numbers with their parts, codes,
abbreviations expanded, dates in canonical form, and syllable bigrams."""
from __future__ import annotations

import re

from vietnamese.abbreviations import ABBREVIATIONS, FOLDED_ABBREVIATIONS
from vietnamese.dates import date_forms_of
from vietnamese.english import SEARCH_GLOSSARY
from vietnamese.text import fold_uncached, normalize

# Written forms of Ho Chi Minh City that tokenization would otherwise break apart.
_HCMC = re.compile(r"\b(?:tp|thanh pho|thành phố)\s*\.?\s*(?:ho chi minh|hồ chí minh|hcm)\b")

_TOKEN = re.compile(r"\d+(?:[.,/-]\d+)*|[^\W\d_]+", re.UNICODE)
_NUMBER_PARTS = re.compile(r"\d+")
# A code mixes letters and digits in one word ("NB4", "NC3B", "G20"): it names itself, so it is
# also searched whole, beside its parts.
_CODE = re.compile(r"\b(?=[^\W_]*\d)(?=[^\W_]*[^\W\d_])[^\W_]+\b", re.UNICODE)

def _expand(tokens: list[str], accented: bool = False) -> list[str]:
    out: list[str] = []
    for token in tokens:
        out.append(token)
        if token[0].isdigit():
            # "12/8/2018" is also found by "12/8" and "2018"; "4.000" by "4000".
            parts = _NUMBER_PARTS.findall(token)
            if len(parts) > 1:
                out.extend(parts)
                if "/" in token:
                    out.extend(f"{a}/{b}" for a, b in zip(parts, parts[1:]))
                else:
                    out.append("".join(parts))
        elif accented and token in ABBREVIATIONS:
            out.extend(ABBREVIATIONS[token].split())
        elif not accented and token in FOLDED_ABBREVIATIONS:
            out.extend(FOLDED_ABBREVIATIONS[token].split())
    return out


def search_tokens(text: str, *, accented: bool = False, english: bool = False) -> list[str]:
    """Tokens for lexical search: folded (or accented) syllables, numbers with their parts,
    abbreviations expanded, and syllable bigrams (which approximate Vietnamese words)."""
    base = _search_base(text)
    return _tokens_of(base, fold_uncached(base), accented, english)


def search_forms(text: str) -> tuple[list[str], list[str]]:
    """search_tokens(text) and search_tokens(text, accented=True), normalizing and folding the
    text once (indexing needs both for every passage and sentence)."""
    base = _search_base(text)
    folded = fold_uncached(base)  # not the cached fold: indexed texts would only crowd its cache
    return _tokens_of(base, folded, False, False), _tokens_of(base, folded, True, False)


def _search_base(text: str) -> str:
    return _HCMC.sub(" tphcm ", normalize(text).lower())


def _tokens_of(base: str, folded: str, accented: bool, english: bool) -> list[str]:
    """The tokens of `base` (normalized, lower case), given its folded form."""
    tokens = _TOKEN.findall(base if accented else folded)
    if english:
        tokens = [w for t in tokens for w in SEARCH_GLOSSARY.get(t, t).split()]
    tokens = _expand(tokens, accented)
    bigrams = [f"{a}_{b}" for a, b in zip(tokens, tokens[1:]) if not a[0].isdigit() and not b[0].isdigit()]
    codes = [code for code in _CODE.findall(base if accented else folded) if not code.isdigit()]
    return tokens + bigrams + codes + [d for d in date_forms_of(folded) if d not in tokens]
