"""Accents put back on questions typed without them, before the question is embedded."""
from vietnamese.text import fold
from retrieval.answering.diacritics import DiacriticRestorer


def restorer() -> DiacriticRestorer:
    return DiacriticRestorer.load()


def test_an_officers_unaccented_question_gets_its_accents_back():
    restored = restorer().restore("Nam 2020 cac dia phuong ky bao nhieu thoa thuan quoc te?")
    assert restored == "Năm 2020 các địa phương ký bao nhiêu thỏa thuận quốc tế?"


def test_restoring_changes_only_accents_and_keeps_case_figures_and_punctuation():
    typed = "Bo Noi vu co nhung don vi nao, theo Nghi dinh 276/2026/ND-CP (UBND)?"
    restored = restorer().restore(typed)
    assert fold(restored) == fold(typed)
    assert restored.startswith("Bộ Nội vụ có những đơn vị nào")
    assert "276/2026" in restored and "(UBND)?" in restored


def test_a_question_typed_with_accents_is_left_as_written():
    typed = "Bo nội vụ có những đơn vị nào?"  # one accent is enough: the officer chose the words
    assert restorer().restore(typed) == typed


def test_words_it_does_not_know_are_kept_as_typed():
    restored = restorer().restore("Hoi nghi o Fukuoka xyzzy nam nao")
    assert "Fukuoka" in restored and "xyzzy" in restored
    assert restored.endswith("năm nào")


def test_a_sentence_end_is_modelled():
    assert restorer().restore("quy che ban hanh ngay nao").endswith("ngày nào")


def test_the_held_documents_spelling_is_weighed_in():
    from retrieval.answering.diacritics import DiacriticRestorer, HeldForms

    restorer = DiacriticRestorer.load()
    assert restorer.restore("cap ho chieu mat bao lau").startswith("cấp hỗ chiều")  # the counts alone
    passports = HeldForms(lambda form: {"hộ": 40, "chiếu": 40}.get(form, 0))  # guidance on passports
    assert restorer.restore("cap ho chieu mat bao lau", passports).startswith("cấp hộ chiếu")
    silent = HeldForms(lambda form: 0)  # documents that never use the word say nothing
    assert restorer.restore("cap ho chieu mat bao lau", silent) == restorer.restore("cap ho chieu mat bao lau")
