"""Questions about administrative procedures, answered from procedure records field by field.

"Thủ tục cấp mới thẻ ABTC mất bao lâu?", "hồ sơ … gồm những gì?", "nộp ở đâu?", "lệ phí bao nhiêu?":
the question names a procedure (by code or by name, with abbreviations, without accents, in any
word order) and a field. The records come from the live documents (knowledge.procedures), cached
per document content like the event records, so an upload or a delete shows in the next answer.

Which procedure: each held procedure's name is compared with the question's words (weighted by
rarity among the held names): how much of the question the name explains, and how much of the
name the question gives. A name that explains the question and clearly beats the next one is
answered; two or more that fit about equally give a numbered choice list (never a guess); a
question that names a procedure no held name explains is refused with the nearest held ones as
leads; anything else goes through the passage path. The thresholds are fitted on the fit split of
training/procedure_questions.jsonl (training/measure_procedures.py --fit), never on held-back codes.
"""
from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from knowledge.procedures import LABELS, Procedure, extract_procedure
from knowledge.answers import MAX_ANSWER_CHARS as ANSWER_LIMIT, Answer, Citation
from retrieval.answering.records import LiveDocuments
from vietnamese.abbreviations import procedure_words as _tokens
from vietnamese.text import fold, has_diacritics

QUOTE_LIMIT = 600
# Fitted on the fit split (training/measure_procedures.py --fit; see README "Procedures as records").
EXPLAINED_MIN = 0.80  # share (by rarity) of the question's name words the best name must explain
NAMED_MIN = 0.30  # share of the best name's words the question must give
MARGIN = 0.02  # a rival named less fully than a best the question names whole, by more than this, is no rival
LEAD_MIN = 0.30  # below this nothing is near enough to name as a lead: the passage path answers
MISSING_MAX = 0.5  # the rarity (idf sum) of question words the best name lacks, at most
UNSAID_MAX = 2.0  # the rarity of words of the best name's stem (outside parentheses) the question lacks
MAX_CHOICES = 5

# Field cues, on folded text. Order matters only for reporting; every cue found is a field asked.
_CUES: list[tuple[str, str]] = [
    ("deadline", r"bao lau|mat bao nhieu ngay|bao nhieu ngay|may ngay|thoi han(?: giai quyet)?|thoi gian giai quyet|"
                 r"trong bao nhieu|khi nao (?:co|nhan) ket qua|bao gio (?:co|xong)|may hom|how long"),
    ("fee", r"le phi|phi|bao nhieu tien|ton bao nhieu|het bao nhieu|mat tien|chi phi|mien phi|fee"),
    ("address", r"\bnop\b.{0,120}?\b(?:o|tai) (?:dau|co quan nao|noi nao|cho nao)|(?:o|tai) dau nop|"
                r"nop (?:ho so )?(?:o|tai) dau|nop (?:ho so )?o co quan nao|nop (?:ho so )?(?:o|tai) (?:noi|cho) nao|"
                r"dia chi tiep nhan|noi (?:nop|tiep nhan)|nop o dau|nop tai dau|tiep nhan ho so o dau|o dau nop"),
    ("dossier", r"\bho so\b.{0,120}?\b(?:gom|bao gom|can|co) (?:nhung )?(?:gi|giay to)|giay to gi|giay to nao|"
                r"thanh phan ho so|ho so (?:gom|can|bao gom|co)|giay to (?:gi|nao)|"
                r"can (?:chuan bi|nhung|nop) (?:giay to|gi|ho so)|"
                r"chuan bi (?:nhung )?(?:gi|giay to)|nhung giay to|can nhung gi"),
    ("authority", r"tham quyen|ai (?:quyet dinh|cap|phe duyet|ky)|co quan nao (?:cap|quyet dinh|phe duyet)"),
    ("agency", r"co quan (?:nao )?(?:thuc hien|giai quyet)|co quan nao|don vi nao|ai (?:giai quyet|thuc hien|xu ly)|"
               r"noi nao giai quyet"),
    ("basis", r"can cu(?: phap ly)?|van ban nao|quy dinh (?:tai|o) (?:dau|van ban)|co so phap ly|luat nao|"
              r"nghi dinh nao|thong tu nao|van ban phap ly"),
    ("steps", r"trinh tu|cac buoc|quy trinh|(?:thuc hien|lam) (?:nhu )?the nao|cach lam|nhung buoc|may buoc"),
    ("ways", r"cach thuc(?: thuc hien)?|hinh thuc nop|nop (?:truc tuyen|online|qua mang|qua buu dien|qua buu chinh)"),
    ("result", r"ket qua|nhan (?:duoc|lai) (?:gi|cai gi)|duoc cap (?:gi|cai gi)"),
    ("conditions", r"dieu kien|yeu cau"),
    ("subjects", r"doi tuong|ai (?:duoc|co the|phai) (?:lam|thuc hien|nop|de nghi)|ai duoc"),
    ("level", r"(?:o|tai|thuoc) cap nao|cap nao (?:thuc hien|giai quyet)|cap thuc hien"),
    ("field", r"linh vuc"),
    ("decision", r"(?:so )?quyet dinh (?:so )?(?:may|nao|cong bo)|so quyet dinh|cong bo tai quyet dinh"),
    ("code", r"ma (?:thu tuc|so|tthc)"),
]
_CUE_RE = [(key, re.compile(rf"\b(?:{pattern})\b")) for key, pattern in _CUES]
# A cue word that differs from another word by its marks only: typed with accents, it must carry
# them ("phi chính phủ" is non-governmental; "phí" is a fee).
_ACCENTED_CUES = {"phi": "phí"}
# Phrases holding a cue's words that ask for no field: "tạo điều kiện" is "to facilitate".
_NOT_CUES = re.compile(r"\btao dieu kien\b")
_PROCEDURE_WORD = re.compile(r"\b(?:thu tuc|tthc|procedure)\b")
_CODE = re.compile(r"(?<![\d.])(\d{1,2}\.\d{6})(?![\d])")
# Words of a question that never name a procedure (question words, particles, politeness).
_STOP = set("""
thu tuc hanh chinh tthc cho hoi xin hay biet giup minh em anh chi a a nhe nha voi la gi nao bao nhieu may khong co
duoc thi vay sao nhu o dau tai ve cua va hoac can nhung cac mot de khi lam mat ton het ai ma con
thuc hien viec nay do kia ay dang se da roi chua tren duoi trong ra vao phai nen hien cu xong thuoc oi neu ro
""".split())
_FIELD_WORDS = set("""
le phi phi tien chi thoi han gian giai quyet ngay bao lau ho so thanh phan giay to gom bao chuan bi nop dia chi
tiep nhan noi co quan don vi tham quyen can cu phap ly van ban quy dinh luat trinh tu buoc quy trinh cach thuc
hinh ket qua nhan dieu kien yeu cau doi tuong cap linh vuc quyet dinh so ma xong mien online truc tuyen
""".split())


@dataclass
class Held:
    record: Procedure
    document: dict
    words: set[str]
    stem: set[str] = field(default_factory=set)  # the name's words outside parentheses


class ProcedureBook:
    """The procedure records of the live documents, cached per document content."""

    def __init__(self, registry) -> None:
        self.registry = registry
        self._lock = threading.Lock()
        self._live = LiveDocuments(registry, extract_procedure)
        self.held: list[Held] = []
        self.idf: dict[str, float] = {}
        self.default_idf = 1.0

    def current(self) -> list[Held]:
        with self._lock:
            if self._live.refresh():
                documents = self._live.documents
                held = [Held(p, documents[p.doc_id], set(_tokens(p.name)), set(_tokens(re.sub(r"\(.*?\)", " ", p.name))))
                        for p in self._live.per_document.values() if p]
                counts: dict[str, int] = {}
                for h in held:
                    for w in h.words:
                        counts[w] = counts.get(w, 0) + 1
                n = max(len(held), 1)
                self.idf = {w: math.log(1 + n / c) for w, c in counts.items()}
                # A word no held name has is evidence of another procedure: weighed above the rarest.
                self.default_idf = math.log(1 + n) + 1.0
                self.held = held
            return self.held

    def doc_ids(self) -> set[str]:
        """The live documents that are procedures."""
        return {h.record.doc_id for h in self.current()}


# ---- reading the question -------------------------------------------------------------------

@dataclass
class ProcedureQuestion:
    fields: list[str]  # fields asked, in the order the question asks them
    codes: list[str]  # procedure codes written in the question
    words: list[str]  # the question's words that may name a procedure
    says_procedure: bool  # "thủ tục" or a field cue: the question is about a procedure
    listing: bool = False
    cues: dict[str, str] = field(default_factory=dict)  # field -> the words that asked for it

    def fields_for(self, name: str) -> list[str]:
        """The fields asked, less those whose cue is part of the procedure's own name ("Cấp giấy
        chứng nhận đủ điều kiện …" does not ask for conditions), unless nothing else is asked."""
        folded = " ".join(re.findall(r"\w+", fold(name)))
        kept = [f for f in self.fields if f" {self.cues.get(f, '')} " not in f" {folded} "]
        return kept or self.fields


_LISTING = re.compile(r"\b(?:cac|nhung|liet ke|danh sach)\s+thu tuc\b|\bthu tuc nao\b|\bthu tuc gi\b")


def _is_cue(m: re.Match, lowered: str | None, idioms: list[tuple[int, int]]) -> bool:
    """Whether a cue's match on the folded question is one (`lowered`: the question as typed, when
    it carries accents and folds letter for letter)."""
    if any(a <= m.start() < b for a, b in idioms):
        return False
    accented = _ACCENTED_CUES.get(m.group(0))
    return not (accented and lowered is not None and lowered[m.start():m.end()] != accented)


def read_question(text: str, accented: str = "") -> ProcedureQuestion:
    """`accented`: the question with its accents put back when it was typed without (a cue word
    that differs from another by its marks only is then read as the restorer reads it)."""
    folded = fold(text)
    typed = text if has_diacritics(text) else accented
    lowered = typed.lower() if typed and fold(typed) == folded and len(typed.lower()) == len(folded) else None
    idioms = [m.span() for m in _NOT_CUES.finditer(folded)]
    found: list[tuple[int, str]] = []
    spans: list[tuple[int, int]] = []
    for key, pattern in _CUE_RE:
        for m in pattern.finditer(folded):
            if any(a <= m.start() < b for a, b in spans) or not _is_cue(m, lowered, idioms):
                continue
            found.append((m.start(), key))
            spans.append((m.start(), m.end()))
    fields = list(dict.fromkeys(key for _, key in sorted(found)))
    if "address" in fields and "agency" in fields:
        fields.remove("agency")
    residue = folded
    # "thế nào" asks how; folded it is "the nao", and "thẻ" (a card) names procedures: only the
    # accents (typed, or put back) tell them apart.
    asking = [m.span() for m in re.finditer(r"\bthế nào\b", lowered)
              if not any(a < m.end() and m.start() < b for a, b in spans)] if lowered else []
    for a, b in sorted([s for s in spans if s[1] - s[0] <= 40] + asking, reverse=True):
        residue = residue[:a] + " " + residue[b:]  # a cue, not a cue around the procedure's name ("nộp … ở đâu")
    codes = _CODE.findall(folded)
    residue = _CODE.sub(" ", residue)
    words = _tokens(residue)  # question words a name lacks count against it unless _STOP or _FIELD_WORDS
    cues: dict[str, str] = {}
    for (a, b), (_, key) in zip(spans, found):
        cues.setdefault(key, folded[a:b])
    return ProcedureQuestion(fields, codes, words, bool(_PROCEDURE_WORD.search(folded)) or bool(fields),
                             bool(_LISTING.search(folded)), cues)


def names_something(words: list[str]) -> bool:
    """Whether a question's words may name a procedure (any word besides question and field words)."""
    return bool(set(words) - _STOP - _FIELD_WORDS)


@dataclass
class Match:
    held: Held
    explained: float  # share of the question's words (by rarity) the name has
    named: float  # share of the name's words (by rarity) the question has
    missing: float = 0.0  # the rarity of the question's words the name lacks ("cấp lại" asked, "cấp" held)
    unsaid: float = 0.0  # the rarity of the name's words, outside parentheses, the question lacks

    @property
    def score(self) -> float:
        return 0.7 * self.explained + 0.3 * self.named


def rank(book: ProcedureBook, held: list[Held], words: list[str]) -> list[Match]:
    question = set(words)
    # Field words ("hồ sơ", "cấp") left in the question count only when a name has them.
    asked = {w for w in question}
    if not asked - _STOP - _FIELD_WORDS:
        return []
    out = []
    for h in held:
        shared = asked & h.words
        if not shared:
            continue
        idf = book.idf

        def weight(ws, default=book.default_idf):
            return sum(idf.get(w, default) for w in ws)
        # A question word or a field word ("hồ sơ", "cấp") a name lacks says nothing against it.
        loose = {w for w in asked - h.words if w in _FIELD_WORDS or w in _STOP}
        explained = weight(shared) / max(weight(asked - loose), 1e-9)
        named = weight(shared) / max(weight(h.words), 1e-9)
        unsaid = weight({w for w in h.stem - asked if w not in _STOP and w not in _FIELD_WORDS})
        out.append(Match(h, min(explained, 1.0), named, weight(asked - loose - h.words), unsaid))
    out.sort(key=lambda m: (-m.score, m.held.record.name))
    return out


# ---- answering --------------------------------------------------------------------------------

def _short(text: str, limit: int) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def _ways_text(record: Procedure, what: str) -> tuple[str, str, list[str]]:
    """(lead, lines, quotes) for the deadline or fee, per submission way when they differ."""
    values: dict[str, list[str]] = {}
    notes: dict[str, str] = {}
    for s in record.submissions:
        value = s.deadline if what == "deadline" else s.fee
        if not value:
            continue
        values.setdefault(value, []).append(s.way.lower() if s.way else "")
        if what == "fee" and s.note and value not in notes:
            notes[value] = s.note
    if not values:
        return "", "", []
    parts = []
    for value, ways in values.items():
        ways = [w for w in dict.fromkeys(ways) if w]
        note = f" — {_short(notes[value], 160)}" if value in notes else ""
        parts.append(f"{value}" + (f" (nộp {', '.join(ways)})" if ways else "") + note)
    lead = next(iter(values))
    quotes = [s.source for s in record.submissions][:3]
    return lead, "; ".join(parts), quotes


def field_answer(record: Procedure, key: str) -> tuple[str, str, list[str]]:
    """(fact, text, quotes) of one field; empty text when the record does not say."""
    if key in ("deadline", "fee"):
        lead, text, quotes = _ways_text(record, key)
        if not text and key in record.fields:
            v = record.fields[key]
            return v.text, _short(v.text, 300), [v.source]
        return lead, text, quotes
    if key == "ways":
        lines = [f"{s.way}: {s.deadline or '—'}; phí, lệ phí: {s.fee or '—'}" for s in record.submissions if s.way]
        return "", "\n".join(f"- {line}" for line in lines), [s.source for s in record.submissions][:3]
    if key == "dossier":
        lines = []
        for i, item in enumerate(record.dossier, 1):
            extra = ", ".join(x for x in (item.count,) if x)
            lines.append(f"{i}. {_short(item.name, 160)}" + (f" ({extra})" if extra else ""))
        first = record.dossier[0].name if record.dossier else ""
        return first, "\n".join(lines), [item.source for item in record.dossier][:4]
    if key == "steps":
        lines = [_short(step.text, 200) for step in record.steps]
        return "", "\n".join(lines), [step.source for step in record.steps][:3]
    if key == "basis":
        lines = [f"- {_short(v.text, 160)}" for v in record.basis]
        return (record.basis[0].text if record.basis else ""), "\n".join(lines), [v.source for v in record.basis][:4]
    if key == "code":
        return record.code, record.code, [record.code]
    if key == "address" and key not in record.fields and "agency" in record.fields:
        v = record.fields["agency"]
        return v.text, f"{_short(v.text, 300)} (tài liệu không ghi địa chỉ tiếp nhận riêng; đây là cơ quan thực hiện)", [v.source]
    if key in record.fields:
        v = record.fields[key]
        return v.text, _short(v.text, 400), [v.source]
    return "", "", []


OVERVIEW = ["deadline", "fee", "agency"]


def _fit(text: str, limit: int = ANSWER_LIMIT) -> str:
    if len(text) <= limit:
        return text
    pointer = " … (còn nữa, xem tài liệu [1])"
    cut = text[:limit - len(pointer)]
    cut = cut.rsplit("\n", 1)[0] if "\n" in cut[len(cut) // 2:] else cut.rsplit(" ", 1)[0]
    return cut + pointer


def _citation(h: Held, location: str, quotes: list[str]) -> Citation:
    doc = h.document
    quote = _short(" … ".join(q for q in dict.fromkeys(quotes) if q), QUOTE_LIMIT)
    return Citation(1, doc.get("source", ""), doc.get("title", "") or h.record.name, doc.get("publisher", ""),
                    doc.get("date", ""), quote, h.record.doc_id, location)


def procedure_dict(record: Procedure) -> dict:
    return {"procedure": record.name, "code": record.code, "doc_id": record.doc_id}


def answer_record(question: str, h: Held, fields: list[str]) -> Answer:
    record = h.record
    asked = fields or OVERVIEW
    parts, quotes, locations, fact = [], [], [], ""
    for key in asked:
        value_fact, text, qs = field_answer(record, key)
        label = LABELS.get(key, key)
        if not text:
            text = f"tài liệu không ghi {label.lower()}"
        elif not fact:
            fact = value_fact
        locations.append(label)
        quotes.extend(qs)
        parts.append((label, text))
    name = f"“{_short(record.name, 160)}”" + (f" ({record.code})" if record.code else "")
    if len(parts) == 1:
        label, text = parts[0]
        multiline = "\n" in text
        body = (f"{label} — {name}:\n{text} [1]" if multiline else f"{text} — {label}, thủ tục {name} [1]")
    else:
        body = f"Thủ tục {name}:\n" + "\n".join(f"- {label}: {text}" for label, text in parts) + " [1]"
    body = _fit(body)
    answer = Answer(question=question, answer=body, refused=False,
                    citations=[_citation(h, ", ".join(locations), quotes)], fact=fact, confidence=1.0)
    answer.records = [{**procedure_dict(record), "fields": asked}]
    return answer


def choice_list(question: str, matches: list[Match], fields: list[str]) -> Answer:
    lines = [f"{i}. {m.held.record.name}" + (f" (mã {m.held.record.code})" if m.held.record.code else "")
             for i, m in enumerate(matches, 1)]
    text = _fit("Có nhiều thủ tục gần giống nhau; bạn hỏi thủ tục nào? Hãy trả lời bằng số thứ tự hoặc mã:\n"
                + "\n".join(lines))
    citations = [_citation(m.held, "Tên thủ tục", [m.held.record.name]) for m in matches]
    for n, c in enumerate(citations, 1):
        c.n = n
    answer = Answer(question=question, answer=text, refused=True, citations=citations)
    answer.choices = [{**procedure_dict(m.held.record), "fields": fields, "kind": "choice"} for m in matches]
    return answer


def not_held(question: str, leads: list[Match]) -> Answer:
    text = "Tài liệu hiện có không có thủ tục bạn hỏi, nên tôi không trả lời để tránh nhầm với thủ tục khác."
    if leads:
        text += " Thủ tục gần nhất đang có:\n" + "\n".join(
            f"[{i}] {m.held.record.name}" + (f" (mã {m.held.record.code})" if m.held.record.code else "")
            for i, m in enumerate(leads, 1))
    citations = [_citation(m.held, "Tên thủ tục", [m.held.record.name]) for m in leads]
    for n, c in enumerate(citations, 1):
        c.n = n
    answer = Answer(question=question, answer=_fit(text), refused=True, citations=citations)
    answer.choices = [{**procedure_dict(m.held.record), "fields": [], "kind": "lead"} for m in leads]
    return answer


@dataclass
class Decision:
    kind: str  # "answer", "choices", "not_held", "none"
    matches: list[Match] = field(default_factory=list)


def decide(asked: ProcedureQuestion, matches: list[Match], explained_min=EXPLAINED_MIN, named_min=NAMED_MIN,
           margin=MARGIN, lead_min=LEAD_MIN, missing_max=MISSING_MAX, unsaid_max=UNSAID_MAX) -> Decision:
    """What to do with the ranked names; the thresholds are parameters so that they can be fitted."""
    if not matches:
        return Decision("none")
    best = matches[0]
    if best.score < lead_min:
        return Decision("none")
    if best.explained < explained_min or best.missing > missing_max or best.unsaid > unsaid_max:
        return Decision("not_held", matches[:3])  # the question names something no held name has
    # Every name that explains the question as well as the best may be the one meant.
    fitting = [m for m in matches if m.explained >= best.explained - 0.02 and m.missing <= missing_max]
    # A rival competes unless the question gives a word that tells the best apart from it: twins
    # told apart by one phrase ("cấp Quân đoàn" / "cấp Bộ Quốc phòng") are rivals only when the
    # question gives neither phrase.
    said = set(asked.words)
    # and either the question does not give the best's name whole or the rival is named about as
    # fully (a name the question gives whole beats a longer one that contains it).
    whole = not (best.held.words - said - _STOP - _FIELD_WORDS)
    rivals = [m for m in fitting if m is best or not ((best.held.words - m.held.words) & said)
              and (not whole or m.named >= best.named - margin)]
    if best.named >= named_min:
        return Decision("answer", [best]) if len(rivals) == 1 else Decision("choices", rivals[:MAX_CHOICES])
    # The question names too little of any: the one that fits, or the choice between those that do.
    return Decision("answer", [best]) if len(fitting) == 1 else Decision("choices", fitting[:MAX_CHOICES])


class ProcedureAnswerer:
    """Answers a question about a held procedure from its record; None when it is not one."""

    def __init__(self, book: ProcedureBook) -> None:
        self.book = book

    def answer(self, question: str) -> Answer | None:
        found = self.candidate(question)
        return found[0] if found else None

    def candidate(self, question: str, accents: Callable[[], str] | None = None
                  ) -> tuple[Answer, dict[str, float]] | None:
        """The record answer with its evidence (what kind of answer, how well the name matched,
        how many fields were asked), for the one answer path to weigh; None when it is not one.
        `accents()`: the question with its accents put back (asked only when typed without)."""
        held = self.book.current()
        if not held:
            return None
        asked = read_question(question, accents() if accents and not has_diacritics(question) else "")
        if not asked.says_procedure and not asked.codes:
            return None
        from retrieval.answering.procedure_lists import is_list, procedure_list  # they read names as this module does

        def listed_evidence(answer: Answer) -> tuple[Answer, dict[str, float]]:
            return answer, {"kind": "list", "list_size": float(len(answer.records)),
                            "fields": float(len(asked.fields))}

        if not asked.codes and is_list(question):  # "các thủ tục …", "thủ tục nào …", "bao nhiêu thủ tục …"
            listed = procedure_list(question, held)
            if listed is not None:
                return listed_evidence(listed)
        if asked.codes:
            by_code = [h for h in held if h.record.code in asked.codes]
            if by_code:
                return (answer_record(question, by_code[0], asked.fields_for(by_code[0].record.name)),
                        {"kind": "by_code", "explained": 1.0, "named": 1.0, "fields": float(len(asked.fields))})
            if asked.fields or _PROCEDURE_WORD.search(fold(question)):
                leads = rank(self.book, held, asked.words)[:3]
                return not_held(question, leads), {"kind": "not_held", "fields": float(len(asked.fields))}
            return None
        if asked.listing:  # a list cue but no filter the records can apply: the passage path answers
            return None
        matches = rank(self.book, held, asked.words)
        decision = decide(asked, matches)
        if decision.kind != "answer" and not set(asked.fields) - {"level", "field"}:
            # No procedure named and no field asked: "thủ tục cấp tỉnh về ABTC" is a list.
            listed = procedure_list(question, held)
            if listed is not None:
                return listed_evidence(listed)
        evidence: dict[str, float] = {"fields": float(len(asked.fields))}
        if matches:
            best = matches[0]
            second = matches[1].score if len(matches) > 1 else 0.0
            evidence.update(explained=best.explained, named=best.named, margin=best.score - second,
                            missing=best.missing, unsaid=best.unsaid)
        if decision.kind == "answer":
            held_one = decision.matches[0].held
            return answer_record(question, held_one, asked.fields_for(held_one.record.name)), \
                {**evidence, "kind": "procedure"}
        if decision.kind == "choices":
            return choice_list(question, decision.matches, asked.fields), {**evidence, "kind": "choices",
                                                                            "choices": float(len(decision.matches))}
        if decision.kind == "not_held" and _PROCEDURE_WORD.search(fold(question)) or \
                decision.kind == "not_held" and asked.fields and decision.matches[0].named >= NAMED_MIN:
            return not_held(question, decision.matches), {**evidence, "kind": "not_held"}
        return None
