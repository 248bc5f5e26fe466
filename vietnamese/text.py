"""Vietnamese text: one Unicode form, one tone-mark placement, accent folding and search tokens."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# The five tone marks as combining characters; vowel-quality marks (â, ơ, ư, ă) are kept apart.
TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
VOWELS = set("aăâeêioôơuưy")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
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
    return _WORD.sub(lambda m: _retone_syllable(m.group(0)), text)


class _Folding(dict):
    """Each character's folded form, worked out the first time it is seen: folding is then one
    str.translate (NFD is per character and the marks it yields are all dropped, so this is
    the same as decomposing the whole text)."""

    def __missing__(self, code: int) -> str:
        decomposed = unicodedata.normalize("NFD", chr(code))
        folded = self[code] = "".join(c for c in decomposed if not unicodedata.combining(c)).replace("đ", "d")
        return folded


_FOLDING = _Folding()


def _fold(text: str) -> str:
    return text.lower().translate(_FOLDING)


@lru_cache(maxsize=65536)  # the same sentences are folded for question after question
def fold(text: str) -> str:
    """Lower-case without tone or vowel marks, đ -> d: what people type on phones."""
    return _fold(text)


def has_diacritics(text: str) -> bool:
    """True when the text carries Vietnamese marks, i.e. the writer typed accents."""
    return fold(text) != text.lower()


# Domain abbreviations, matched on folded text, expanded into their full folded form for search.
ABBREVIATIONS = {
    "hnnv": "hội nghị ngoại vụ",
    "hnng": "hội nghị ngoại giao",
    "bng": "bộ ngoại giao",
    "sngv": "sở ngoại vụ",
    "cqđd": "cơ quan đại diện",
    "đnđp": "đối ngoại địa phương",
    "ubnd": "ủy ban nhân dân",
    "hđnd": "hội đồng nhân dân",
    "tphcm": "thành phố hồ chí minh",
    "hcm": "hồ chí minh",
    "tlcc": "tuần lễ cấp cao",
    "pcpnn": "phi chính phủ nước ngoài",
    "mou": "bản ghi nhớ",
    "qđ": "quyết định",
    "kl": "kết luận",
    "hd": "hướng dẫn",
    "nđ": "nghị định",
    "tw": "trung ương",
    "fdi": "đầu tư trực tiếp nước ngoài",
    "oda": "hỗ trợ phát triển chính thức",
}
_FOLDED_ABBREVIATIONS = {fold(k): fold(v) for k, v in ABBREVIATIONS.items()}
# Written forms of Ho Chi Minh City that tokenization would otherwise break apart.
_HCMC = re.compile(r"\b(?:tp|thanh pho|thành phố)\s*\.?\s*(?:ho chi minh|hồ chí minh|hcm)\b")

# A small English-Vietnamese glossary of this domain, so English questions meet Vietnamese text.
ENGLISH_GLOSSARY = {
    "conference": "hoi nghi", "external": "ngoai vu", "affairs": "doi ngoai", "foreign": "ngoai giao",
    "ministry": "bo", "minister": "bo truong", "deputy": "pho", "diplomatic": "ngoai giao",
    "diplomacy": "ngoai giao", "agreement": "thoa thuan", "agreements": "thoa thuan",
    "international": "quoc te", "localities": "dia phuong", "locality": "dia phuong",
    "local": "dia phuong", "provinces": "tinh", "province": "tinh", "cities": "thanh pho",
    "city": "thanh pho", "signed": "ky", "sign": "ky", "theme": "chu de", "topic": "chu de",
    "regulation": "quy che", "conclusion": "ket luan", "decision": "quyet dinh",
    "guidance": "huong dan", "guideline": "huong dan", "issued": "ban hanh", "resolution": "nghi quyet",
    "national": "toan quoc", "nationwide": "toan quoc", "held": "dien ra", "opened": "khai mac",
    "open": "khai mac", "where": "tai", "friendship": "huu nghi", "cooperation": "hop tac",
    "partners": "doi tac", "partner": "doi tac", "relations": "quan he", "export": "xuat khau",
    "exports": "xuat khau", "import": "nhap khau", "trade": "thuong mai", "turnover": "kim ngach",
    "investment": "dau tu", "growth": "tang truong", "rate": "toc do", "average": "trung binh",
    "aid": "vien tro", "non": "phi", "governmental": "chinh phu", "ngo": "phi chinh phu",
    "journalists": "phong vien", "reporters": "phong vien", "representative": "dai dien",
    "missions": "co quan dai dien", "mission": "co quan dai dien", "embassy": "dai su quan",
    "ambassador": "dai su", "ambassadors": "dai su", "consulate": "lanh su quan",
    "consul": "lanh su", "general": "tong", "established": "thanh lap", "founded": "thanh lap",
    "recognized": "cong nhan", "titles": "danh hieu", "heritage": "di san", "visits": "chuyen tham",
    "summit": "cap cao", "week": "tuan le", "recommendations": "kien nghi", "proposals": "kien nghi",
    "director": "cuc truong", "department": "cuc", "chairman": "chu tich", "people": "nhan dan",
    "committee": "uy ban", "pandemic": "dich", "covid": "covid", "online": "truc tuyen",
    "health": "y te", "task": "nhiem vu", "tasks": "nhiem vu", "economic": "kinh te",
    "economy": "kinh te", "culture": "van hoa", "cultural": "van hoa", "integration": "hoi nhap",
    "action": "hanh dong", "programme": "chuong trinh", "program": "chuong trinh",
    "supported": "ho tro", "support": "ho tro", "meet": "gap go", "meeting": "gap go",
    "hanoi": "ha noi", "danang": "da nang", "haiphong": "hai phong", "vietnam": "viet nam",
    "japan": "nhat ban", "korea": "han quoc", "india": "an do", "masks": "khau trang",
    "countries": "nuoc", "country": "nuoc", "world": "the gioi", "years": "nam", "year": "nam",
}
# Words that are not Vietnamese syllables even without accents, and ones that also are ("the" =
# thế, "do", "to" = tổ, "in" = in ấn): only the first kind can tell English on its own.
ENGLISH_MARKERS = {"what", "how", "many", "much", "who", "whom", "why", "when", "which", "where", "is", "are",
                   "was", "were", "did", "does", "of", "with", "for", "has", "have", "and", "from"}
AMBIGUOUS_MARKERS = {"the", "in", "do", "to", "an", "a"}

_TOKEN = re.compile(r"\d+(?:[.,/-]\d+)*|[^\W\d_]+", re.UNICODE)
_NUMBER_PARTS = re.compile(r"\d+")
# A code mixes letters and digits in one word ("NB4", "NC3B", "G20"): it names itself, so it is
# also searched whole, beside its parts.
_CODE = re.compile(r"\b(?=[^\W_]*\d)(?=[^\W_]*[^\W\d_])[^\W_]+\b", re.UNICODE)
# Dates written out ("ngày 01 tháng 7 năm 2026", "tháng 11 năm 2019", "tháng 11/2019"), on folded text.
_WRITTEN_DATE = re.compile(r"\bngay\s+(\d{1,2})\s+thang\s+(\d{1,2})(?:(?:\s+nam\s+|/)(\d{4}))?"
                           r"|\bthang\s+(\d{1,2})(?:\s+nam\s+|/)(\d{4})\b")
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{4}))?\b|\b(\d{1,2})/(\d{4})\b")


def _date(day: str | None, month: str | None, year: str | None) -> list[str]:
    """One date in its canonical forms, without leading zeros: "1/7/2026", "1/7", "7/2026"."""
    day, month = (str(int(day)) if day else None), (str(int(month)) if month else None)
    forms = []
    if day and month:
        forms.append(f"{day}/{month}")
    if month and year:
        forms.append(f"{month}/{year}")
    if day and month and year:
        forms.insert(0, f"{day}/{month}/{year}")
    return forms


def date_forms(text: str) -> list[str]:
    """Every date in a text, written out or in figures, in canonical form: "ngày 01 tháng 7 năm
    2026", "01/07/2026" and "1/7/2026" all give "1/7/2026" (and "1/7", "7/2026"), so that a date
    typed one way finds a text that writes it another."""
    return _date_forms_of(fold(text))


def _date_forms_of(folded: str) -> list[str]:
    forms: list[str] = []
    for match in _WRITTEN_DATE.finditer(folded):
        day, month, year, month_only, year_only = match.groups()
        forms += _date(day, month, year) if day else _date(None, month_only, year_only)
    for match in _NUMERIC_DATE.finditer(folded):
        day, month, year, month_only, year_only = match.groups()
        if day and 1 <= int(day) <= 31 and 1 <= int(month) <= 12:
            forms += _date(day, month, year)
        elif month_only and 1 <= int(month_only) <= 12:
            forms += _date(None, month_only, year_only)
    return list(dict.fromkeys(forms))


def looks_english(text: str) -> bool:
    """True for a question written in English rather than (unaccented) Vietnamese."""
    words = re.findall(r"[a-z]+", text.lower())
    if not words or has_diacritics(text):
        return False
    strong = sum(w in ENGLISH_MARKERS for w in words)
    weak = sum(w in AMBIGUOUS_MARKERS for w in words)
    return strong >= 2 or (strong >= 1 and weak >= 1)


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
        elif not accented and token in _FOLDED_ABBREVIATIONS:
            out.extend(_FOLDED_ABBREVIATIONS[token].split())
    return out


def search_tokens(text: str, *, accented: bool = False, english: bool = False) -> list[str]:
    """Tokens for lexical search: folded (or accented) syllables, numbers with their parts,
    abbreviations expanded, and syllable bigrams (which approximate Vietnamese words)."""
    base = _search_base(text)
    return _tokens_of(base, _fold(base), accented, english)


def search_forms(text: str) -> tuple[list[str], list[str]]:
    """search_tokens(text) and search_tokens(text, accented=True), normalizing and folding the
    text once (indexing needs both for every passage and sentence)."""
    base = _search_base(text)
    folded = _fold(base)  # not the cached fold: indexed texts would only crowd its cache
    return _tokens_of(base, folded, False, False), _tokens_of(base, folded, True, False)


def _search_base(text: str) -> str:
    return _HCMC.sub(" tphcm ", normalize(text).lower())


def _tokens_of(base: str, folded: str, accented: bool, english: bool) -> list[str]:
    """The tokens of `base` (normalized, lower case), given its folded form."""
    tokens = _TOKEN.findall(base if accented else folded)
    if english:
        tokens = [w for t in tokens for w in ENGLISH_GLOSSARY.get(t, t).split()]
    tokens = _expand(tokens, accented)
    bigrams = [f"{a}_{b}" for a, b in zip(tokens, tokens[1:]) if not a[0].isdigit() and not b[0].isdigit()]
    codes = [code for code in _CODE.findall(base if accented else folded) if not code.isdigit()]
    return tokens + bigrams + codes + [d for d in _date_forms_of(folded) if d not in tokens]
