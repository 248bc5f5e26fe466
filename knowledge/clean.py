"""Remove page furniture from news text, never information.

A photo caption or a related-article teaser that states a fact stays; the photographer credit,
the share prompt, the advert and the URL-slug prefix go. A line break an export lost before an
article heading is put back (whatever the file's format, as every loader's text passes here).
"""
from __future__ import annotations

import re

from knowledge.structure import ARTICLE_NUMBER
from vietnamese.dates import NUMERIC_DATE
from vietnamese.text import fold, has_diacritics, normalize
_PHOTO_CREDIT = re.compile(r"\s*\((?:Ảnh|Nguồn ảnh|Photo)\s*(?::[^()]{0,60}|minh họa[^()]{0,40})\)", re.IGNORECASE)
_TRAILING_CREDIT = re.compile(r"\s+(?:Ảnh|Photo)\s*:\s*[^.]{1,40}$", re.IGNORECASE)
# Whole lines that are page furniture, compared after folding.
_FURNITURE_LINES = re.compile(
    r"^(?:tin lien quan|bai lien quan|tin khac|xem them|doc them|binh luan|y kien ban doc|"
    r"chia se|share|tweet|in bai|gui bai|gui email|luu bai|quang cao|advertisement|"
    r"theo doi .{0,40}|dang ky .{0,40}|lien he .{0,40}|ban muon .{0,60}|tai app .{0,40}|"
    r"tags?:.*|tu khoa:.*|facebook|zalo|twitter|print|email|top|len dau trang)\W*$"
)
_TIMESTAMP_LINE = re.compile(r"^\s*(?:\d{1,2}:\d{2}\s*\|?\s*)?" + NUMERIC_DATE + r"(?:\s+\d{1,2}:\d{2})?\s*$")
# A URL slug: four or more lower-case unaccented words, as at the start of teaser links.
_SLUG_PREFIX = re.compile(r"^((?:[a-z]+ ){3,}[a-z]+)(?=\s+[^a-z\s]|\s*$)")
_NO_WORDS = re.compile(r"^[\W\d_]*$", re.UNICODE)
# An article heading glued to the end of the paragraph before it, with no space ("… về chứng
# thực.Điều 15.1.TT.2.1. Phạm vi điều chỉnh"): exports of the national legal compendium do this
# whenever an article has no closing note. It starts a line of its own, as the page shows it.
_GLUED_ARTICLE = re.compile(r"(?<=[.;:!?…”)])(?=(?:Điều|ĐIỀU)\s+" + ARTICLE_NUMBER + r"\.\s+(\w))")


def _unglued(line: str) -> list[str]:
    cuts = [m.start() for m in _GLUED_ARTICLE.finditer(line) if m.group(1)[0].isupper()]
    return [line[a:b] for a, b in zip([0] + cuts, cuts + [len(line)])]


def clean_text(text: str, title: str = "") -> str:
    """Normalized text without furniture; paragraphs separated by blank lines."""
    text = normalize(text)
    slugs = {fold(title).strip()} if title else set()
    # Unaccented runs are only furniture in a text that is otherwise written with accents.
    accented = has_diacritics(text)
    paragraphs: list[str] = []
    for raw in (part for whole in text.split("\n") for part in _unglued(whole)):
        line = raw.strip()
        if not line or _NO_WORDS.match(line):  # empty, or only emoji / punctuation
            continue
        slug = _SLUG_PREFIX.match(line)
        if slug and (slug.group(1) in slugs or (accented and len(slug.group(1).split()) >= 4)):
            line = line[slug.end():].strip()
            if not line:
                continue
        if _TIMESTAMP_LINE.match(line) or _FURNITURE_LINES.match(fold(line)):
            continue
        line = _PHOTO_CREDIT.sub("", line)
        line = _TRAILING_CREDIT.sub("", line)
        line = re.sub(r"\s*\|\s*$", "", line)
        line = re.sub(r"[ \t\u00a0]+", " ", line).strip()
        if line and not _NO_WORDS.match(line):
            paragraphs.append(line)
    return "\n\n".join(paragraphs)
