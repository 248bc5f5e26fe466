"""Dates as Vietnamese texts write them: one grammar, one reading.

The forms: a whole date in figures ("12/8/2018", "12-8-2018", "6-11/11/2017" for a span of days),
a day and month ("12/8"), a month of a year ("8/2018", "tháng 8/2018", "tháng 8 năm 2018"), a date
written out ("ngày 12 tháng 8 năm 2018", "12 tháng 8 năm 2018", "ngày 12 tháng 8"), a year ("năm
2018", "2018"). Each room looks for the forms its job needs, in the order it prefers them (below),
but every pattern is built from the same pieces and every match is read by `parts_of`, so "tháng 8"
means the same month to the answer, the event records and the search index.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from vietnamese.text import fold


class DateParts(NamedTuple):
    """What a date states: any of day, month and year may be missing ("tháng 8/2018", "12/8")."""

    day: int | None
    month: int | None
    year: int | None

    @property
    def valid(self) -> bool:
        return (self.day is None or 1 <= self.day <= 31) and (self.month is None or 1 <= self.month <= 12)


# -- the pieces -----------------------------------------------------------------------------------
DAY = r"\d{1,2}"
MONTH = r"\d{1,2}"
YEAR = r"(?:19|20)\d{2}"  # a year in running text: "năm 2020", not "năm 1" or a document number
ANY_YEAR = r"\d{4}"


def _g(role: str, pattern: str) -> str:
    """A part of a date, as a group `parts_of` reads: role d, m or y (numbered apart by `_alternatives`)."""
    return f"(?P<{role}>{pattern})"


def _alternatives(*forms: str) -> str:
    """Forms tried in this order, their parts' groups numbered so that each form keeps its own."""
    out = []
    for n, form in enumerate(forms):
        out.append(re.sub(r"\(\?P<([dmy])>", f"(?P<\\g<1>{n}>", form))
    return "|".join(out)


def parts_of(match: re.Match[str]) -> DateParts:
    """The day, month and year a match of any pattern of this module states."""
    found: dict[str, int] = {}
    for name, value in match.groupdict().items():
        if value is not None and name[0] in "dmy" and name[0] not in found:
            found[name[0]] = int(value)
    return DateParts(found.get("d"), found.get("m"), found.get("y"))


# A whole date in figures: "12/8/2018" (what front matter, file dates and page stamps write).
NUMERIC_DATE = _g("d", DAY) + "/" + _g("m", MONTH) + "/" + _g("y", ANY_YEAR)
# A date as front matter writes it: "2018-08-12".
ISO_DATE = _g("y", ANY_YEAR) + "-" + _g("m", MONTH) + "-" + _g("d", DAY)
# Written out, in the words of accented text ("ngày 12 tháng 8 năm 2018"); the search index reads
# folded text, `_folded` turns the words.
_WRITTEN_DMY = r"ngày\s+" + _g("d", DAY) + r"\s+tháng\s+" + _g("m", MONTH) + r"\s+năm\s+" + _g("y", YEAR)


def _folded(pattern: str) -> str:
    return pattern.replace("ngày", "ngay").replace("tháng", "thang").replace("năm", "nam")


# -- what each room looks for ---------------------------------------------------------------------
# Every date a text states, for the search index and for pinning a question's date (on folded
# text): written out, in figures (with "-" as well as "/"), a month of a year.
_SEARCHED = re.compile(_alternatives(
    r"\bngay\s+" + _g("d", DAY) + r"\s+thang\s+" + _g("m", MONTH) + r"(?:(?:\s+nam\s+|/)" + _g("y", ANY_YEAR) + ")?",
    r"\bthang\s+" + _g("m", MONTH) + r"(?:\s+nam\s+|/)" + _g("y", ANY_YEAR) + r"\b",
))
_SEARCHED_FIGURES = re.compile(_alternatives(
    r"\b" + _g("d", DAY) + "/" + _g("m", MONTH) + "(?:/" + _g("y", ANY_YEAR) + r")?\b",
    r"\b" + _g("m", MONTH) + "/" + _g("y", ANY_YEAR) + r"\b",
    r"(?<![\d/-])" + _g("d", DAY) + "-" + _g("m", MONTH) + "-" + _g("y", YEAR) + r"(?![\d/-])",
))

# A date as an answer (retrieval.answering.facts): its span. A date written out, as regulations
# write them ("01 tháng 7 năm 2026", "tháng 7 năm 2026"), comes first: read in parts it would lead
# with "tháng 7"; a span of days ("6-11/11/2017") is one date; a bare year counts.
DATE_MENTION = re.compile(_alternatives(
    r"(?<![\d/])" + _g("d", DAY) + r"\s+tháng\s+" + _g("m", MONTH) + r"\s+năm\s+" + _g("y", YEAR) + r"(?!\d)",
    r"tháng\s+" + _g("m", MONTH) + r"\s+năm\s+" + _g("y", YEAR) + r"(?!\d)",
    r"(?<![\d/])(?:" + DAY + r"\s*-\s*)?" + _g("d", DAY) + "/" + _g("m", MONTH) + "(?:/" + _g("y", ANY_YEAR) + r")?(?![\d/])",
    r"(?<![\d/])" + _g("m", MONTH) + "/" + _g("y", YEAR) + r"(?![\d/])",
    r"tháng\s+" + _g("m", MONTH) + "(?:/" + _g("y", ANY_YEAR) + ")?",
    r"(?:năm|từ năm)\s+" + _g("y", YEAR),
    r"(?<![\d/])" + _g("y", YEAR) + r"(?![\d/])",
))
# A date's parts (knowledge.events): day/month[/year] in figures, spaces allowed ("6-11/11/2017"
# gives the first day), written out, a month of a year, or a year after "năm".
DATE_PARTS = re.compile(_alternatives(
    r"(?:ngày\s+)?" + _g("d", DAY) + r"(?:\s*[-–]\s*" + DAY + r")?\s*/\s*" + _g("m", MONTH)
    + r"(?:\s*/\s*" + _g("y", YEAR) + r")?(?![\d/])",
    r"ngày\s+" + _g("d", DAY) + r"\s+tháng\s+" + _g("m", MONTH) + r"(?:\s+năm\s+" + _g("y", YEAR) + ")?",
    r"tháng\s+" + _g("m", MONTH) + r"\s*(?:/|\s+năm\s+)\s*" + _g("y", YEAR),
    r"(?<![\d/])" + _g("m", MONTH) + "/" + _g("y", YEAR) + r"(?![\d/])",
    r"năm\s+" + _g("y", YEAR) + r"(?![\d/])",
))
# A document's own date near its top (knowledge.loaders): a whole date, in figures or written out.
DOCUMENT_DATE = re.compile(_alternatives(
    r"\b" + _g("d", DAY) + "/" + _g("m", MONTH) + "/" + _g("y", YEAR) + r"\b",
    r"\b" + _WRITTEN_DMY + r"\b",
), re.IGNORECASE)
# A whole date in figures as documents write it (bot.admin's sample questions), with the word
# "ngày" before it when there is one.
DATE_WITH_DAY = re.compile(r"(?:\bngày\s+)?(?<![\w/])" + _g("d", DAY) + "/" + _g("m", MONTH) + "/" + _g("y", YEAR)
                           + r"(?![\w/])", re.IGNORECASE)


def whole_date(text: str) -> DateParts | None:
    """The first whole date in figures in a text ("Hà Nội, 12/8/2018" gives 12, 8, 2018)."""
    match = re.search(NUMERIC_DATE, text)
    return parts_of(match) if match else None


def as_document_date(parts: DateParts) -> str:
    """The form documents' dates are kept in: "12/08/2018"."""
    return f"{parts.day:02d}/{parts.month:02d}/{parts.year:04d}"


_WHOLE_FIGURES = re.compile(r"(?:ngày\s+)?" + NUMERIC_DATE, re.IGNORECASE)


def written_out(text: str) -> str:
    """A whole date in figures ("26/06/2026", "ngày 5/3/2026") as Vietnamese official documents
    write it out, where a day below 10 and the months 1 and 2 keep a leading zero (Nghị định
    30/2020/NĐ-CP): "ngày 26 tháng 6 năm 2026", "ngày 05 tháng 3 năm 2026", "ngày 13 tháng 02 năm
    2026". Any other text comes back as it is."""
    match = _WHOLE_FIGURES.fullmatch(text.strip())
    if not match or not (parts := parts_of(match)).valid:
        return text
    month = f"{parts.month:02d}" if parts.month in (1, 2) else str(parts.month)
    return f"ngày {parts.day:02d} tháng {month} năm {parts.year}"


def _forms(parts: DateParts) -> list[str]:
    """One date in its canonical forms, without leading zeros: "1/7/2026", "1/7", "7/2026"."""
    day, month, year = (None if part is None else str(part) for part in parts)
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
    2026", "01/07/2026", "1-7-2026" and "1/7/2026" all give "1/7/2026" (and "1/7", "7/2026"), so
    that a date typed one way finds a text that writes it another."""
    return date_forms_of(fold(text))


def date_forms_of(folded: str) -> list[str]:
    forms: list[str] = []
    for match in _SEARCHED.finditer(folded):
        forms += _forms(parts_of(match))
    for match in _SEARCHED_FIGURES.finditer(folded):
        parts = parts_of(match)
        if parts.valid:
            forms += _forms(parts)
    return list(dict.fromkeys(forms))
