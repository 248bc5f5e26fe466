"""Numbers written out in words. Legal and administrative Vietnamese repeats a figure in words
right after it: "05 (năm) ngày làm việc", "03 (ba) chữ ký mẫu", "01 (một) bản". The words belong
to the figure: what it counts comes after them."""
from __future__ import annotations

import re

NUMBER_WORDS = ("không một mốt hai ba bốn tư năm lăm sáu bảy bẩy tám chín mười mươi trăm nghìn ngàn "
                "triệu tỷ tỉ linh lẻ rưỡi").split()
# An ordinal in words, after "thứ" ("lần thứ ba", "đứng thứ nhất"), folded; "thứ mười hai" counts on.
ORDINAL_WORDS = r"(?:nhat|hai|ba|tu|bon|nam|sau|bay|tam|chin|muoi)(?:\s+(?:mot|hai|ba|bon|tu|lam|nam|sau|bay|tam|chin))?"
# "(năm)", "(mười lăm)", "(hai mươi)": a figure's words in brackets, right after it.
SPELLED_AFTER = re.compile(r"\s*\((?:" + "|".join(NUMBER_WORDS) + r")(?:\s+(?:" + "|".join(NUMBER_WORDS) + r"))*\)",
                           re.IGNORECASE)

# "tỷ" is a figure's "billion" after a figure or a count word ("700 tỷ USD", "hàng tỷ"); heading
# "tỷ giá" (exchange rate), "tỷ lệ" (ratio), "tỷ trọng" (share), "tỷ suất" (rate), "tỷ số" (score) it
# is another word, so a question on the exchange rate is not about billions. Folded text.
RATIO_COMPOUND = re.compile(r"(?<![\d.,])(?<![\d.,]\s)\b(?:ty|ti) (?:gia|le|trong|suat|so)\b")
# A question asking for a ratio or a share is answered by a percentage, not an amount of money
# ("tỷ lệ giải ngân vốn", "bao nhiêu phần trăm ngân sách"). Folded text.
ASKS_RATIO = re.compile(r"\b(?:ty le|ti le|ty trong|ti trong|phan tram)\b|%")

# A baseline a figure is compared with ("tăng 20% so với năm 2019", "compared with 2019"): not what
# the text states, and not a figure a question pins down when it repeats it. Accented or folded text.
COMPARISON = re.compile(r"\b(?:so v(?:ới|oi)|compared (?:with|to))\b[^,.;:)?]*", re.IGNORECASE)

# What a figure counts, said in other words: "mấy tiếng" counts hours, which texts write "giờ";
# "bao nhiêu quốc gia" is answered by "21 nước" as well as "21 quốc gia". Folded words.
_COUNTED_AS: dict[tuple[str, ...], list[tuple[str, ...]]] = {
    ("tieng",): [("gio",)], ("quoc", "gia"): [("nuoc",)], ("nuoc",): [("quoc", "gia")]}


# How often: "bao nhiêu lần" is answered by a rate, "1 ngày trong 1 tháng", "2 buổi mỗi tuần",
# "một lần/năm", as often as by "N lần". What follows the figure, accented or folded text.
FREQUENCY = re.compile(r"\s+(?:ngày|ngay|buổi|buoi|lần|lan)\s*(?:trong|mỗi|moi|một|mot|/)\s*(?:\d+\s+)?"
                       r"(?:ngày|ngay|tuần|tuan|tháng|thang|quý|quy|năm|nam)\b", re.IGNORECASE)


def counted_forms(unit: list[str]) -> list[list[str]]:
    """The ways a text may write the counted thing `unit` (folded words) right after a figure: the
    unit itself first, then with its leading words said another way ("nước đối tác" for "quốc gia
    đối tác")."""
    forms = [list(unit)]
    for head, others in _COUNTED_AS.items():
        if tuple(unit[:len(head)]) == head:
            forms += [[*other, *unit[len(head):]] for other in others]
    return forms


# A Roman numeral names a congress, a chapter or an appendix ("Đại hội Đảng XII", "Chương IV",
# "Phụ lục II") where a question may write the figure ("Đại hội 12"). Upper case, two letters at
# least (a lone "V" or "X" is more often an initial or a mark), letters up to L.
ROMAN = re.compile(r"(?<![\w.])(?=[IVXL]{2,}\b)(?:XL|L?X{0,3})(?:IX|IV|V?I{0,3})(?!\w)(?!\.\w)")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50}


def roman_values(text: str) -> list[str]:
    """The figures the Roman numerals of a text stand for ("XII" → "12"), as digit strings."""
    values = []
    for match in ROMAN.finditer(text):
        letters = match.group(0)
        if not letters:
            continue
        total = sum(-_ROMAN_VALUES[a] if _ROMAN_VALUES[a] < _ROMAN_VALUES[b] else _ROMAN_VALUES[a]
                    for a, b in zip(letters, letters[1:])) + _ROMAN_VALUES[letters[-1]]
        values.append(str(total))
    return values
