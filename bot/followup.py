"""Reading a short follow-up question in the light of the previous one.

"còn năm 2019 thì sao?" after "Năm 2020 các địa phương ký bao nhiêu thỏa thuận quốc tế?"
becomes the previous question with the year replaced; "ai chủ trì hội nghị đó?" gets the
previous question's "Hội nghị ..." phrase. The rules are about the shape of Vietnamese
follow-ups (còn … thì sao, đó/này/ấy, nó/họ), never about particular questions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# Offsets in a folded question must be offsets in the question.
from vietnamese.text import fold_keeping_length as fold

MAX_FOLLOW_UP_WORDS = 12  # longer questions carry their own context
MAX_PHRASE_WORDS = 10

_WORD = re.compile(r"\w+", re.UNICODE)
_NUMBER = re.compile(r"\d+")
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")


def is_unaccented(text: str) -> bool:
    """True when the text has letters but no Vietnamese diacritics (typed without accents)."""
    return fold(text) == text.lower()


# Folded question words: they end a noun phrase and are dropped from a question's "core".
_QUESTION_WORDS = {
    "bao", "nhieu", "gi", "nao", "ai", "dau", "sao", "may", "gio", "khong", "chua", "phai",
}
# Words that end a noun phrase taken from the previous question (verbs, prepositions, particles).
# Accented, because folded forms collide ("chủ đề" vs "chủ trì"); the folded set is for
# questions typed without accents.
_PHRASE_STOPS = {
    "có", "là", "được", "đã", "đang", "sẽ", "ký", "kí", "diễn", "tổ", "khai", "bế", "thăm",
    "gặp", "nói", "phát", "chủ", "bao", "gì", "nào", "ai", "khi", "ở", "đâu", "tại", "trong",
    "với", "của", "về", "cho", "vào", "do", "bởi", "và", "thì", "mà", "nhằm", "để", "đến", "từ",
    "không", "mấy", "nêu", "đề", "thông", "đạt", "ra", "tham", "như", "thế", "năm", "hãy",
}
_PHRASE_STOPS_FOLDED = {fold(w) for w in _PHRASE_STOPS} - {"de", "the", "nam"}

# Demonstratives that point back. "này" also means "this (time)", so time nouns before it
# ("tháng này") make a new question, not a follow-up.
_DEMONSTRATIVES = ("nói trên", "vừa nêu", "đó", "ấy", "kia", "này", "trên")
_DEMONSTRATIVES_FOLDED = ("noi tren", "vua neu", "do", "ay", "kia", "nay")
_TIME_NOUNS = {"năm", "tháng", "tuần", "ngày", "hôm", "sáng", "chiều", "tối", "đêm", "nay"}
_PERSON_HEADS = {"ông", "bà", "người", "anh", "chị", "vị"}
_PRONOUNS = ("nó", "họ", "ông ta", "bà ta")

_HOW_ABOUT = re.compile(
    r"^\s*(?:(?:thế|vậy|the|vay)\s+)?(?:còn|con)\s+(?P<x>.+?)\s+"
    r"(?:thì|thi)\s+(?:sao|thế\s+nào|the\s+nao|như\s+thế\s+nào|nhu\s+the\s+nao)"
    r"(?:\s+(?:nhỉ|nhi|ạ|a|nhé|nhe))?\s*[?.!]*\s*$"
    r"|^\s*(?P<y>.+?)\s+(?:thì|thi)\s+(?:sao|thế\s+nào|the\s+nao)(?:\s+(?:nhỉ|nhi|ạ|a))?\s*[?.!]*\s*$"
    r"|^\s*(?:(?:thế|vậy|the|vay)\s+)?(?:còn|con)\s+(?P<z>[^?]+?)\s*\?+\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Resolution:
    """How a question was read: the question to ask, and whether context was used."""

    question: str
    follow_up: bool  # the text looks like a follow-up
    rewritten: bool  # the previous question was used to rewrite it


def _words(text: str) -> list[re.Match]:
    return list(_WORD.finditer(text))


def _question_core(question: str) -> str:
    """The previous question without its question words: what it was about."""
    kept = [m.group() for m in _words(question) if fold(m.group()) not in _QUESTION_WORDS]
    return " ".join(kept)


def _strip_end(question: str) -> str:
    return question.strip().rstrip("?.!… ").strip()


def _with_mark(question: str) -> str:
    question = _strip_end(question)
    return question[:1].upper() + question[1:] + "?"


def _how_about_slot(text: str) -> str | None:
    """X in "còn X thì sao?", "X thì sao?", "còn X?"; None when the text is not of that shape."""
    match = _HOW_ABOUT.match(text)
    if not match:
        return None
    slot = (match.group("x") or match.group("y") or match.group("z") or "").strip()
    if not slot:
        return None
    if match.group("z") is not None:
        # "còn bao nhiêu dự án …?" asks something new; only a bare "còn X?" is a follow-up.
        words = [fold(m.group()) for m in _words(slot)]
        if len(words) > 5 or any(w in _QUESTION_WORDS for w in words):
            return None
    return slot


def _is_capitalized(word: str) -> bool:
    return word[:1].isupper() or word[:1].isdigit()


def _phrase_at(previous: str, start_word: int, head_len: int, unaccented: bool) -> tuple[int, int]:
    """The noun phrase in `previous` that starts at word `start_word` (its head has `head_len`
    words) and runs until a verb, question word or punctuation. Returns character offsets."""
    words = _words(previous)
    first = words[start_word]
    end_word = start_word + head_len - 1
    for i in range(start_word + head_len, min(len(words), start_word + MAX_PHRASE_WORDS)):
        word = words[i].group()
        gap = previous[words[i - 1].end():words[i].start()]
        if gap.strip(" -–") or "," in gap:  # punctuation ends the phrase
            break
        stops = _PHRASE_STOPS_FOLDED if unaccented else _PHRASE_STOPS
        key = fold(word) if unaccented else word.lower()
        if key in stops and not _is_capitalized(word):
            break
        end_word = i
        if word.isdigit():
            break  # a number closes the phrase: "lần thứ 21", "năm 2020"
    return first.start(), words[end_word].end()


def _find_head(previous: str, head: list[str]) -> int | None:
    """Index of the word in `previous` where the head words occur, if they do. Accents are
    ignored only when one side was typed without them ("Đà" is not "đã")."""
    key = fold if is_unaccented(previous) or is_unaccented(" ".join(head)) else str.lower
    prev_words = [key(m.group()) for m in _words(previous)]
    wanted = [key(w) for w in head]
    for i in range(len(prev_words) - len(wanted) + 1):
        if prev_words[i:i + len(wanted)] == wanted:
            return i
    return None


def _proper_spans(question: str) -> list[tuple[int, int]]:
    """Runs of capitalized words (names), skipping a lone capital that only starts the sentence."""
    words = _words(question)
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        if words[i].group()[:1].isupper():
            j = i
            while j + 1 < len(words) and words[j + 1].group()[:1].isupper() and \
                    not _gap_breaks(question, words[j], words[j + 1]):
                j += 1
            if not (i == 0 and j == 0):
                spans.append((words[i].start(), words[j].end()))
            i = j + 1
        else:
            i += 1
    return spans


def _gap_breaks(text: str, left: re.Match, right: re.Match) -> bool:
    """Punctuation between two words ends a name."""
    return bool(text[left.end():right.start()].strip(" -"))


def _replace_number(previous: str, slot: str) -> str | None:
    """'năm 2019' / 'lần thứ 19' / '2019' replaces the matching number in the previous question."""
    numbers = list(_NUMBER.finditer(slot))
    if len(numbers) != 1:
        return None
    number = numbers[0]
    head = slot[:number.start()].strip()
    if head:
        head_words = [m.group() for m in _words(head)]
        at = _find_head(previous, head_words)
        if at is not None:
            words = _words(previous)
            after = at + len(head_words)
            if after < len(words) and words[after].group().isdigit():
                target = words[after]
                return previous[:target.start()] + number.group() + previous[target.end():]
            return None
        if _YEAR.fullmatch(number.group()):
            years = list(_YEAR.finditer(previous))
            if years:
                target = years[0]
                return previous[:target.start()] + number.group() + previous[target.end():]
        return None
    if _YEAR.fullmatch(number.group()):
        candidates = list(_YEAR.finditer(previous))
    else:
        candidates = list(_NUMBER.finditer(previous))
    if len(candidates) == 1:
        target = candidates[0]
        return previous[:target.start()] + number.group() + previous[target.end():]
    return None


def _replace_phrase(previous: str, slot: str) -> str | None:
    """'tỉnh Lào Cai' replaces 'Tỉnh Quảng Ninh'; a bare name replaces the previous name."""
    slot_words = [m.group() for m in _words(slot)]
    if not slot_words:
        return None
    unaccented = is_unaccented(previous)
    for head_len in (2, 1):
        if head_len >= len(slot_words):
            continue  # a common noun ("tỉnh", "hội nghị") followed by what is new
        head = slot_words[:head_len]
        at = _find_head(previous, head)
        if at is not None:
            start, end = _phrase_at(previous, at, head_len, unaccented)
            return previous[:start] + slot + previous[end:]
    if all(w[:1].isupper() or w.isdigit() for w in slot_words):
        spans = _proper_spans(previous)
        if spans:
            start, end = spans[0]
            return previous[:start] + slot + previous[end:]
    return None


def _find_demonstrative(text: str) -> tuple[list[re.Match], int] | None:
    """(the words before it, end offset) of the first "<noun> đó/này/ấy/…" in the text."""
    unaccented = is_unaccented(text)
    lowered = fold(text) if unaccented else text.lower()
    markers = _DEMONSTRATIVES_FOLDED if unaccented else _DEMONSTRATIVES
    words = _words(text)
    for marker in markers:
        for match in re.finditer(rf"(?<!\w){re.escape(marker)}(?!\w)", lowered):
            before = [w for w in words if w.end() <= match.start()]
            if not before:
                continue
            at_end = not lowered[match.end():].strip(" ?.!…")
            if not at_end and (marker == "trên" or (unaccented and marker in ("do", "nay", "ay"))):
                continue  # "trên thế giới"; unaccented "do"/"nay" mid-sentence mean "by"/"now"
            head_last = before[-1].group().lower()
            if head_last in _TIME_NOUNS and marker in ("này", "nay"):
                continue  # "tháng này" asks about now, not about the previous question
            if fold(head_last) in _QUESTION_WORDS or head_last == "do":
                continue  # "do đó" means "therefore"
            return before, match.end()
    return None


def looks_like_follow_up(text: str) -> bool:
    """A short question that leans on an earlier one (còn … thì sao, đó/này/ấy, nó/họ)."""
    if len(_words(text)) > MAX_FOLLOW_UP_WORDS:
        return False
    if _how_about_slot(text) is not None:
        return True
    if _find_demonstrative(text) is not None:
        return True
    lowered = text.lower()
    return any(re.search(rf"(?<!\w){p}(?!\w)", lowered) for p in _PRONOUNS)


def resolve(previous: str | None, text: str) -> Resolution:
    """Rewrite `text` with `previous` when it is a follow-up; otherwise return it unchanged."""
    follow_up = looks_like_follow_up(text)
    if not follow_up or not previous:
        return Resolution(text, follow_up, False)
    rewritten = _rewrite(previous.strip(), text.strip())
    if not rewritten or fold(rewritten) == fold(text):
        return Resolution(text, follow_up, False)
    return Resolution(rewritten, follow_up, True)


def _rewrite(previous: str, text: str) -> str:
    slot = _how_about_slot(text)
    if slot is not None:
        slot = _strip_end(slot)
        replaced = _replace_number(previous, slot) or _replace_phrase(previous, slot)
        if replaced:
            return _with_mark(replaced)
        return f"{_strip_end(previous)}, {slot}?"

    found = _find_demonstrative(text)
    if found is not None:
        before, end = found
        head = [m.group() for m in before[-2:]]
        subject = _subject_for(previous, head)
        if subject:
            phrase, used = subject
            start = before[-used].start()
            return _with_mark(text[:start] + phrase + text[end:])
        return f"{_strip_end(text)} ({_question_core(previous)})?"

    lowered = text.lower()
    for pronoun in _PRONOUNS:
        match = re.search(rf"(?<!\w){pronoun}(?!\w)", lowered)
        if match:
            spans = _proper_spans(previous)
            subject = previous[spans[0][0]:spans[0][1]] if spans else _question_core(previous)
            return _with_mark(text[:match.start()] + subject + text[match.end():])
    return text


def _subject_for(previous: str, head: list[str]) -> tuple[str, int] | None:
    """The phrase of the previous question that "<head> đó" points to, and how many of the
    head words it replaces."""
    unaccented = is_unaccented(previous)
    for used in sorted({len(head), 1}, reverse=True):
        part = head[-used:]
        at = _find_head(previous, part)
        if at is not None:
            start, end = _phrase_at(previous, at, used, unaccented)
            return previous[start:end], used
    last = head[-1]
    if last.lower() in _TIME_NOUNS | {"lúc", "khi", "dịp"}:
        years = list(_YEAR.finditer(previous))
        if years:
            return f"{last} {years[0].group()}", 1
    if last.lower() in _PERSON_HEADS:
        spans = _proper_spans(previous)
        if spans:
            return f"{last} {previous[spans[0][0]:spans[0][1]]}", 1
    return None


# ---- procedures: the fields of the procedure just answered, and picks from a choice list --------

# The other fields offered under a procedure answer (Telegram buttons, Zalo numbers), and the
# question each one asks about the same procedure.
PROCEDURE_FIELDS = [("dossier", "Hồ sơ", "hồ sơ gồm những gì"), ("deadline", "Thời hạn", "thời hạn giải quyết"),
                    ("fee", "Lệ phí", "lệ phí bao nhiêu"), ("steps", "Trình tự", "trình tự thực hiện"),
                    ("agency", "Cơ quan", "cơ quan thực hiện"), ("basis", "Căn cứ", "căn cứ pháp lý")]
_PICK = re.compile(r"^\s*(?:số\s*|so\s*|#)?(\d{1,2})\s*[.)!?]?\s*$", re.IGNORECASE)


def procedure_of(answer) -> dict | None:
    """The procedure a record answer was about (retrieval.answering.procedures), or None."""
    for record in getattr(answer, "records", None) or []:
        if "procedure" in record and "list" not in record:  # a list's lines are many procedures
            return record
    return None


def picked(asked_before: str, answer, number: int) -> str | None:
    """The question a number (typed, or a button) asks after `answer`: a procedure of its choice
    list with the question that got the list, or a field of the procedure it answered."""
    choices = getattr(answer, "choices", None) or []
    if choices:
        if 1 <= number <= len(choices):
            return f"{_strip_end(asked_before)} (thủ tục {_reference(choices[number - 1])})?"
        return None
    procedure = procedure_of(answer)
    if procedure and 1 <= number <= len(PROCEDURE_FIELDS):
        return f"{PROCEDURE_FIELDS[number - 1][2]} (thủ tục {_reference(procedure)})?"
    return None


def _reference(procedure: dict) -> str:
    """How a rewritten question names a procedure: its code, else its name."""
    return procedure.get("code") or procedure.get("procedure", "")


def with_procedure(text: str, asked_before: str, answer) -> str | None:
    """A reply that leans on the previous procedure answer, rewritten to name the procedure: a bare
    number ("2") picks from its choice list or its follow-up fields; a field asked without naming a
    procedure ("còn lệ phí?", "hồ sơ gồm những gì?") keeps the procedure of the previous turn."""
    if answer is None:
        return None
    number = _PICK.match(text)
    if number:
        return picked(asked_before, answer, int(number.group(1)))
    procedure = procedure_of(answer)
    if not procedure:
        return None
    from retrieval.answering.procedures import names_something, read_question

    asked = read_question(_how_about_slot(text) or text)
    if asked.fields and not names_something(asked.words) and not asked.codes:
        return f"{_strip_end(_how_about_slot(text) or text)} (thủ tục {_reference(procedure)})?"
    return None
