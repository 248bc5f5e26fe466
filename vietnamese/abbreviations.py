"""Abbreviations officers type, with what they stand for."""
from __future__ import annotations

import re

from vietnamese.text import fold

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
FOLDED_ABBREVIATIONS = {fold(k): fold(v) for k, v in ABBREVIATIONS.items()}
# Abbreviations officers type in procedure names, folded -> folded expansion (procedure names and
# the questions about them are both expanded).
PROCEDURE_ABBREVIATIONS = {
    "gcn": "giay chung nhan", "gp": "giay phep", "dn": "doanh nghiep", "ubnd": "uy ban nhan dan",
    "tthc": "thu tuc hanh chinh", "xnc": "xuat nhap canh", "nn": "nuoc ngoai", "vn": "viet nam",
    "htx": "hop tac xa", "cccd": "can cuoc cong dan", "cmnd": "chung minh nhan dan", "bhxh": "bao hiem xa hoi",
    "bhyt": "bao hiem y te", "qsdd": "quyen su dung dat", "tw": "trung uong", "tp": "thanh pho",
    "gplx": "giay phep lai xe", "dkkd": "dang ky kinh doanh", "hc": "ho chieu", "tt": "thi thuc",
    "nd": "nghi dinh", "qd": "quyet dinh", "ttg": "thu tuong", "bca": "bo cong an", "btc": "bo tai chinh",
    "hs": "ho so", "sdd": "su dung dat", "cn": "chung nhan", "khcn": "khoa hoc cong nghe",
}


def procedure_words(text: str) -> list[str]:
    """The folded words of a procedure's name or a question about one, abbreviations expanded."""
    out = []
    for token in re.findall(r"\w+", fold(text)):
        out.extend(PROCEDURE_ABBREVIATIONS.get(token, token).split())
    return out


# An abbreviation a writer coins is the initials of the syllables it stands for: "KTNV" is "kỹ
# thuật nghiệp vụ", "ĐVSNCL" "đơn vị sự nghiệp công lập", "KH&CN" "khoa học và công nghệ".
# Typed in capitals, or in lower case when it has no vowel, which no Vietnamese syllable lacks
# ("vtvl", "csdl"); two letters are too ambiguous to spell out.
_COINED = re.compile(r"(?<![\w&])([A-ZĐ]{2,}(?:&[A-ZĐ]+)?|[b-df-hj-np-tv-xzđ]{3,})(?![\w&])")


def coined_abbreviations(text: str) -> list[tuple[str, str]]:
    """The abbreviations a question uses that are not in our own list, each with its initials
    (folded, "&" read as "và"): [("KTNV", "ktnv"), ("KH&CN", "khvcn")]."""
    found = []
    for match in _COINED.finditer(text):
        key = fold(match.group(1)).replace("&", "v")
        if len(key) >= 3 and fold(match.group(1)) not in FOLDED_ABBREVIATIONS:  # ours are expanded already
            found.append((match.group(1), key))
    return found


def initials(words: list[str]) -> str:
    """One letter per word: its first, folded ("kỹ thuật nghiệp vụ" -> "ktnv")."""
    return "".join(fold(word[0]) for word in words)
