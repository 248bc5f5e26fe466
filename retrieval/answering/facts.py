"""Find the asked-for fact inside a sentence: a figure with its unit, a date, a person, a place or
a quoted name. Candidates the question itself already states are never the answer."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from knowledge.markup import ITEM_START
from vietnamese.names import CAPITALIZED as _CAPITALIZED, DOCUMENT_CODE, LOWER, SURNAMES, capitalized_runs
from vietnamese.dates import DATE_MENTION
from vietnamese.numbers import FREQUENCY, ORDINAL_WORDS, SPELLED_AFTER, counted_forms
from vietnamese.text import fold

_UNITS = r"(?:%|tỷ USD|triệu USD|nghìn tỷ đồng|tỷ đồng|triệu đồng|USD|tỷ|triệu|nghìn|ngàn)"
_NUMBER = re.compile(
    r"(?:(?:gần|khoảng|trên|hơn|tới|đến|chừng|ước đạt trên|ước đạt|đạt)\s+)?"
    # A range ("6-7 giờ", "50-60%") is one figure; a date range ("6-11/11/2017") is not a number.
    r"(?<![\d/.,-])(\d+(?:[.,]\d+)*(?:/\d+)?(?:\s?[-–]\s?\d+(?:[.,]\d+)*)?)(?![\d/-]|[.,]\d)(\s*" + _UNITS + r")?"
)
_PERSON = re.compile(r"\b(?:" + "|".join(SURNAMES) + r")(?:\s+" + _CAPITALIZED + r"){1,3}\b")
_PLACE = re.compile(r"\b(?:tại|ở)\s+((?:(?:TP\.|Tp\.|tỉnh|thành phố|thủ đô)\s*)?" + _CAPITALIZED +
                    r"(?:\s+" + _CAPITALIZED + r"){0,3})")
_ORGANIZATION = re.compile(r"\b(?:Bộ|Sở|Cục|Ban|Ủy ban|UBND|Văn phòng|Hội đồng|Tổng cục|Thành ủy|Tỉnh ủy)"
                           r"(?:\s+" + _CAPITALIZED + r"(?:\s+[" + LOWER + r"]+)?){1,3}")
# Who heads the body, named before it: "Bộ trưởng Bộ Tài chính quy định …" is the minister's decision.
_HEAD_BEFORE = re.compile(r"(?:Bộ trưởng|Thứ trưởng|Thủ trưởng|Chủ tịch|Phó Chủ tịch|Giám đốc|Phó Giám đốc|"
                          r"Cục trưởng|Trưởng ban|Chánh Văn phòng|Người đứng đầu)\s+$")
# Bodies named together ("Sở Tư pháp và Sở Ngoại vụ thẩm định …", "Bộ trưởng Bộ Tài chính, Bộ trưởng Bộ
# Ngoại giao quyết định …") answer together.
_JOINED = re.compile(r"\s*(?:,|và|hoặc)\s*")
_PLACE_BEFORE = re.compile(r"(?:tại|ở|thành phố|tỉnh|TP\.|Tp\.|thủ đô|Thủ đô|đến|tới|với)\s*$")
_QUOTED = re.compile(r"[“\"«]([^”\"»]{8,240})[”\"»]")


# "ban hành theo văn bản nào", "quyết định nào": the answer is a document number such as 272-QĐ/TW.
_ASKS_FOR_DOCUMENT = re.compile(r"\b(van ban|quyet dinh|nghi dinh|nghi quyet|ket luan|chi thi|thong tu|huong dan|so hieu)"
                                r"(?:\s+[a-z]+){0,2}\s+nao\b")
_DOCUMENT_CODE = re.compile(DOCUMENT_CODE + r"\b")
# "có hiệu lực từ ngày nào?", "when does it take effect?" (folded): the date of effect is asked.
_ASKS_EFFECT = re.compile(r"\bhieu luc\b|\beffective\b|\btakes? effect\b|\bin force\b")


# "địa phương nào", "tỉnh nào", "nước nào": the answer is a proper name.
_ASKS_FOR_NAMED = re.compile(r"\b(dia phuong|tinh|thanh pho|nuoc|quoc gia|to chuc|co quan|doi tac|thu do|vung|khu vuc|"
                             r"tap doan|cong ty)\s+nao\b")
_GENERIC_CAPITALS = {"thu", "mot", "hai", "ba", "bon", "nam", "theo", "trong", "ngoai", "tai", "ong", "cuc", "bo",
                     "so", "hoi", "uy", "chu", "pho", "tong", "dai", "lanh", "thanh", "tinh", "viet",
                     "khoan", "dieu", "diem", "chuong", "muc", "phu", "luat"}  # "Khoản 1, Điều 8 Luật …": references


_NAME_WORD = re.compile(r"[^\W\d_][\w-]*")
_SPACES = re.compile(r"\s+")


def _capitalized_runs(sentence: str) -> list[tuple[int, int]]:
    """Offsets of runs of capitalized words (proper names), not counting the sentence's first word."""
    item = ITEM_START.match(sentence)  # "a) Tiếp nhận …": "Tiếp" opens the sentence
    return [(run[0].start(), run[-1].end())
            for run in capitalized_runs(sentence, _NAME_WORD, _SPACES, skip_first=True,
                                        first_word_at=item.end() if item else 0)]


def _owning_document(sentence: str, position: int, numbers: list[str]) -> bool | None:
    """Whose date is it? "Quyết định 272-QĐ/TW ngày 21/01/2015": the document number just before a
    date owns it. True when that number is one the question asks about, False when it is another
    document's, None when no document number stands close before the date."""
    before = sentence[max(0, position - 70):position]
    codes = list(_DOCUMENT_CODE.finditer(before))
    if not codes or not numbers:
        return None
    return any(part in numbers for part in re.findall(r"\d+", codes[-1].group(0)))


def names_others(sentence: str, question_folded: str) -> bool:
    """True when the sentence gives a proper name that the question does not."""
    for start, end in _capitalized_runs(sentence):
        name = fold(sentence[start:end])
        if name not in question_folded and name.split()[0] not in _GENERIC_CAPITALS:
            return True
    return False


@dataclass
class Fact:
    text: str
    start: int
    end: int
    score: float
    copula: bool = False  # found as "X là <the question's phrase>"
    unit_words: int = 0  # words after a figure that repeat what the question counts
    owner: bool | None = None  # a date right after a document number: the question's (True) or another's


# A number that names a part of a text or a form ("khoản 2", "Điều 5", "điểm b khoản 2 Điều này",
# "Mẫu số 02", "Nghị định số 82") refers; it does not count anything, so it is never a figure's answer.
_REFERENCE_BEFORE = re.compile(r"\b(?:khoản|điều|điểm|chương|mục|phần|phụ lục|mẫu|số)\s*$", re.IGNORECASE)


# A currency right after a figure ("5.000.000 đồng", "270 triệu USD", "2 tỷ đồng"): what answers a
# question about an amount of money.
_CURRENCY = re.compile(r"\s*(?:(?:nghìn|ngàn|triệu|tỷ|tỉ)\s+)*(?:đồng(?!\s+chí)|VNĐ|VND|USD|đô la|đô-la|euro|EUR|yên|"
                       r"bảng Anh|nhân dân tệ|won|rúp)(?!\w)", re.IGNORECASE)
_PERCENT = re.compile(r"\s*%")


def _is_date_like(value: str) -> bool:
    parts = value.split("/")
    return len(parts) == 2 and all(p.isdigit() for p in parts) and int(parts[0]) <= 31 and int(parts[1]) <= 12


# Where a clause of an enumeration ends: a semicolon, or a comma before a space ("14,8%" is a figure).
_CLAUSE_BREAK = re.compile(r";|,(?=\s)")
CLAUSE_WEIGHT = 0.5  # each question word in the same clause as a value, on top of its nearness


def _clause_breaks(sentence: str) -> list[int]:
    """Where the sentence's clauses end (each break one character), its length last."""
    return [m.start() for m in _CLAUSE_BREAK.finditer(sentence)] + [len(sentence)]


def _salience(position: int, anchors: dict[str, list[int]], breaks: list[int]) -> float:
    """How densely the question's words surround a position: each word counts once, by its
    nearest occurrence, so a candidate among many of the question's words wins; a word in the
    value's own clause (between two `_clause_breaks`) counts more. In "Hà Nội với tỉnh Fukuoka
    (02/2018), thành phố Hải Phòng với thành phố Kitakyushu (4/2009)" a date belongs to the pair
    before it, not to the words of the sentence's opening ("ký kết Bản ghi nhớ") however near."""
    near = sum(1.0 / (1.0 + min(abs(position - p) for p in places) / 50.0) for places in anchors.values())
    start = max((b + 1 for b in breaks if b < position), default=0)
    end = next(b for b in breaks if b >= position)
    return near + CLAUSE_WEIGHT * sum(any(start <= p < end for p in places) for places in anchors.values())


def anchors_in(sentence: str, words: list[str]) -> dict[str, list[int]]:
    """Character positions in the sentence of each of the question's words (folded match)."""
    folded = fold(sentence)
    found: dict[str, list[int]] = {}
    for word in words:
        if word not in folded:  # most of the question's words are not in a given sentence: skip the regex
            continue
        places = [m.start() for m in re.finditer(r"(?<![\w/])" + re.escape(word) + r"(?![\w])", folded)]
        if places:
            found[word] = places
    return found


def _unit_words(sentence: str, end: int, unit: list[str]) -> str:
    """The words right after a number that repeat the question's unit ("119 thỏa thuận"); a
    punctuation mark ends them ("41/63 tỉnh, thành" counts "tỉnh"): the fact is cut from the
    sentence by their length, so they must be contiguous. A count of "lần" may be written as a
    rate (`FREQUENCY`)."""
    rest = sentence[end:end + 80]
    best = ""
    for form in counted_forms(unit):  # "21 nước" counts what "bao nhiêu quốc gia" asks
        taken = ""
        for expected in form:
            word = re.match(r"\s+([^\s,.;:()]+)", rest[len(taken):])
            if word is None or fold(word.group(1)) != expected:
                break
            taken += word.group(0)
        best = max(best, taken, key=len)
    if not best and unit == ["lan"] and (rate := FREQUENCY.match(sentence, end)):
        return rate.group(0)  # "bao nhiêu lần": "1 ngày mỗi tháng"
    return best


def _copula_fact(sentence: str, question_folded: str) -> Fact | None:
    """"X là <phrase of the question>" answers "<phrase> là gì?": X is the fact."""
    for match in re.finditer(r"\blà\b", sentence):
        after = fold(sentence[match.end():match.end() + 60]).split()
        shared = 0
        while shared < len(after) and " ".join(after[:shared + 1]).strip(",.") in question_folded:
            shared += 1
        if shared >= 2:
            before = re.split(r"[,;:]|\btrong đó\b|\bđó\b", sentence[:match.start()])[-1].strip()
            words = before.split()
            if 1 <= len(words) <= 8:
                start = match.start() - len(before) - 1
                return Fact(before, max(start, 0), match.start(), 1.5 + shared * 0.2, copula=True)
    return None


def defines(sentence: str, term: str) -> bool:
    """Whether a sentence defines `term` (folded words) or its leading words (two at least: "bậc
    nghề nghiệp" of "bậc nghề nghiệp của vị trí việc làm"), as a definitions article does: "3. Tiếp
    công dân trực tuyến là hình thức …", "a) Giấy thông hành (GTH) là giấy tờ …"."""
    words, folded = term.split(), fold(sentence).strip(" “\"")
    for size in range(len(words), min(2, len(words)) - 1, -1):
        if re.match(r"(?:\d+[.),]\s*|[a-zđ]\)\s*)?" + re.escape(" ".join(words[:size])) +
                    r"(?:\s*\([^)]{1,40}\))?\s+(?:la|duoc hieu la)\b", folded):
            return True
    return False


def _bodies(sentence: str) -> list[tuple[re.Match, str]]:
    """Each body a sentence names, with what an answer naming it says: the body with the head named
    before it, and with the bodies named together with it ("Giám đốc Sở Tư pháp và Giám đốc Sở Ngoại vụ")."""
    groups: list[tuple[int, int, list[re.Match]]] = []  # (start, end, the bodies) of each run named together
    for match in _ORGANIZATION.finditer(sentence):
        head = _HEAD_BEFORE.search(sentence, 0, match.start())
        start = head.start() if head else match.start()
        if groups and _JOINED.fullmatch(sentence, groups[-1][1], start):
            groups[-1] = (groups[-1][0], match.end(), groups[-1][2] + [match])
        else:
            groups.append((start, match.end(), [match]))
    return [(match, sentence[start:end]) for start, end, matches in groups for match in matches]


def find_fact(kind: str, sentence: str, question_folded: str, numbers: list[str], unit: list[str],
              content_words: list[str], strict_unit: bool = True, money: bool = False, label: str = "",
              count: bool = False) -> Fact | None:
    """The best candidate of the asked-for kind in the sentence, or None. `money`: only a figure in
    a currency answers. `label`: the word that names the figure before it ("bậc" of "bậc mấy?").
    `count`: things are counted ("how many …?"), so neither a sum of money nor a percentage answers."""
    anchors, breaks = anchors_in(sentence, content_words + numbers), _clause_breaks(sentence)
    salience = functools.partial(_salience, anchors=anchors, breaks=breaks)  # of a position in this sentence
    candidates: list[Fact] = []
    if kind == "number" and label:  # "bậc 4", "loại A0", "thứ ba": the label and what follows it
        words = "|" + ORDINAL_WORDS if label == "thu" else ""
        for match in re.finditer(r"(?<!\w)" + re.escape(label) + r"\s+(\d+|[a-z]{1,2}\d+(?:\.\d+)?" + words + r")(?!\w)",
                                 fold(sentence)):
            if match.group(1) not in numbers:
                candidates.append(Fact(sentence[match.start():match.end()], match.start(), match.end(),
                                       salience(match.start()) + 2.5))
    if kind == "number":
        for match in _NUMBER.finditer(sentence):
            value = match.group(1)
            preceding = sentence[max(0, match.start() - 12):match.start()]
            if value in numbers or _is_date_like(value) or _REFERENCE_BEFORE.search(preceding):
                continue
            spelled = SPELLED_AFTER.match(sentence, match.end()) if not match.group(2) else None
            after = spelled.end() if spelled else match.end()  # "05 (năm) ngày": the unit follows the words
            unit_words = _unit_words(sentence, after, unit)
            if strict_unit and unit and not unit_words and not match.group(2):
                continue  # "bao nhiêu chương?" is not answered by a number of something else
            currency = _CURRENCY.match(sentence, match.end(1)) if money or count else None
            if money and not currency:
                continue  # "bị phạt tiền bao nhiêu?" is not answered by "24 giờ"
            if count and (currency or _PERCENT.match(sentence, match.end(1))):
                continue  # "how many projects?" is not answered by "700 tỷ USD" or "14,8%"
            is_year = re.fullmatch(r"(19|20)\d{2}", value) is not None
            score = salience(match.start())
            if unit_words:
                score += 2.0
            elif match.group(2):
                score += 0.5
            if is_year and not unit_words:
                score -= 1.5
            end = after + len(unit_words)
            if currency:  # the currency is the unit asked for: "5.000.000 đồng", "2 tỷ đồng"
                end = max(end, currency.end())
                score += 2.0
            candidates.append(Fact(sentence[match.start():end].strip(), match.start(), end, score,
                                   unit_words=len(unit_words.split())))
    elif kind == "date":
        for match in DATE_MENTION.finditer(sentence):
            value = match.group(0)
            digits = re.findall(r"\d+", value)
            if value in numbers or (len(digits) == 1 and digits[0] in numbers) or \
                    (len(digits) == 3 and "/".join(str(int(d)) for d in digits) in numbers):  # the question's own date
                continue
            score = salience(match.start()) + 0.3 * len(digits)
            owner = _owning_document(sentence, match.start(), numbers)
            if owner and _ASKS_EFFECT.search(question_folded):
                continue  # "Số: 154/2026/NĐ-CP, ngày 15 tháng 5" is when it was issued, not when it takes effect
            if owner is False:
                continue  # "… theo Nghị định số …/…/NĐ-CP ngày …": the cited document's issue date
            if owner:
                score += 1.0
            candidates.append(Fact(value, match.start(), match.end(), score, owner=owner))
    elif kind == "person":
        for match in _PERSON.finditer(sentence):
            if fold(match.group(0)) in question_folded or _PLACE_BEFORE.search(sentence[:match.start()]):
                continue  # "tại Hà Nội" is a place, though Hà is also a family name
            candidates.append(Fact(match.group(0), match.start(), match.end(), salience(match.start())))
        if not candidates:  # "do ai tổ chức?": the answer may be a body, not a person
            for match, said in _bodies(sentence):
                if fold(match.group(0)) not in question_folded:
                    # Found and weighed as the body itself; said with its head and the bodies named with it.
                    candidates.append(Fact(said, match.start(), match.end(), salience(match.start()) - 0.5))
    elif kind == "place":
        for match in _PLACE.finditer(sentence):
            place = match.group(1)
            if fold(place) in question_folded:
                continue
            candidates.append(Fact(place, match.start(1), match.end(1), salience(match.start())))
    elif kind == "theme":
        for match in _QUOTED.finditer(sentence):
            if fold(match.group(1)) in question_folded:
                continue
            announced = re.search(r"chủ đề|khẩu hiệu|phương châm", sentence[max(0, match.start() - 40):match.start()])
            candidates.append(Fact(match.group(1).strip(), match.start(1), match.end(1),
                                   salience(match.start()) + (2.0 if announced else 0.0)))
    elif kind == "name":
        if _ASKS_FOR_DOCUMENT.search(question_folded):
            for match in _DOCUMENT_CODE.finditer(sentence):
                # The document the question itself names ("NĐ 244/2026 thay thế …") is not its answer.
                names_asked = any(re.match(re.escape(n) + r"(?!\d)", match.group(0)) for n in numbers)
                if fold(match.group(0)) not in question_folded and not names_asked:
                    candidates.append(Fact(match.group(0), match.start(), match.end(),
                                           1.0 + salience(match.start())))
        for match in _QUOTED.finditer(sentence):
            if fold(match.group(1)) in question_folded:
                continue
            candidates.append(Fact(match.group(1).strip(), match.start(1), match.end(1),
                                   salience(match.start())))
        if _ASKS_FOR_NAMED.search(question_folded):
            for start, end in _capitalized_runs(sentence):
                name = sentence[start:end]
                if fold(name) in question_folded or fold(name).split()[0] in _GENERIC_CAPITALS:
                    continue
                candidates.append(Fact(name, start, end, salience(start) - 0.5))
        copula = _copula_fact(sentence, question_folded)
        if copula:
            candidates.append(copula)
    if not candidates:
        return None
    return max(candidates, key=lambda fact: fact.score)


# Words that end the noun phrase after a figure: "10 ngày làm việc kể từ …" stops at "kể", "30 mặt
# hàng có kim ngạch …" at the verb "có".
_PHRASE_END = set("""kể từ trước sau của và hoặc để cho theo đối với tại trong khi thì là được đã sẽ các những nhưng
mà nếu do bởi về trên dưới đến tới cùng này đó kèm có đạt chiếm""".split())


def with_unit(sentence: str, fact: Fact) -> str:
    """A figure with what it counts: "10" or "10 ngày" becomes "10 ngày làm việc" when the words
    after it continue the unit (up to four words after the number, to the next punctuation or
    function word)."""
    number = re.search(r"\d[\d.,/]*", fact.text)
    if number is None:
        return fact.text
    already = len(fact.text[number.end():].split())
    words = re.match(r"((?:\s+[^\W\d_][\w-]*){1,4})", sentence[fact.end:])
    if not words or already >= 4:
        return fact.text
    taken = []
    for word in words.group(1).split()[:4 - already]:
        if word.lower() in _PHRASE_END:
            break
        taken.append(word)
    return " ".join([fact.text] + taken)
