"""Names as Vietnamese texts write them: capital letters, family names, runs of capitalized words,
and the numbers of legal documents ("272-QĐ/TW", "33/2018/NĐ-CP")."""
from __future__ import annotations

import re

# Upper- and lower-case Vietnamese letters, listed: the range À-Ỹ mixes both cases ("đ" is in it).
UPPER = "A-Z" + "".join(c for c in map(chr, range(0xC0, 0x1EFA)) if c.isupper() and c.isalpha())
LOWER = "a-z" + "".join(c for c in map(chr, range(0xC0, 0x1EFA)) if c.islower() and c.isalpha())
CAPITALIZED = r"[" + UPPER + r"][" + LOWER + r"]+"  # one capitalized word

# The commonest family names: a person's name starts with one of them.
SURNAMES = ("Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Trương Đoàn "
            "Lâm Mai Tô Hà Cao Lương Thái Tạ Châu Quách Đào Trịnh Lưu Kiều Tống Vương Khúc Triệu La").split()

# The titles a person is named by ("Phó Thủ tướng Phạm Bình Minh", "Thứ trưởng Bùi Thanh Sơn"):
# whose words are reported, not what a figure is about. Folded.
PERSON_TITLES = ("pho thu tuong", "thu tuong", "bo truong", "thu truong", "pho chu tich", "chu tich",
                 "tong bi thu", "bi thu", "dai su", "tong lanh su", "lanh su", "cuc truong", "pho cuc truong",
                 "vu truong", "giam doc", "pho giam doc", "truong ban", "pho truong ban", "chu nhiem")

# A legal document's number: "272-QĐ/TW", "33/2018/NĐ-CP" (a pattern to build on: who uses it says
# what may follow).
DOCUMENT_CODE = r"\b\d+(?:/\d{4})?[-/][A-ZĐ][A-ZĐa-z]*(?:[-/][A-ZĐ]+)*"


def capitalized_runs(text: str, word: re.Pattern, gap: re.Pattern, skip_first: bool = False,
                     first_word_at: int = 0) -> list[list[re.Match]]:
    """Runs of capitalized words (proper names): the words `word` finds that begin with a capital,
    one run as long as what stands between two of them is all `gap`. With `skip_first`, a word at
    the start of the text (at `first_word_at`: after a list item's "a) ") does not count (a sentence
    begins with a capital anyway)."""
    runs: list[list[re.Match]] = []
    for match in word.finditer(text):
        if not match.group(0)[0].isupper() or (skip_first and match.start() == first_word_at):
            continue
        if runs and gap.fullmatch(text, runs[-1][-1].end(), match.start()):
            runs[-1].append(match)
        else:
            runs.append([match])
    return runs

# Provinces and centrally governed cities, as a question typed without accents (and without
# capitals) names them: the place a figure is about, which a document must name. Not "Hòa Bình" and
# "Thái Bình" (the words "hòa bình" and "thái bình" mean peace), nor Hồ Chí Minh (also the person).
PROVINCES = ("Hà Nội, Hải Phòng, Đà Nẵng, Cần Thơ, Huế, Thừa Thiên Huế, An Giang, Bà Rịa - Vũng Tàu, Bắc Giang, "
             "Bắc Kạn, Bạc Liêu, Bắc Ninh, Bến Tre, Bình Định, Bình Dương, Bình Phước, Bình Thuận, Cà Mau, Cao Bằng, "
             "Đắk Lắk, Đắk Nông, Điện Biên, Đồng Nai, Đồng Tháp, Gia Lai, Hà Giang, Hà Nam, Hà Tĩnh, Hải Dương, "
             "Hậu Giang, Hưng Yên, Khánh Hòa, Kiên Giang, Kon Tum, Lai Châu, Lâm Đồng, Lạng Sơn, Lào Cai, Long An, "
             "Nam Định, Nghệ An, Ninh Bình, Ninh Thuận, Phú Thọ, Phú Yên, Quảng Bình, Quảng Nam, Quảng Ngãi, "
             "Quảng Ninh, Quảng Trị, Sóc Trăng, Sơn La, Tây Ninh, Thái Nguyên, Thanh Hóa, Tiền Giang, Trà Vinh, "
             "Tuyên Quang, Vĩnh Long, Vĩnh Phúc, Yên Bái").split(", ")

# The home country: Vietnamese texts speak of it as "ta", "nước ta", "trong nước" ("96 cơ quan đại
# diện của ta trên thế giới") far more often than by name, so a sentence that does not name it is
# still about it. Folded search tokens ("VN" is an abbreviation, never a name a document must hold).
HOME_COUNTRY = frozenset({"viet_nam", "vietnam"})

# A legal document a question names by its number ("Nghị định 154/2026", "NĐ 61", "Thông tư số 71",
# "Decree 61"; folded text): the number names the document, which states it in its own head or
# title, not in each clause ("Nghị định này có hiệu lực …" answers without it).
DOCUMENT_REFERENCE = re.compile(r"\b(?:nghi dinh|nd|thong tu|tt|quyet dinh|qd|luat|nghi quyet|nq|chi thi|"
                                r"decree|circular|decision|resolution|law)\s+(?:so\s+|no\.?\s*)?(\d+(?:/\d{4})?)(?!\d)")
# A document's own number in its head: "Số: 154/2026/NĐ-CP", "Số hiệu: 47/2014/QH13".
OWN_NUMBER = re.compile(r"\bSố(?: hiệu)?\s*:\s*(\d+(?:/\d{4})?)")

# A legal text speaking of itself or its parts ("Nghị định này có hiệu lực …", "Luật này quy định
# …", "Chương này áp dụng …"): not an anaphora back to the sentence before. Accented, lower case.
SELF_REFERENCE = re.compile(r"^(?:nghị định|luật|bộ luật|thông tư|thông tư liên tịch|quyết định|quy chế|quy định|"
                            r"chỉ thị|nghị quyết|pháp lệnh|văn bản|chương|mục|phụ lục|khoản|điểm)\s+này\b")
