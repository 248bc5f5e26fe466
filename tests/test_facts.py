"""The asked-for fact inside a sentence: what may lead an answer."""
from retrieval.answering.facts import find_fact
from vietnamese.text import fold


def test_a_clause_or_article_number_is_a_reference_not_a_figure():
    sentence = "Người phát ngôn quy định tại điểm b khoản 2 Điều này nếu chậm cung cấp thông tin thì bị nhắc nhở."
    assert find_fact("number", sentence, "bi phat bao nhieu", [], [], ["phat", "ngon"]) is None
    counted = find_fact("number", "Hồ sơ gửi trước 10 ngày làm việc theo khoản 3 Điều 5.", "truoc bao nhieu ngay",
                        [], ["ngay"], ["ho", "so"])
    assert counted is not None and counted.text == "10 ngày"


def test_a_date_written_out_is_one_date_and_the_questions_own_date_is_not_the_answer():
    sentence = "Nghị định ký ngày 26 tháng 6 năm 2026, có hiệu lực thi hành từ ngày 01 tháng 7 năm 2026."
    assert find_fact("date", sentence, "co hieu luc tu ngay nao", [], [], ["hieu", "luc"]).text == "01 tháng 7 năm 2026"
    assert find_fact("date", sentence, "ky ngay nao", ["1/7/2026"], [], ["ky"]).text == "26 tháng 6 năm 2026"


def test_an_amount_of_money_is_answered_only_by_a_figure_in_a_currency():
    from retrieval.answering.question import analyze

    for question in ("Người phát ngôn chậm trả lời thì bị phạt tiền bao nhiêu?",
                     "nguoi phat ngon cham tra loi thi bi phat tien bao nhieu"):
        q = analyze(question)
        assert q.money, question
        hours = "Người phát ngôn phải trả lời báo chí chậm nhất sau 24 giờ."
        assert find_fact("number", hours, q.text, q.numbers, q.unit, ["phat", "ngon"], money=q.money) is None
        fine = find_fact("number", "Người phát ngôn vi phạm bị phạt tiền từ 5.000.000 đồng đến 10.000.000 đồng.",
                         q.text, q.numbers, q.unit, ["phat", "tien"], money=q.money)
        assert fine is not None and fine.text == "5.000.000 đồng"
    assert not analyze("Đà Nẵng có quan hệ với bao nhiêu địa phương?").money
    assert not analyze("viện trợ phi chính phủ đạt bao nhiêu").money  # "phi chính phủ" is not a fee
    assert not analyze("Kim ngạch xuất khẩu tăng bao nhiêu phần trăm?").money


def test_the_unit_of_a_figure_stops_at_punctuation_and_never_cuts_a_word():
    sentence = "Mới có 41/63 tỉnh, thành có chương trình hành động."
    fact = find_fact("number", sentence, "bao nhieu tinh thanh", [], ["tinh", "thanh"], ["chuong", "trinh"])
    assert fact is not None and fact.text == "41/63 tỉnh"


def test_a_range_is_one_figure_and_keeps_its_unit():
    from retrieval.answering.facts import with_unit

    sentence = "Dù thế nào đi nữa, ngủ đủ 6-7 giờ mỗi đêm vẫn là lý tưởng nhất."
    fact = find_fact("number", sentence, "nen ngu bao nhieu gio", [], ["gio"], ["ngu"])
    assert fact is not None and with_unit(sentence, fact) == "6-7 giờ mỗi đêm"  # not "6" nor "6-7 giờ mỗi đ"


def test_a_figure_repeated_in_words_keeps_its_unit_and_a_form_number_is_not_a_figure():
    from retrieval.answering.facts import with_unit
    from retrieval.answering.question import analyze

    q = analyze("Sở Tư pháp phê duyệt danh sách cộng tác viên trong bao lâu?")
    assert q.kind == "number" and q.unit == []  # "Sở" is a body here, not "số" (a count of "tư pháp")
    sentence = "Trong thời hạn 05 (năm) ngày làm việc, Sở Tư pháp kiểm tra danh sách và theo Mẫu số 02 trả lời."
    fact = find_fact(q.kind, sentence, q.text, q.numbers, q.unit, q.content)
    assert fact is not None and with_unit(sentence, fact) == "05 (năm) ngày làm việc"
    signatures = find_fact("number", "Người dịch trực tiếp ký 03 (ba) chữ ký mẫu trước mặt Trưởng phòng.",
                           "phai ky may chu ky", [], ["chu", "ky"], ["chu", "ky"])
    assert signatures is not None and signatures.text == "03 (ba) chữ ký"
    assert find_fact("number", "Kết quả được in theo Mẫu số 02 ban hành kèm theo Thông tư.", "trong bao lau",
                     [], [], ["ket", "qua"]) is None


def test_a_figure_named_before_may_is_answered_with_its_name():
    from retrieval.answering.question import analyze

    q = analyze("Viên chức loại A1 được chuyển vào bậc mấy?")
    assert q.label == "bac"
    sentence = "Viên chức loại A1 được chuyển vào bậc 3 của vị trí việc làm, giữ hệ số lương 2,34."
    fact = find_fact(q.kind, sentence, q.text, q.numbers, q.unit, q.content, label=q.label)
    assert fact is not None and fact.text == "bậc 3"
    assert analyze("Hộ chiếu dùng được mấy năm?").label == ""  # the unit follows: "05 năm"


def test_how_many_people_is_answered_by_a_count_of_people_not_of_years():
    from retrieval.answering.question import analyze

    q = analyze("Hiện nay có bao nhiêu người nước ngoài được cấp thẻ thường trú?")
    assert q.unit[:1] == ["nguoi"]
    assert find_fact(q.kind, "Định kỳ 10 năm một lần, người nước ngoài thường trú phải đổi thẻ.",
                     q.text, q.numbers, q.unit, q.content) is None
    fact = find_fact(q.kind, "Năm 2025 có 5.200 người nước ngoài được cấp thẻ thường trú.", q.text, q.numbers, q.unit, q.content)
    assert fact is not None and fact.text.startswith("5.200 người")


def test_a_ratio_is_not_an_amount_of_money_and_tỷ_giá_is_not_a_billion():
    from retrieval.answering.question import analyze

    ratio = analyze("Tỷ lệ giải ngân vốn FDI năm 2023 là bao nhiêu?")
    assert ratio.kind == "number" and not ratio.money  # a percentage answers, not "5 tỷ đồng"
    assert analyze("Vốn FDI giải ngân năm 2023 là bao nhiêu?").money
    for question in ("Tỷ giá USD hôm nay là bao nhiêu?", "ty gia usd hom nay la bao nhieu"):
        content = analyze(question).content
        assert not [w for w in content if w.lstrip("~") in ("tỷ", "ty")], content  # "700 tỷ USD" is no evidence
        assert [w for w in content if w.lstrip("~") in ("giá", "gia")], content
    billions = analyze("Dự án nào được cấp 5 tỷ đồng?").content
    assert [w for w in billions if w.lstrip("~") == "tỷ"], billions


def test_an_english_how_many_counts_things_so_no_sum_of_money_or_share_answers_it():
    from retrieval.answering.question import analyze

    sentence = "Xuất nhập khẩu đạt gần 700 tỷ USD, thu hút FDI tăng 14,8%, với 3.000 dự án mới."
    q = analyze("How many new investment projects were there?")
    assert q.count
    fact = find_fact("number", sentence, q.text, q.numbers, q.unit, ["du", "an"], strict_unit=False, count=q.count)
    assert fact is not None and fact.text.startswith("3.000")
    assert not analyze("How many billion dollars did exports reach?").count
    assert not analyze("Năm 2023 xuất nhập khẩu đạt bao nhiêu?").count


def test_a_figures_unit_stops_at_the_verb_after_it():
    from retrieval.answering.facts import with_unit

    sentence = "Năm 2023 có trên 30 mặt hàng có kim ngạch xuất khẩu trên 1 tỷ USD."
    fact = find_fact("number", sentence, "bao nhieu mat hang", [], ["mat", "hang"], ["mat", "hang"])
    assert fact is not None and with_unit(sentence, fact) == "trên 30 mặt hàng"  # not "… mặt hàng có kim"


def test_a_count_of_countries_is_answered_in_either_word_for_country():
    sentence = "Các tỉnh đã hỗ trợ cho gần 50 địa phương của 21 nước trên thế giới hàng triệu khẩu trang."
    fact = find_fact("number", sentence, "ho tro dia phuong cua bao nhieu quoc gia", [], ["quoc", "gia"], ["ho", "tro"])
    assert fact is not None and fact.text == "21 nước"
    fact = find_fact("number", "Hợp tác với 12 quốc gia đối tác.", "bao nhieu nuoc doi tac", [], ["nuoc", "doi", "tac"],
                     ["hop", "tac"])
    assert fact is not None and fact.text == "12 quốc gia đối tác"
    # another counted thing still does not answer
    assert find_fact("number", "Có 30 tỉnh tham gia.", "bao nhieu quoc gia", [], ["quoc", "gia"], ["tham"]) is None


def test_how_much_money_asks_for_a_sum_not_a_count_of_tien():
    from retrieval.answering.question import analyze

    for question in ("Các tỉnh vận động được bao nhiêu tiền tài trợ?", "cac tinh van dong duoc bao nhieu tien"):
        q = analyze(question)
        assert q.unit == [] and q.money, question
    assert analyze("Mỗi người được phụ cấp bao nhiêu tiền một tháng?").money


def test_an_ordinal_without_thu_and_an_english_ordinal_are_ordinals():
    from retrieval.answering.question import analyze

    assert analyze("Hội nghị Ngoại vụ lần 18 có bao nhiêu đại biểu?").ordinals == [("18", "vu")]
    assert analyze("Who opened the 18th National Conference on External Affairs?").ordinals == [("18", "")]
    assert analyze("Thái Lan 2019 có bao nhiêu dự án?").ordinals == []  # "Lan" of a name, and a year
    assert analyze("Hội nghị Ngoại giao lần thứ 33 diễn ra khi nào?").ordinals == [("33", "giao")]
    # The number right after an event's name is its ordinal, as the report's title writes it; a date,
    # a year or a document's number is not.
    assert analyze("Ai phát biểu ở Hội nghị Ngoại vụ 19?").ordinals == [("19", "vu")]
    assert analyze("hoi nghi ngoai vu 19 to chuc ngay nao").ordinals == [("19", "vu")]
    assert analyze("Hội nghị ngày 12/8 có bao nhiêu đại biểu?").ordinals == []
    assert analyze("Hội nghị năm 2018 có bao nhiêu đại biểu?").ordinals == []
    assert analyze("Nghị quyết 22 ban hành khi nào?").ordinals == []


def test_the_ordinal_a_report_is_about_is_the_first_it_states():
    from retrieval.answering.features import first_ordinal, states_ordinal

    lead = ("Sáng 18/12, Hội nghị Ngoại vụ toàn quốc lần thứ 21 khai mạc. Từ Hội nghị Ngoại vụ toàn quốc "
            "lần thứ 20 đến nay, tình hình đã thay đổi.")
    assert first_ordinal(lead, "vu") == "21"  # the later "lần thứ 20" looks back
    assert first_ordinal("(Trực tuyến) Hội nghị Ngoại vụ 19: Phiên thảo luận\nNội dung", "vu") == "19"
    assert first_ordinal("Không có số thứ tự nào.", "") is None
    # an English ordinal has no word of ours before it: only "thứ 18" states it
    assert states_ordinal("lần thứ 18", "18", "") and not states_ordinal("Ngoại vụ 18", "18", "")


def test_a_question_pins_the_figures_a_text_must_state_not_its_baseline_nor_a_month_alone():
    from retrieval.answering.question import analyze

    assert analyze("Năm 2020 số thỏa thuận tăng bao nhiêu phần trăm so với năm 2019?").numbers == ["2020"]
    assert analyze("By what percentage did agreements signed in 2020 rise compared with 2019?").numbers == ["2020"]
    # The year of the article a question cites dates the document, which must state it, not the figure.
    question = analyze("Theo bài viết đầu năm 2020 của Thứ trưởng Sơn, các tỉnh vận động được bao nhiêu tiền viện trợ?")
    assert question.numbers == [] and ["2020"] in question.entities
    assert analyze("According to Son's article of January 2020, how many agreements were signed?").entities == [["2020"]]
    assert analyze("Bài học kinh nghiệm năm 2020 là gì?").numbers == ["2020"]  # a lesson, not an article
    assert analyze("Ngày 18 tháng 12 năm 2023 khai mạc hội nghị gì?").numbers == ["18/12/2023"]
    assert analyze("ngay 21 thang 8 co su kien gi").numbers == ["21/8"]
    assert analyze("Hội nghị lần 21 hồi tháng 12 có chủ đề gì?").numbers == ["21"]
    assert analyze("Tháng 6/2017 ký MOU với tỉnh nào?").numbers == ["6/2017"]
    assert analyze("Quy chế 272 có bao nhiêu chương?").numbers == ["272"]


def test_a_value_in_an_enumeration_belongs_to_the_clause_that_names_what_was_asked():
    sentence = ("Có 2 cặp địa phương đã ký kết Bản ghi nhớ (MOU) về hợp tác hữu nghị, đó là thành phố Hà Nội với "
                "tỉnh Fukuoka (02/2018), thành phố Hải Phòng với thành phố Kitakyushu (4/2009).")
    words = ["hai", "phong", "ky", "ban", "ghi", "nho", "kitakyushu"]
    fact = find_fact("date", sentence, "hai phong ky mou voi kitakyushu thang nao", [], [], words)
    assert fact is not None and fact.text == "4/2009"
    fact = find_fact("date", sentence, "ha noi ky mou voi fukuoka khi nao", [], [], ["ha", "noi", "ky", "fukuoka"])
    assert fact is not None and fact.text == "02/2018"


def test_a_persons_title_is_not_what_a_figure_is_about():
    from retrieval.answering.question import analyze

    assert analyze("Phó Thủ tướng Phạm Bình Minh nói bao nhiêu tỉnh có chương trình hành động?").subjects == []
    assert analyze("Theo Thứ trưởng Bùi Thanh Sơn, Hải Phòng ký bao nhiêu thỏa thuận?").subjects == [["hai_phong"]]


def test_an_ordinal_asked_is_answered_by_thu_and_its_number_in_words_or_figures():
    from retrieval.answering.question import analyze

    for text in ("Hội nghị Ngoại vụ lần thứ 18 là lần thứ mấy được tổ chức cùng Hội nghị Ngoại giao?",
                 "hoi nghi ngoai vu lan thu 18 la lan thu may to chuc cung hoi nghi ngoai giao"):
        q = analyze(text)
        assert q.kind == "number" and q.label == "thu" and q.unit == []  # "thứ mấy tổ chức" counts no "tổ chức"
        fact = find_fact(q.kind, "Đây là lần thứ ba Hội nghị Ngoại vụ được tổ chức cùng Hội nghị Ngoại giao.",
                         fold(q.text), q.numbers, q.unit, q.content, label=q.label)
        assert fact is not None and fact.text == "thứ ba"
    q = analyze("Việt Nam đứng thứ mấy?")
    assert find_fact(q.kind, "Năm nay Việt Nam đứng thứ 12 thế giới.", fold(q.text), q.numbers, q.unit, q.content,
                     label=q.label).text == "thứ 12"
    assert analyze("co bao nhieu to chuc phi chinh phu").unit[:2] == ["to", "chuc"]  # a count still counts


def test_a_legal_documents_number_in_a_question_names_the_document():
    from retrieval.answering.question import analyze

    assert analyze("Nghị định 154/2026 có hiệu lực từ ngày nào?").documents == ["154/2026"]
    assert analyze("nd 154 hieu luc tu ngay nao").documents == ["154"]
    assert analyze("Under Circular 71/2026/TT-BCA, which form is used?").documents == ["71/2026"]
    assert analyze("Quy chế 272 ban hành ngày nào?").documents == []  # a regulation named in news, stated where it is
    assert analyze("Năm 2020 có bao nhiêu thỏa thuận?").documents == []


def test_a_definition_asked_names_its_term_and_a_definitions_clause_defines_it():
    from retrieval.answering.facts import defines
    from retrieval.answering.question import analyze

    q = analyze("Giấy thông hành theo Luật Xuất cảnh, nhập cảnh được hiểu là loại giấy tờ gì?")
    assert q.defined == "giay thong hanh"
    q = analyze("tiep cong dan truc tuyen duoc hieu nhu the nao")
    assert q.defined == "tiep cong dan truc tuyen" and q.kind == "name"  # what it is, not how to do it
    assert analyze("Thế nào là vị trí việc làm hỗ trợ?").defined == "vi tri viec lam ho tro"
    assert analyze("Hồ sơ gồm những gì?").defined == ""
    assert defines("5. Giấy thông hành là giấy tờ do cơ quan có thẩm quyền cấp", "giay thong hanh")
    assert defines("a) Giấy thông hành (GTH) là giấy tờ …", "giay thong hanh")
    assert defines("2. Bậc nghề nghiệp của vị trí việc làm là mức thể hiện", "bac nghe nghiep cua vi tri viec lam")
    assert not defines("Giấy thông hành đã cấp cho người bị tạm hoãn xuất cảnh.", "giay thong hanh")
    assert not defines("Hộ chiếu là giấy tờ thuộc quyền sở hữu của Nhà nước.", "giay thong hanh")


def test_the_date_after_a_documents_number_is_when_it_was_issued_not_when_it_takes_effect():
    head = "Số: 154/2026/NĐ-CP Hà Nội, ngày 15 tháng 5 năm 2026"
    assert find_fact("date", head, "nghi dinh 154 ban hanh ngay nao", ["154"], [], ["ban", "hanh"]).text == \
        "15 tháng 5 năm 2026"
    assert find_fact("date", head, "nghi dinh 154 co hieu luc tu ngay nao", ["154"], [], ["hieu", "luc"]) is None


def test_a_legal_text_speaking_of_itself_refers_back_to_nothing():
    from vietnamese.names import SELF_REFERENCE

    assert SELF_REFERENCE.match("nghị định này có hiệu lực thi hành từ ngày 01 tháng 7 năm 2026.")
    assert SELF_REFERENCE.match("thông tư này hướng dẫn thủ tục cấp giấy thông hành.")
    assert not SELF_REFERENCE.match("điều này cho thấy công tác đối ngoại đã đổi mới.")  # news: "this shows"


def test_what_share_asks_for_a_figure():
    from retrieval.answering.question import analyze

    assert analyze("What share of the state budget does Hanoi account for?").kind == "number"
    assert analyze("What proportion of the agreements were signed online?").kind == "number"


def test_another_documents_issue_date_is_never_the_date_asked():
    sentence = ("Đối với việc chứng thực tiếp nhận sau 15 giờ theo Nghị định số 23/2015/NĐ-CP ngày 16 tháng 02 "
                "năm 2015 thì trả kết quả trong ngày làm việc tiếp theo.")
    assert find_fact("date", sentence, "nop sau 15h thi khi nao lay duoc", ["15"], [], ["nop", "lay"]) is None
    # the question's own document: its date is what is asked
    owned = find_fact("date", sentence, "nghi dinh 23 ban hanh ngay nao", ["23"], [], ["ban", "hanh"])
    assert owned is not None and owned.text == "16 tháng 02 năm 2015"


def test_how_many_times_is_answered_by_a_rate():
    sentence = "Thủ trưởng đơn vị trực tiếp tiếp công dân ít nhất 01 ngày trong 01 tháng tại trụ sở."
    fact = find_fact("number", sentence, "tiep dan it nhat bao nhieu lan", [], ["lan"], ["tiep", "dan"])
    assert fact is not None and fact.text == "01 ngày trong 01 tháng"
    assert find_fact("number", "Thời hạn gia hạn là 30 ngày.", "gia han bao nhieu lan", [], ["lan"], ["gia", "han"]) is None
    twice = find_fact("number", "Đoàn kiểm tra làm việc 2 buổi mỗi tuần.", "kiem tra may lan", [], ["lan"], ["kiem", "tra"])
    assert twice is not None and twice.text == "2 buổi mỗi tuần"


def test_a_body_answering_who_is_said_with_its_head_and_the_bodies_named_with_it():
    question = "ai quyet dinh viec nay"
    # The minister named before the body decides.
    one = find_fact("person", "Bộ trưởng Bộ Tài chính quyết định việc này.", question, [], [], ["quyet", "dinh"])
    assert one is not None and one.text == "Bộ trưởng Bộ Tài chính"
    both = find_fact("person", "Bộ trưởng Bộ Công an, Bộ trưởng Bộ Quốc phòng quyết định việc này.", question, [], [],
                     ["quyet", "dinh"])
    assert both is not None and both.text == "Bộ trưởng Bộ Công an, Bộ trưởng Bộ Quốc phòng"
    joined = find_fact("person", "Hồ sơ do Sở Ngoại vụ và Sở Tư pháp thẩm định.", "co quan nao tham dinh ho so", [], [],
                       ["tham", "dinh"])
    assert joined is not None and joined.text == "Sở Ngoại vụ và Sở Tư pháp"
    # Bodies apart are two answers, the one nearer the question's words chosen.
    apart = find_fact("person", "Bộ Tài chính lập dự toán; Bộ Ngoại giao quyết định việc này.", question, [], [],
                      ["quyet", "dinh"])
    assert apart is not None and apart.text == "Bộ Ngoại giao"
