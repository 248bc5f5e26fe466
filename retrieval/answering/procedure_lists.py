"""Lists across procedures: "các thủ tục lĩnh vực Quản lý xuất nhập cảnh", "thủ tục nào không mất
phí", "thủ tục nào giải quyết trong 1 ngày", "thủ tục cấp tỉnh về ABTC", "có bao nhiêu thủ tục về hộ
tịch" — the held procedure records filtered, one line per procedure with its code and a citation.

A question is a list when it says so ("các/những thủ tục", "thủ tục nào", "bao nhiêu thủ tục",
"liệt kê", "danh sách") or when it names a level or a field (lĩnh vực) and asks no field of one
procedure. Filters, each read from the question's folded words (abbreviations expanded):
- field: a held Lĩnh vực written whole after "lĩnh vực", else the held ones that contain every word
  written there ("lĩnh vực xuất nhập cảnh" → Quản lý xuất nhập cảnh);
- level: "cấp tỉnh / bộ / xã / huyện" (not inside an agency's name: "UBND cấp tỉnh");
- agency: "do <cơ quan> thực hiện / giải quyết / tiếp nhận": the Cơ quan thực hiện contains it;
- fee: "không mất phí", "miễn phí" (every stated fee is free) or "phải nộp / có thu phí" (some way
  states an amount); "Không có thông tin" states nothing;
- deadline: "trong / không quá / dưới / trên N ngày (giờ, tuần, tháng)", "trong ngày": the shortest
  stated deadline, in days (a bare number is days, the portal's unit);
- topic: the words after "về / liên quan đến", else the words left once the rest is read: they
  stand together in the name or the Lĩnh vực.
No filter read: not a list the records can make (None: the question goes on). A topic that no
held name has, alone: None too (the passages may still know); with another filter: "none held".
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from vietnamese.abbreviations import procedure_words
from vietnamese.text import fold
from knowledge.answers import MAX_ANSWER_CHARS as ANSWER_LIMIT, Answer, Citation

NAME_LIMIT = 110

_LIST_CUE = re.compile(r"\b(?:(?:cac|nhung|liet ke|danh sach|tat ca|ke ten)(?: cac)? thu tuc|thu tuc (?:nao|gi)|"
                       r"(?:bao nhieu|may) thu tuc|liet ke|danh sach)\b")
_COUNT = re.compile(r"\b(?:bao nhieu|may) thu tuc\b")
# A field or level asked of one procedure ("thuộc lĩnh vực nào", "cấp nào thực hiện"): not a filter.
_ASKS_ONE = re.compile(r"\b(?:linh vuc|cap) (?:nao|gi)\b")
_FREE = re.compile(r"\b(?:khong (?:mat|ton|thu|co|can|phai)(?: nop| dong| tra)? (?:phi|le phi|tien|chi phi)|"
                   r"mien(?: le)? phi)\b")
_PAID = re.compile(r"\b(?:(?:mat|ton|thu|co|phai nop|phai dong|phai tra|co thu|co mat|phai)\s+(?:phi|le phi|tien)|"
                   r"co (?:phi|le phi))\b")
_NUMBER_WORDS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "sau": 6, "bay": 7, "tam": 8,
                 "chin": 9, "muoi": 10, "muoi lam": 15, "hai muoi": 20, "ba muoi": 30}
_UNIT_DAYS = {"gio": 1 / 24, "phut": 1 / 1440, "ngay": 1.0, "tuan": 7.0, "thang": 30.0, "nam": 365.0}
_DEADLINE = re.compile(
    r"\b(?P<op>trong vong|trong|khong qua|toi da|chi|duoi|it hon|ngan hon|tren|hon|nhieu hon|lau hon|qua)?\s*"
    r"(?P<n>\d+(?:[.,]\d+)?|muoi lam|hai muoi|ba muoi|mot|hai|ba|bon|nam|sau|bay|tam|chin|muoi)\s+"
    r"(?P<unit>ngay|gio|tuan|thang)(?: lam viec)?\b")
_SAME_DAY = re.compile(r"\btrong (?:ngay|1 ngay|mot ngay)\b")
_OPS = {"duoi": "<", "it hon": "<", "ngan hon": "<", "tren": ">", "hon": ">", "nhieu hon": ">", "lau hon": ">",
        "qua": ">"}
_LEVEL = re.compile(r"\bcap (tinh|bo|xa|huyen|trung uong)\b(?! sung| nhiem)")  # not "cấp, bổ sung"
_LEVEL_NAMES = {"tinh": "cấp tỉnh", "bo": "cấp bộ", "xa": "cấp xã", "huyen": "cấp huyện", "trung uong": "cấp bộ"}
_AGENCY = re.compile(r"\b(?:do|cua|tai) (?P<agency>(?:[a-z0-9]+ ){1,12}?)(?:thuc hien|giai quyet|tiep nhan|xu ly|"
                     r"phu trach|cap phep)\b")
_FIELD = re.compile(r"\blinh vuc (?P<rest>.+)$")
# Where a field's or a topic's words end: the next filter, or a question word.
_BOUNDARY = re.compile(r"\b(?:cap (?:tinh|bo|xa|huyen|trung uong)|do|giai quyet|xu ly|co ket qua|mat|ton|khong|mien|"
                       r"co|phai|trong|duoi|tren|gom|la|nao|gi|hien|dang|thuoc|hay|nhe|a|vay|ve)\b")
_TOPIC = re.compile(r"\b(?:ve|lien quan (?:den|toi)|doi voi)\s+(?P<topic>.+)$")
# Words a list question uses besides its filters; anything else left over is the topic.
_FILLER = set("""
cac nhung thu tuc hanh chinh tthc nao gi liet ke danh sach tat ca ke ten bao nhieu may co hien dang la gom
giai quyet xu ly thuc hien ket qua mat ton duoc cho biet xin hoi hay giup minh toi em anh chi a nhe nha vay thi
thuoc ve lien quan den toi doi voi trong tai dau o cua hien nay hien co dang co tai lieu nhu the sao ma va hoac
voi nay do kia phai nop dong tra phi le tien mien khong chi
""".split())


@dataclass
class ListQuestion:
    fields: list[str] = field(default_factory=list)  # held Lĩnh vực values meant
    field_words: str = ""
    level: str = ""  # "tinh", "bo", "xa", "huyen"
    agency: str = ""  # folded words the Cơ quan thực hiện contains
    fee: str = ""  # "free" or "paid"
    deadline: tuple[str, float, str] | None = None  # (op, days, as written)
    topic: str = ""  # folded words standing together in the name or the field
    count: bool = False
    topic_shown: str = ""  # the topic and the agency as the question wrote them
    agency_shown: str = ""

    @property
    def structured(self) -> bool:
        return bool(self.fields or self.level or self.agency or self.fee or self.deadline)

    def describe(self) -> str:
        parts = []
        if self.fields:
            parts.append("lĩnh vực " + " / ".join(self.fields))
        if self.level:
            parts.append(_LEVEL_NAMES[self.level])
        if self.agency:
            parts.append(f"do {self.agency_shown or self.agency} thực hiện")
        if self.topic:
            parts.append(f"về {self.topic_shown or self.topic}")
        if self.fee:
            parts.append("không mất phí, lệ phí" if self.fee == "free" else "có thu phí, lệ phí")
        if self.deadline:
            op, _, written = self.deadline
            parts.append({"<=": "giải quyết trong ", "<": "giải quyết dưới ", ">": "giải quyết trên "}[op] + written)
        return ", ".join(parts)


def is_list(question: str) -> bool:
    """Whether the question says it asks for a list (a level or field alone is read after the name)."""
    return bool(_LIST_CUE.search(_words(question)))


def _words(text: str) -> str:
    return " ".join(procedure_words(text))  # abbreviations expanded, as for names


def _as_written(question: str, folded: str) -> str:
    """The question's own words for a folded (abbreviation-expanded) phrase: "ABTC", "UBND cấp tỉnh"."""
    if not folded:
        return ""
    words = re.findall(r"\w+", question)
    target = folded.split()
    for start in range(len(words)):
        expanded: list[str] = []
        for end in range(start, len(words)):
            expanded += _words(words[end]).split()
            if expanded == target:
                return " ".join(words[start:end + 1])
            if expanded != target[:len(expanded)]:
                break
    return folded


def _has(phrase: str, text: str) -> bool:
    return bool(phrase) and f" {phrase} " in f" {text} "


def read_list(question: str, held) -> ListQuestion | None:
    """The filters of a list question, or None when the question is not one the records can make."""
    text = _words(question)
    cue = bool(_LIST_CUE.search(text))
    asked = ListQuestion(count=bool(_COUNT.search(text)))
    rest = text
    agency = _AGENCY.search(rest)
    if agency and (cue or "thu tuc" in rest):
        asked.agency = agency.group("agency").strip()
        rest = rest[:agency.start()] + " " + rest[agency.end():]
    level = _LEVEL.search(rest)
    if level and not _ASKS_ONE.search(rest):
        asked.level = "bo" if level.group(1) == "trung uong" else level.group(1)
        rest = rest[:level.start()] + " " + rest[level.end():]
    field_match = _FIELD.search(rest)
    if field_match and not _ASKS_ONE.search(rest):
        after = field_match.group("rest")
        values = sorted({_words(h.record.fields["field"].text): h.record.fields["field"].text.strip()
                         for h in held if "field" in h.record.fields}.items(), key=lambda kv: -len(kv[0]))
        whole = next(((k, v) for k, v in values if after == k or after.startswith(k + " ")), None)
        if whole:
            asked.fields, used = [whole[1]], whole[0]
        else:
            stop = _BOUNDARY.search(after)
            used = (after[:stop.start()] if stop else after).strip()
            field_words = set(used.split()) - _FILLER
            asked.fields = sorted({v for k, v in values if field_words and field_words <= set(k.split())})
        asked.field_words = used
        rest = rest[:field_match.start()] + " " + after[len(used):]
    if _FREE.search(rest):
        asked.fee = "free"
        rest = _FREE.sub(" ", rest)
    elif _PAID.search(rest) and cue:
        asked.fee = "paid"
        rest = _PAID.sub(" ", rest)
    same_day = _SAME_DAY.search(rest)
    deadline = _DEADLINE.search(rest)
    if same_day:
        asked.deadline = ("<=", 1.0, "1 ngày")
        rest = rest[:same_day.start()] + " " + rest[same_day.end():]
    elif deadline:
        n = deadline.group("n")
        figure = float(_NUMBER_WORDS.get(n) or n.replace(",", "."))
        op = _OPS.get(deadline.group("op") or "", "<=")
        unit = deadline.group("unit")
        shown = {"ngay": "ngày", "gio": "giờ", "tuan": "tuần", "thang": "tháng"}[unit]
        asked.deadline = (op, figure * _UNIT_DAYS[unit], f"{figure:g} {shown}")
        rest = rest[:deadline.start()] + " " + rest[deadline.end():]
    if not (cue or ((asked.level or field_match) and not _ASKS_ONE.search(text))):
        return None
    topic = _TOPIC.search(rest)
    if topic:
        stop = _BOUNDARY.search(topic.group("topic"))
        words = (topic.group("topic")[:stop.start()] if stop else topic.group("topic")).split()
    else:
        words = [w for w in _LIST_CUE.sub(" ", rest).split() if w not in _FILLER]
    asked.topic = " ".join(w for w in words if w not in _FILLER or w in ("cap", "the"))
    if field_match and not asked.fields:
        return None  # a field no held procedure has: not ours to list (the passages may know it)
    if not asked.structured and not asked.topic:
        return None
    return asked


def _days(text: str) -> float | None:
    m = re.match(r"\s*(\d+(?:[.,]\d+)?)\s*(\w+)?", fold(text))
    if not m:
        return None
    return float(m.group(1).replace(",", ".")) * _UNIT_DAYS.get(m.group(2) or "ngay", 1.0)


def _fee_state(text: str) -> str:
    folded = fold(text).strip()
    if not folded or folded.startswith("khong co thong tin"):
        return ""
    if re.match(r"(?:mien phi|mien le phi|khong thu|khong\b)", folded):
        return "free"
    return "paid" if re.search(r"\d", folded) else ""


def _value(h, key: str) -> str:
    return h.record.fields[key].text if key in h.record.fields else ""


def selected(asked: ListQuestion, h) -> tuple[bool, str]:
    """Whether a held procedure passes every filter, and what to show of it on its line."""
    shown = ""
    if asked.fields and _value(h, "field").strip() not in asked.fields:
        return False, ""
    if asked.level and not _has(f"cap {asked.level}", _words(_value(h, "level"))):
        return False, ""
    if asked.agency and not _has(asked.agency, _words(_value(h, "agency"))):
        return False, ""
    if asked.topic and not (_has(asked.topic, _words(h.record.name)) or _has(asked.topic, _words(_value(h, "field")))):
        return False, ""
    if asked.fee:
        fees = [s.fee for s in h.record.submissions if s.fee]
        if not fees and "fee" in h.record.fields:
            fees = [h.record.fields["fee"].text]
        states = {_fee_state(f) for f in fees} - {""}
        if asked.fee == "free" and states != {"free"}:
            return False, ""
        if asked.fee == "paid" and "paid" not in states:
            return False, ""
        shown = "; ".join(dict.fromkeys(f for f in fees if _fee_state(f)))
    if asked.deadline:
        stated = [(d, s.deadline) for s in h.record.submissions if s.deadline
                  for d in [_days(s.deadline)] if d is not None]
        if not stated:
            return False, ""
        op, figure, _ = asked.deadline
        shortest, written = min(stated)
        if not {"<=": shortest <= figure + 1e-9, "<": shortest < figure - 1e-9, ">": shortest > figure + 1e-9}[op]:
            return False, ""
        shown = written if re.search(r"[^\d\s.,]", written) else f"{written} ngày"
    return True, shown


def _short(text: str, limit: int) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def procedure_list(question: str, held) -> Answer | None:
    """The list answer, or None when the question is not a list the records can make."""
    asked = read_list(question, held)
    if asked is None:
        return None
    chosen = []
    for h in sorted(held, key=lambda h: (h.record.code or "~", h.record.name)):
        ok, shown = selected(asked, h)
        if ok:
            chosen.append((h, shown))
    asked.topic_shown = _as_written(question, asked.topic)
    asked.agency_shown = _as_written(question, asked.agency)
    what = asked.describe()
    if not chosen:
        if not asked.structured:
            return None  # a topic alone that no held name has: the passages may know it
        return Answer(question=question, answer=f"Tài liệu hiện có không có thủ tục nào {what}.", refused=True)
    figure = f"{len(chosen)} thủ tục"
    heading = f"Tài liệu hiện có {figure} {what}:"
    lines: list[str] = []
    citations: list[Citation] = []
    for n, (h, shown) in enumerate(chosen, 1):
        code = f" (mã {h.record.code})" if h.record.code else ""
        line = f"{n}. {_short(h.record.name, NAME_LIMIT)}{code}" + (f" — {shown}" if shown else "") + f" [{n}]"
        rest = len(chosen) - n
        note = f"(còn {rest} thủ tục nữa; hỏi hẹp hơn, ví dụ thêm lĩnh vực hoặc cấp thực hiện)" if rest else ""
        if len("\n".join([heading] + lines + [line] + ([note] if note else []))) > ANSWER_LIMIT:
            break
        lines.append(line)
        doc = h.document
        location = "Tên thủ tục" + ("".join(f", {label}" for label, on in (
            ("Lĩnh vực", asked.fields), ("Cấp thực hiện", asked.level), ("Cơ quan thực hiện", asked.agency),
            ("Phí, lệ phí", asked.fee), ("Thời hạn giải quyết", asked.deadline)) if on))
        quote = "; ".join(part for part in (h.record.name, _value(h, "field"), _value(h, "level"), shown) if part)
        citations.append(Citation(n, doc.get("source", ""), doc.get("title", "") or h.record.name,
                                  doc.get("publisher", ""), doc.get("date", ""), _short(quote, 600),
                                  h.record.doc_id, location))
    rest = len(chosen) - len(lines)
    if rest:
        lines.append(f"(còn {rest} thủ tục nữa; hỏi hẹp hơn, ví dụ thêm lĩnh vực hoặc cấp thực hiện)")
    answer = Answer(question=question, answer="\n".join([heading] + lines), refused=False, citations=citations,
                    fact=figure if asked.count else "", confidence=1.0)
    answer.records = [{"procedure": h.record.name, "code": h.record.code, "doc_id": h.record.doc_id, "list": what}
                      for h, _ in chosen]
    return answer
