"""Event records: the numbered occurrences of recurring events a document mentions ("Hội nghị
Ngoại vụ toàn quốc lần thứ 21", "HNNG 32", "Diễn đàn … lần thứ 3"), each with the date, place,
theme, people and parent event the document gives, and the sentence every field came from.

General patterns only: an event head (Hội nghị, Diễn đàn, Hội thảo, Đại hội, …) or a known
abbreviation, a name, then an ordinal. A bare "Hội nghị" (or "HNNV lần này") refers back to the
document's own event, the one its title or opening names. Nothing here is keyed to particular
articles; fields a document does not state stay empty.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date as Date

from knowledge.chunking import paragraphs, sentences
from knowledge.models import Document
from vietnamese.abbreviations import ABBREVIATIONS
from vietnamese.dates import DATE_PARTS, parts_of, whole_date
from vietnamese.names import DOCUMENT_CODE, SURNAMES, capitalized_runs
from vietnamese.text import fold

HEADS = ("Hội nghị thượng đỉnh", "Hội nghị cấp cao", "Hội nghị", "Diễn đàn", "Hội thảo", "Đại hội",
         "Hội chợ", "Triển lãm", "Liên hoan", "Tuần lễ", "Festival", "Hội đàm", "Kỳ họp", "Phiên họp",
         "Hội thi", "Hội báo", "Lễ hội", "Tọa đàm")
# Abbreviations of ABBREVIATIONS that stand for an event head ("HNNV" -> "Hội nghị Ngoại vụ").
EVENT_ABBREVIATIONS = {
    short.upper(): " ".join(w.capitalize() if i in (0, 2) else w for i, w in enumerate(long.split()))
    for short, long in ABBREVIATIONS.items()
    if any(fold(long).startswith(fold(h) + " ") for h in HEADS)
}
_HEAD = "|".join(re.escape(h) for h in sorted(HEADS, key=len, reverse=True))
_ABBR = "|".join(re.escape(a) for a in sorted(EVENT_ABBREVIATIONS, key=len, reverse=True)) or "(?!)"
_NAME_WORD = r"(?:[^\W\d_][\w&'’.-]*|[–-])"
_NUMBER_WORDS = {"nhất": 1, "hai": 2, "ba": 3, "tư": 4, "bốn": 4, "năm": 5, "sáu": 6, "bảy": 7, "tám": 8,
                 "chín": 9, "mười": 10}
_ROMAN = r"[IVXLC]{1,7}"
_ORDINAL = (r"(?:lần\s+thứ|lần|thứ|khóa|khoá|kỳ)\s*(\d{1,3}|" + _ROMAN + r"|"
            + "|".join(_NUMBER_WORDS) + r")(?![\w/])")
# Words that cannot sit inside an event's name: verbs and the like, which mean the number is not its ordinal.
_NOT_NAME = set((
    "được đã sẽ là diễn ra tổ chức khai mạc bế vào ngày năm tháng tại ở có với này đó nay sau trước "
    "lần thứ hoặc cùng của do từ đến trong khi đang vừa để cho nhằm theo về như mỗi hàng").split())
# After a bare number ("Hội nghị Ngoại giao 30 và …"): only words that close a name.
_AFTER_BARE = set(fold(w) for w in (
    "và với của đã sẽ được diễn khai bế tại ở vào do nằm là có năm tổ kết tiếp chính thức sáng chiều "
    "tối hôm ngày khóa khoá").split())
_HEAD_AT = re.compile(r"\b(?:" + _HEAD + r"|" + _ABBR + r")\b")
_MENTION = re.compile(
    r"(?P<head>" + _HEAD + r")(?P<name>(?:[ \t]+" + _NAME_WORD + r"){0,9}?)[ \t]*\(?"
    r"(?:(?P<ordinal>" + _ORDINAL + r")|[ \t]+(?P<bare>\d{1,3})(?![\w/.,%]|[.,]\d))"
    r"|(?P<abbr>\b(?:" + _ABBR + r"))\b[ \t]*(?:(?P<abbr_ordinal>" + _ORDINAL + r")|(?P<abbr_bare>\d{1,3})(?![\w/.,%]))",
)
# A reference back to the document's own event: "Hội nghị" alone, "Hội nghị lần này", "HNNV lần này".
_EVENT_VERB = re.compile(r"\b(?:khai mạc|bế mạc|diễn ra|tổ chức|nhóm họp|họp|khai diễn|tiến hành|đăng cai)\b",
                         re.IGNORECASE)

_DOCUMENT_CODE = re.compile(DOCUMENT_CODE + r"\s+(?:ngày\s+)?$")
_WORD = re.compile(r"[^\W\d_][\w.’'-]*")
_ONE_SPACE = re.compile(" ")
_NOT_PEOPLE = {"ha noi", "ha tinh", "ha giang", "ha nam", "ho chi minh", "cao bang", "thai binh", "thai nguyen",
               "ha long", "lam dong", "tay ninh", "vu han", "phan thiet", "ha tien", "hoang sa", "truong sa"}
_CHAIR = re.compile(r"\b(?:đồng chủ trì|chủ trì)\b", re.IGNORECASE)
_SPEECH = re.compile(r"\b(?:phát biểu(?:\s+(?:khai mạc|bế mạc|chỉ đạo|kết luận|tổng kết))?|tham luận)\b",
                     re.IGNORECASE)
_PLACE = re.compile(r"\b(?:tại|ở)\s+(?:(?:TP\.|Tp\.|TP|tỉnh|thành phố|Thành phố|thủ đô|Thủ đô)\s*)?")
_NOT_PLACE_BEFORE = re.compile(r"(?:Việt Nam|Đại sứ|Lãnh sự|đại diện|Đại diện|Phóng viên|phóng viên|quán)\s*$")
_QUOTE = re.compile(r"[“\"«]([^”\"»]{4,300})[”\"»]")
_THEME_CUE = re.compile(r"(?:chủ đề|khẩu hiệu|thông điệp)\s*(?:là|về|:)?\s*$", re.IGNORECASE)
_THEME_UNQUOTED = re.compile(r"(?:với|có|mang|dưới)\s+chủ đề\s*(?:là|:)\s*([^\W\d_][^.;]{8,200})")
_THEME_AFTER = re.compile(r"\s*(?:cũng\s+|chính\s+)?là\s+(?:chủ đề|khẩu hiệu)\s+(?:chính\s+)?(?:của|cho)\b", re.IGNORECASE)
_THEME_OF = re.compile(r"^(?:Đó|Đây)\s+(?:chính\s+)?là\s+(?:chủ đề|khẩu hiệu)\s+(?:của|cho)\b", re.IGNORECASE)
_FRAMEWORK = re.compile(r"(?:trong khuôn khổ|thuộc khuôn khổ|bên lề|trong chuỗi sự kiện|trong chuỗi hoạt động)\s*$",
                        re.IGNORECASE)
_THIS_EVENT = re.compile(r"^(?:Đây|Đó|Sự kiện)\b")


@dataclass
class EventDate:
    """A date as precise as the document gives it; the year may be completed from the document's date."""

    day: int | None
    month: int | None
    year: int | None
    year_inferred: bool = False  # the sentence gave day/month only; the year is the document's

    def as_date(self) -> Date | None:
        if self.year is None or self.month is None:
            return None
        try:
            return Date(self.year, self.month, self.day or 1)
        except ValueError:
            return None

    def text(self) -> str:
        if self.day and self.month:
            core = f"{self.day}/{self.month}"
        elif self.month:
            core = f"tháng {self.month}"
        else:
            core = ""
        if self.year and core:
            return f"{core}/{self.year}" if self.day else f"{core}/{self.year}"
        if self.year:
            return f"năm {self.year}"
        return core

    def agrees(self, other: "EventDate") -> bool:
        """Equal wherever both are known (12/8 agrees with 12/8/2018 and with tháng 8/2018)."""
        return all(a is None or b is None or a == b for a, b in
                   ((self.day, other.day), (self.month, other.month), (self.year, other.year)))

    def to_dict(self) -> dict:
        return {"text": self.text(), "day": self.day, "month": self.month, "year": self.year,
                "year_inferred": self.year_inferred}


@dataclass
class Evidence:
    """One field's value and the sentence of the document it was read from."""

    value: object  # str, EventDate, or (series key, ordinal) for a parent
    sentence: str
    role: str = ""  # for people: "chủ trì" or "phát biểu"


@dataclass
class EventRecord:
    """One numbered event as one document describes it."""

    key: str  # the series, folded: "hoi nghi ngoai vu"
    series: str  # the series as the document writes it: "Hội nghị Ngoại vụ toàn quốc"
    ordinal: int
    doc_id: str
    mention: str  # the first sentence naming it
    about: bool = False  # the document is about this event (its title or opening names it)
    dates: list[Evidence] = field(default_factory=list)
    places: list[Evidence] = field(default_factory=list)
    themes: list[Evidence] = field(default_factory=list)
    people: list[Evidence] = field(default_factory=list)
    parents: list[Evidence] = field(default_factory=list)
    parent_names: dict[tuple[str, int], str] = field(default_factory=dict)


@dataclass
class _Mention:
    start: int
    end: int
    key: str
    series: str
    ordinal: int | None  # None: a reference back to the document's own event


def series_key(name: str) -> str:
    """The folded series name: abbreviations expanded, "toàn quốc" and the like dropped."""
    words = re.findall(r"\w+", fold(name))
    expanded = " ".join(fold(EVENT_ABBREVIATIONS.get(w.upper(), w)) for w in words)
    expanded = re.sub(r"\b(?:toan quoc|ca nuoc|thuong nien|hang nam)\b", " ", expanded)
    return " ".join(expanded.split())


def ordinal_value(text: str) -> int | None:
    token = text.split()[-1]
    if token.isdigit():
        return int(token)
    if token.lower() in _NUMBER_WORDS:
        return _NUMBER_WORDS[token.lower()]
    if re.fullmatch(_ROMAN, token):
        values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
        total = 0
        for a, b in zip(token, token[1:] + " "):
            total += -values[a] if b != " " and values[b] > values[a] else values[a]
        return total or None
    return None


def _valid_name(words: list[str], bare: bool) -> bool:
    """A name is capitalized words, or a few lower-case ones ("Hội nghị ngoại vụ toàn quốc"), never
    a verb or a function word (then the number that follows is not the event's ordinal)."""
    lower = [w for w in words if not w[0].isupper() and w[0].isalpha()]
    if any(w.lower() in _NOT_NAME for w in lower) or "hội nghị" in " ".join(words).lower():
        return False
    if bare and not words:
        return False
    return len(lower) <= 6


def find_mentions(text: str, own: _Mention | None = None) -> list[_Mention]:
    """Numbered event mentions in a text, e.g. "Hội nghị Ngoại giao lần thứ 32", "HNNV 19". A head
    with an ordinal but no name ("Diễn đàn lần thứ II") belongs to the document's own series."""
    found: list[_Mention] = []
    for head in _HEAD_AT.finditer(text):
        if found and head.start() < found[-1].end:
            continue
        match = _MENTION.match(text, head.start())
        if not match:
            continue
        if match.group("abbr"):
            series = EVENT_ABBREVIATIONS[match.group("abbr")]
            raw = match.group("abbr_ordinal") or match.group("abbr_bare")
            bare = match.group("abbr_bare") is not None
        else:
            name_words = match.group("name").split()
            bare = match.group("bare") is not None
            if not name_words and not bare:
                if own is None or not own.series.startswith(match.group("head")):
                    continue  # "Hội nghị lần thứ 3" of which series? Too vague.
                series = own.series
            elif not _valid_name(name_words, bare):
                continue
            else:
                series = " ".join([match.group("head")] + name_words)
            raw = match.group("ordinal") or match.group("bare")
        if bare:
            after = re.match(r"\s*([^\W\d_]+)", text[match.end():match.end() + 20])
            if after and fold(after.group(1)) not in _AFTER_BARE:
                continue  # "Hội nghị xúc tiến 10 địa phương": a count, not an ordinal
        ordinal = ordinal_value(raw)
        if ordinal:
            found.append(_Mention(match.start(), match.end(), series_key(series), series.strip(), ordinal))
    return found


# After a bare head, words that show it is the sentence's subject or object, not the start of a name.
_AFTER_BACK_REFERENCE = {"có", "đã", "sẽ", "được", "là", "diễn", "khai", "bế", "này", "với", "và", "nhằm", "cũng",
                         "kết", "thảo", "ghi", "đánh", "tiếp", "thống", "nghe", "tập", "lần", "năm", "nay", "hôm", "nằm",
                         "thu", "đề", "bàn", "chủ", "tổ", "do", "còn", "dành", "gồm", "nhất", "ra", "quy"}


def _back_references(sentence: str, own: _Mention) -> list[tuple[int, int]]:
    """Where the sentence refers to the document's own event without its ordinal: the bare head
    ("tại Hội nghị,", "Tham dự Hội nghị có …"), "HNNV lần này", or the own series' name without a
    number ("Hội nghị Ngoại vụ nằm trong khuôn khổ …")."""
    spots = []
    own_head = next((h for h in sorted(HEADS, key=len, reverse=True) if own.series.startswith(h)), "")
    for head in _HEAD_AT.finditer(sentence):
        rest = sentence[head.end():head.end() + 80]
        words = re.findall(r"[^\W\d_][\w.-]*", rest.split(",")[0].split(".")[0])[:6]
        phrase = series_key(" ".join([head.group(0)] + words))
        if phrase == own.key or phrase.startswith(own.key + " "):
            spots.append((head.start(), head.end()))
        else:
            is_own_head = head.group(0) == own_head or series_key(head.group(0)) == own.key
            follows = re.match(r"\s*(?:([^\W\d_]+)|([,.;:)]|$))", rest)
            if is_own_head and head.group(0)[0].isupper() and follows and (
                    follows.group(2) is not None or (follows.group(1) or "").lower() in _AFTER_BACK_REFERENCE):
                spots.append((head.start(), head.end()))
    return spots


def parse_dates(sentence: str, document_date: Date | None) -> list[tuple[int, int, EventDate]]:
    """(start, end, date) of each date in a sentence; a day/month gets the document's year, the year
    before when that would fall after the document was written, and is marked as completed."""
    out = []
    for m in DATE_PARTS.finditer(sentence):
        if _DOCUMENT_CODE.search(sentence[max(0, m.start() - 40):m.start()]):
            continue  # "Quyết định 272-QĐ/TW ngày 21/01/2015": the document's date, not an event's
        parts = parts_of(m)
        if not parts.valid:
            continue
        when = EventDate(parts.day, parts.month, parts.year)
        if when.year is None and when.month and document_date:
            when.year, when.year_inferred = document_date.year, True
            if (when.month, when.day or 1) > (document_date.month, document_date.day):
                when.year -= 1
        out.append((m.start(), m.end(), when))
    return out


def document_date(value: str) -> Date | None:
    parts = whole_date(value or "")
    if parts is None:
        return None
    try:
        return Date(parts.year or 0, parts.month or 0, parts.day or 0)
    except ValueError:
        return None


def _capitalized_runs(text: str) -> list[list[re.Match]]:
    """Runs of capitalized words separated by single spaces (proper names)."""
    return capitalized_runs(text, _WORD, _ONE_SPACE)


def _persons(sentence: str) -> list[tuple[int, int, str]]:
    """People's names: a family name and one to three more capitalized words, at the end of a run
    ("UBND Hà Nội Nguyễn Đức Chung" -> "Nguyễn Đức Chung")."""
    out = []
    for run in _capitalized_runs(sentence):
        words = [w.group(0) for w in run]
        for i, word in enumerate(words):
            if word in SURNAMES and 2 <= len(words) - i <= 4:
                name = " ".join(words[i:]).rstrip(".,;:")
                if fold(name) not in _NOT_PEOPLE and not re.search(
                        r"(?:tại|ở|TP\.?|Tp\.?|tỉnh|thành phố)\s*$", sentence[:run[i].start()]):
                    out.append((run[i].start(), run[-1].end(), name))
                break
    return out


_VENUE = re.compile(r"(?:Trung tâm|trung tâm|Khách sạn|khách sạn|Trụ sở|trụ sở|Hội trường|hội trường|Nhà|Cung|"
                    r"Văn phòng|Khu|khu)\s+(?=\w)")


_VENUE_STOP = set("và với do nhằm để theo trong vào từ ngày sáng chiều tối đã sẽ được có là dưới thu hút".split())


def _place_at(sentence: str, position: int) -> str:
    """The capitalized place name that starts at position ("Hà Nội", "TP. Đà Nẵng", "Trung tâm
    Hội nghị Quốc gia"), or ""."""
    venue = _VENUE.match(sentence, position)
    if venue:  # "Trung tâm Hội nghị Quốc gia": up to the clause's end, as names of buildings mix cases
        words = []
        for word in re.findall(r"[^\s,.;:()]+", re.split(r"[,.;:(]", sentence[venue.end():venue.end() + 80])[0]):
            if word in _VENUE_STOP:
                break
            words.append(word)
        return venue.group(0) + " ".join(words[:6]) if words and words[0][0].isupper() else ""
    for run in _capitalized_runs(sentence[position:position + 80]):
        if run[0].start() == 0:
            return " ".join(w.group(0) for w in run[:6]).rstrip(".,;:")
        break
    return ""


def _people(sentence: str, verb: re.Match) -> str | None:
    """The person nearest a chairing or speaking verb, in the same clause."""
    best, distance = None, 10 ** 6
    for start, end, name in _persons(sentence):
        gap = verb.start() - end if end <= verb.start() else start - verb.end()
        between = sentence[min(end, verb.end()):max(start, verb.start())]
        if gap < 120 and ";" not in between and gap < distance:
            best, distance = name, gap
    return best


def _quoted_or_whole(text: str) -> str:
    """A theme as plain text: outer quotes and quotes inside it dropped (it is shown quoted)."""
    text = text.strip().rstrip(".")
    whole = re.fullmatch(r"[“\"«](.+)[”\"»]", text)
    return re.sub(r"[“”\"«»]", "", whole.group(1) if whole else text).strip()


def _sentences_of(text: str) -> list[str]:
    return [text[a:b] for p_start, p_end in paragraphs(text) for a, b in sentences(text, p_start, p_end)]


def own_event(document: Document, body: list[str]) -> tuple[_Mention, str] | None:
    """The event a document is about, and where it is named: its title, else its opening lines."""
    for candidate in [document.title] + body[:4]:
        mentions = find_mentions(candidate or "")
        if mentions:
            return mentions[0], candidate
    return None


def extract_events(document: Document) -> list[EventRecord]:
    """Every numbered event the document mentions, with the fields it states about each."""
    if not _HEAD_AT.search(document.text) and not _HEAD_AT.search(document.title or ""):
        return []  # most documents name no event at all
    body = _sentences_of(document.text)
    written = document_date(document.date)
    found = own_event(document, body)
    own = found[0] if found else None
    records: dict[tuple[str, int], EventRecord] = {}

    def record(m: _Mention, sentence: str) -> EventRecord:
        key = (m.key, m.ordinal)
        if key not in records:
            records[key] = EventRecord(m.key, m.series, m.ordinal, document.doc_id, sentence)
        return records[key]

    if found:
        record(*found).about = True
    previous = ""
    previous_events: list[_Mention] = []
    for sentence in body:
        if not _HEAD_AT.search(sentence):
            previous, previous_events = sentence, []
            continue
        mentions = find_mentions(sentence, own)
        refs: list[_Mention] = list(mentions)
        if own:
            for a, b in _back_references(sentence, own):
                if not any(m.start <= a < m.end for m in mentions):
                    refs.append(_Mention(a, b, own.key, own.series, own.ordinal))
        refs.sort(key=lambda m: m.start)
        if not refs:
            previous, previous_events = sentence, []
            continue
        for m in mentions:
            record(m, sentence)
        known = [m for m in refs if m.ordinal]

        def nearest(position: int) -> _Mention | None:
            before = [m for m in known if m.end <= position]
            after = [m for m in known if m.start >= position]
            return before[-1] if before else (after[0] if after else None)

        has_verb = _EVENT_VERB.search(sentence) is not None
        framework = [m for m in mentions if _FRAMEWORK.search(sentence[max(0, m.start - 30):m.start])]
        # Date: the nearest event owns it, when the sentence says the event took place or the date stands close.
        for start, end, when in parse_dates(sentence, written):
            owner = nearest(start)
            if owner is None or owner in framework and len(known) > 1:
                continue
            close = min(abs(start - owner.end), abs(owner.start - end)) < 40
            if (when.month and (has_verb or close)) or (when.month is None and close):
                record(owner, sentence).dates.append(Evidence(when, sentence))
        # Place: "khai mạc tại Hà Nội", "tại Hà Nội đã diễn ra …".
        if has_verb:
            placed: set[int] = set()
            for pm in _PLACE.finditer(sentence):
                place = (sentence[pm.start():pm.end()].split(None, 1)[1:] or [""])[0] + _place_at(sentence, pm.end())
                if not _place_at(sentence, pm.end()) or _HEAD_AT.match(sentence, pm.end()) or \
                        _NOT_PLACE_BEFORE.search(sentence[:pm.start()]):
                    continue
                owner = nearest(pm.start())
                if owner is not None and owner not in framework and owner.ordinal not in placed:
                    placed.add(owner.ordinal)
                    record(owner, sentence).places.append(Evidence(place, sentence))
        # Theme: a quotation announced by "chủ đề", or "với chủ đề: …".
        for qm in _QUOTE.finditer(sentence):
            if _THEME_CUE.search(sentence[max(0, qm.start() - 25):qm.start()]):
                owner = nearest(qm.start())
                if owner is not None:
                    record(owner, sentence).themes.append(Evidence(_quoted_or_whole(qm.group(1)), sentence))
            elif _THEME_AFTER.match(sentence, qm.end()):
                # "“…” là chủ đề của Hội nghị …": the event named after the quotation.
                owner = next((m for m in known if m.start >= qm.end()), None)
                if owner is not None:
                    record(owner, sentence).themes.append(Evidence(_quoted_or_whole(qm.group(1)), sentence))
        for um in _THEME_UNQUOTED.finditer(sentence):
            if um.group(1)[0].isupper() and not _QUOTE.search(um.group(0)):
                owner = nearest(um.start())
                if owner is not None:
                    record(owner, sentence).themes.append(Evidence(_quoted_or_whole(um.group(1)), sentence))
        if _THEME_OF.search(sentence) and previous and known:
            # "Đó là chủ đề của Hội nghị … lần thứ 19": the theme is the sentence before.
            record(known[0], sentence).themes.append(Evidence(_quoted_or_whole(previous), previous + " " + sentence))
        # People: who chaired, who spoke.
        for pattern, role in ((_CHAIR, "chủ trì"), (_SPEECH, "phát biểu")):
            for vm in pattern.finditer(sentence):
                person = _people(sentence, vm)
                owner = nearest(vm.start())
                if person and owner is not None:
                    rec = record(owner, sentence)
                    if not any(fold(e.value) == fold(person) for e in rec.people):
                        rec.people.append(Evidence(person, sentence, role))
        # Parent: "Hội nghị Ngoại vụ nằm trong khuôn khổ Hội nghị Ngoại giao lần thứ 32".
        for parent in framework:
            children = [m for m in refs if m.end <= parent.start and m is not parent]
            if not children and _THIS_EVENT.search(sentence):
                children = previous_events[-1:] or ([own] if own else [])
            for child in children[-1:]:
                if child.ordinal and (child.key, child.ordinal) != (parent.key, parent.ordinal):
                    rec = record(child, sentence)
                    rec.parents.append(Evidence((parent.key, parent.ordinal), sentence))
                    rec.parent_names[(parent.key, parent.ordinal)] = parent.series
        previous, previous_events = sentence, known
    return list(records.values())
