"""How replies look in Telegram: HTML (every document or user text escaped), parts below the
message limit, and the inline keyboards."""
from __future__ import annotations

import re
from html import escape
from typing import Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import texts
from bot.admin import now_answered_text, reading_text
from bot.followup import PROCEDURE_FIELDS, procedure_of
from bot.splitting import fitting, split_paragraphs, utf16_len
from knowledge.answers import Answer, Citation

# Telegram's limit is 4,096 characters of the text *after* HTML parsing; HTML is never
# shorter than its text, so staying under this in HTML leaves room for the tags we re-open.
MESSAGE_LIMIT = 4000
QUOTE_LIMIT = 3000
BUTTONS_PER_ROW = 3
SHOWN_CITATIONS = 8  # buttons beyond this crowd a phone screen; /nguon lists them all

_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)([^>]*)>")


def _bold_fact(body: str, fact: str) -> str:
    """Escaped body with the fact in bold where it first appears, or leading it otherwise."""
    html_body = escape(body)
    fact = fact.strip()
    if not fact:
        return html_body
    html_fact = escape(fact)
    if html_fact in html_body:
        return html_body.replace(html_fact, f"<b>{html_fact}</b>", 1)
    return f"<b>{html_fact}</b>\n{html_body}"


def source_line(citation: Citation) -> str:
    """"[1] Title — Publisher, 03/01/2020", escaped."""
    where = citation.details
    line = f"[{citation.n}] {escape(citation.label)}"
    return f"{line} — {escape(where)}" if where else line


_RECORD_LINE = re.compile(r"^• (.{1,90}?) — ")


def _record_lines_html(html_body: str) -> str:
    """A series answer's lines ("• Lần thứ 21 — …") as a compact list with the event in bold."""
    return "\n".join(_RECORD_LINE.sub(lambda m: f"• <b>{m.group(1)}</b> — ", line, count=1)
                     for line in html_body.split("\n"))


def answer_html(
    answer: Answer, *, question: str = "", rewritten: bool = False, note: str = ""
) -> str:
    """The full reply to a question, as one HTML text (split later by `split_message`)."""
    blocks = []
    if rewritten and question:
        blocks.append(f"<i>{escape(texts.UNDERSTOOD_AS.format(question=question))}</i>")
    body = _bold_fact(answer.answer, "" if answer.refused else answer.fact)
    blocks.append(_record_lines_html(body) if answer.records else body)
    if note:
        blocks.append(f"<i>{escape(note)}</i>")
    if answer.citations and not answer.refused:  # a refusal lists its leads in its own text
        lines = [f"<b>{escape(texts.SOURCES_HEADING)}</b>"]
        lines += [source_line(c) for c in answer.citations]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def quote_html(citation: Citation) -> str:
    """One citation with its quoted passage (shown when its button is tapped)."""
    quote = citation.quote.strip()
    if len(quote) > QUOTE_LIMIT:
        quote = quote[:QUOTE_LIMIT].rsplit(" ", 1)[0] + " …"
    heading = escape(texts.QUOTE_HEADING.format(n=citation.n))
    return f"<b>{heading}</b>\n{source_line(citation)}\n\n<blockquote>{escape(quote)}</blockquote>"


def sources_html(asked: str, citations: list[Citation]) -> str:
    """/nguon: every source of the last answer in full."""
    blocks = [
        f"<b>{escape(texts.LAST_SOURCES_HEADING)}</b>\n<i>{escape(asked)}</i>",
    ]
    for c in citations:
        details = [escape(part) for part in (c.publisher, c.date) if part]
        lines = [f"<b>[{c.n}] {escape(c.label)}</b>"]  # the place in the document first, as in the answer
        if details:
            lines.append(" · ".join(details))
        if c.source:
            lines.append(f"Tệp: <code>{escape(c.source)}</code>")
        if c.quote.strip():
            lines.append(f"<blockquote>{escape(c.quote.strip())}</blockquote>")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def documents_html(documents: list[dict]) -> str:
    """/tailieu: the documents held, one line each."""
    if not documents:
        return escape(texts.NO_DOCUMENTS)
    lines = [f"<b>{escape(texts.DOCUMENTS_HEADING.format(count=len(documents)))}</b>"]
    for i, doc in enumerate(documents, 1):
        title = doc.get("title") or doc.get("source") or doc.get("doc_id", "")
        where = ", ".join(str(doc[k]) for k in ("publisher", "date") if doc.get(k))
        line = f"{i}. {escape(str(title))}"
        lines.append(f"{line} — {escape(where)}" if where else line)
    return "\n".join(lines)


def plain_html(text: str) -> str:
    return escape(text)


def welcome_html() -> str:
    examples = "\n".join(f"• {escape(q)}" for q in texts.EXAMPLE_QUESTIONS)
    return f"{escape(texts.WELCOME)}\n\n<b>{escape(texts.EXAMPLES_HEADING)}</b>\n{examples}"


# ---- splitting ---------------------------------------------------------------------------

def _inside_markup(text: str, pos: int) -> bool:
    """True when cutting at `pos` would break a tag or an entity like &amp;."""
    lt, gt = text.rfind("<", 0, pos), text.rfind(">", 0, pos)
    if lt > gt:
        return True
    amp, semi = text.rfind("&", 0, pos), text.rfind(";", 0, pos)
    return amp > semi and pos - amp < 10


def _cut(text: str, limit: int) -> int:
    """Where to cut a too-long paragraph: the last line break, else space, that fits."""
    size = fitting(text, limit)  # characters whose UTF-16 length fits (emoji count twice)
    window = text[:size]
    for sep in ("\n", " "):
        pos = window.rfind(sep)
        while pos > 0 and _inside_markup(text, pos):
            pos = window.rfind(sep, 0, pos)
        if pos > size // 2:
            return pos
    pos = size
    while pos > 1 and _inside_markup(text, pos):
        pos -= 1
    return pos


def _fits(text: str, limit: int) -> bool:
    return utf16_len(text) <= limit


def _balance(parts: list[str]) -> list[str]:
    """Close tags left open at the end of a part and re-open them at the start of the next."""
    balanced, carried = [], []
    for part in parts:
        text = "".join(f"<{name}{attrs}>" for name, attrs in carried) + part
        stack: list[tuple[str, str]] = []
        for closing, name, attrs in _TAG.findall(text):
            if closing:
                if stack and stack[-1][0] == name:
                    stack.pop()
            else:
                stack.append((name, attrs))
        text += "".join(f"</{name}>" for name, _ in reversed(stack))
        balanced.append(text)
        carried = stack
    return balanced


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split HTML into messages below the limit, on paragraph boundaries where possible."""
    if _fits(text, limit):
        return [text]
    budget = limit - 100  # room for tags re-opened and closed by _balance
    return _balance([p for p in split_paragraphs(text, budget, cut=_cut, strip=False) if p.strip()])


# ---- keyboards ---------------------------------------------------------------------------

def _rows(buttons: list[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    return [buttons[i:i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]


def _vote_row(answer_id: int) -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton(texts.BUTTON_UP, callback_data=f"vote:{answer_id}:up"),
        InlineKeyboardButton(texts.BUTTON_DOWN, callback_data=f"vote:{answer_id}:down"),
    ]


def _source_buttons(answer_id: int, citations: list[Citation], skip: int | None = None):
    return [
        InlineKeyboardButton(texts.BUTTON_SOURCE.format(n=c.n), callback_data=f"src:{answer_id}:{c.n}")
        for c in citations[:SHOWN_CITATIONS]
        if c.n != skip
    ]


def _pick_buttons(answer_id: int, answer) -> list[InlineKeyboardButton]:
    """Under a choice list, a button per procedure (by number and code); under a procedure answer,
    a button per other field of that procedure (bot.followup.PROCEDURE_FIELDS)."""
    if answer is None:
        return []
    choices = [c for c in answer.choices if c.get("kind") == "choice"]
    if choices:
        return [InlineKeyboardButton(f"{n}. {c.get('code') or _short(c.get('procedure', ''), 20)}",
                                     callback_data=f"pick:{answer_id}:{n}") for n, c in enumerate(choices, 1)]
    procedure = procedure_of(answer)
    if procedure is None:
        return []
    asked = set(procedure.get("fields") or [])
    return [InlineKeyboardButton(label, callback_data=f"pick:{answer_id}:{n}")
            for n, (key, label, _) in enumerate(PROCEDURE_FIELDS, 1) if key not in asked]


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def answer_keyboard(answer_id: int, citations: list[Citation], answer=None) -> InlineKeyboardMarkup:
    """The procedure buttons (if any), one button per citation, then 👍/👎."""
    picks = _rows(_pick_buttons(answer_id, answer))
    return InlineKeyboardMarkup(picks + _rows(_source_buttons(answer_id, citations)) + [_vote_row(answer_id)])


def quote_keyboard(answer_id: int, citations: list[Citation], shown: int) -> InlineKeyboardMarkup:
    """While a quote is shown: back to the answer, the other citations, 👍/👎."""
    back = [InlineKeyboardButton(texts.BUTTON_BACK, callback_data=f"ans:{answer_id}")]
    others = _rows(_source_buttons(answer_id, citations, skip=shown))
    return InlineKeyboardMarkup([back] + others + [_vote_row(answer_id)])


# ---- document administration -------------------------------------------------------------

def _document_line(doc: dict) -> str:
    title = doc.get("title") or doc.get("source") or doc.get("doc_id", "")
    where = ", ".join(str(doc[k]) for k in ("publisher", "date") if doc.get(k))
    return f"{escape(str(title))} — {escape(where)}" if where else escape(str(title))


def admin_documents_html(documents: list[dict]) -> str:
    """/tailieu for admins: live documents with their ids, then replaced and deleted versions."""
    live = [d for d in documents if d.get("status", "active") == "active"]
    history = [d for d in documents if d.get("status", "active") != "active"]
    if not live and not history:
        return escape(texts.NO_DOCUMENTS)
    lines = [f"<b>{escape(texts.ADMIN_DOCUMENTS_HEADING.format(count=len(live)))}</b>"]
    for i, doc in enumerate(live, 1):
        lines.append(f"{i}. {_document_line(doc)}\n    mã <code>{escape(doc['doc_id'])}</code> · "
                     f"v{doc.get('version', 1)} · {doc.get('chunks', 0)} đoạn · {escape(str(doc.get('source', '')))}")
    if history:
        status_names = {"superseded": texts.STATUS_SUPERSEDED, "deleted": texts.STATUS_DELETED}
        lines.append("")
        lines.append(f"<b>{escape(texts.ADMIN_HISTORY_HEADING.format(count=len(history)))}</b>")
        for doc in history:
            status = status_names.get(doc.get("status", ""), str(doc.get("status", "")))
            lines.append(f"• {_document_line(doc)} (v{doc.get('version', 1)}, {escape(status)}) — "
                         f"mã <code>{escape(doc['doc_id'])}</code>")
    lines.append("")
    lines.append(f"<i>{escape(texts.ADMIN_DOCUMENTS_FOOTER)}</i>")
    return "\n".join(lines)


def upload_html(upload) -> str:
    """The reply to an admin's upload (a bot.admin.Upload): title, date, passages, an example."""
    doc = upload.document
    title = doc.get("title") or doc.get("source", "")
    if upload.status == "unchanged":
        return escape(texts.UPLOAD_UNCHANGED.format(title=title, doc_id=doc["doc_id"]))
    if upload.status == "replaced":
        heading = texts.UPLOAD_REPLACED.format(version=doc.get("version", 2), title=title, replaced=upload.replaced)
    else:
        heading = texts.UPLOAD_ADDED.format(title=title)
    details = texts.UPLOAD_DETAILS.format(date=doc.get("date") or texts.UPLOAD_NO_DATE,
                                          chunks=doc.get("chunks", 0), doc_id=doc["doc_id"],
                                          version=doc.get("version", 1))
    code = escape(doc["doc_id"])  # tap to copy, for /xoa or a caption "thay MÃ"
    blocks = [f"<b>{escape(heading)}</b>", escape(details).replace(f"Mã: {code}", f"Mã: <code>{code}</code>", 1)]
    reading = reading_text(getattr(upload, "reading", {}) or {})
    if reading:  # a scan or a photo: what OCR made of it
        blocks.append(escape(reading))
    if upload.sample_question:
        blocks.append(escape(texts.UPLOAD_SAMPLE.format(question=upload.sample_question)))
    else:
        blocks.append(escape(texts.UPLOAD_NO_SAMPLE))
    if upload.now_answered:
        blocks.append(escape(now_answered_text(upload.now_answered)))
    return "\n\n".join(blocks)


def unanswered_html(questions: list, when: Callable[[float], str]) -> str:
    """/chuatraloi: the top unanswered questions (bot.analytics.UnansweredQuestion) with counts."""
    if not questions:
        return escape(texts.UNANSWERED_NONE)
    lines = [f"<b>{escape(texts.UNANSWERED_HEADING.format(count=len(questions)))}</b>"]
    for n, question in enumerate(questions, 1):
        lines.append(escape(texts.UNANSWERED_LINE.format(
            n=n, question=question.question, count=question.count, last=when(question.last_asked))))
    return "\n".join(lines) + "\n\n" + escape(texts.UNANSWERED_FOOTER)


def delete_keyboard(doc_id: str) -> InlineKeyboardMarkup:
    """Confirm or cancel deleting a document."""
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(texts.BUTTON_DELETE, callback_data=f"del:{doc_id}"),
        InlineKeyboardButton(texts.BUTTON_CANCEL, callback_data=f"keep:{doc_id}"),
    ]])
