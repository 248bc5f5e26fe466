"""Administrative procedures as records: recognise a procedure document and read its fields.

A procedure published on the national public-service portal has the same fields everywhere (code,
name, level, field, agencies, submission ways with deadline and fee, dossier, steps, result, legal
basis, conditions). Admins upload it as the portal's DOCX/PDF/HTML export, as a scraped page whose
table cells are glued together ("Hình thức nộpThời gianPhí, lệ phíMô tảTrực tuyến15 Ngày…"), or as
a department's own guidance with the same headings. Whatever the form, the loaded text is a run of
lines; a field starts at a line that begins with its heading ("Cơ quan thực hiện:", "Cơ quan thực
hiện | …", "3. Thành phần hồ sơ") and runs to the next heading. Each value keeps the line or table
cell it came from, so an answer can quote it.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from knowledge.models import Document
from vietnamese.text import fold
HEADINGS: dict[str, tuple[str, ...]] = {
    "code": ("ma thu tuc hanh chinh", "ma thu tuc", "ma tthc", "ma so thu tuc"),
    "name": ("ten thu tuc hanh chinh", "ten thu tuc", "ten tthc"),
    "decision": ("so quyet dinh cong bo", "so quyet dinh", "quyet dinh cong bo"),
    "level": ("cap thuc hien",),
    "kind": ("loai thu tuc",),
    "field": ("linh vuc",),
    "steps": ("trinh tu thuc hien", "trinh tu", "quy trinh thuc hien"),
    "ways": ("cach thuc thuc hien", "hinh thuc nop ho so"),
    "dossier": ("thanh phan ho so", "thanh phan, so luong ho so", "ho so gom", "ho so can nop"),
    "deadline": ("thoi han giai quyet", "thoi gian giai quyet"),
    "fee": ("phi, le phi", "le phi", "phi va le phi"),
    "subjects": ("doi tuong thuc hien",),
    "agency": ("co quan thuc hien", "co quan giai quyet"),
    "authority": ("co quan co tham quyen quyet dinh", "co quan co tham quyen", "tham quyen giai quyet"),
    "address": ("dia chi tiep nhan ho so", "dia chi tiep nhan hs", "dia chi tiep nhan", "noi tiep nhan ho so",
                "noi nop ho so"),
    "delegated": ("co quan duoc uy quyen",),
    "coordinating": ("co quan phoi hop",),
    "result": ("ket qua thuc hien", "ket qua xu ly", "ket qua giai quyet"),
    "basis": ("can cu phap ly", "co so phap ly"),
    "conditions": ("yeu cau, dieu kien thuc hien", "yeu cau, dieu kien", "yeu cau dieu kien", "dieu kien thuc hien"),
    "related": ("thu tuc hanh chinh lien quan", "thu tuc lien quan"),
    "keywords": ("tu khoa",),
    "description": ("mo ta",),
}
# What each field is called in answers and citations (the portal's own labels).
LABELS = {
    "code": "Mã thủ tục", "name": "Tên thủ tục", "decision": "Số quyết định", "level": "Cấp thực hiện",
    "kind": "Loại thủ tục", "field": "Lĩnh vực", "steps": "Trình tự thực hiện", "ways": "Cách thức thực hiện",
    "dossier": "Thành phần hồ sơ", "deadline": "Thời hạn giải quyết", "fee": "Phí, lệ phí",
    "subjects": "Đối tượng thực hiện", "agency": "Cơ quan thực hiện", "authority": "Cơ quan có thẩm quyền",
    "address": "Địa chỉ tiếp nhận hồ sơ", "delegated": "Cơ quan được ủy quyền",
    "coordinating": "Cơ quan phối hợp", "result": "Kết quả thực hiện", "basis": "Căn cứ pháp lý",
    "conditions": "Yêu cầu, điều kiện thực hiện",
}
_HEADING_LIST = sorted(((h, k) for k, hs in HEADINGS.items() for h in hs), key=lambda item: -len(item[0]))
# A heading line: optional numbering or bullet, the heading, then ":", "|", end, or (in glued text)
# the value straight after it.
_NUMBERING = re.compile(r"^\s*(?:[-*•+]\s*|\d{1,2}[.)]\s*|[IVX]{1,4}[.)]\s*|[a-zđ][.)]\s+)?")
_EMPTY = re.compile(r"^\s*(?:không có thông tin|không|chưa có thông tin|không quy định|-+)?\s*[.;]?\s*$", re.I)

WAYS = ("Trực tuyến", "Trực tiếp", "Dịch vụ bưu chính")
_WAY = re.compile(r"(Trực tuyến|Trực tiếp|Dịch vụ bưu chính|Qua dịch vụ bưu chính|Qua bưu điện)", re.I)
_TIME = re.compile(r"^\s*(\d+(?:[.,]\d+)?(?:\s*(?:Ngày làm việc|ngày làm việc|Ngày|ngày|Giờ làm việc|giờ làm việc|Giờ|"
                   r"giờ|Tháng|tháng|Năm|năm|Tuần|tuần|Phút|phút))?)")
_FEE = re.compile(r"(?:Miễn phí|Không có thông tin|Không thu phí|Không|"
                  r"(?:(?:Phí|Lệ phí)\s*:?\s*)?[\d.,]+\s*(?:Việt Nam\s*)?(?:Đồng|đồng|VNĐ|VND|USD|đ)(?:\s*/\s*[\wĐđ]+)?)", re.I)
_WAYS_HEADER = re.compile(r"Hình thức nộp\s*\|?\s*Thời (?:gian|hạn)(?: giải quyết)?\s*\|?\s*"
                          r"Phí,? lệ phí\s*\|?\s*(?:Mô tả)?\s*\|?\.?",
                          re.I)
_DOSSIER_HEADER = re.compile(r"Tên giấy tờ\s*\|?\s*Mẫu đơn,? tờ khai\s*\|?\s*Số lượng\s*\|?\.?", re.I)
_COUNT = re.compile(r"(\d+\s*bản chính(?:\s*,\s*\d+\s*bản sao)?|\d+\s*bản sao)", re.I)
_FORM_FILE = re.compile(r"(?<=[.;:)\s])([A-ZĐÀ-Ỹ][^|]{0,160}?\.(?:docx?|pdf|xlsx?|rar|zip))\s*$")
_BASIS_HEADER = re.compile(r"(?:Tên văn bản pháp lý|Số ký hiệu)\s*\|?\s*(?:Mã văn bản|Trích yếu)"
                           r"(?:\|\s*Ngày ban hành\s*\|\s*Cơ quan ban hành)?\s*\|?\.?",
                           re.I)
# A document number ("25/2021/TT-BTC", "09/2023/QĐ-TTg"); in glued text it ends before a capitalised
# word ("…/TT-BTCNghị định") or right after "TTg".
CODE = re.compile(r"\d+(?:/\d+)?/(?:19|20)\d\d/[A-ZĐ0-9](?:TTg|[A-ZĐ0-9\-])*?"
                  r"(?=(?<=TTg)|[A-ZĐ][a-zà-ỹđ]|[^A-ZĐ0-9\-]|$)")
_DOUBLED = re.compile(r"(\d+(?:/\d+)?/(?:19|20)\d\d/[A-ZĐ](?:TTg|[A-ZĐ0-9\-])*?)(?=\1)")
_PROCEDURE_CODE = re.compile(r"\b\d{1,2}\.\d{6}(?:\.\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2})?\b")
_STEP = re.compile(r"(?=(?<![\w])Bước\s*\d+\s*[:.)-])")
_RESULT_TAIL = re.compile(r"\s*Mã:\s*KQ\..*$", re.S)
_PORTAL_TAIL = re.compile(r"\s*(?:Từ khóa|Chọn cơ quan thực hiện).*$", re.S)


@dataclass
class Value:
    """A field value and the line or table cell it was read from."""

    text: str
    source: str


@dataclass
class Submission:
    """One way to submit (Trực tuyến, Trực tiếp, Dịch vụ bưu chính) with its deadline and fee."""

    way: str
    deadline: str
    fee: str
    note: str
    source: str


@dataclass
class DossierItem:
    name: str
    form: str  # the form (mẫu đơn, tờ khai) to fill in, if any
    count: str  # "1 bản chính, 1 bản sao"
    group: str  # the heading of the case it belongs to ("Hồ sơ gia hạn"), if any
    source: str


@dataclass
class Procedure:
    """One procedure document read as a record."""

    doc_id: str
    code: str
    name: str
    fields: dict[str, Value] = field(default_factory=dict)  # scalar fields by key (decision, level, …)
    submissions: list[Submission] = field(default_factory=list)
    dossier: list[DossierItem] = field(default_factory=list)
    steps: list[Value] = field(default_factory=list)
    basis: list[Value] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    def has(self, key: str) -> bool:
        if key in ("ways", "deadline", "fee"):
            return bool(self.submissions) or key in self.fields
        if key == "dossier":
            return bool(self.dossier)
        if key == "steps":
            return bool(self.steps)
        if key == "basis":
            return bool(self.basis)
        if key == "code":
            return bool(self.code)
        return key in self.fields


def _heading_at(line: str) -> tuple[str, str] | None:
    """(field key, the rest of the line) when the line opens a field."""
    stripped = _NUMBERING.sub("", line, count=1).lstrip("*# ").strip()
    folded = fold(stripped)
    for heading, key in _HEADING_LIST:
        if folded.startswith(heading):
            rest = stripped[len(heading):]
            tail = rest.lstrip(" *")
            if not tail or tail[0] in ":|" or (tail[0] in ".-–" and len(tail) > 1):
                return key, tail.lstrip(":|.-–* ").strip()
            # glued: "Lĩnh vựcThuế", "Số quyết định5568/QĐ-BCA" (no word runs on into a capital or a digit)
            if rest[:1] != " " and rest[:1].isalnum() and (rest[:1].isupper() or rest[:1].isdigit()):
                return key, rest.strip()
            if key in ("ways", "dossier", "basis", "steps") and len(stripped) < len(heading) + 4:
                return key, ""
    return None


def sections(text: str) -> dict[str, list[str]]:
    """Field key -> the lines under its heading (the heading line's own value first)."""
    out: dict[str, list[str]] = {}
    current = None
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        found = _heading_at(line)
        if found and (found[0] not in out or found[0] in ("description", "keywords")):
            current, rest = found
            out.setdefault(current, [])
            if rest:
                out[current].append(rest)
            continue
        if current is not None:
            out[current].append(line)
    return out


def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip().rstrip("|").strip()
    return text[:-1].strip() if text.endswith(".") and text.count(".") == 1 and not re.search(r"\d\.$", text) else text


# Column headers of the portal's tables -> the role of the cell under them. The loaders may write
# a table row with its headers ("Hình thức nộp: Trực tiếp | Thời hạn giải quyết: 30 Ngày | …").
_COLUMNS = {"hinh thuc nop": "way", "thoi han giai quyet": "deadline", "thoi gian giai quyet": "deadline",
            "thoi gian": "deadline", "thoi han": "deadline", "phi, le phi": "fee", "le phi": "fee", "phi": "fee",
            "mo ta": "note", "ten giay to": "name", "mau don, to khai": "form", "so luong": "count",
            "so ky hieu": "code", "ma van ban": "code", "trich yeu": "title", "ten van ban phap ly": "title",
            "ten van ban": "title", "ngay ban hanh": "date", "co quan ban hanh": "issuer"}
_KEYED_CELL = re.compile(r"^([^:|]{2,40}):\s*(.*)$", re.S)


def _keyed(line: str) -> dict[str, str] | None:
    """A table row written with its column headers, as role -> value; None for any other line.
    The header row itself ("Số ký hiệu: Trích yếu") comes back empty."""
    out: dict[str, str] = {}
    for cell in re.split(r"\s+\|\s+", line.strip().rstrip(".")):
        m = _KEYED_CELL.match(cell.strip())
        role = _COLUMNS.get(fold(m.group(1)).strip()) if m else None
        if role is None:
            return None
        value = m.group(2).strip()
        if fold(value) in _COLUMNS:  # a header under a header: the header row
            continue
        out[role] = value
    return out


def _cells(line: str) -> list[str]:
    return [c.strip() for c in re.split(r"\s*\|\s*", line.rstrip(". "))] if " |" in line else []


# ---- submission ways ------------------------------------------------------------------------

def parse_ways(lines: list[str]) -> list[Submission]:
    """Rows of the 'Cách thức thực hiện' table, whether cells are '|'-separated, glued or prose."""
    out: list[Submission] = []
    for line in lines:
        keyed = _keyed(line)
        if keyed is not None:
            if keyed.get("way") and _WAY.fullmatch(keyed["way"].strip()):
                out.append(Submission(_way_name(keyed["way"]), _clean(keyed.get("deadline", "")),
                                      _clean(keyed.get("fee", "")), _clean(keyed.get("note", "")), line))
            continue
        cells = _cells(line)
        if cells and _WAY.fullmatch(cells[0].strip()):
            way = _way_name(cells[0])
            deadline = cells[1] if len(cells) > 1 else ""
            fee = cells[2] if len(cells) > 2 else ""
            note = " ".join(cells[3:]) if len(cells) > 3 else ""
            out.append(Submission(way, _clean(deadline), _clean(fee), _clean(note), line))
            continue
        out.extend(_glued_ways(_WAYS_HEADER.sub(" ", line)))
    return out


def _way_name(text: str) -> str:
    folded = fold(text)
    if "tuyen" in folded:
        return "Trực tuyến"
    if "buu" in folded:
        return "Dịch vụ bưu chính"
    return "Trực tiếp"


def _glued_ways(text: str) -> list[Submission]:
    """'Trực tuyến21 Ngày1,200,000 Việt Nam Đồng(1.200.000đ/thẻ.)Dịch vụ bưu chính21 Ngày…' or a
    prose line 'Trực tiếp: 15 ngày làm việc; lệ phí: 200.000 đồng'."""
    out = []
    starts = [m for m in _WAY.finditer(text) if _TIME.match(text[m.end():].lstrip(" :-–,;|"))]
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        segment = text[m.start():end]
        rest = text[m.end():end].lstrip(" :-–,;|")
        t = _TIME.match(rest)
        deadline = t.group(1).strip() if t else ""
        rest = rest[t.end():] if t else rest
        rest = re.sub(r"^[\s|;,.:-]*(?:(?:phí,\s*)?lệ phí|phí)\s*:\s*", "", rest, flags=re.I).strip(" |;")
        fee, note = rest, ""
        known = _FEE.match(rest)
        paren = re.search(r"\(", rest)
        if known:
            fee, note = known.group().strip(), rest[known.end():].strip(" -–;,")
        elif paren and paren.start() > 0:
            fee, note = rest[:paren.start()], rest[paren.start():].strip()
        if note.startswith("(") and note.endswith(")"):
            note = note[1:-1]
        out.append(Submission(_way_name(m.group()), _clean(deadline), _clean(fee), _clean(note), segment.strip()))
    return out


# ---- dossier --------------------------------------------------------------------------------

def parse_dossier(lines: list[str]) -> list[DossierItem]:
    out: list[DossierItem] = []
    group = ""
    for line in lines:
        keyed = _keyed(line)
        if keyed is not None:
            if keyed.get("name"):
                out.append(DossierItem(_clean(keyed["name"]), _clean(keyed.get("form", "")),
                                       _clean(keyed.get("count", "")), group, line))
            continue
        cells = _cells(line)
        if cells and _DOSSIER_HEADER.match(line):
            continue
        if cells and len(cells) >= 2 and _COUNT.search(cells[-1]):
            name = cells[0]
            form = cells[1] if len(cells) > 2 else ""
            out.append(DossierItem(_clean(name), _clean(form), _clean(cells[-1]), group, line))
            continue
        if cells and len(cells) == 1:
            group = _clean(cells[0])
            continue
        parts = _DOSSIER_HEADER.split(line)
        if len(parts) > 1 or _COUNT.search(line):
            for i, part in enumerate(parts):
                if i < len(parts) - 1:  # text before a header row is the case's heading
                    heading = _clean(part).strip(" -*:")
                    if heading:
                        group = heading
                    continue
                out.extend(_glued_dossier(part, group))
            continue
        # a prose line ("- Tờ khai … (01 bản chính)") or a group heading ending with ':'
        text = _clean(line.lstrip("-*+• "))
        if text.endswith(":"):
            group = text.rstrip(":")
        elif text:
            out.append(DossierItem(text, "", "", group, line))
    return out


def _glued_dossier(text: str, group: str) -> list[DossierItem]:
    out = []
    pieces = _COUNT.split(text)
    for body, count in zip(pieces[0::2], pieces[1::2]):
        body = body.strip(" ,;:")
        if not body:
            continue
        form = ""
        m = _FORM_FILE.search(body)
        if m:
            form, body = m.group(1).strip(), body[:m.start()].strip()
        name = body.lstrip("+-* ").strip().rstrip(":").strip()
        if name:
            out.append(DossierItem(_clean(name), form, _clean(count), group, (body + " " + count).strip()))
    return out


# ---- legal basis ----------------------------------------------------------------------------

def parse_basis(lines: list[str]) -> list[Value]:
    out: list[Value] = []
    for line in lines:
        if _BASIS_HEADER.fullmatch(line.strip()):
            continue
        keyed = _keyed(line)
        if keyed is not None:
            title, code = keyed.get("title", ""), keyed.get("code", "")
            if title or code:
                out.append(Value(_clean(title if code in title else f"{title} ({code})" if title else code), line))
            continue
        if re.match(r"^\s*(\S+/\d{4}/\S+):\s+(.+)$", line):  # "25/2018/QH14: Luật Tố cáo …" (code: title)
            code, title = re.match(r"^\s*(\S+/\d{4}/\S+):\s+(.+)$", line).groups()
            title = title.rstrip(".")
            out.append(Value(_clean(title if code in title else f"{title} ({code})"), line))
            continue
        cells = _cells(line)
        if cells:
            if len(cells) >= 2:
                name, code = cells[0], cells[1]
                if CODE.fullmatch(name.strip()) and not CODE.search(code):  # "Số ký hiệu | Trích yếu"
                    name, code = code, name
                text = name if code in name else f"{name} ({code})" if code else name
                out.append(Value(_clean(text), line))
            continue
        out.extend(_glued_basis(_BASIS_HEADER.sub(" ", line)))
    return [v for v in out if v.text]


def _glued_basis(text: str) -> list[Value]:
    """'Luật 49/2019/QH1449/2019/QH14Nghị định98/2024/NĐ-CP' -> one value per document: a code
    written twice ends an item (name, then the code column), as does a code after a short name."""
    text = _DOUBLED.sub(r"\1‖", text)
    out = []
    pos = 0
    for m in CODE.finditer(text):
        after = text[m.end():m.end() + 1]
        name = text[pos:m.start()].strip()
        if after == "‖":  # the name ends with the code and the code column repeats it
            continue
        if pos < m.start() and text[m.start() - 1] == "‖":  # the repeated code
            item = text[pos:m.start() - 1].strip()
            out.append(Value(_clean(item), text[pos:m.end()].replace("‖", "")))
            pos = m.end()
            continue
        if name and (len(name) <= 40 or m.group() in name):  # 'Nghị định' + code, or code already named
            item = name if m.group() in name else f"{name} {m.group()}"
            out.append(Value(_clean(item), text[pos:m.end()].replace("‖", "")))
            pos = m.end()
    rest = text[pos:].replace("‖", "").strip()
    if rest and not _EMPTY.match(rest):
        out.append(Value(_clean(rest), rest))
    return out


# ---- steps ----------------------------------------------------------------------------------

def parse_steps(lines: list[str]) -> list[Value]:
    text = "\n".join(lines)
    parts = [p.strip() for p in _STEP.split(text) if p.strip()]
    if len(parts) > 1 or (parts and re.match(r"Bước\s*\d", parts[0])):
        return [Value(_clean(p.replace("\n", " ")), p) for p in parts]
    return [Value(_clean(line.lstrip("-*+• ")), line) for line in lines if line.strip()]


# ---- the record -----------------------------------------------------------------------------

SCALAR = ("decision", "level", "kind", "field", "subjects", "agency", "authority", "address", "delegated",
          "coordinating", "result", "conditions", "deadline", "fee")
_MIN_FIELDS = 4


def extract_procedure(document: Document) -> Procedure | None:
    """The procedure record of a document, or None when the document is not a procedure."""
    found = sections(document.text)
    core = {"steps", "ways", "dossier", "agency", "authority", "result", "basis", "deadline", "fee"}
    if len(found) < _MIN_FIELDS or len(core & set(found)) < 3:
        return None
    name_lines = found.get("name") or []
    name = _clean(" ".join(name_lines[:1])) if name_lines else ""
    if not name:
        name = document.title or ""
    code = ""
    for line in (found.get("code") or [])[:2]:
        m = _PROCEDURE_CODE.search(line)
        if m:
            code = m.group()
            break
    if not code:
        m = _PROCEDURE_CODE.search(document.title or "") or _PROCEDURE_CODE.search(document.text[:400])
        code = m.group() if m else ""
    record = Procedure(document.doc_id, code, name)
    for key in SCALAR:
        lines = found.get(key)
        if not lines:
            continue
        text = "\n".join(lines)
        if key == "result":
            text = _RESULT_TAIL.sub("", _PORTAL_TAIL.sub("", text))
        if key in ("subjects", "agency", "authority", "level", "field", "kind", "decision", "address",
                   "delegated", "coordinating"):
            text = " ".join(lines)
        value = _clean(text.strip(" |"))
        if value and not _EMPTY.match(value):
            record.fields[key] = Value(value, " ".join(lines)[:600])
    record.submissions = parse_ways(found.get("ways") or [])
    record.dossier = parse_dossier(found.get("dossier") or [])
    record.steps = parse_steps(found.get("steps") or [])
    record.basis = parse_basis(found.get("basis") or [])
    if not record.submissions and ("deadline" in record.fields or "fee" in record.fields):
        deadline, fee = record.fields.get("deadline"), record.fields.get("fee")
        record.submissions = [Submission("", deadline.text if deadline else "", fee.text if fee else "", "",
                                         " ".join(v.source for v in (deadline, fee) if v))]
    if not record.name:
        return None
    return record
