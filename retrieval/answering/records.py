"""Questions about a series of events, answered from event records: one line per event with its
fields and a citation per line; computed figures show what they were computed from.

The records are derived from the live documents (knowledge.events), cached per document content,
so a new version or a delete changes them with the next question. A question that is not about a
series, or that the records cannot answer, returns None and goes through the normal answer path.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Callable, Generic, TypeVar

from knowledge.events import EventDate, EventRecord, extract_events, ordinal_value, series_key
from knowledge.models import Document
from vietnamese.text import fold
from knowledge.answers import MAX_ANSWER_CHARS as ANSWER_LIMIT, Answer, Citation

QUOTE_LIMIT = 900
_FIELD_NAMES = {"theme": "chủ đề", "place": "địa điểm", "date": "ngày tổ chức", "people": "người chủ trì, phát biểu"}
INFERRED_NOTE = "* năm lấy theo ngày đăng bài viết."
TRIMMED_NOTE = "(còn {count} lần nữa: {ordinals}; xem nguồn)"

# Cues, on folded text with abbreviations expanded.
_INTERVAL = re.compile(r"\b(cach nhau|bao lau|khoang cach|khoang thoi gian|cach (?:lan|hoi nghi)|"
                       r"(?:bao nhieu|may) (?:nam|thang|ngay)|how long|how many years)\b")
_COUNT = re.compile(r"(?<!thu )\b(bao nhieu|may|how many)\s+(lan|ky|hoi nghi|dien dan|hoi thao|dai hoi|times)\b")
_LATEST = re.compile(r"\b(gan nhat|gan day nhat|moi nhat|lan cuoi|cuoi cung|sau cung|latest|most recent)\b")
_FIRST = re.compile(r"\b(dau tien|lan dau|som nhat|first|earliest)\b")
_THEME_SEARCH = re.compile(r"\b(nao|which)\b.{0,60}\bchu de\b|\bchu de\b.{0,60}\b(nao|which)\b|\bco chu de (?:ve|lien quan)")
_LIST = re.compile(r"\b(liet ke|ke ten|danh sach|cac (?:lan|ky|hoi nghi|dien dan|hoi thao|dai hoi)|"
                   r"nhung (?:lan|ky|hoi nghi|dien dan|hoi thao|dai hoi)|tung (?:lan|ky|hoi nghi)|moi (?:lan|ky)|"
                   r"qua cac (?:nam|lan|ky)|dong thoi gian|moc thoi gian|timeline|lich su|tong hop|so sanh|"
                   r"tom tat|diem lai|nhin lai|"
                   r"list|compare)\b")
_GENERIC_EVENT = re.compile(r"\b(hoi nghi|dien dan|hoi thao|dai hoi|lan nao|ky nao|conference|forum)\b")
_QUESTION_ORDINAL = re.compile(r"(?<![\d/.,])(\d{1,3})(?![\d/]|[.,]\d)")
# Words a series question may contain besides the series and its cue: anything else (a figure,
# another subject) means the question is about something else and goes the normal way.
_ALLOWED = set("""
lan thu ky khoa hoi nghi dien dan hoi thao dai hoi cac nhung tung moi va voi cua la gi nao co duoc da dang se
to chuc dien ra khai mac hop nam ngay thang thoi gian diem dia o tai dau chu de noi dung ai chu tri phat bieu
khi bao nhieu may lan tat ca tong cong tinh den nay hien hom day truoc sau qua the nao nhu
ve lien quan tu toi cho biet hay xin vui long giup minh ban ha a nhe vay thi sao
which what when where who how many times conference conferences forum
theme themes held date dates place of the and with in on was were did is are all each every between
years year thuoc khuon kho trong hai ba bon kia nay do chinh vao luc dip deu luot em anh chi oi lieu van
ban bai viet noi rieng tung cu the lai nhac de cap giua den
""".split())


@dataclass
class Sourced:
    """A field value and the documents (with the sentence in each) that state it."""

    value: object
    sources: list[tuple[str, str]] = field(default_factory=list)  # (doc_id, sentence)
    role: str = ""

    def add(self, doc_id: str, sentence: str) -> None:
        if all(d != doc_id or s != sentence for d, s in self.sources):
            self.sources.append((doc_id, sentence))


@dataclass
class Event:
    """One numbered event, merged over every live document that mentions it."""

    key: str
    series: str
    ordinal: int
    mentions: list[tuple[str, str]] = field(default_factory=list)
    primary: tuple[str, str] = ("", "")  # (doc_id, sentence) of the document about it, cited first
    dates: list[Sourced] = field(default_factory=list)  # more than one: the documents disagree
    places: list[Sourced] = field(default_factory=list)
    themes: list[Sourced] = field(default_factory=list)
    people: list[Sourced] = field(default_factory=list)
    parents: list[Sourced] = field(default_factory=list)
    children: list[Sourced] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.series} lần thứ {self.ordinal}"

    @property
    def mentioned_only(self) -> bool:
        return not (self.dates or self.places or self.themes or self.people or self.parents or self.children)

    def when(self):
        """The date used for ordering and intervals: the first (agreed) date with a full year."""
        for sourced in self.dates:
            if sourced.value.as_date():
                return sourced.value
        return None


def _merge_dates(event: Event, records: list[EventRecord]) -> None:
    # Dates the documents write out in full first, so that a year we completed never overrides one.
    evidence = [(r.doc_id, e) for r in records for e in r.dates]
    evidence.sort(key=lambda item: (item[1].value.year_inferred, item[1].value.year is None,
                                    item[1].value.day is None))
    for doc_id, e in evidence:
        value: EventDate = e.value
        for group in event.dates:
            shown: EventDate = group.value
            same = shown.agrees(value)
            if not same and value.year_inferred and not shown.year_inferred:
                same = shown.agrees(EventDate(value.day, value.month, None))  # our guess of the year yields
            if same:
                if shown.day is None and value.day is not None and value.year == shown.year:
                    group.value = value
                group.add(doc_id, e.sentence)
                break
        else:
            event.dates.append(Sourced(EventDate(value.day, value.month, value.year, value.year_inferred),
                                       [(doc_id, e.sentence)]))
    # Disagreeing documents: the value more of them give first, then in the order of time.
    event.dates.sort(key=lambda g: (-len({d for d, _ in g.sources}), g.value.year or 0, g.value.month or 0,
                                    g.value.day or 0))


def _merge_text(groups: list[Sourced], doc_id: str, value: str, sentence: str, role: str = "") -> None:
    folded = " ".join(re.findall(r"\w+", fold(value)))
    for group in groups:
        other = " ".join(re.findall(r"\w+", fold(group.value)))
        if folded in other or other in folded:
            if len(value) > len(group.value) and not role:
                group.value = value
            group.add(doc_id, sentence)
            return
    groups.append(Sourced(value, [(doc_id, sentence)], role))


def merge(records: list[EventRecord]) -> dict[str, list[Event]]:
    """Records of all documents -> events by series key, in ordinal order."""
    by_event: dict[tuple[str, int], list[EventRecord]] = {}
    for record in records:
        by_event.setdefault((record.key, record.ordinal), []).append(record)
    names: dict[str, dict[str, int]] = {}
    for record in records:
        names.setdefault(record.key, {}).setdefault(record.series, 0)
        names[record.key][record.series] += 1
    for record in records:
        for (key, _), name in record.parent_names.items():
            names.setdefault(key, {}).setdefault(name, 0)

    def display(key: str) -> str:
        # The fullest, best capitalized way the documents write the series.
        return max(names[key], key=lambda n: (sum(w[0].isupper() for w in n.split()), len(n), names[key][n]))

    events: dict[tuple[str, int], Event] = {}

    def event_of(key: str, ordinal: int) -> Event:
        if (key, ordinal) not in events:
            events[(key, ordinal)] = Event(key, display(key), ordinal)
        return events[(key, ordinal)]

    for (key, ordinal), group in sorted(by_event.items()):
        event = event_of(key, ordinal)
        for record in group:
            event.mentions.append((record.doc_id, record.mention))
            for e in record.places:
                _merge_text(event.places, record.doc_id, e.value, e.sentence)
            for e in record.themes:
                _merge_text(event.themes, record.doc_id, e.value, e.sentence)
            for e in record.people:
                _merge_text(event.people, record.doc_id, e.value, e.sentence, e.role)
            for e in record.parents:
                parent_key, parent_ordinal = e.value
                parent = event_of(parent_key, parent_ordinal)
                _merge_sourced(event.parents, parent.name, record.doc_id, e.sentence)
                _merge_sourced(parent.children, event.name, record.doc_id, e.sentence)
        _merge_dates(event, group)
        event.primary = _primary(group)
    series: dict[str, list[Event]] = {}
    for (key, _), event in sorted(events.items()):
        series.setdefault(key, []).append(event)
    for members in series.values():
        _check_order(members)
    return series


def _primary(records: list[EventRecord]) -> tuple[str, str]:
    """The document to cite first for an event: the one about it, else the one that says most."""
    def said(r: EventRecord) -> int:
        return len(r.dates) + len(r.places) + len(r.themes) + len(r.people) + len(r.parents)
    best = max(records, key=lambda r: (r.about, said(r)))
    return best.doc_id, best.mention


def _merge_sourced(groups: list[Sourced], value: str, doc_id: str, sentence: str) -> None:
    for group in groups:
        if group.value == value:
            group.add(doc_id, sentence)
            return
    groups.append(Sourced(value, [(doc_id, sentence)]))


def _check_order(members: list[Event]) -> None:
    """A year we completed must agree with the order of the ordinals: lần thứ 18 cannot fall after
    a lần thứ 19 whose date the documents give in full. When it does, the year is unknown."""
    stated = [(e.ordinal, d.value.as_date()) for e in members for d in e.dates
              if not d.value.year_inferred and d.value.as_date()]
    for event in members:
        for group in event.dates:
            value: EventDate = group.value
            when = value.as_date()
            if not value.year_inferred or when is None:
                continue
            if any((o < event.ordinal and day > when) or (o > event.ordinal and day < when) for o, day in stated):
                group.value = EventDate(value.day, value.month, None)


T = TypeVar("T")


class LiveDocuments(Generic[T]):
    """What is read from each live document (`read`: a Document → its records), kept per document
    content and metadata: when the registry changes, only documents not seen before are fetched
    with their text and read (the text is the costly part). The caller holds its own lock."""

    def __init__(self, registry, read: Callable[[Document], T]) -> None:
        self.registry = registry
        self.read = read
        self.generation = None
        self.documents: dict[str, dict] = {}  # live documents by id, without their text
        self.per_document: dict[str, T] = {}  # by document id, content hash, date and title

    def refresh(self) -> bool:
        """Catch up with the registry; whether anything changed."""
        generation = self.registry.generation()
        if generation == self.generation:
            return False
        generation, live, fresh, _chunks = self.registry.live_changes(frozenset(self.documents), with_chunks=False)
        documents = {k: d for k, d in self.documents.items() if k in live}
        documents.update((k, {key: v for key, v in d.items() if key != "text"}) for k, d in fresh.items())
        cache: dict[str, T] = {}
        for doc_id in sorted(documents):
            row = documents[doc_id]
            key = f"{doc_id}:{row['content_hash']}:{row['date']}:{row['title']}"
            if key in self.per_document:
                cache[key] = self.per_document[key]
            else:  # a document seen before is cached; so this one is fresh
                row = fresh[doc_id]
                cache[key] = self.read(Document(row["source"], row["text"], row["title"], row["publisher"],
                                                row["date"], doc_id, row["version"]))
        self.per_document = cache
        self.documents = documents
        self.generation = generation
        return True


class RecordBook:
    """The event records of the live documents, cached per document content."""

    def __init__(self, registry) -> None:
        self.registry = registry
        self._lock = threading.Lock()
        self._live = LiveDocuments(registry, extract_events)
        self._series: dict[str, list[Event]] = {}

    def current(self) -> tuple[dict[str, list[Event]], dict[str, dict]]:
        """(events by series key, live documents by id), rebuilt when the registry changed; a
        document read before (same id, content and metadata) is not read again."""
        with self._lock:
            if self._live.refresh():
                self._series = merge([r for records in self._live.per_document.values() for r in records])
            return self._series, self._live.documents


# ---- reading the question -------------------------------------------------------------------

@dataclass
class SeriesQuestion:
    intent: str  # "interval", "count", "latest", "first", "theme", "list"
    keys: list[str]  # series the question names, best first
    ordinals: list[int]
    topic: str = ""  # for "theme": the folded words the theme should contain
    field: str = ""  # the one field asked about ("latest … có chủ đề gì"): "theme", "date", "place", "people"
    span: bool = False  # "từ lần thứ 15 đến lần thứ 21": the ordinals are the ends of a range
    in_documents: bool = False  # "… được nhắc đến trong tài liệu": count what the documents hold


def _intent(q: str) -> str:
    if _INTERVAL.search(q):
        return "interval"
    if _COUNT.search(q):
        return "count"
    if _THEME_SEARCH.search(q) and _topic(q):
        return "theme"
    if _LATEST.search(q):
        return "latest"
    if _FIRST.search(q):
        return "first"
    if _LIST.search(q):
        return "list"
    return ""


def _topic(q: str) -> str:
    match = re.search(r"\bchu de\s+(?:(?:la|ve|lien quan (?:den|toi)|noi ve|gan voi)\s+)?(.+)$", q)
    if not match:
        return ""
    words = [w for w in re.findall(r"\w+", match.group(1)) if w not in ("gi", "nao", "khong", "vay", "the")]
    return " ".join(words)


_ORDINAL_WORDS = {"nhat": 1, "hai": 2, "ba": 3, "tu": 4, "bon": 4, "nam": 5, "sau": 6, "bay": 7, "tam": 8,
                  "chin": 9, "muoi": 10}


def _roman(text: str) -> str:
    return str(ordinal_value(text.upper()) or text)


def _numbered(q: str) -> str:
    """"lần thứ nhất", "lần thứ III" -> "lần thứ 1", "lần thứ 3" (number words only right after "lần thứ")."""
    q = re.sub(r"\b(lan thu|thu) (" + "|".join(_ORDINAL_WORDS) + r")\b(?! \d)",
               lambda m: f"{m.group(1)} {_ORDINAL_WORDS[m.group(2)]}", q)
    return re.sub(r"\b(lan thu|lan|thu) ([ivxlc]{1,7})\b", lambda m: f"{m.group(1)} {_roman(m.group(2))}", q)


def _ordinals(q: str, keys: list[str]) -> list[int]:
    found: list[int] = []
    for m in _QUESTION_ORDINAL.finditer(q):
        before = q[max(0, m.start() - 40):m.start()]
        value = int(m.group(1))
        after = q[m.end():m.end() + 6]
        if re.match(r"\s*(?:nam|thang|ngay|%|/)", after) and not re.search(r"(lan thu|lan|thu|ky|khoa)\s*$", before):
            continue
        ordinal_cue = re.search(r"(?:lan thu|lan|thu|ky|khoa)\s*$", before)
        after_series = any(re.search(re.escape(k) + r"(?: toan quoc)?\s*$", before) for k in keys)
        listed = found and re.search(r"(?:va|voi|,|den|toi|-|–)\s*(?:lan thu|lan|thu|ky)?\s*$", before)
        if ordinal_cue or after_series or listed:
            found.append(value)
    return found


def read_question(question: str, known_keys: list[str]) -> SeriesQuestion | None:
    """A series question, or None for any other."""
    q = series_key(question)  # folded, event abbreviations expanded, "toàn quốc" dropped
    q = _numbered(" ".join(re.findall(r"[\w/.,%-]+", q)))
    intent = _intent(q)
    if not intent:
        return None
    keys = sorted((k for k in known_keys if re.search(r"\b" + re.escape(k) + r"\b", q)),
                  key=lambda k: (q.find(k), -len(k)))
    # "Hội nghị Ngoại vụ" also matches inside "Hội nghị Ngoại vụ toàn quốc …": keep the longest at a place.
    keys = [k for k in keys if not any(o != k and k in o and q.find(o) <= q.find(k) for o in keys)]
    if len(keys) > 1 and intent != "theme":
        return None  # two series in one question ("… được tổ chức cùng Hội nghị Ngoại giao"): not a list of one
    ordinals = _ordinals(q, keys)
    generic = not keys and (bool(_GENERIC_EVENT.search(q)) or bool(ordinals))
    if not keys and not generic:
        return None
    if not keys and intent != "theme" and not ordinals:
        return None  # "liệt kê các hội nghị": which series? The normal path reads the documents
    topic = _topic(q) if intent == "theme" else ""
    leftover = q
    for k in keys:
        leftover = leftover.replace(k, " ")
    if topic:
        leftover = leftover.replace(topic, " ")
    for cue in (_INTERVAL, _COUNT, _LATEST, _FIRST, _THEME_SEARCH, _LIST, _GENERIC_EVENT):
        leftover = cue.sub(" ", leftover)
    extra = [w for w in re.findall(r"[^\W\d_]+", leftover) if w not in _ALLOWED]
    if extra:  # the question asks about something besides the series: not ours
        return None
    span = len(ordinals) == 2 and re.search(r"\d+ (?:den|toi|-) (?:lan thu |lan |thu )?\d+", q) is not None
    in_documents = re.search(r"\b(nhac den|nhac toi|de cap|trong tai lieu|co trong)\b", q) is not None
    return SeriesQuestion(intent, keys, ordinals, topic, _asked_field(q), span, in_documents)


def _asked_field(q: str) -> str:
    for name, pattern in _FIELDS:
        if re.search(pattern, q):
            return name
    return ""


_FIELDS = [("theme", r"\bchu de\b"), ("place", r"\b(o dau|tai dau|dia diem|noi nao|where)\b"),
           ("date", r"\b(khi nao|ngay nao|nam nao|thang nao|bao gio|thoi gian|luc nao|when)\b"),
           ("people", r"\b(ai|who)\b")]


# ---- writing the answer ---------------------------------------------------------------------

class _Sources:
    """Numbers documents in the order the answer first cites them, and gathers their quoted sentences."""

    def __init__(self, documents: dict[str, dict]) -> None:
        self.documents = documents
        self.numbers: dict[str, int] = {}
        self.quotes: dict[str, list[str]] = {}

    def reserve(self, events: list[Event]) -> "_Sources":
        """Number first the document about each event, in the order of the lines: those are the
        sources a reader (and the first citations) should meet first."""
        self.cite([e.primary for e in events if e.primary[0]])
        return self

    def cite(self, sources: list[tuple[str, str]]) -> list[int]:
        out = []
        for doc_id, sentence in sources:
            if doc_id not in self.numbers:
                self.numbers[doc_id] = len(self.numbers) + 1
                self.quotes[doc_id] = []
            if sentence not in self.quotes[doc_id]:
                self.quotes[doc_id].append(sentence)
            if self.numbers[doc_id] not in out:
                out.append(self.numbers[doc_id])
        return sorted(out)

    def citations(self) -> list[Citation]:
        out = []
        for doc_id, n in sorted(self.numbers.items(), key=lambda item: item[1]):
            doc = self.documents.get(doc_id, {})
            quote = " … ".join(self.quotes[doc_id])
            if len(quote) > QUOTE_LIMIT:
                quote = quote[:QUOTE_LIMIT].rsplit(" ", 1)[0] + " …"
            out.append(Citation(n, doc.get("source", ""), doc.get("title", ""), doc.get("publisher", ""),
                                doc.get("date", ""), quote, doc_id))
        return out


def marks(numbers: list[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)


def date_text(value: EventDate) -> str:
    if value.year is None and value.day and value.month:
        return f"{value.text()} (không rõ năm)"
    return value.text() + ("*" if value.year_inferred else "")


def record_dict(event: Event, sources: _Sources) -> dict:
    """An event as `--json` carries it: each field a list of values with citations (empty: the
    documents do not say; two or more: they disagree)."""

    def values(groups: list[Sourced], render=str) -> list[dict]:
        out = []
        for g in groups:
            item = {"value": render(g.value), "citations": sources.cite(g.sources)}
            if g.role:
                item["role"] = g.role
            if isinstance(g.value, EventDate):
                item["year_inferred"] = g.value.year_inferred
                item["year_unknown"] = g.value.year is None
            out.append(item)
        return out

    cited = sources.cite(event.mentions)
    return {
        "event": event.name, "series": event.series, "ordinal": event.ordinal,
        "date": values(event.dates, lambda v: v.text()), "place": values(event.places),
        "theme": values(event.themes), "people": values(event.people), "parent": values(event.parents),
        "part_of_it": values(event.children), "mentioned_only": event.mentioned_only,
        "citations": sorted(set(cited) | {n for g in (event.dates + event.places + event.themes + event.people
                                                      + event.parents + event.children)
                                          for n in sources.cite(g.sources)}),
    }


def event_line(event: Event, sources: _Sources, level: int = 0, label: str = "") -> str:
    """One plain line: "• Lần thứ 21 — 18/12/2023*; chủ đề “…”; … [1]". Higher levels say less."""
    label = label or f"Lần thứ {event.ordinal}"
    used: list[tuple[str, str]] = [event.primary] if event.primary[0] else list(event.mentions[:1])
    parts, unknown = [], []

    def joined(groups: list[Sourced], render) -> str:
        # Disagreeing documents are both shown, each value with its own citation.
        if len(groups) == 1:
            used.extend(groups[0].sources)
            return render(groups[0].value)
        return " / ".join(f"{render(g.value)} {marks(sources.cite(g.sources))}" for g in groups)

    if event.dates:
        parts.append(joined(event.dates, date_text))
    else:
        unknown.append("ngày")
    if event.places:
        parts.append(joined(event.places, str))
    else:
        unknown.append("địa điểm")
    if event.themes:
        limit = 70 if level >= 3 else 10 ** 6
        parts.append("chủ đề " + joined(event.themes, lambda t: "“" + (t if len(t) <= limit else
                                                                      t[:limit].rsplit(" ", 1)[0] + " …") + "”"))
    else:
        unknown.append("chủ đề")
    if event.people and level < 1:
        people = [g for g in event.people][:2]
        for g in people:
            used.extend(g.sources)
        more = " …" if len(event.people) > 2 else ""
        parts.append("phát biểu/chủ trì: " + ", ".join(g.value for g in people) + more)
    if event.parents and level < 2:
        parts.append("trong khuôn khổ " + joined(event.parents, str))
    if event.children and level < 2:
        parts.append("gồm " + joined(event.children, str))
    if event.mentioned_only:
        body = "tài liệu chỉ nhắc tên; không rõ ngày, địa điểm, chủ đề"
    else:
        body = "; ".join(parts)
        if unknown and level < 3:
            body += "; không rõ " + ", ".join(unknown)
    return f"• {label} — {body} {marks(sources.cite(used))}"


def _fit(heading: str, events: list[Event], sources_factory, notes: list[str] = ()) -> tuple[str, _Sources]:
    """The answer text within ANSWER_LIMIT: say less per line first, then leave lines out with a note."""
    for level in range(5):
        for keep in range(len(events), 0, -1):
            shown = events[:keep] if level < 4 else events[-keep:]
            sources = sources_factory().reserve(shown)
            lines = [event_line(e, sources, min(level, 3)) for e in shown]
            rest = [e for e in events if e not in shown]
            extra = [TRIMMED_NOTE.format(count=len(rest), ordinals=", ".join(str(e.ordinal) for e in rest))] if rest else []
            inferred = [INFERRED_NOTE] if any(line.count("*") for line in lines) else []
            text = "\n".join([heading] + lines + extra + list(notes) + inferred)
            if len(text) <= ANSWER_LIMIT:
                return text, sources
            if level < 4:
                break  # first try saying less about every event before leaving any out
    sources = sources_factory()
    return heading[:ANSWER_LIMIT], sources


def _interval_text(a: EventDate, b: EventDate) -> str:
    first, second = a.as_date(), b.as_date()
    if second < first:
        first, second = second, first
    months = (second.year - first.year) * 12 + second.month - first.month
    if a.day and b.day and second.day < first.day:
        months -= 1
    years, months = divmod(months, 12)
    parts = ([f"{years} năm"] if years else []) + ([f"{months} tháng"] if months else [])
    approximate = "" if a.day and b.day else "khoảng "
    days = f" ({(second - first).days:,} ngày)".replace(",", ".") if a.day and b.day else ""
    return approximate + (" ".join(parts) or "dưới 1 tháng") + days


def _series_holding(ordinals: list[int], series: dict[str, list[Event]]) -> str | None:
    """For "lần thứ 19 và lần thứ 21" without a series name: the series that has them all, the one
    the documents say most about when several do."""
    holding = [key for key, events in series.items() if set(ordinals) <= {e.ordinal for e in events}]
    if not holding:
        return None
    return max(holding, key=lambda key: sum(len(e.mentions) for e in series[key]))


def _trim_to_limit(text: str, note: str) -> str:
    """Add a note line; whole lines before it give way when the answer would be too long."""
    lines = text.split("\n")
    while len("\n".join(lines + [note])) > ANSWER_LIMIT and len(lines) > 1:
        lines.pop(-2 if lines[-1].startswith("*") else -1)
    return "\n".join(lines + [note])


class SeriesAnswerer:
    """Answers series questions from the record book; None when the question is not one."""

    def __init__(self, book: RecordBook) -> None:
        self.book = book

    def candidate(self, question: str) -> tuple[Answer, dict[str, float]] | None:
        """The record answer with its evidence (a series named or not, ordinals asked), for the one
        answer path to weigh; None when the question is not a series question."""
        answer = self.answer(question)
        if answer is None:
            return None
        series, _ = self.book.current()
        asked = read_question(question, list(series))
        return answer, {"kind": "series", "series_named": float(bool(asked and asked.keys)),
                        "ordinals": float(len(asked.ordinals) if asked else 0)}

    def answer(self, question: str) -> Answer | None:
        if not _intent(_numbered(" ".join(re.findall(r"[\w/.,%-]+", series_key(question))))):
            return None  # most questions: no need to look at the records at all
        series, documents = self.book.current()
        if not series:
            return None
        asked = read_question(question, list(series))
        if asked is None:
            return None
        if asked.intent == "theme":
            return self._theme(question, asked, series, documents)
        key = asked.keys[0] if asked.keys else _series_holding(asked.ordinals, series)
        if key is None:
            return None
        events = series[key]
        name = events[0].series
        known = {e.ordinal: e for e in events}
        if asked.intent == "interval" and len(asked.ordinals) == 1:
            return None  # "lần thứ 21 cách đây mấy năm?": from today, not between two events
        if asked.span and asked.intent in ("list", "count"):
            low, high = sorted(asked.ordinals)
            within = [e for e in events if low <= e.ordinal <= high]
            if within:  # "từ lần thứ 15 đến 21": the ones the documents hold, the rest said to be missing
                absent = high - low + 1 - len(within)
                answer = self._list(question, name, within, events, documents)
                if absent:
                    answer.answer = _trim_to_limit(answer.answer, f"(tài liệu không có {absent} lần còn lại "
                                                                 f"trong khoảng {low}–{high})")
                return answer
        missing = [o for o in asked.ordinals if o not in known]
        if missing:
            return self._refuse(question, f"Tài liệu hiện có không nói đến {name} lần thứ "
                                          f"{', '.join(map(str, missing))}. Các lần có trong tài liệu: "
                                          f"{', '.join(str(o) for o in sorted(known))}.")
        chosen = [known[o] for o in asked.ordinals] or events
        if asked.intent == "count" and asked.in_documents:
            return self._held(question, name, events, documents)
        by_intent = {"list": self._list, "latest": self._latest, "first": self._first, "count": self._count,
                     "interval": self._interval}
        answer = by_intent[asked.intent](question, name, chosen, events, documents)
        if asked.field and not answer.refused and asked.intent in ("latest", "first") and answer.records:
            values = answer.records[0][asked.field]
            answer.fact = "; ".join(v["value"] for v in values) or answer.fact
            if not values:  # the event is known, the asked field is not: say so, do not guess
                answer.answer = (f"Tài liệu không nêu {_FIELD_NAMES[asked.field]} của {answer.records[0]['event']}."
                                 f"\n{answer.answer}")
                answer.refused, answer.fact = True, ""
        return answer

    @staticmethod
    def _refuse(question: str, text: str) -> Answer:
        return Answer(question=question, answer=text, refused=True)

    @staticmethod
    def _answer(question: str, text: str, sources: _Sources, events: list[Event], fact: str = "") -> Answer:
        records = [record_dict(e, sources) for e in events]
        return Answer(question=question, answer=text, refused=False, citations=sources.citations(),
                      fact=fact, records=records)

    def _list(self, question, name, chosen, events, documents) -> Answer:
        notes = []
        if len(chosen) < len(events):  # the asked ones, e.g. to compare them
            heading = f"{name} lần thứ {', '.join(str(e.ordinal) for e in chosen)}"
            if len(chosen) == 2 and all(e.when() for e in chosen):
                notes.append(f"Cách nhau {_interval_text(chosen[0].when(), chosen[1].when())}.")
        else:
            heading = f"{name}: {len(chosen)} lần có trong tài liệu"
            if len(events) > 1:
                heading += f" (lần thứ {events[0].ordinal} đến {events[-1].ordinal})"
        text, sources = _fit(heading + ":", chosen, lambda: _Sources(documents), notes)
        return self._answer(question, text, sources, chosen)

    def _latest(self, question, name, chosen, events, documents) -> Answer:
        last = events[-1]
        heading = f"Lần gần nhất có trong tài liệu: {last.name}"
        text, sources = _fit(heading, [last], lambda: _Sources(documents),
                             [f"(tài liệu có {len(events)} lần: {', '.join(str(e.ordinal) for e in events)})"])
        return self._answer(question, text, sources, [last], fact=last.name)

    def _first(self, question, name, chosen, events, documents) -> Answer:
        first = events[0]
        if first.ordinal != 1:
            return self._refuse(question, f"Tài liệu hiện có không nói về {name} lần thứ nhất. Lần sớm nhất "
                                          f"tài liệu nhắc đến là lần thứ {first.ordinal}.")
        text, sources = _fit(f"Lần đầu tiên: {first.name}", [first], lambda: _Sources(documents))
        return self._answer(question, text, sources, [first], fact=first.name)

    def _held(self, question, name, events, documents) -> Answer:
        figure = f"{len(events)} lần"
        heading = f"Tài liệu nhắc đến {figure} {name}:"
        text, sources = _fit(heading, events, lambda: _Sources(documents))
        return self._answer(question, text, sources, events, fact=figure)

    def _count(self, question, name, chosen, events, documents) -> Answer:
        last = events[-1]
        figure = f"{last.ordinal} lần"
        heading = (f"{figure} — tính theo số thứ tự: lần gần nhất có trong tài liệu là {last.name}. "
                   f"Tài liệu nhắc đến {len(events)} lần:")
        text, sources = _fit(heading, events, lambda: _Sources(documents))
        return self._answer(question, text, sources, events, fact=figure)

    def _interval(self, question, name, chosen, events, documents) -> Answer:
        asked_pair = len(chosen) >= 2 and len(chosen) < len(events) or len(chosen) == 2
        dated = [e for e in events if e.when()]
        pair = chosen if asked_pair else (dated[-2:] if len(dated) >= 2 else events[-2:])
        if len(pair) < 2:
            return self._refuse(question, f"Tài liệu chỉ có một lần {name}: không có gì để so khoảng cách.")
        a, b = sorted((pair[0], pair[-1]), key=lambda e: e.ordinal)
        undated = [e for e in (a, b) if e.when() is None]
        if undated:
            e = undated[0]
            given = f" (chỉ ghi {e.dates[0].value.text()})" if e.dates else ""
            return self._refuse(question, f"Không tính được: tài liệu không nêu đủ ngày tháng năm của "
                                          f"{e.name}{given}.")
        sources = _Sources(documents)
        da, db = a.when(), b.when()
        ca = sources.cite(next(g.sources for g in a.dates if g.value is da))
        cb = sources.cite(next(g.sources for g in b.dates if g.value is db))
        figure = _interval_text(da, db)
        text = (f"{figure}: {date_text(da)} (lần thứ {a.ordinal}) {marks(ca)} → {date_text(db)} "
                f"(lần thứ {b.ordinal}) {marks(cb)}")
        if any(len(e.dates) > 1 for e in (a, b)):
            text += "\nLưu ý: các tài liệu ghi ngày khác nhau; xem nguồn."
        if da.year_inferred or db.year_inferred:
            text += "\n" + INFERRED_NOTE
        return self._answer(question, text, sources, [a, b], fact=figure)

    def _theme(self, question, asked: SeriesQuestion, series, documents) -> Answer | None:
        keys = asked.keys or list(series)
        words = asked.topic.split()
        matches = []
        for key in keys:
            for event in series[key]:
                for theme in event.themes:
                    folded = " ".join(re.findall(r"\w+", fold(theme.value)))
                    if asked.topic in folded or all(re.search(r"\b" + re.escape(w) + r"\b", folded) for w in words):
                        matches.append(event)
                        break
        if not matches:
            if not asked.keys:
                return None  # not about the series we know: the normal path may still find it
            name = series[keys[0]][0].series
            return self._refuse(question, f"Tài liệu không có lần {name} nào với chủ đề về “{asked.topic}”.")
        heading = f"Có {len(matches)} hội nghị trong tài liệu có chủ đề như vậy:"
        text, sources = self._fit_named(heading, matches, documents)
        return self._answer(question, text, sources, matches)

    @staticmethod
    def _fit_named(heading: str, events: list[Event], documents) -> tuple[str, _Sources]:
        """Lines named in full (the events may be of several series), within ANSWER_LIMIT."""
        attempts = [(level, len(events)) for level in range(4)] + [(3, keep) for keep in range(len(events) - 1, 0, -1)]
        for level, keep in attempts:
            sources = _Sources(documents).reserve(events[:keep])
            lines = [event_line(e, sources, level, label=e.name) for e in events[:keep]]
            if keep < len(events):
                lines.append(f"(còn {len(events) - keep} hội nghị nữa; xem nguồn)")
            inferred = [INFERRED_NOTE] if any("*" in line for line in lines) else []
            text = "\n".join([heading] + lines + inferred)
            if len(text) <= ANSWER_LIMIT:
                return text, sources
        return heading, _Sources(documents)
