"""Vietnamese text handling: one form for the same word, folding, search tokens."""
import unicodedata

from vietnamese.english import how_many, looks_english

from vietnamese.search import search_tokens

from vietnamese.text import fold, has_diacritics, normalize


def test_old_and_new_tone_placement_become_one_form():
    assert normalize("hoà bình") == normalize("hòa bình") == "hòa bình"
    assert normalize("Thoả thuận") == "Thỏa thuận"
    assert normalize("thuý") == "thúy" and normalize("khoẻ") == "khỏe"
    assert normalize("uỷ ban") == normalize("ủy ban")


def test_tone_moves_only_where_styles_differ():
    for word in ("hoàng", "quý", "khuya", "thuyết", "Nguyễn", "giá", "người"):
        assert normalize(word) == word


def test_nfd_input_becomes_nfc():
    decomposed = unicodedata.normalize("NFD", "Hội nghị Ngoại vụ")
    assert decomposed != "Hội nghị Ngoại vụ"
    assert normalize(decomposed) == "Hội nghị Ngoại vụ"


def test_control_characters_are_removed():
    assert normalize("a\x00b\u200bc") == "a b c"


def test_folding_removes_marks_and_maps_d():
    assert fold("Đà Nẵng đưa ra bao nhiêu kiến nghị") == "da nang dua ra bao nhieu kien nghi"
    assert has_diacritics("Đà Nẵng") and not has_diacritics("da nang")


def test_tokens_keep_numbers_whole_and_in_parts():
    tokens = search_tokens("ngày 12/8/2018 có 4.000 phóng viên, tăng 14,8%")
    for expected in ("12/8/2018", "12/8", "2018", "4.000", "4000", "14,8"):
        assert expected in tokens


def test_ho_chi_minh_city_spellings_meet():
    forms = ["TP.HCM", "Tp. HCM", "TPHCM", "Thành phố Hồ Chí Minh", "tp ho chi minh"]
    token_sets = [set(search_tokens(f)) for f in forms]
    assert all("tphcm" in tokens for tokens in token_sets)


def test_domain_abbreviations_expand():
    assert {"hoi", "nghi", "ngoai", "vu"} <= set(search_tokens("HNNV 21"))
    assert {"hội", "nghị", "ngoại", "vụ"} <= set(search_tokens("HNNV 21", accented=True))
    assert {"uy", "ban", "nhan", "dan"} <= set(search_tokens("UBND tỉnh"))


def test_english_is_told_from_unaccented_vietnamese():
    assert looks_english("How many agreements did localities sign in 2020?")
    assert not looks_english("quy che 272 ban hanh ngay nao")
    assert not looks_english("Quy chế 272 ban hành ngày nào?")


def test_an_english_count_counts_the_head_of_its_noun_phrase():
    # English puts the counted thing last: "international agreements" counts agreements, not "quốc tế".
    assert how_many("How many international agreements did localities sign?")[:2] == (["thoa", "thuan"], True)
    assert how_many("How many embassies does Thailand have?")[:2] == (["dai", "su", "quan"], True)
    assert how_many("how many foreign investment projects did vietnam attract in 2023") == (["du", "an"], True, True)
    assert how_many("How many people were rescued?")[:2] == (["nguoi"], True)  # not "nhân dân"
    assert how_many("How many UNESCO titles did localities receive?")[:2] == (["titles"], False)
    assert how_many("How many did they sign?")[:2] == ([], False)
    assert not how_many("how many billion dollars did exports reach").counts_things  # an amount, not a count
    assert how_many("What is the theme?") is None
    # The noun phrase ends at a preposition or a verb in the past, wherever it stands.
    assert how_many("How many representative missions around the world are there?")[:2] == (["co", "quan", "dai", "dien"], True)
    assert how_many("How many delegations visited Vietnam during 2019?")[:2] == (["doan"], True)
    # Things counted under two names may be counted under either: the first, loosely.
    assert how_many("How many provinces and cities had a programme?")[:2] == (["tinh"], False)


def test_a_province_typed_without_accents_or_capitals_is_a_name():
    from retrieval.answering.question import analyze

    question = analyze("tinh quang ninh ky bao nhieu thoa thuan nam 2020")
    assert question.entities == [["quang_ninh"]] and question.subjects == [["quang_ninh"]]
    assert analyze("ba ria vung tau co bao nhieu du an").entities == [["ba_ria", "ria_vung", "vung_tau"]]
    assert analyze("Ha Noi co bao nhieu doi tac").entities == [["ha_noi"]]  # once, though also capitalized
    assert analyze("quan he hoa binh voi cac nuoc").entities == []  # "hòa bình" is peace
    assert analyze("tinh quang ninh ky bao nhieu thoa thuan").tokens[:2] == ["tinh", "quang"]


def test_a_date_written_any_way_gives_the_same_canonical_forms():
    from vietnamese.dates import date_forms

    for written in ("ngày 01 tháng 7 năm 2026", "01/07/2026", "1/7/2026", "ngày 1 tháng 07\n\nnăm 2026"):
        assert date_forms(written)[:3] == ["1/7/2026", "1/7", "7/2026"], written
    assert date_forms("tháng 11 năm 2019") == date_forms("tháng 11/2019") == ["11/2019"]
    assert date_forms("41/63 tỉnh") == []  # a ratio is not a date
    assert "1/7/2026" in search_tokens("có hiệu lực từ ngày 01 tháng 7 năm 2026")


def test_every_form_of_a_date_is_read_into_the_same_parts():
    """One reading of dates for every room: the answer's span, the event records' parts, a
    document's own date, the search index's canonical forms."""
    from vietnamese.dates import (DATE_MENTION, DATE_PARTS, DOCUMENT_DATE, DateParts, as_document_date, date_forms,
                                  parts_of, whole_date)

    assert date_forms("1-7-2026") == date_forms("01/07/2026") == ["1/7/2026", "1/7", "7/2026"]
    assert date_forms("1-7-2026 hay 7-2026 hay 41-63") == ["1/7/2026", "1/7", "7/2026"]  # only whole dates with "-"
    assert date_forms("năm 2020") == [] and date_forms("tháng 3/2021") == ["3/2021"]
    expected = {
        "ngày 12 tháng 8 năm 2018": (12, 8, 2018), "12/8/2018": (12, 8, 2018), "ngày 6-11/11/2017": (6, 11, 2017),
        "ngày 12 tháng 8": (12, 8, None), "12/8": (12, 8, None), "tháng 3/2021": (None, 3, 2021),
        "tháng 3 năm 2021": (None, 3, 2021), "3/2021": (None, 3, 2021), "năm 2020": (None, None, 2020),
    }
    for text, parts in expected.items():
        match = DATE_PARTS.search("Hội nghị diễn ra " + text + ".")
        assert match is not None and match.group(0) == text and parts_of(match) == DateParts(*parts), text
    assert not parts_of(DATE_PARTS.search("ngày 32/13/2018")).valid
    # An answer's span: a date written out whole, a span of days, a month of a year, a bare year.
    for text in ("01 tháng 7 năm 2026", "6-11/11/2017", "tháng 3/2021", "năm 2020", "2020", "12/8/2018"):
        assert [m.group(0) for m in DATE_MENTION.finditer("đã diễn ra " + text + " tại Hà Nội")] == [text], text
    for line in ("Hà Nội, ngày 12 tháng 8 năm 2018", "Hà Nội, 12/8/2018", "NGÀY 12 THÁNG 8 NĂM 2018"):
        assert as_document_date(parts_of(DOCUMENT_DATE.search(line))) == "12/08/2018", line
    assert whole_date("cập nhật 3/4/2019 lúc 10:00") == DateParts(3, 4, 2019) and whole_date("3/4") is None


def test_a_code_of_letters_and_digits_is_also_a_token_whole():
    assert {"nb4", "nb", "4"} <= set(search_tokens("Thông báo cấp thị thực (NB4)."))
    assert "g20" in search_tokens("Hội nghị G20")
    assert not any(t.isalnum() and not t.isalpha() and not t.isdigit() for t in search_tokens("năm 2020 có 12 đoàn"))


def test_the_question_word_is_read_with_its_accents():
    from retrieval.answering.question import analyze

    # "Sở" is a department, not "số"; "ai" still asks for a person.
    assert analyze("Sở muốn thông tin tại giao ban báo chí thì giao ban do ai tổ chức?").kind == "person"
    assert analyze("Số cơ quan đại diện ở nước ngoài?").kind == "number"
    assert analyze("So co quan dai dien o nuoc ngoai?").kind == "number"
    assert analyze("Năm 2020 các địa phương ký bao nhieu thỏa thuận?").kind == "number"  # a word typed bare
    assert analyze("quy che 272 ban hanh ngay nao").kind == "date"
    question = analyze("Mẫu NB4 dùng để làm gì?")
    assert question.entities == [["nb4"]]
    assert analyze("the tam tru cap truoc 01/07/2026 co con dung duoc khong").numbers == ["1/7/2026"]


def test_a_coined_abbreviation_is_spelled_out_as_the_documents_write_it():
    from retrieval.index.initialisms import Initialisms
    from vietnamese.abbreviations import coined_abbreviations

    assert coined_abbreviations("thiết bị KTNV, vtvl, Bộ KH&CN, UBND, VN") == [
        ("KTNV", "ktnv"), ("vtvl", "vtvl"), ("KH&CN", "khvcn")]  # UBND is ours; two letters are too few
    texts = ["Phương tiện, thiết bị kỹ thuật nghiệp vụ được trang bị cho lực lượng Công an.",
             "Người sử dụng thiết bị kỹ thuật nghiệp vụ phải được tập huấn. Kế hoạch tổng thể nghiệp vụ năm tới.",
             "Kiểm định thiết bị kỹ thuật nghiệp vụ hằng năm; Bộ Khoa học và Công nghệ hướng dẫn.",
             "GDP tăng 7%. GDP quý II. Giá dầu phải giảm; giá dịch phí; giữ danh phận."]
    table = Initialisms(texts)
    assert table.phrase("KTNV", "ktnv") == "kỹ thuật nghiệp vụ"
    assert table.phrase("ktnv", "ktnv") == "kỹ thuật nghiệp vụ"
    assert table.phrase("KH&CN", "khvcn") is None  # seen once: chance, not the documents' usage
    assert table.phrase("GDP", "gdp") is None  # the documents use "GDP" itself as often as any phrase


def test_an_abbreviation_that_cannot_be_checked_does_not_pin_the_name_around_it():
    from retrieval.answering.question import analyze

    assert analyze("Trong bao lâu phải gửi Bộ KH&CN?").entities == [["bo"]]
    assert analyze("Cổng TTĐT Chính phủ còn làm nhiệm vụ cũ không?").entities[-1] == ["chinh"]
    assert analyze("Hội nghị tại Osaka năm 2019").entities == [["osaka"]]



def test_a_name_is_not_run_into_the_words_around_it():
    from retrieval.answering.question import analyze

    # The question's first word, capitalized anyway, is no part of the name after it.
    assert analyze("Ngoài Lý Sơn Sa Huỳnh, công viên nào được công nhận?").entities == [["ly_son", "son_sa", "sa_huynh"]]
    assert analyze("Hà Nội có bao nhiêu đối tác?").entities == [["ha_noi"]]
    assert analyze("Anh Minh đánh giá các sở ngoại vụ thế nào?").entities == [["minh"]]  # "Anh": how he is addressed
    # An abbreviation we spell out is a name of its own: documents write "UBND TP. Đà Nẵng" too.
    assert analyze("Ai là Chủ tịch UBND Đà Nẵng?").entities[-2:] == [["uy_ban", "ban_nhan", "nhan_dan"], ["da_nang"]]


def test_a_date_in_figures_is_written_out_as_decrees_write_it():
    from vietnamese.dates import written_out
    assert written_out("26/06/2026") == "ngày 26 tháng 6 năm 2026"
    assert written_out("ngày 5/3/2026") == "ngày 05 tháng 3 năm 2026"  # a day below 10 keeps its zero
    assert written_out("13/2/2026") == "ngày 13 tháng 02 năm 2026"  # so do January and February
    assert written_out("tháng 7/2026") == "tháng 7/2026" and written_out("31/13/2026") == "31/13/2026"


def test_roman_numerals_stand_for_their_figures():
    from vietnamese.numbers import roman_values

    assert roman_values("Đại hội Đảng XII; Chương IV, Phụ lục II; khóa XIII; Mục IX.") == ["12", "4", "2", "13", "9"]
    assert roman_values("V.I. Lenin, lớp V, LIVE, IIII, Điều 5") == []  # an initial, one letter, words


def test_a_counted_thing_may_be_written_in_other_words():
    from vietnamese.numbers import counted_forms

    assert counted_forms(["quoc", "gia"]) == [["quoc", "gia"], ["nuoc"]]
    assert counted_forms(["quoc", "gia", "doi", "tac"]) == [["quoc", "gia", "doi", "tac"], ["nuoc", "doi", "tac"]]
    assert counted_forms(["tieng"]) == [["tieng"], ["gio"]]
    assert counted_forms(["dai", "su", "quan"]) == [["dai", "su", "quan"]]


def test_english_words_of_the_domain_meet_the_vietnamese_text_in_search():
    tokens = search_tokens("Which markets did Hanoi's exports reach?", english=True)
    assert {"thi", "truong", "ha", "noi", "xuat", "khau"} <= set(tokens)
    # a word with two readings here is left as it is ("president": chủ tịch nước or tổng thống)
    assert "president" in search_tokens("Who is the President of France?", english=True)
    # what "how many" counts is still read only from the glossary of counted things
    assert how_many("How many visits did leaders make?")[:2] == (["visits"], False)


def test_an_english_count_of_the_parts_of_a_legal_text_counts_them():
    assert how_many("How many chapters does Regulation 272 have?")[:2] == (["chuong"], True)
    assert how_many("How many appendices does the decree have?")[:2] == (["phu", "luc"], True)
    # "article" is a news article as often: not counted as "Điều"
    assert how_many("How many articles did the newspaper publish?")[:2] == (["articles"], False)


def test_the_home_country_is_no_other_place_a_sentence_must_name():
    """Vietnamese texts say "của ta", "nước ta" for Vietnam: a figure "of ours" is Vietnam's."""
    from retrieval.answering.question import analyze

    for question in ("Số cơ quan đại diện của Việt Nam ở nước ngoài?", "bao nhieu co quan dai dien cua Viet Nam"):
        q = analyze(question)
        assert ["viet_nam"] in q.entities and q.subjects == [], question  # the documents name it, not each sentence
    assert analyze("Đà Nẵng có quan hệ với bao nhiêu địa phương?").subjects == [["da_nang"]]
