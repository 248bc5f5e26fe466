"""What a question asks for: its kind of answer, its content words, and the numbers it pins down."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from vietnamese.abbreviations import FOLDED_ABBREVIATIONS as _FOLDED_ABBREVIATIONS
from vietnamese.dates import date_forms
from vietnamese.english import how_many, looks_english
from vietnamese.names import DOCUMENT_REFERENCE, HOME_COUNTRY, PERSON_TITLES, PROVINCES, SURNAMES
from vietnamese.numbers import ASKS_RATIO, COMPARISON, RATIO_COMPOUND
from vietnamese.search import search_tokens
from vietnamese.text import fold, has_diacritics, normalize
from retrieval.index.lexical import ACCENT_MARK, index_tokens

# Function words that say nothing about the subject (accented; their folded forms are derived).
_STOPWORDS = set("""
các những của là và có được đã đang sẽ trong với cho theo về tại ở này đó nào gì bao nhiêu mấy ai khi
thì sao như thế không hay hoặc một ra vào đến từ bằng bởi vì để nếu còn lại cũng rất nhất hơn nữa đâu
nơi làm gồm bị mà do tới nhé ạ vậy hãy biết năm ngày tháng khoảng gần trên lần thứ số qua nay hiện giờ
việc cái chiếc người nhau ấy kia đây hả à ơi xin hỏi cho
phần trăm số liệu nêu thông tin tài liệu cho biết
""".split())
# Without accents a function word can be a content word too ("nơi"/"Nội", "năm"/"Nam", "nhất"/
# "Nhật", "số"/"Sở", "để"/"đề"): such folds stay content words, their low rarity keeps them light.
_AMBIGUOUS_FOLDS = set("ha noi hoi tai dang de nhat so qua cung gan den hien".split())
_FOLDED_STOPWORDS = {fold(w) for w in _STOPWORDS} - _AMBIGUOUS_FOLDS
# Words that open a question before the name it is about ("Ngoài Lý Sơn Sa Huỳnh, …", "Sau Hội nghị
# …", "Anh Chung nói …": a form of address): capitalized as its first word, never part of that name.
_LEADING_WORDS = set("ngoài sau trước giữa bên cùng riêng đối nhờ kể tính dựa trừ anh chị ông bà em cô chú bác".split())
_ENGLISH_STOPWORDS = set("""
the a an what how many much who whom when where which is are was were did do does of in on at to for
with by from and or has have had be been that this it its their there as about according please tell me
""".split())

# Question words, written with their accents; the first kind that matches wins. An accented
# question is matched as written ("Sở" is a department, not "số"; "máy" is not "mấy"), and its
# words typed without accents by their folded form; an unaccented question by the folded form.
_KIND_PATTERNS = [
    ("date", r"\b(khi nào|ngày nào|năm nào|tháng nào|thời gian nào|thời điểm nào|bao giờ|lúc nào|"
             r"ngày bao nhiêu|ngày mấy|từ ngày nào|when|what date|what year|which year|what day)\b"
             r"|^(ngày|năm|thời gian|thời điểm) (ban hành|thành lập|tổ chức|ký|diễn ra|khai mạc)\b"),
    ("number", r"\b(bao nhiêu|mấy|bao lâu|how many|how much|how long|what percentage|what percent|what (?:\w+ )?rate|"
               r"what share|what proportion|"
               r"phần trăm|tỷ lệ|tỉ lệ)\b"
               r"|^(số lượng|số)\b"),  # a keyword question: "Số cơ quan đại diện ở nước ngoài?"
    ("person", r"(^|\s)(ai|who|whom)\b"),
    ("place", r"\b(ở đâu|tại đâu|nơi nào|địa điểm nào|where|in which city|in which province|"
              r"(?:tại|ở) (?:thành phố|tỉnh|địa phương|quốc gia|nước) nào)\b"),
    ("procedure", r"\b(như thế nào|thế nào|làm gì|cần làm gì|làm thế nào|thủ tục|quy trình|các bước|how to|how should|how do)\b"),
    ("theme", r"\b(chủ đề|khẩu hiệu|phương châm|theme|slogan|motto)\b"),
    ("name", r"\b(là gì|gì|nào|what|which|tên)\b"),
]
_KINDS = [(name, re.compile(pattern), re.compile(fold(pattern))) for name, pattern in _KIND_PATTERNS]
_NUMBER = re.compile(r"\d+(?:[.,/-]\d+)*")
_FOLDED_SURNAMES = {fold(name) for name in SURNAMES}
# A province named in a question typed without accents: its folded words as one pattern.
_FOLDED_PROVINCES = re.compile(r"\b(?:" + "|".join(
    sorted({re.escape(" ".join(fold(p).replace("-", " ").split())) for p in PROVINCES}, key=len, reverse=True))
    + r")\b")
_YES_NO = re.compile(r"\b(?:co|duoc|phai|la)\b.*\b(?:khong|chua)\s*\W*$|\b(?:hay khong|dung khong|phai khong)\b")
_TIME_UNITS = {"ngay", "thang", "nam", "gio", "phut", "tuan", "lan"}
_COUNTED = _TIME_UNITS | {"nguoi"}  # function words elsewhere, what is counted after "bao nhiêu"
_GENERIC_COUNTERS = {"diem", "noi", "van", "loai", "muc", "cai", "y", "phan"}
# "bị phạt tiền bao nhiêu?", "phụ cấp … bao nhiêu?": an amount of money is asked, so only a figure in
# a currency answers (not "24 giờ" or "02 bộ"). Written words with accents; without accents only
# phrases that cannot be read another way ("tien" alone may be "tiến", "phi" may be "phi chính phủ").
_MONEY = re.compile(r"\b(?:tiền|phí|phụ cấp|lương|ngân sách|vốn)\b")
_MONEY_FOLDED = re.compile(r"\b(?:so tien|phat tien|bao nhieu tien|muc phat|phu cap|le phi|chi phi|kinh phi|hoc phi|"
                           r"muc luong|tien luong|ngan sach)\b")
_FOLDED_ABBREVIATION_KEYS = set(_FOLDED_ABBREVIATIONS)
_ORDINAL = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b", re.IGNORECASE)
# Questions that ask for a list of documents, steps or conditions (general wording, folded).
_ASKS_FOR_LIST = re.compile(
    r"\b(gom nhung|bao gom|gom gi|nhung gi|nhung (?:giay to|tai lieu|buoc|dieu kien|noi dung|nhiem vu|viec|"
    r"truong hop|hanh vi|co quan|don vi|hinh thuc|loai)|cac buoc|trinh tu|thu tuc|quy trinh|dieu kien|ho so|"
    r"liet ke|nhiem vu va quyen han|what documents|which documents|steps|procedure|list)\b")


EXAMPLE = "Năm 2020 các địa phương ký bao nhiêu thỏa thuận quốc tế?"
EMPTY_QUESTION = "Anh/chị chưa nhập câu hỏi. Xin gõ câu hỏi, ví dụ: “{example}”"
NO_WORDS = "Tôi chỉ hiểu câu hỏi viết bằng chữ. Xin gõ câu hỏi, ví dụ: “{example}”"
TOO_LONG = ("Câu hỏi quá dài ({length} ký tự; tối đa {limit} ký tự). "
            "Xin anh/chị rút gọn, chỉ giữ phần câu hỏi chính.")
_CONTROL_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}


class InvalidQuestion(ValueError):
    """The text cannot be asked; `message` says why, in Vietnamese, for the user."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason  # "empty", "no_words" or "too_long"


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", ".")  # Vietnamese groups digits with dots


def clean_question(text: str | None, max_chars: int, example: str = EXAMPLE) -> str:
    """The question to ask, or InvalidQuestion with a reply for empty, too long or wordless text.
    Every channel and the CLI go through this one check."""
    text = unicodedata.normalize("NFC", text or "")
    sent_length = len(text)  # what the user sent, as they would count it
    # Control and format characters (NUL, bidi marks, zero-width joiners) carry no meaning here.
    text = "".join(" " if unicodedata.category(ch) in _CONTROL_CATEGORIES else ch for ch in text)
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise InvalidQuestion(EMPTY_QUESTION.format(example=example), "empty")
    if len(text) > max_chars:
        raise InvalidQuestion(TOO_LONG.format(length=_thousands(sent_length), limit=_thousands(max_chars)),
                              "too_long")
    if not any(ch.isalnum() for ch in text):  # emoji, stickers as text, punctuation only
        raise InvalidQuestion(NO_WORDS.format(example=example), "no_words")
    return text


@dataclass
class Question:
    raw: str
    text: str
    english: bool
    accented: bool
    kind: str
    tokens: list[str] = field(default_factory=list)  # for BM25
    content: list[str] = field(default_factory=list)  # unigrams whose presence shows relevance
    bigrams: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)  # figures the evidence must mention
    unit: list[str] = field(default_factory=list)  # folded words after "bao nhiêu": what is counted
    entities: list[list[str]] = field(default_factory=list)  # names the evidence's document must mention
    subjects: list[list[str]] = field(default_factory=list)  # those that are not people (places, bodies)
    wants_list: bool = False  # asks for documents, steps or conditions: the answer is a list
    yes_no: bool = False  # "… có phải … không?", "… được … không?": the clause that settles it answers
    ordinals: list[tuple[str, str]] = field(default_factory=list)  # ("33", "giao") from "Ngoại giao lần thứ 33"
    money: bool = False  # a figure question about an amount of money, with no unit named after "bao nhiêu"
    label: str = ""  # folded word before "mấy" that names the figure ("bậc mấy?" is answered "bậc 4")
    # An English question's counted thing that the glossary put in Vietnamese ("agreements": "thỏa
    # thuận"), so a figure must count it as a Vietnamese question's must; an unknown word cannot be checked.
    unit_translated: bool = False
    count: bool = False  # "how many …?" counts things: never answered by a sum of money or a percentage
    documents: list[str] = field(default_factory=list)  # numbers naming a legal document ("Nghị định 154/2026")
    defined: str = ""  # the folded term whose definition is asked ("giấy thông hành là gì?": "giay thong hanh")
    when: bool = False  # asked "khi nào / bao giờ / lúc nào / when": a date or, in a regulation, a condition


def analyze(raw: str) -> Question:
    text = normalize(raw).strip()
    english = looks_english(text)
    english_ordinals = []
    if english:  # "the 18th conference": an ordinal no word of ours anchors (the text writes "lần thứ 18")
        english_ordinals = [(m.group(1), "") for m in _ORDINAL.finditer(text)]
        text = _ORDINAL.sub(r"\1", text)
    accented = has_diacritics(text)
    folded = fold(text)
    kind, asked = "other", None
    lowered = text.lower()
    for name, written, folded_pattern in _KINDS:
        # Accented: as written, or (a word typed without accents) folded, never an accented word folded.
        asked = (written.search(lowered) or folded_pattern.search(lowered)) if accented else folded_pattern.search(folded)
        if asked:
            kind = name
            break
    if kind == "number" and not accented and re.search(r"\bmay\b", folded) and "bao nhieu" not in folded:
        kind = "number" if re.search(r"\bmay \w", folded) else "other"  # "mấy X" counts; "máy" is rare here

    folded_tokens = search_tokens(text, english=english)
    # The question phrase itself ("ngày nào", "bao nhiêu", "ở đâu") is not what the evidence must
    # contain; folding keeps one character per character, so the span is the same in `text`.
    asked_text = text[:asked.start()] + " " + text[asked.end():] if asked and len(folded) == len(text) else text
    tokens = folded_tokens + ([t for t in index_tokens(text) if t.startswith(ACCENT_MARK)] if accented else [])
    stop = _ENGLISH_STOPWORDS | _FOLDED_STOPWORDS if english else _FOLDED_STOPWORDS
    if accented:
        words = [t for t in search_tokens(asked_text, accented=True) if "_" not in t]
        content = [ACCENT_MARK + w for w in words
                   if w not in _STOPWORDS and not w[0].isdigit() and fold(w) not in _FOLDED_ABBREVIATIONS]
    else:
        content = [t for t in search_tokens(asked_text, english=english)
                   if "_" not in t and t not in stop and not t[0].isdigit() and t not in _FOLDED_ABBREVIATIONS]
    if english:
        content = [t for t in content if t not in _ENGLISH_STOPWORDS]
    if RATIO_COMPOUND.search(folded):  # "tỷ giá": not the "tỷ" (billion) of a figure
        content = [t for t in content if fold(t.removeprefix(ACCENT_MARK)) not in ("ty", "ti")]
    # Figures the evidence must state. A small bare count ("mấy tháng 1 lần", "2 bộ trở lên") is
    # phrasing, not what is asked about; an ordinal ("lần thứ 2") or a code ("05-HD") still pins.
    numbers = [n for n in dict.fromkeys(_NUMBER.findall(_pinned_text(folded)))
               if not (len(n) == 1 and not re.search(r"\b(?:thứ|thu|số|so)\s+" + n + r"\b|\b" + n + r"[-/]", text))]
    # A date is pinned in its canonical form ("01/07/2026" as "1/7/2026"), as texts are read.
    numbers = list(dict.fromkeys((date_forms(n) or [n])[0] if "/" in n else n for n in numbers))
    # The year of the article the question cites ("theo bài viết đầu năm 2020 của …", "Son's article of
    # January 2020") dates the document, not the figure asked: the document must state it somewhere.
    dated = {m.group(1) or m.group(2) for m in _ARTICLE_YEAR.finditer(folded)}
    numbers = [n for n in numbers if n not in dated]
    bigrams = [t for t in folded_tokens if "_" in t and not all(p in _FOLDED_STOPWORDS for p in t.split("_"))]

    unit: list[str] = []
    # Not after "thứ": "lần thứ mấy tổ chức" asks which time, it counts no "tổ chức".
    match = re.search(r"\b(?<!thu )(?:bao nhieu|may)\s+((?:\w+\s*){1,3})", folded) if kind == "number" else None
    if kind == "number" and not match and not (accented and not text.lower().startswith("số")):
        # "Số cơ quan đại diện …?": what follows "số" is counted (with accents, "Sở Tư pháp …" is a body)
        match = re.search(r"^(?:so luong|so)\s+((?:\w+\s*){1,3})", folded)
    if match:
        folded_words = match.group(1).split()
        # With accents, "cơ" is not the stopword "có": judge each word as it was written.
        typed = text.lower()[match.start(1):match.end(1)].split() if len(folded) == len(text) else folded_words
        for word, as_written in zip(folded_words, typed if len(typed) == len(folded_words) else folded_words):
            # Unaccented, "co" right after "bao nhiêu"/"số" is "cơ (quan)", never the verb "có".
            is_stop = as_written in _STOPWORDS if accented else (word in _FOLDED_STOPWORDS and word != "co")
            is_stop = is_stop and word not in _COUNTED  # "bao nhiêu ngày" counts days, "bao nhiêu người" people
            if is_stop or word in ("duoc", "da"):
                break
            unit.extend(_FOLDED_ABBREVIATIONS.get(word, word).split())  # "CQĐD" counts "cơ quan đại diện"
        if unit[:1] and unit[0] in _GENERIC_COUNTERS:
            unit = []  # "mấy điểm", "bao nhiêu nội dung": any counted thing may answer
        if unit == ["tien"] or (accented and unit[:1] == ["tien"] and typed[:1] == ["tiền"]):
            unit = []  # "bao nhiêu tiền": a sum of money is asked (`money`), not a count of "tiền"
    counted = how_many(folded) if english else None
    if counted:
        unit = counted.unit
    entities = [] if english else _entities(text)
    if not accented and not english:
        # Without accents a question is mostly typed without capitals too: its provinces are found by name.
        known = {tuple(e) for e in entities}
        for match in _FOLDED_PROVINCES.finditer(folded):
            province = [t for t in search_tokens(match.group(0)) if "_" in t]
            if province and tuple(province) not in known:
                entities.append(province)
    # People in a question are mostly whose words are reported ("Theo Bộ trưởng Bùi Thanh Sơn");
    # places and bodies are what the figure is about.
    # A person's name is a family name and two or three more syllables ("Bùi Thanh Sơn"); two
    # syllables are more often a place ("Hà Nội", "Cao Bằng").
    name_starts = _capitalized_starts(text)
    subjects = [e for e in entities if not (len(e) >= 2 and e[0].split("_")[0] in _FOLDED_SURNAMES)
                and not _is_title(e) and not (len(e) == 1 and e[0] in name_starts)
                and not set(e) <= HOME_COUNTRY]  # the home country is what the texts speak of anyway
    entities += [[year] for year in sorted(dated)]  # after the subjects: a year is no place
    defined = "" if english else defined_term(folded)
    if defined and kind == "procedure":
        kind = "name"  # "X được hiểu như thế nào?" asks what X is, not how to do something
    yes_no = bool(_YES_NO.search(folded)) and kind in ("other", "name", "procedure")
    wants_list = kind == "procedure" or (kind in ("name", "other") and bool(_ASKS_FOR_LIST.search(folded)))
    # An ordinal ("Hội nghị Ngoại giao lần thứ 33", "Ngoại vụ lần 18") is stated only as an ordinal
    # ("thứ 33") or right after the same word ("Ngoại giao 33"), never by another 33 ("Kết luận 33").
    ordinals = [(m.group(2), _FOLDED_ABBREVIATIONS.get(m.group(1), m.group(1)).split()[-1])  # "HNNV" ends in "vụ"
                for m in re.finditer(r"(\w+)\s+(?:lan\s+thu|thu|lan)\s+(\d{1,3})\b", folded)  # not "Thái Lan 2019"
                if m.group(1) not in ("lan", "may")] + english_ordinals
    # "Hội nghị Ngoại vụ 19", "Đại hội XII" aside: a number right after an event's name is its ordinal
    # (the text states it as "lần thứ 19" or as "Ngoại vụ 19"), not a figure of the answer.
    ordinals += [(m.group(2), m.group(1)) for m in _EVENT_NUMBER.finditer(folded)
                 if m.group(1) not in _EVENT_NUMBER_NOT and (m.group(2), m.group(1)) not in ordinals]
    money = kind == "number" and not unit and not english and not ASKS_RATIO.search(folded) and bool(
        _MONEY.search(lowered) if accented else _MONEY_FOLDED.search(folded))
    # "chuyển vào bậc mấy?", "lương loại mấy?": no unit after "mấy"; the word before it names the figure.
    named = re.search(r"\b(\w+)\s+may\b", folded) if kind == "number" and not unit and not english else None
    # "lần thứ mấy?", "đứng thứ mấy?": an ordinal is asked, answered "thứ ba" as often as "thứ 3".
    label = named.group(1) if named and (named.group(1) not in _FOLDED_STOPWORDS or named.group(1) == "thu") else ""
    return Question(raw, text, english, accented, kind, tokens, list(dict.fromkeys(content)),
                    list(dict.fromkeys(bigrams)), numbers, unit, entities, subjects, wants_list, yes_no, ordinals,
                    money, label, bool(counted and counted.translated),
                    bool(counted and counted.counts_things and kind == "number"),
                    [m.group(1) for m in DOCUMENT_REFERENCE.finditer(folded) if m.group(1) in numbers],
                    defined, kind == "date" and asked is not None and _OPEN_WHEN.fullmatch(fold(asked.group(0))) is not None)


# The date words that also ask under what condition ("… khi nào mới được đưa vào sử dụng?").
_OPEN_WHEN = re.compile(r"khi nao|bao gio|luc nao|when")


# "Thế nào là X?", "X là gì?", "X được hiểu là gì / như thế nào?": the definition of X is asked.
_DEFINITION_ASKED = re.compile(
    r"^(?:cho hoi |xin hoi |hoi )?(?:the nao la|the nao duoc goi la|khai niem|dinh nghia(?: ve)?)\s+(?P<after>[^?]+)"
    r"|^(?:cho hoi |xin hoi |hoi )?(?P<before>[^?]+?)\s+(?:duoc hieu la|duoc hieu nhu the nao|la gi|nghia la gi|"
    r"co nghia la gi|la nhu the nao|duoc dinh nghia|la loai)\b")
# What qualifies the term rather than naming it: "X theo Luật …", "X trong Nghị định này" ("của"
# may still name it: "bậc nghề nghiệp của vị trí việc làm"; `facts.defines` reads its prefixes too).
_TERM_ENDS = re.compile(r"\s+(?:theo|trong|tai|o|duoc quy dinh|quy dinh|nay|do)\b.*$")


def defined_term(folded: str) -> str:
    """The term a question asks to define (folded), or ""."""
    match = _DEFINITION_ASKED.search(folded.strip())
    if not match:
        return ""
    term = _TERM_ENDS.sub("", (match.group("after") or match.group("before")).strip(" ,.?"))
    return term if 1 <= len(term.split()) <= 8 else ""


# "ngày 18 tháng 12 (năm 2023)" written out; "tháng 12" alone (not "tháng 6/2017"). Folded.
_WRITTEN_DATE = re.compile(r"\bngay\s+(\d{1,2})\s+thang\s+(\d{1,2})(?:\s+nam\s+(\d{4}))?\b")
_MONTH = re.compile(r"\bthang\s+\d{1,2}\b(?![/.-]\d)")


# "hội nghị ngoại vụ 19", "đại hội đảng 13": the number right after an event's name (folded). Not a
# date ("hội nghị ngày 12/8"), a time or a count ("hội nghị năm 2018", "hội nghị lần 19" is read above).
_EVENT_NUMBER = re.compile(r"\b(?:hoi nghi|dai hoi)\s+(?:\w+\s+){0,3}?(\w+)\s+(\d{1,3})\b(?![/.,:-]?\d)")
_EVENT_NUMBER_NOT = set("ngay thang nam luc gio tuan lan thu so khoa".split())


# A year right after a mention of an article ("bài viết đầu năm 2020", "bài của Thứ trưởng Sơn đăng
# đầu năm 2020", "article of January 2020") or before it ("his 2020 article"). Folded.
_ARTICLE_YEAR = re.compile(r"\b(?:bai viet|bai bao|bai dang|bai cua|bai phat bieu|bai tham luan|article|op-ed)\b"
                           r"(?:\W+\w+){0,8}?\W+((?:19|20)\d{2})\b|\b((?:19|20)\d{2})\s+(?:article|op-ed)\b")


def _pinned_text(folded: str) -> str:
    """The folded question keeping only the figures a text must state: not the baseline it compares
    with ("so với năm 2019"); a date written out as one date ("ngày 18 tháng 12" becomes "18/12",
    which a text states however it writes it); not a month alone ("hồi tháng 12": a month of one
    digit was never a pinned figure, and now one of two digits is not either)."""
    text = COMPARISON.sub(" ", folded)
    text = _WRITTEN_DATE.sub(lambda m: " " + "/".join(g for g in m.groups() if g) + " ", text)
    return _MONTH.sub(" ", text)


def _capitalized_starts(text: str) -> set[str]:
    """Folded Vietnamese syllables written with a capital alone before lower-case words: the start
    of a body's or a title's name ("Hội nghị", "Nghị quyết", "Thủ tướng"), not a place of one
    syllable."""
    words = re.findall(r"\w+", text)
    return {fold(word).lower() for i, (word, after) in enumerate(zip(words, words[1:]))
            if word[:1].isupper() and has_diacritics(word) and after[:1].islower()
            and (i <= 1 or not words[i - 1][:1].isupper())}  # the question's first word is capitalized anyway


def _is_title(entity: list[str]) -> bool:
    """A name that is only (the capitalized start of) a person's title: "Phó Thủ" of "Phó Thủ tướng"."""
    words = entity[0].split("_") + [token.split("_")[-1] for token in entity[1:]]
    return any(title.split()[:len(words)] == words for title in PERSON_TITLES)


def _initials(word: str) -> bool:
    """Written in capitals as an abbreviation is ("UBND", "KH&CN", "TP.")."""
    letters = word.replace("&", "").replace(".", "")
    return len(letters) >= 2 and letters.isalpha() and letters.isupper()


def _abbreviation(word: str) -> bool:
    """An abbreviation we expand ("UBND", "HĐND")."""
    return _initials(word) and fold(word).strip(".") in _FOLDED_ABBREVIATION_KEYS


def _unexpandable(word: str) -> bool:
    """An abbreviation we cannot expand ("KH&CN", "QLDA", "TTĐT"): the document may write it in full,
    so it is not checked in the text, and it ends the name around it ("Bộ KH&CN", "Cổng TTĐT Chính phủ":
    "Chính phủ" is still a name the document must hold)."""
    return _initials(word) and fold(word).strip(".") not in _FOLDED_ABBREVIATION_KEYS


def _entities(text: str) -> list[list[str]]:
    """Names written with capitals inside the question ("Osaka", "Cần Thơ", "Bộ Tài chính"), each
    as the search tokens (bigrams for several words) a document must hold to be about it."""
    words = re.findall(r"[\w.&-]+|[^\w\s]", text)
    runs: list[list[str]] = []
    current: list[str] = []
    for word in words:
        if word[:1].isupper() and not _unexpandable(word):
            if _abbreviation(word):
                # A name of its own: "UBND Đà Nẵng" is written "UBND TP. Đà Nẵng" too.
                runs.extend([current, [word]] if current else [[word]])
                current = []
            else:
                current.append(word)
            continue
        if current:
            runs.append(current)
        current = []
    if current:
        runs.append(current)
    found = []
    for run in runs:
        if words and run[0] is words[0] and (len(run) == 1 or run[0].lower() in _STOPWORDS | _LEADING_WORDS):
            run = run[1:]  # a question's first word is capitalized anyway
            if not run:
                continue
        codes = [t for t in search_tokens(" ".join(run)) if any(c.isdigit() for c in t) and any(c.isalpha() for c in t)]
        if codes:  # a code ("Mẫu NB4", "G20") names itself: the document must hold the code
            found.append(codes)
            continue
        if all(word.isupper() or not word.isalpha() for word in run) and \
                not any(fold(word).strip(".") in _FOLDED_ABBREVIATION_KEYS for word in run):
            continue  # an abbreviation we cannot expand ("VN", "SĐT", "BNV") cannot be checked in the text
        phrase = " ".join(run)
        tokens = search_tokens(phrase)  # folded: the evidence may be typed either way
        if len(run) == 1 and fold(run[0]).strip(".") in _FOLDED_ABBREVIATION_KEYS:
            tokens = [t for t in tokens if "_" in t][1:] or tokens[1:]
        elif len(run) == 1:
            tokens = tokens[:1]
        else:
            tokens = [t for t in tokens if "_" in t]
        if tokens:
            found.append(tokens)
    return found
