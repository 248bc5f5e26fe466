"""Dates as Vietnamese texts write them, in canonical form."""
from __future__ import annotations

import re

from vietnamese.text import fold

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
    return date_forms_of(fold(text))


def date_forms_of(folded: str) -> list[str]:
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


# The dates other rooms look for, each as its job needs it.
# A date as an answer (retrieval.answering.facts). A date written out, as regulations write them
# ("01 tháng 7 năm 2026", "tháng 7 năm 2026"), comes first: read in parts it would lead with "tháng 7".
DATE_MENTION = re.compile(
    r"(?<![\d/])\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+(?:19|20)\d{2}(?!\d)|tháng\s+\d{1,2}\s+năm\s+(?:19|20)\d{2}(?!\d)"
    r"|(?<![\d/])(?:\d{1,2}\s*-\s*)?\d{1,2}/\d{1,2}(?:/\d{4})?(?![\d/])|(?<![\d/])\d{1,2}/(?:19|20)\d{2}(?![\d/])"
    r"|tháng\s+\d{1,2}(?:/\d{4})?|(?:năm|từ năm)\s+(?:19|20)\d{2}|(?<![\d/])(?:19|20)\d{2}(?![\d/])"
)
# A date's parts (knowledge.events), as named groups: day/month[/year] in figures ("6-11/11/2017"
# gives the first day), written out, a month of a year, or a year.
DATE_PARTS = re.compile(
    r"(?:ngày\s+)?(?P<d>\d{1,2})(?:\s*[-–]\s*\d{1,2})?\s*/\s*(?P<m>\d{1,2})(?:\s*/\s*(?P<y>(?:19|20)\d{2}))?(?![\d/])"
    r"|ngày\s+(?P<d2>\d{1,2})\s+tháng\s+(?P<m2>\d{1,2})(?:\s+năm\s+(?P<y2>(?:19|20)\d{2}))?"
    r"|tháng\s+(?P<m3>\d{1,2})\s*(?:/|\s+năm\s+)\s*(?P<y3>(?:19|20)\d{2})"
    r"|(?<![\d/])(?P<m4>\d{1,2})/(?P<y4>(?:19|20)\d{2})(?![\d/])"
    r"|năm\s+(?P<y5>(?:19|20)\d{2})(?![\d/])"
)
# A document's own date near its top (knowledge.loaders): a whole date, in figures or written out.
DOCUMENT_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/((?:19|20)\d{2})\b"
                           r"|\bngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+((?:19|20)\d{2})\b", re.IGNORECASE)
# A whole date in figures as documents write it (bot.admin's sample questions), with the word
# "ngày" before it when there is one.
DATE_WITH_DAY = re.compile(r"(?:\bngày\s+)?(?<![\w/])\d{1,2}/\d{1,2}/(?:19|20)\d{2}(?![\w/])", re.IGNORECASE)
