"""Lists across procedures (issue 20, part 4): the questions, their expected sets, and the measure.

    .venv/bin/python training/procedure_lists.py write      # training/procedure_list_questions.jsonl
    .venv/bin/python training/procedure_lists.py measure    # every question through AnswerEngine.ask
    .venv/bin/python training/procedure_lists.py measure 15 --records-only   # the record step alone

`write` computes each question's expected set of procedure codes from the records of the rendered
store (the files training/render_procedures.py wrote, read as the engine reads them) and the
question's hand-written filter below, never from the engine's reading of the question: the
filter is what an officer means by the question, written with it. Every third question is held
back (split "heldout"); thresholds and rules are tuned on the fit ones only.

The filters' meaning (the same one the engine's list answer should implement):
- field: the procedure's Lĩnh vực is one of the given values;
- level: its Cấp thực hiện names that level ("Cấp bộ, Cấp tỉnh" is both);
- agency: its Cơ quan thực hiện contains the phrase (folded, abbreviations written out);
- fee "free": at least one way states a fee and every stated fee is free; "paid": some way
  states an amount ("Không có thông tin" states nothing);
- deadline (op, days): the shortest stated deadline of its ways, in days (hours are 1/24 day, a
  bare number is days, as the portal's default), compared with the figure;
- topic: the phrase (folded) stands in the procedure's name or its Lĩnh vực.

`measure` reports exact-set precision and recall per question (the codes of the answer's
`records`; a refusal or a non-list answer is an empty set), per split.
"""
from __future__ import annotations

import json
import re
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.models import Document  # noqa: E402
from knowledge.procedures import extract_procedure  # noqa: E402
from vietnamese.text import fold  # noqa: E402

QUESTIONS = ROOT / "training" / "procedure_list_questions.jsonl"
LOADED = ROOT / "training" / ".cache" / "procedures" / "loaded.json"
XNC = ["Quản lý xuất nhập cảnh"]

# (question as typed, filter). Written before the engine answered any of them.
SPECS: list[tuple[str, dict]] = [
    ("Các thủ tục lĩnh vực Quản lý xuất nhập cảnh", {"field": XNC}),
    ("Thủ tục nào không mất phí?", {"fee": "free"}),
    ("Thủ tục nào giải quyết trong 1 ngày?", {"deadline": ("<=", 1)}),
    ("Thủ tục cấp tỉnh về ABTC", {"level": "tinh", "topic": "abtc"}),
    ("Có bao nhiêu thủ tục về hộ tịch?", {"topic": "ho tich", "count": True}),
    ("Liệt kê các thủ tục lĩnh vực Hải quan", {"field": ["Hải quan"]}),
    ("cac thu tuc linh vuc dia chat va khoang san", {"field": ["Địa chất và khoáng sản"]}),
    ("Những thủ tục nào thuộc lĩnh vực Thuế?", {"field": ["Thuế"]}),
    ("Danh sách thủ tục lĩnh vực hàng không", {"field": ["Hàng không"]}),
    ("thu tuc nao mien phi", {"fee": "free"}),
    ("Thủ tục nào phải nộp lệ phí?", {"fee": "paid"}),
    ("Có bao nhiêu thủ tục thuộc lĩnh vực Thủy sản?", {"field": ["Thủy sản"], "count": True}),
    ("Các thủ tục về hộ chiếu", {"topic": "ho chieu"}),
    ("Thủ tục nào giải quyết dưới 3 ngày?", {"deadline": ("<", 3)}),
    ("co bao nhieu thu tuc ve abtc", {"topic": "abtc", "count": True}),
    ("Các thủ tục cấp xã", {"level": "xa"}),
    ("Thủ tục nào do Cục Quản lý xuất nhập cảnh thực hiện?", {"agency": "cuc quan ly xuat nhap canh"}),
    ("Liệt kê thủ tục về thị thực", {"topic": "thi thuc"}),
    ("thu tuc nao giai quyet trong 5 ngay", {"deadline": ("<=", 5)}),
    ("Các thủ tục lĩnh vực Đường bộ", {"field": ["Đường bộ"]}),
    ("Có bao nhiêu thủ tục lĩnh vực Chứng khoán?", {"field": ["Chứng khoán"], "count": True}),
    ("Thủ tục cấp bộ lĩnh vực Quản lý xuất nhập cảnh", {"level": "bo", "field": XNC}),
    ("cac thu tuc ve tam tru", {"topic": "tam tru"}),
    ("Những thủ tục về khoáng sản không mất phí", {"topic": "khoang san", "fee": "free"}),
    ("Thủ tục nào về thẻ thường trú?", {"topic": "the thuong tru"}),
    ("Các thủ tục lĩnh vực Công chứng", {"field": ["Công chứng"]}),
    ("thu tuc linh vuc ho tich gom nhung thu tuc nao", {"field": ["Hộ tịch"]}),
    ("Thủ tục nào có kết quả trong ngày?", {"deadline": ("<=", 1)}),
    ("Các thủ tục gia hạn", {"topic": "gia han"}),
    ("Thủ tục cấp tỉnh lĩnh vực Quản lý xuất nhập cảnh", {"level": "tinh", "field": XNC}),
    ("thu tuc nao thuoc linh vuc hai quan mien phi", {"field": ["Hải quan"], "fee": "free"}),
    ("Liệt kê các thủ tục lĩnh vực Nhà ở và công sở", {"field": ["Nhà ở và công sở"]}),
    ("Những thủ tục nào do Ngân hàng Nhà nước Việt Nam thực hiện?", {"agency": "ngan hang nha nuoc viet nam"}),
    ("Các thủ tục lĩnh vực Thành lập và hoạt động ngân hàng", {"field": ["Thành lập và hoạt động ngân hàng"]}),
    ("cac thu tuc ve xuat canh", {"topic": "xuat canh"}),
    ("Thủ tục nào mất trên 30 ngày?", {"deadline": (">", 30)}),
    ("Có bao nhiêu thủ tục cấp tỉnh?", {"level": "tinh", "count": True}),
    ("Các thủ tục lĩnh vực Tài nguyên nước", {"field": ["Tài nguyên nước"]}),
    ("thu tuc nao ve ho chieu khong mat phi", {"topic": "ho chieu", "fee": "free"}),
    ("Các thủ tục về quốc tịch", {"topic": "quoc tich"}),
    ("Danh sách thủ tục lĩnh vực Hàng hải và đường thủy nội địa", {"field": ["Hàng hải và đường thủy nội địa"]}),
    ("co bao nhieu thu tuc linh vuc quan ly xuat nhap canh", {"field": XNC, "count": True}),
    ("Thủ tục nào về ABTC miễn phí?", {"topic": "abtc", "fee": "free"}),
    ("Các thủ tục cấp lại", {"topic": "cap lai"}),
    ("thu tuc nao do cong an cap xa thuc hien", {"agency": "cong an cap xa"}),
    ("Các thủ tục lĩnh vực Biển và hải đảo", {"field": ["Biển và hải đảo"]}),
    ("Thủ tục nào về tàu biển?", {"topic": "tau bien"}),
    ("liet ke thu tuc linh vuc hoat dong ngoai hoi", {"field": ["Hoạt động ngoại hối"]}),
    ("Có bao nhiêu thủ tục lĩnh vực xuất nhập cảnh giải quyết trong 5 ngày?",
     {"field": XNC, "deadline": ("<=", 5), "count": True}),
    ("Thủ tục nào thuộc lĩnh vực Lâm nghiệp?", {"field": ["Lâm nghiệp"]}),
    ("thu tuc cap bo ve the abtc", {"level": "bo", "topic": "the abtc"}),
    ("Các thủ tục lĩnh vực XNC cấp tỉnh", {"field": XNC, "level": "tinh"}),
    ("Những thủ tục nào do UBND cấp tỉnh thực hiện?", {"agency": "uy ban nhan dan cap tinh"}),
]


def phrase_in(phrase: str, text: str) -> bool:
    """The folded phrase stands in the text, the officers' abbreviations of part 3 written out on
    both sides ("UBND cấp tỉnh" is "Ủy ban nhân dân cấp tỉnh")."""
    from vietnamese.abbreviations import procedure_words as _tokens

    return f" {' '.join(_tokens(phrase))} " in " " + " ".join(_tokens(text)) + " "


_UNIT_DAYS = {"gio": 1 / 24, "phut": 1 / 1440, "ngay": 1, "tuan": 7, "thang": 30, "nam": 365}


def deadline_days(text: str) -> float | None:
    m = re.match(r"\s*(\d+(?:[.,]\d+)?)\s*(\w+)?", fold(text))
    if not m:
        return None
    return float(m.group(1).replace(",", ".")) * _UNIT_DAYS.get(m.group(2) or "ngay", 1)


def fee_state(text: str) -> str:
    """"free", "paid" or "" (not stated)."""
    folded = fold(text).strip()
    if not folded or folded.startswith("khong co thong tin"):
        return ""
    if re.match(r"(mien phi|khong thu|khong\b)", folded):
        return "free"
    return "paid" if re.search(r"\d", folded) else ""


def records() -> list:
    rows = json.loads(LOADED.read_text())["rows"]
    out = []
    for r in rows.values():
        p = extract_procedure(Document(r["source"], r["text"], r["title"], r["publisher"], r["date"], r["doc_id"], 1))
        if p:
            out.append(p)
    return out


def matches(p, spec: dict) -> bool:
    value = lambda key: p.fields[key].text if key in p.fields else ""  # noqa: E731
    if "field" in spec and value("field").strip() not in spec["field"]:
        return False
    if "level" in spec and not phrase_in(f"cap {spec['level']}", value("level")):
        return False
    if "agency" in spec and not phrase_in(spec["agency"], value("agency")):
        return False
    if "fee" in spec:
        states = {fee_state(s.fee) for s in p.submissions if s.fee} - {""}
        if not states and "fee" in p.fields:
            states = {fee_state(p.fields["fee"].text)} - {""}
        if spec["fee"] == "free" and states != {"free"}:
            return False
        if spec["fee"] == "paid" and "paid" not in states:
            return False
    if "deadline" in spec:
        days = [d for d in (deadline_days(s.deadline) for s in p.submissions if s.deadline) if d is not None]
        if not days:
            return False
        op, figure = spec["deadline"]
        shortest = min(days)
        if not {"<=": shortest <= figure, "<": shortest < figure, ">": shortest > figure}[op]:
            return False
    if "topic" in spec and not (phrase_in(spec["topic"], p.name) or phrase_in(spec["topic"], value("field"))):
        return False
    return True


def write() -> None:
    held = records()
    lines = []
    for i, (question, spec) in enumerate(SPECS):
        codes = sorted({p.code for p in held if matches(p, spec)})
        lines.append(json.dumps({"id": f"plist-{i:03d}", "question": question, "filter": spec, "codes": codes,
                                 "count": bool(spec.get("count")), "split": "heldout" if i % 3 == 2 else "fit"},
                                ensure_ascii=False))
    QUESTIONS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    unaccented = sum(q == fold(q) for q, _ in SPECS)
    print(f"{len(SPECS)} questions ({unaccented} unaccented) over {len(held)} procedures -> {QUESTIONS}")


def listed_codes(got: dict) -> set[str]:
    """The procedures a reply lists (its records), or none for a refusal or a non-list answer."""
    if got.get("refused") or not got.get("records") or got["records"][0].get("list") is None:
        return set()
    return {r["code"] for r in got["records"]}


def measure(show: int, records_only: bool = False) -> int:
    sys.path.insert(0, str(ROOT / "training"))
    from measure_procedures import FILES, RecordsOnly, open_store  # the same store as the single-procedure measure

    engine = RecordsOnly(sorted(FILES.iterdir())) if records_only else open_store()[0]
    questions = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    engine.ask("các thủ tục")  # read the records once before timing
    results = []
    for q in questions:
        got = engine.ask(q["question"]).to_dict()
        want, have = set(q["codes"]), listed_codes(got)
        precision = len(want & have) / len(have) if have else float(not want)
        recall = len(want & have) / len(want) if want else float(not have)
        results.append((q, got, precision, recall, want == have))
    for split in ("fit", "heldout"):
        rows = [r for r in results if r[0]["split"] == split]
        plain = [r for r in rows if r[0]["question"] == fold(r[0]["question"])]
        print(f"{split}: {len(rows)} questions, precision {statistics.mean(r[2] for r in rows):.3f}, recall "
              f"{statistics.mean(r[3] for r in rows):.3f}, exact set {sum(r[4] for r in rows)}/{len(rows)}; "
              f"unaccented exact {sum(r[4] for r in plain)}/{len(plain)}; "
              f"over 700 characters {sum(len(r[1]['answer']) > 700 for r in rows)}")
    latency = [r[1]["latency_ms"] for r in results]
    print(f"latency p50 {statistics.median(latency):.1f} ms, p95 {statistics.quantiles(latency, n=20)[18]:.1f} ms")
    for q, got, precision, recall, _ in [r for r in results if not r[4] and r[0]["split"] == "fit"][:show]:
        print(f"  [{q['id']}] P {precision:.2f} R {recall:.2f} | {q['question']} | want {len(q['codes'])} | "
              f"got {got['answer'][:140]!r}")
    return 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "measure"
    if command == "write":
        write()
    else:
        raise SystemExit(measure(int(sys.argv[2]) if len(sys.argv) > 2 else 15, "--records-only" in sys.argv))
