"""Telling a question written in English from one typed without accents, and the few English
words of this domain that lexical search can meet in Vietnamese text."""
from __future__ import annotations

import itertools
import re
from typing import NamedTuple

from vietnamese.text import has_diacritics

# The words of foreign-affairs administration in English, so that an English question meets the
# Vietnamese text in lexical search too (its meaning reaches the documents through the multilingual
# vectors and the reader). General vocabulary only: no word picked for one question.
ENGLISH_GLOSSARY = {
    "conference": "hoi nghi", "external": "ngoai vu", "affairs": "doi ngoai", "foreign": "ngoai giao",
    "ministry": "bo", "minister": "bo truong", "deputy": "pho", "diplomatic": "ngoai giao",
    "diplomacy": "ngoai giao", "agreement": "thoa thuan", "agreements": "thoa thuan",
    "international": "quoc te", "localities": "dia phuong", "locality": "dia phuong", "local": "dia phuong",
    "provinces": "tinh", "province": "tinh", "cities": "thanh pho", "city": "thanh pho", "signed": "ky",
    "sign": "ky", "theme": "chu de", "topic": "chu de", "regulation": "quy che", "conclusion": "ket luan",
    "decision": "quyet dinh", "guidance": "huong dan", "guideline": "huong dan", "issued": "ban hanh",
    "resolution": "nghi quyet", "national": "toan quoc", "nationwide": "toan quoc", "held": "dien ra",
    "opened": "khai mac", "open": "khai mac", "where": "tai", "friendship": "huu nghi",
    "cooperation": "hop tac", "partners": "doi tac", "partner": "doi tac", "relations": "quan he",
    "export": "xuat khau", "exports": "xuat khau", "import": "nhap khau", "trade": "thuong mai",
    "investment": "dau tu", "aid": "vien tro", "non": "phi", "governmental": "chinh phu",
    "ngo": "phi chinh phu", "representative": "dai dien", "missions": "co quan dai dien",
    "mission": "co quan dai dien", "embassy": "dai su quan", "ambassador": "dai su", "ambassadors": "dai su",
    "consulate": "lanh su quan", "consul": "lanh su", "general": "tong", "established": "thanh lap",
    "founded": "thanh lap", "summit": "cap cao", "director": "cuc truong", "department": "cuc",
    "chairman": "chu tich", "people": "nhan dan", "committee": "uy ban", "online": "truc tuyen",
    "task": "nhiem vu", "tasks": "nhiem vu", "economic": "kinh te", "economy": "kinh te", "culture": "van hoa",
    "cultural": "van hoa", "integration": "hoi nhap", "action": "hanh dong", "programme": "chuong trinh",
    "program": "chuong trinh", "supported": "ho tro", "support": "ho tro", "meet": "gap go",
    "meeting": "gap go", "vietnam": "viet nam", "countries": "nuoc", "country": "nuoc", "world": "the gioi",
    "years": "nam", "year": "nam",
}
# More English words of politics, administration, the economy and places, for search only: a
# question's words then meet the documents' Vietnamese ones and count in its coverage. Only words
# with one reading here: not "president" (chủ tịch nước, tổng thống), "capital" (vốn, thủ đô),
# "central" (trung ương, trung tâm), "official" (cán bộ, chính thức), "application" (hồ sơ, ứng
# dụng). Kept out of what "how many …" counts (`how_many` reads the glossary above): a count is
# checked word by word after the figure, and Vietnamese puts a classifier there ("45 chuyến thăm",
# "300 đoàn phóng viên").
SEARCH_GLOSSARY = ENGLISH_GLOSSARY | {
    # politics and government
    "party": "dang", "congress": "dai hoi", "politburo": "bo chinh tri",
    "secretary": "bi thu", "government": "chinh phu", "prime": "thu tuong", "premier": "thu tuong",
    "vice": "pho", "chair": "chu tich", "chaired": "chu tri", "leader": "lanh dao",
    "leaders": "lanh dao", "leadership": "lanh dao", "policy": "chinh sach", "policies": "chinh sach",
    "strategy": "chien luoc", "plan": "ke hoach", "plans": "ke hoach", "project": "du an", "projects": "du an",
    "law": "luat", "decree": "nghi dinh", "circular": "thong tu", "directive": "chi thi",
    "agency": "co quan", "agencies": "co quan", "authority": "co quan", "authorities": "co quan",
    "responsibility": "trach nhiem", "responsible": "trach nhiem", "officials": "can bo",
    "staff": "can bo", "session": "phien", "speech": "phat bieu", "opening": "khai mac", "closing": "be mac",
    "forum": "dien dan", "seminar": "hoi thao", "workshop": "hoi thao", "event": "su kien", "events": "su kien",
    "visit": "tham", "visits": "tham", "visited": "tham", "delegations": "doan", "delegation": "doan",
    "press": "bao chi", "reporter": "phong vien", "reporters": "phong vien", "journalists": "phong vien",
    "border": "bien gioi", "borders": "bien gioi", "territory": "lanh tho", "territories": "lanh tho",
    "sea": "bien", "island": "dao", "islands": "dao", "citizens": "cong dan", "citizen": "cong dan",
    "overseas": "nuoc ngoai", "abroad": "nuoc ngoai", "foreigners": "nguoi nuoc ngoai",
    # economy and society
    "investor": "nha dau tu", "investors": "nha dau tu", "growth": "tang truong",
    "market": "thi truong", "markets": "thi truong", "goods": "hang hoa", "products": "san pham",
    "agricultural": "nong san", "business": "doanh nghiep", "businesses": "doanh nghiep",
    "enterprises": "doanh nghiep", "companies": "doanh nghiep", "labour": "lao dong", "labor": "lao dong",
    "technology": "cong nghe", "tourism": "du lich", "tourists": "khach du lich",
    "education": "giao duc", "health": "y te", "medical": "y te", "pandemic": "dich", "epidemic": "dich",
    "masks": "khau trang", "equipment": "thiet bi", "supplies": "vat tu", "humanitarian": "nhan dao",
    "heritage": "di san", "titles": "danh hieu", "memorandum": "ban ghi nho",
    "twinned": "ket nghia", "sister": "ket nghia", "promotion": "xuc tien", "promote": "xuc tien",
    "passport": "ho chieu", "passports": "ho chieu", "visa": "thi thuc", "visas": "thi thuc",
    "procedure": "thu tuc", "procedures": "thu tuc", "dossier": "ho so",
    "fee": "le phi", "fees": "le phi", "deadline": "thoi han", "working": "lam viec", "gate": "cua khau",
    # places, as English writes them
    "hanoi": "ha noi", "danang": "da nang", "haiphong": "hai phong", "saigon": "tphcm", "hcmc": "tphcm",
    "vietnamese": "viet nam", "japan": "nhat ban", "japanese": "nhat ban", "korea": "han quoc",
    "korean": "han quoc", "china": "trung quoc", "chinese": "trung quoc", "india": "an do",
    "cambodia": "campuchia", "thailand": "thai lan", "europe": "chau au", "european": "chau au",
    "asia": "chau a", "africa": "chau phi",
    # Not the countries of one syllable ("Pháp", "Anh", "Mỹ", "Lào", "Đức", "Nga"): folded, the
    # syllable is also another word ("pháp luật", "anh", "lao động"), found everywhere.
}
# Words that end an English noun phrase ("how many international agreements | did …", "how many
# missions | around the world"; "how many provinces | and cities" counts the first, loosely): what is
# counted is the phrase's last word, its head ("foreign investment projects" counts projects).
PHRASE_ENDS = {"did", "do", "does", "were", "was", "are", "is", "have", "has", "had", "will", "would", "can",
               "could", "should", "in", "of", "to", "for", "at", "on", "with", "by", "from", "that", "which",
               "who", "there", "per", "a", "an", "the", "around", "across", "over", "under", "between", "among",
               "during", "within", "throughout", "abroad", "worldwide", "as", "than", "since", "so", "and", "or"}


# What "how many …" counts, where the word counted is not the glossary's ("people" of "People's
# Committee" is "nhân dân"; counted, they are "người"), and counted things of this domain.
COUNTED = {"people": "nguoi", "person": "nguoi", "time": "lan", "times": "lan", "day": "ngay", "month": "thang",
           "hour": "gio", "week": "tuan", "project": "du an", "delegation": "doan",
           # the parts of a legal text ("article" is left out: a news article is "bài")
           "chapter": "chuong", "clause": "khoan", "appendix": "phu luc", "appendice": "phu luc"}
_COUNTED_WORDS = ENGLISH_GLOSSARY | COUNTED
# "How many billion dollars …?" asks for an amount after all, not a count of things.
AMOUNT_WORDS = {"dollars", "dollar", "usd", "vnd", "dong", "euros", "euro", "yen", "percent", "billion", "million",
                "thousand", "trillion"}


class HowMany(NamedTuple):
    unit: list[str]  # what is counted, in folded Vietnamese, or [the English word] the glossary lacks
    translated: bool  # the glossary knew it, so a figure must count it
    counts_things: bool  # no sum of money or percentage answers it


def how_many(question: str) -> HowMany | None:
    """What an English "how many …?" counts: the head of its noun phrase, the last word before a
    verb or preposition ("international agreements | did …" counts agreements); None without "how many"."""
    match = re.search(r"\bhow many\s+((?:[a-z]+\s*){1,4})", question.lower())
    if not match:
        return None
    phrase = match.group(1).split()
    counts_things = not AMOUNT_WORDS & set(phrase)
    # A verb in the past ends it too ("how many delegations | visited …").
    words = list(itertools.takewhile(lambda word: word not in PHRASE_ENDS and not (len(word) > 4 and word.endswith("ed")),
                                     phrase))
    if not words:
        return HowMany([], False, counts_things)
    head = words[-1]
    singular = head[:-3] + "y" if head.endswith("ies") else head[:-1] if head.endswith("s") else head
    # "countries and territories": the text may count them under either name ("187 khu vực, quốc gia
    # và vùng lãnh thổ"), so the first is no strict unit.
    coordinated = phrase[len(words):len(words) + 1] in (["and"], ["or"])
    for form in (head, singular):
        if form in _COUNTED_WORDS:
            return HowMany(_COUNTED_WORDS[form].split(), not coordinated, counts_things)
    return HowMany([head], False, counts_things)


# Words that are not Vietnamese syllables even without accents, and ones that also are ("the" =
# thế, "do", "to" = tổ, "in" = in ấn): only the first kind can tell English on its own.
ENGLISH_MARKERS = {"what", "how", "many", "much", "who", "whom", "why", "when", "which", "where", "is", "are",
                   "was", "were", "did", "does", "of", "with", "for", "has", "have", "and", "from"}
AMBIGUOUS_MARKERS = {"the", "in", "do", "to", "an", "a"}


def looks_english(text: str) -> bool:
    """True for a question written in English rather than (unaccented) Vietnamese."""
    words = re.findall(r"[a-z]+", text.lower())
    if not words or has_diacritics(text):
        return False
    strong = sum(w in ENGLISH_MARKERS for w in words)
    weak = sum(w in AMBIGUOUS_MARKERS for w in words)
    return strong >= 2 or (strong >= 1 and weak >= 1)
