"""Regulations and guidance as admins upload them: front matter, headings, articles, clauses, lists."""
from __future__ import annotations

from knowledge.chunking import chunk_document
from knowledge.loaders import load_bytes
from knowledge.structure import location

REGULATION = """---
title: "Quyết định 12/2026/QĐ-UBND quy chế đón đoàn nước ngoài"
date: 2026-03-05
permalink: /van-ban/qd-12/
---

# QUYẾT ĐỊNH

## THÔNG TIN VĂN BẢN

| Thuộc tính | Nội dung |
|---|---|
| **Số hiệu** | 12/2026/QĐ-UBND |
| **Người ký** | Trần Văn Minh |

## Chương I

QUY ĐỊNH CHUNG

### Điều 1.

Phạm vi điều chỉnh

Quy chế này quy định việc đón tiếp đoàn khách nước ngoài đến làm việc
với các cơ quan, đơn vị trên địa bàn tỉnh.

## Chương II

### Điều 5. Hồ sơ đề nghị đón đoàn

1. Hồ sơ đề nghị đón đoàn gồm:
a) Công văn đề nghị của cơ quan chủ trì;
b) Chương trình làm việc dự kiến của đoàn;
c) Danh sách thành viên đoàn.
2. Hồ sơ gửi Sở Ngoại vụ trước 10 ngày làm việc kể từ ngày đoàn dự kiến đến.

### Điều 6. Hiệu lực thi hành

Quyết định này có hiệu lực thi hành từ ngày 15 tháng 4 năm 2026.
"""


def test_front_matter_gives_title_and_date_and_never_becomes_text():
    document = load_bytes(REGULATION.encode(), "qd-12.md")
    assert document.title == "Quyết định 12/2026/QĐ-UBND quy chế đón đoàn nước ngoài"
    assert document.date == "05/03/2026"
    assert "permalink" not in document.text and "---" not in document.text
    assert "#" not in document.text and "**" not in document.text and "|---" not in document.text
    assert "Số hiệu: 12/2026/QĐ-UBND." in document.text


def test_wrapped_lines_are_joined():
    document = load_bytes(REGULATION.encode(), "qd-12.md")
    assert "làm việc với các cơ quan" in document.text


def test_passages_know_their_article_and_clause_and_lists_stay_whole():
    document = load_bytes(REGULATION.encode(), "qd-12.md")
    chunks = chunk_document(document)
    listing = next(c for c in chunks if "Hồ sơ đề nghị đón đoàn gồm" in c.text)
    assert "a) Công văn đề nghị" in listing.text and "c) Danh sách thành viên đoàn." in listing.text
    assert "Điều 5. Hồ sơ đề nghị đón đoàn" in listing.heading
    # A short article stays one passage; the clause of a sentence in it is named from the text before it.
    assert location(listing.heading) == "Điều 5"
    assert location(listing.heading, listing.text[:listing.text.index("a) Công văn")]) == "Điều 5, khoản 1"
    deadline = next(c for c in chunks if "10 ngày làm việc" in c.text)
    assert location(deadline.heading, deadline.text[:deadline.text.index("10 ngày")]) == "Điều 5, khoản 2"
    scope = next(c for c in chunks if "Quy chế này quy định" in c.text)
    assert "Điều 1. Phạm vi điều chỉnh" in scope.heading and "Chương I. QUY ĐỊNH CHUNG" in scope.heading
    for chunk in chunks:
        assert document.text[chunk.start:chunk.end] == chunk.text


def test_plain_text_articles_are_found_without_markup():
    text = ("Quy chế làm việc\n\nĐiều 3. Thẩm quyền cho phép tổ chức hội nghị quốc tế\n"
            "1. Chủ tịch Ủy ban nhân dân cấp tỉnh cho phép tổ chức hội nghị quốc tế tại địa phương.\n"
            "2. Sở Ngoại vụ thẩm định hồ sơ trong thời hạn 05 ngày làm việc.\n")
    chunks = chunk_document(load_bytes(text.encode(), "quy-che.txt"))
    clause = next(c for c in chunks if "05 ngày" in c.text)
    assert location(clause.heading, clause.text[:clause.text.index("05 ngày")]) == "Điều 3, khoản 2"
    assert "Thẩm quyền cho phép tổ chức hội nghị quốc tế" in clause.heading


def test_a_news_article_has_no_heading_path():
    text = "Hội nghị khai mạc\n\nSáng 21/8, hội nghị khai mạc tại Hà Nội. Có 300 đại biểu tham dự.\n"
    chunks = chunk_document(load_bytes(text.encode(), "tin.txt"))
    assert all(location(c.heading) in ("", "Hội nghị khai mạc") for c in chunks)


def test_a_short_article_of_clauses_is_one_passage_a_long_one_is_cut_by_clause():
    units = "\n".join(f"{n}. Vụ số {n} của Bộ." for n in range(1, 22))
    long_clauses = "\n".join(f"{n}. " + "Thực hiện nhiệm vụ quản lý nhà nước về lĩnh vực được giao. " * 8
                              for n in range(1, 5))
    text = (f"Nghị định\n\nĐiều 3. Cơ cấu tổ chức\n{units}\n\nĐiều 4. Nhiệm vụ\n{long_clauses}\n")
    chunks = chunk_document(load_bytes(text.encode(), "nd.txt"))
    structure = [c for c in chunks if "Cơ cấu tổ chức" in c.heading]
    assert len(structure) == 1 and "1. Vụ số 1" in structure[0].text and "21. Vụ số 21" in structure[0].text
    duties = [c for c in chunks if "Điều 4. Nhiệm vụ" in c.heading]
    assert len(duties) == 4 and [location(c.heading) for c in duties] == [f"Điều 4, khoản {n}" for n in range(1, 5)]


# An export of the national legal compendium (Bộ pháp điển): articles numbered by subject and
# source, each followed by the article it was taken from and closed by links to related ones.
COMPENDIUM = """# Quốc tịch Việt Nam

Chương II

CÓ QUỐC TỊCH VIỆT NAM

Điều 15.6.LQ.16. Quốc tịch của trẻ em khi sinh ra có cha hoặc mẹ là công dân Việt Nam

(Điều 16 Luật số 24/2008/QH12, có hiệu lực thi hành kể từ ngày 01/07/2009)

1. Trẻ em sinh ra có mẹ là công dân Việt Nam còn cha không rõ là ai thì có quốc tịch Việt Nam.

2. Trẻ em có cha hoặc mẹ là công dân Việt Nam còn người kia là công dân nước ngoài thì có quốc tịch Việt Nam, nếu có sự thỏa thuận bằng văn bản của cha mẹ.(Điều này có nội dung liên quan đến Điều 15.3.LQ.14. Nội dung đăng ký khai sinh)

(Điều này có nội dung liên quan đến Điều 15.6.LQ.14. Căn cứ xác định người có quốc tịch Việt Nam; Mục 1 ĐĂNG KÝ KHAI SINH)

Điều 15.6.NĐ.2.7. Một số điều kiện nhập quốc tịch Việt Nam

(Điều 7 Nghị định số 16/2020/NĐ-CP Quy định chi tiết một số điều của Luật Quốc tịch ngày 03/02/2020 của Chính phủ, có hiệu lực thi hành kể từ ngày 15/03/2020 )

Người xin nhập quốc tịch phải biết tiếng Việt đủ để hòa nhập vào cộng đồng Việt Nam.

(Điều 9 Thông tư số 02/2020/TT-BTP, có hiệu lực thi hành kể từ ngày 08/04/2020)

Chứng chỉ trình độ tiếng Việt có giá trị trong thời hạn 2 năm.

Điều 15.6.TL.1.7.

(Điều 7 Thông tư liên tịch số 09/1998/TTLT-BGDĐT-BTP, có hiệu lực thi hành kể từ ngày 01/01/1999)

Giấy chứng nhận trình độ tiếng Việt do trường đại học cấp.
"""


def test_a_compendium_article_is_cited_by_its_code_and_the_article_it_was_taken_from():
    chunks = chunk_document(load_bytes(COMPENDIUM.encode(), "quoc-tich-viet-nam.md"))
    places = {location(c.heading): c.text for c in chunks}
    article = places["Điều 15.6.LQ.16 (Điều 16 Luật số 24/2008/QH12)"]  # short: its two clauses kept together
    assert "Điều 15.6.NĐ.2.7 (Điều 7 Nghị định số 16/2020/NĐ-CP)" in places
    # A source line inside an article starts that source's text, cited as its own article.
    assert "2 năm" in places["Điều 9 Thông tư số 02/2020/TT-BTP"]
    text = "\n".join(c.text for c in chunks)
    assert "nội dung liên quan" not in text and "có hiệu lực thi hành" not in text
    assert "thỏa thuận bằng văn bản của cha mẹ." in article and article.startswith("1. Trẻ em")
    assert not any(place.startswith("Điều 15,") or place == "Điều 15" for place in places)
    # A bare code has no title line: the line after it is its source.
    assert "trường đại học" in places["Điều 15.6.TL.1.7 (Điều 7 Thông tư liên tịch số 09/1998/TTLT-BGDĐT-BTP)"]


def test_a_compendium_printed_to_pdf_keeps_its_articles_and_their_sources(tmp_path):
    from fpdf import FPDF

    from knowledge.loaders import load_file
    from training.render_procedures import FONT

    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("DejaVu", "", FONT)
    pdf.set_font("DejaVu", size=11)
    for line in COMPENDIUM.replace("# ", "").split("\n"):
        if line.strip():
            pdf.multi_cell(0, 5, line.strip(), new_x="LMARGIN", new_y="NEXT")  # long lines wrap as printed
        else:
            pdf.ln(3)
    path = tmp_path / "quoc-tich-viet-nam.pdf"
    pdf.output(str(path))
    places = {location(c.heading): c.text for c in chunk_document(load_file(path))}
    # The short heading line is not run into the source line after it, nor that into clause 1.
    article = places["Điều 15.6.LQ.16 (Điều 16 Luật số 24/2008/QH12)"]
    assert article.startswith("1. Trẻ em") and "có hiệu lực thi hành" not in article
    assert "2 năm" in places["Điều 9 Thông tư số 02/2020/TT-BTP"]


def test_a_line_wrapped_before_the_article_it_refers_to_is_not_an_article():
    text = ("Nghị định\n\nĐiều 4. Việc từ chối tiếp công dân\n"
            "2. Trường hợp từ chối tiếp công dân theo quy định tại khoản 1, khoản 2\n"
            "Điều 9. Luật Tiếp công dân thì người tiếp công dân thông báo bằng văn bản.\n"
            "Điều 5. Nhiệm vụ của Ban Tiếp công dân\nBan tiếp công dân thường xuyên.\n")
    chunks = chunk_document(load_bytes(text.encode(), "nd-154.md"))
    refusal = next(c for c in chunks if "thông báo bằng văn bản" in c.text)
    assert "khoản 1, khoản 2 Điều 9. Luật Tiếp công dân" in refusal.text
    assert location(refusal.heading) == "Điều 4, khoản 2"
    assert location(next(c for c in chunks if "thường xuyên" in c.text).heading) == "Điều 5"


def test_an_article_glued_to_the_paragraph_before_it_starts_its_own():
    text = ("Bộ pháp điển\n\nĐiều 15.1.NĐ.1. Phạm vi điều chỉnh\n"
            "(Điều 1 Nghị định số 23/2015/NĐ-CP, có hiệu lực thi hành kể từ ngày 10/04/2015)\n"
            "Nghị định này quy định về chứng thực.Điều 15.1.TT.2.1. Phạm vi điều chỉnh\n"
            "(Điều 1 Thông tư số 01/2020/TT-BTP, có hiệu lực thi hành kể từ ngày 05/05/2020)\n"
            "Thông tư này hướng dẫn thẩm quyền chứng thực tại các huyện đảo.\n")
    chunks = chunk_document(load_bytes(text.encode(), "chung-thuc.md"))
    decree = next(c for c in chunks if "quy định về chứng thực" in c.text)
    assert "Điều 15.1.TT" not in decree.text
    circular = next(c for c in chunks if "huyện đảo" in c.text)
    assert location(circular.heading) == "Điều 15.1.TT.2.1 (Điều 1 Thông tư số 01/2020/TT-BTP)"
    assert circular.heading.endswith("Phạm vi điều chỉnh")
