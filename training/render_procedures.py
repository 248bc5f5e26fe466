"""Render procedures of ../shared/datasets/procedures-dev/ into the files admins upload, and write
the questions officers ask about them.

    .venv/bin/python training/render_procedures.py            # files + training/procedure_questions.jsonl

Deterministic. Files go to training/.cache/procedures/files/ (git-ignored): DOCX laid out like the
national portal's export (a table of the scalar fields, then headed sections with the ways, dossier
and legal-basis tables), HTML like the portal's page, PDF like a department's guidance (headings
and lines), and some as the glued scrape text (the dataset's own cells, glued). A procedure is
HELD BACK iff sha1(code) % 3 == 0 (shared with the reader's fitting). Questions about procedures
left out of the store are asked about held-back codes that are not rendered (and, for fitting
thresholds only, about fit codes not rendered).
"""
from __future__ import annotations

import hashlib
import html
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.procedures import (CODE, parse_basis, parse_dossier, parse_ways,  # noqa: E402
                                  _RESULT_TAIL, _PORTAL_TAIL)
from vietnamese.text import fold  # noqa: E402
from vietnamese.text import strip_diacritics  # noqa: E402

DATA = ROOT.parent / "shared" / "datasets" / "procedures-dev" / "procedures.jsonl"
OUT = ROOT / "training" / ".cache" / "procedures" / "files"
QUESTIONS = ROOT / "training" / "procedure_questions.jsonl"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
RENDERED = 330
LEFT_OUT = 40  # held-back codes asked about but not rendered
LEFT_OUT_FIT = 30  # fit codes asked about but not rendered (for fitting the match threshold)


def held_back(code: str) -> bool:
    return int(hashlib.sha1(code.encode()).hexdigest(), 16) % 3 == 0


def split_of(code: str) -> str:
    return "heldout" if held_back(code) else "fit"


def load() -> list[dict]:
    return [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]


def _words(name: str) -> set[str]:
    return set(re.findall(r"\w+", fold(name)))


def choose(rows: list[dict]) -> tuple[list[dict], list[dict], list[dict]]:
    """(rendered, left out held back, left out fit). Near-twins (names equal but for a phrase) are
    rendered together; a third of the left-out ones are twins of a rendered procedure."""
    rng = random.Random(20)
    rows = [r for r in rows if r["ten_thu_tuc"].strip() and r["trinh_tu_thuc_hien"].strip()]
    names = {}
    for r in rows:  # identical names cannot be told apart but by code: keep one
        names.setdefault(fold(re.sub(r"\s+", " ", r["ten_thu_tuc"].strip())), r)
    rows = sorted(names.values(), key=lambda r: r["ma_thu_tuc"])
    by_stem: dict[str, list[dict]] = {}
    for r in rows:
        by_stem.setdefault(fold(re.sub(r"\(.*?\)", "", r["ten_thu_tuc"])).strip(), []).append(r)
    twins = [g for g in by_stem.values() if len(g) > 1]
    rng.shuffle(twins)
    chosen: dict[str, dict] = {}
    for r in rows:  # immigration (the officers' own field) entirely
        if r["linh_vuc"] == "Quản lý xuất nhập cảnh" and not (held_back(r["ma_thu_tuc"]) and rng.random() < 0.3):
            chosen[r["ma_thu_tuc"]] = r
    for group in twins[:25]:
        for r in group:
            chosen[r["ma_thu_tuc"]] = r
    ministries = sorted({r["bo_nganh"] for r in rows})
    pool = [r for r in rows if r["ma_thu_tuc"] not in chosen]
    rng.shuffle(pool)
    i = 0
    while len(chosen) < RENDERED and i < len(pool):
        r = pool[i]
        i += 1
        per = sum(1 for c in chosen.values() if c["bo_nganh"] == r["bo_nganh"])
        if per < RENDERED / len(ministries) * 1.6:
            chosen[r["ma_thu_tuc"]] = r
    rendered = sorted(chosen.values(), key=lambda r: r["ma_thu_tuc"])
    rest = [r for r in rows if r["ma_thu_tuc"] not in chosen]
    rendered_words = [_words(r["ten_thu_tuc"]) for r in rendered]

    def closeness(r):
        w = _words(r["ten_thu_tuc"])
        return max(len(w & o) / len(w | o) for o in rendered_words)

    out = []
    for split, count in (("heldout", LEFT_OUT), ("fit", LEFT_OUT_FIT)):
        candidates = [r for r in rest if split_of(r["ma_thu_tuc"]) == split]
        near = sorted(candidates, key=lambda r: (-closeness(r), r["ma_thu_tuc"]))[:count // 3]
        others = [r for r in candidates if r not in near]
        rng.shuffle(others)
        out.append(near + others[:count - len(near)])
    return rendered, out[0], out[1]


# ---- what a procedure says, cell by cell ------------------------------------------------------

def cells(r: dict) -> dict:
    """The procedure's fields split into the cells a portal export shows."""
    result = _RESULT_TAIL.sub("", _PORTAL_TAIL.sub("", r["ket_qua_xu_ly"])).strip()
    return {
        "ways": parse_ways([r["cach_thuc_thuc_hien"]]),
        "dossier": parse_dossier([r["thanh_phan_ho_so"]]),
        "basis": parse_basis([r["can_cu_phap_ly"]]),
        "steps": [line.strip() for line in r["trinh_tu_thuc_hien"].split("\n") if line.strip()],
        "result": result,
    }


def _text(value: str) -> str:
    value = (value or "").strip()
    return value if value else "Không có thông tin"


SCALARS = [("Mã thủ tục", "ma_thu_tuc"), ("Số quyết định", "so_quyet_dinh"), ("Tên thủ tục", "ten_thu_tuc"),
           ("Cấp thực hiện", "cap_thuc_hien"), ("Loại thủ tục", "loai_thu_tuc"), ("Lĩnh vực", "linh_vuc")]
AFTER = [("Đối tượng thực hiện", "doi_tuong_thuc_hien"), ("Cơ quan thực hiện", "co_quan_thuc_hien"),
         ("Cơ quan có thẩm quyền", "co_quan_co_tham_quyen"), ("Địa chỉ tiếp nhận HS", "dia_chi_tiep_nhan"),
         ("Cơ quan được ủy quyền", "co_quan_duoc_uy_quyen"), ("Cơ quan phối hợp", "co_quan_phoi_hop")]


def render_docx(r: dict, c: dict, path: Path, numbered: bool) -> None:
    import docx

    d = docx.Document()
    d.add_heading(r["ten_thu_tuc"].strip(), level=1)
    table = d.add_table(rows=0, cols=2)
    for label, key in SCALARS:
        row = table.add_row().cells
        row[0].text, row[1].text = label, _text(r[key])
    n = [0]

    def heading(label: str) -> None:
        n[0] += 1
        if numbered:
            d.add_heading(f"{n[0]}. {label}", level=2)
        else:
            d.add_paragraph().add_run(label + ":").bold = True

    heading("Trình tự thực hiện")
    for line in c["steps"]:
        d.add_paragraph(line)
    heading("Cách thức thực hiện")
    t = d.add_table(rows=1, cols=4)
    for cell, text in zip(t.rows[0].cells, ("Hình thức nộp", "Thời hạn giải quyết", "Phí, lệ phí", "Mô tả")):
        cell.text = text
    for s in c["ways"]:
        row = t.add_row().cells
        row[0].text, row[1].text, row[2].text, row[3].text = s.way, s.deadline, s.fee, s.note
    heading("Thành phần hồ sơ")
    group = None
    t = None
    for item in c["dossier"]:
        if t is None or item.group != group:
            group = item.group
            if group:
                d.add_paragraph(group)
            t = d.add_table(rows=1, cols=3)
            for cell, text in zip(t.rows[0].cells, ("Tên giấy tờ", "Mẫu đơn, tờ khai", "Số lượng")):
                cell.text = text
        row = t.add_row().cells
        row[0].text, row[1].text, row[2].text = item.name, item.form, item.count
    for label, key in AFTER:
        heading(label)
        d.add_paragraph(_text(r[key]))
    heading("Kết quả thực hiện")
    d.add_paragraph(_text(c["result"]))
    heading("Căn cứ pháp lý")
    t = d.add_table(rows=1, cols=2)
    t.rows[0].cells[0].text, t.rows[0].cells[1].text = "Số ký hiệu", "Trích yếu"
    for v in c["basis"]:
        m = CODE.search(v.text)
        row = t.add_row().cells
        row[0].text, row[1].text = (m.group() if m else ""), v.text
    heading("Yêu cầu, điều kiện thực hiện")
    for line in _text(r["yeu_cau_dieu_kien"]).split("\n"):
        if line.strip():
            d.add_paragraph(line.strip())
    d.save(path)


def render_html(r: dict, c: dict, path: Path) -> None:
    e = html.escape
    parts = ["<!doctype html><html lang='vi'><head><meta charset='utf-8'>",
             f"<title>{e(r['ten_thu_tuc'].strip())} - Cổng Dịch vụ công Quốc gia</title></head><body>",
             "<nav class='menu'>Trang chủ | Thủ tục hành chính | Dịch vụ công trực tuyến</nav><main>",
             f"<h1>{e(r['ten_thu_tuc'].strip())}</h1><table>"]
    for label, key in SCALARS:
        parts.append(f"<tr><th>{label}</th><td>{e(_text(r[key]))}</td></tr>")
    parts.append("</table><h3>Trình tự thực hiện</h3>")
    parts += [f"<p>{e(line)}</p>" for line in c["steps"]]
    parts.append("<h3>Cách thức thực hiện</h3><table><tr><th>Hình thức nộp</th><th>Thời hạn giải quyết</th>"
                 "<th>Phí, lệ phí</th><th>Mô tả</th></tr>")
    parts += [f"<tr><td>{e(s.way)}</td><td>{e(s.deadline)}</td><td>{e(s.fee)}</td><td>{e(s.note)}</td></tr>"
              for s in c["ways"]]
    parts.append("</table><h3>Thành phần hồ sơ</h3><table><tr><th>Tên giấy tờ</th><th>Mẫu đơn, tờ khai</th>"
                 "<th>Số lượng</th></tr>")
    group = ""
    for item in c["dossier"]:
        if item.group and item.group != group:
            group = item.group
            parts.append(f"<tr><td colspan='3'>{e(group)}</td></tr>")
        parts.append(f"<tr><td>{e(item.name)}</td><td>{e(item.form)}</td><td>{e(item.count)}</td></tr>")
    parts.append("</table>")
    for label, key in AFTER:
        parts.append(f"<h3>{label}</h3><p>{e(_text(r[key]))}</p>")
    parts.append(f"<h3>Kết quả thực hiện</h3><p>{e(_text(c['result']))}</p>")
    parts.append("<h3>Căn cứ pháp lý</h3><table><tr><th>Tên văn bản pháp lý</th><th>Mã văn bản</th></tr>")
    for v in c["basis"]:
        m = CODE.search(v.text)
        parts.append(f"<tr><td>{e(v.text)}</td><td>{e(m.group() if m else '')}</td></tr>")
    parts.append("</table><h3>Yêu cầu, điều kiện thực hiện</h3>")
    parts += [f"<p>{e(line.strip())}</p>" for line in _text(r["yeu_cau_dieu_kien"]).split("\n") if line.strip()]
    parts.append("</main><footer>Bản quyền thuộc Văn phòng Chính phủ</footer></body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")


def render_pdf(r: dict, c: dict, path: Path) -> None:
    """A department's guidance: headings and lines, no tables."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("DejaVu", "", FONT)
    pdf.set_font("DejaVu", size=10)

    def line(text: str) -> None:
        pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")

    line(r["ten_thu_tuc"].strip())
    for label, key in SCALARS:
        line(f"{label}: {_text(r[key])}")
    line("Trình tự thực hiện:")
    for s in c["steps"]:
        line(s)
    line("Cách thức thực hiện:")
    for s in c["ways"]:
        note = f" ({s.note})" if s.note else ""
        line(f"- {s.way}: {s.deadline}; phí, lệ phí: {s.fee}{note}.")
    line("Thành phần hồ sơ:")
    group = ""
    for item in c["dossier"]:
        if item.group and item.group != group:
            group = item.group
            line(group.rstrip(":") + ":")
        form = f" (mẫu: {item.form})" if item.form else ""
        line(f"- {item.name}{form}: {item.count}.")
    for label, key in AFTER:
        line(f"{label}: {_text(r[key])}")
    line(f"Kết quả thực hiện: {_text(c['result'])}")
    line("Căn cứ pháp lý:")
    for v in c["basis"]:
        line(f"- {v.text}")
    line("Yêu cầu, điều kiện thực hiện:")
    for text in _text(r["yeu_cau_dieu_kien"]).split("\n"):
        if text.strip():
            line(text.strip())
    pdf.output(str(path))


def render_glued(r: dict, path: Path) -> None:
    """The scrape as it comes: the portal's labels, each cell glued to the next."""
    out = [r["ten_thu_tuc"].strip()]
    for label, key in SCALARS:
        out.append(f"{label}{r[key].strip()}" if key != "ma_thu_tuc" else f"{label}: {r[key]}")
    out.append("Trình tự thực hiện")
    out.append(r["trinh_tu_thuc_hien"].strip())
    out.append("Cách thức thực hiện")
    out.append(r["cach_thuc_thuc_hien"].strip())
    out.append("Thành phần hồ sơ")
    out.append(r["thanh_phan_ho_so"].strip())
    for label, key in AFTER:
        out.append(f"{label}: {_text(r[key])}")
    out.append(f"Kết quả thực hiện: {r['ket_qua_xu_ly'].strip()}")
    out.append("Căn cứ pháp lý")
    out.append(r["can_cu_phap_ly"].strip())
    out.append("Yêu cầu, điều kiện thực hiện")
    out.append(_text(r["yeu_cau_dieu_kien"]))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def file_name(r: dict, kind: str) -> str:
    slug = "-".join(re.findall(r"\w+", fold(r["ten_thu_tuc"])))[:60].strip("-")
    return f"{r['ma_thu_tuc']}-{slug}.{kind}"


def render(rendered: list[dict]) -> dict[str, str]:
    """Write the files; code -> file name."""
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    names = {}
    for i, r in enumerate(rendered):
        kind = ("docx", "docx", "html", "docx", "pdf", "txt", "docx", "html", "pdf", "txt")[i % 10]
        name = file_name(r, kind)
        path = OUT / name
        c = cells(r)
        if kind == "docx":
            render_docx(r, c, path, numbered=(i // 10) % 2 == 1)
        elif kind == "html":
            render_html(r, c, path)
        elif kind == "pdf":
            render_pdf(r, c, path)
        else:
            render_glued(r, path)
        names[r["ma_thu_tuc"]] = name
    return names


# ---- questions --------------------------------------------------------------------------------

_ABBREVIATE = [("giấy chứng nhận", "GCN"), ("giấy phép", "GP"), ("doanh nghiệp", "DN"), ("Ủy ban nhân dân", "UBND"),
               ("ủy ban nhân dân", "UBND"), ("người nước ngoài", "người NN"), ("Việt Nam", "VN"),
               ("xuất nhập cảnh", "XNC"), ("hợp tác xã", "HTX"), ("thủ tục hành chính", "TTHC")]

TEMPLATES = {
    "deadline": ["thủ tục {n} mất bao lâu?", "{n} giải quyết trong bao nhiêu ngày", "thời hạn giải quyết {n} là bao lâu?",
                 "làm {n} thì bao lâu có kết quả?", "cho hỏi {n} mấy ngày thì xong"],
    "fee": ["lệ phí {n} bao nhiêu?", "{n} có mất phí không?", "phí, lệ phí của thủ tục {n}",
            "làm {n} tốn bao nhiêu tiền", "{n} thì lệ phí thế nào ạ"],
    "dossier": ["hồ sơ {n} gồm những gì?", "{n} cần chuẩn bị giấy tờ gì", "thành phần hồ sơ {n}",
                "làm {n} thì cần những giấy tờ nào?"],
    "agency": ["cơ quan nào thực hiện {n}?", "{n} do cơ quan nào giải quyết", "cơ quan thực hiện thủ tục {n}"],
    "authority": ["cơ quan nào có thẩm quyền quyết định {n}?", "thẩm quyền giải quyết {n} thuộc về ai"],
    "address": ["nộp hồ sơ {n} ở đâu?", "{n} thì nộp hồ sơ tại đâu", "địa chỉ tiếp nhận hồ sơ {n}"],
    "basis": ["căn cứ pháp lý của {n}?", "{n} được quy định tại văn bản nào", "thủ tục {n} căn cứ văn bản nào"],
    "steps": ["trình tự thực hiện {n}?", "các bước làm {n} thế nào", "quy trình {n} gồm những bước nào"],
    "result": ["kết quả của thủ tục {n} là gì?", "làm xong {n} thì nhận được gì"],
    "conditions": ["điều kiện để thực hiện {n} là gì?", "{n} có yêu cầu, điều kiện gì không"],
    "level": ["{n} thực hiện ở cấp nào?", "cấp thực hiện của thủ tục {n}"],
    "field": ["thủ tục {n} thuộc lĩnh vực nào?"],
    "subjects": ["đối tượng thực hiện {n} là ai?", "ai được làm thủ tục {n}"],
    "decision": ["{n} được công bố tại quyết định số mấy?", "số quyết định công bố thủ tục {n}"],
    "code": ["mã thủ tục của {n} là gì?"],
}


def _phrase_forms(r: dict, unique_stem: bool, rng: random.Random) -> str:
    name = re.sub(r"\s+", " ", r["ten_thu_tuc"].strip())
    name = name[0].lower() + name[1:] if not name[:2].isupper() else name
    choice = rng.random()
    if choice < 0.1:
        return r["ma_thu_tuc"]
    if choice < 0.4:
        for long, short in _ABBREVIATE:
            name = name.replace(long, short)
    if choice > 0.75 and unique_stem and "(" in name:
        name = re.sub(r"\s*\(.*?\)", "", name).strip()
    if re.match(r"^thủ tục\s", name):
        name = name[len("thủ tục "):]
    return name


def _first_words(text: str, n: int) -> str:
    return " ".join(text.split()[:n]).rstrip(".,;:")


def answers_for(kind: str, r: dict, c: dict) -> list[str]:
    """Verbatim spans of the rendered value that a right answer must contain."""
    def has(v):
        v = (v or "").strip()
        return v and fold(v) not in ("khong co thong tin", "khong")
    if kind == "deadline":
        return sorted({s.deadline for s in c["ways"] if s.deadline}) if c["ways"] else []
    if kind == "fee":
        return sorted({s.fee for s in c["ways"] if s.fee}) if c["ways"] else []
    if kind == "dossier":
        return [_first_words(item.name, 6) for item in c["dossier"][:3] if len(item.name.split()) >= 3]
    if kind == "basis":
        return [CODE.search(v.text).group() for v in c["basis"] if CODE.search(v.text)][:3]
    if kind == "steps":
        return [_first_words(c["steps"][0], 6)] if c["steps"] else []
    if kind == "result":
        return [_first_words(c["result"], 6)] if has(c["result"]) else []
    if kind == "conditions":
        lines = [line for line in r["yeu_cau_dieu_kien"].split("\n") if line.strip()]
        return [_first_words(lines[0], 6)] if lines and has(lines[0]) else []
    if kind == "code":
        return [r["ma_thu_tuc"]]
    key = {"agency": "co_quan_thuc_hien", "authority": "co_quan_co_tham_quyen", "address": "dia_chi_tiep_nhan",
           "level": "cap_thuc_hien", "field": "linh_vuc", "subjects": "doi_tuong_thuc_hien",
           "decision": "so_quyet_dinh"}[kind]
    value = r[key].strip()
    if kind == "address" and not has(value):
        return []
    return [_first_words(value, 8)] if has(value) else []


def questions(rendered: list[dict], names: dict[str, str], left_out: list[dict], left_out_fit: list[dict]) -> list[dict]:
    rng = random.Random(7)
    stems: dict[str, int] = {}
    every = rendered + left_out + left_out_fit
    for r in every:
        stem = fold(re.sub(r"\(.*?\)", "", r["ten_thu_tuc"])).strip()
        stems[stem] = stems.get(stem, 0) + 1
    out = []
    kinds = list(TEMPLATES)
    common = ["deadline", "fee", "dossier", "address", "agency", "basis"]

    def ask(r: dict, kind: str, answers: list[str], sources: list[str], tag: str) -> None:
        stem = fold(re.sub(r"\(.*?\)", "", r["ten_thu_tuc"])).strip()
        phrase = _phrase_forms(r, stems[stem] == 1, rng)
        text = rng.choice(TEMPLATES[kind]).format(n=phrase)
        text = text[0].upper() + text[1:] if rng.random() < 0.5 else text
        if rng.random() < 0.25:
            text = strip_diacritics(text)
        out.append({"id": f"proc-{len(out):04d}", "question": text, "answers": answers, "sources": sources,
                    "kind": kind, "split": split_of(r["ma_thu_tuc"]), "code": r["ma_thu_tuc"], "set": tag})

    for i, r in enumerate(rendered):
        c = cells(r)
        picks = [common[i % len(common)], kinds[(i * 7 + 3) % len(kinds)]]
        for kind in dict.fromkeys(picks):
            answers = answers_for(kind, r, c)
            if answers:
                ask(r, kind, answers, [names[r["ma_thu_tuc"]]], "held")
    for r in left_out + left_out_fit:
        ask(r, rng.choice(common), [], [], "left_out")
    return out


def main() -> int:
    rows = load()
    rendered, left_out, left_out_fit = choose(rows)
    if "--questions-only" in sys.argv:  # the files as they are (the store built from them stays valid)
        names = {r["ma_thu_tuc"]: next(p.name for p in OUT.glob(f"{r['ma_thu_tuc']}-*")) for r in rendered}
    else:
        names = render(rendered)
    qs = questions(rendered, names, left_out, left_out_fit)
    QUESTIONS.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in qs), encoding="utf-8")
    kinds = {}
    for q in qs:
        kinds[q["kind"]] = kinds.get(q["kind"], 0) + 1
    print(f"rendered {len(rendered)} procedures ({sum(held_back(r['ma_thu_tuc']) for r in rendered)} held back) "
          f"from {len({r['bo_nganh'] for r in rendered})} ministries into {OUT}")
    print(f"questions {len(qs)}: {kinds}; left out {len(left_out)} held back + {len(left_out_fit)} fit; "
          f"unaccented {sum(fold(q['question']) == q['question'].lower() for q in qs)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
