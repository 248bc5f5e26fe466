"""How replies look in Zalo: plain text (Zalo shows no markup and no buttons), the asked-for fact
first, numbered sources written out, split below the message limit on paragraph boundaries."""
from __future__ import annotations

from bot import texts
from bot.admin import Upload, now_answered_text, reading_text
from bot.dialogue import Reply
from bot.followup import PROCEDURE_FIELDS, procedure_of
from bot.splitting import split_paragraphs, utf16_len
from knowledge.answers import Answer, Citation

MESSAGE_LIMIT = 2000  # characters of one OA text message
text_length = utf16_len  # Zalo's limit, counted safely for any character


def source_line(citation: Citation) -> str:
    """"[1] Title — Publisher, 03/01/2020 (file.txt)"; the file name only when not the title."""
    title, where = citation.label, citation.details
    line = f"[{citation.n}] {title}"
    if where:
        line += f" — {where}"
    if citation.source and citation.source != title:
        line += f" ({citation.source})"
    return line


def answer_text(
    answer: Answer, *, question: str = "", rewritten: bool = False, note: str = ""
) -> str:
    """The full reply to a question as plain text, sources numbered at the end."""
    blocks = []
    if rewritten and question:
        blocks.append(texts.UNDERSTOOD_AS.format(question=question))
    body = answer.answer.strip()
    fact = "" if answer.refused else answer.fact.strip()
    if fact and fact not in body:  # lead with the asked-for fact, as the other channels do
        body = f"{fact}\n{body}"
    blocks.append(body)
    if note:
        blocks.append(note)
    follow_ups = procedure_follow_ups(answer)
    if follow_ups:
        blocks.append(follow_ups)
    if answer.citations and not answer.refused:  # a refusal lists its leads in its own text
        lines = [texts.SOURCES_HEADING] + [source_line(c) for c in answer.citations]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def procedure_follow_ups(answer: Answer) -> str:
    """Under a procedure answer, its other fields as numbers to send back (Zalo has no buttons);
    a choice list numbers its procedures in its own text."""
    procedure = procedure_of(answer)
    if procedure is None or answer.refused:
        return ""
    asked = set(procedure.get("fields") or [])
    offered = [f"{n}. {label}" for n, (key, label, _) in enumerate(PROCEDURE_FIELDS, 1) if key not in asked]
    return texts.PROCEDURE_FOLLOW_UPS.format(options=" · ".join(offered)) if offered else ""


def reply_text(reply: Reply) -> str:
    """What to send for a dialogue reply: the answer with sources, or the notice."""
    if not reply.is_answer or reply.answer is None:
        return reply.text
    return answer_text(
        reply.answer, question=reply.question, rewritten=reply.rewritten, note=reply.note
    )


def upload_text(upload: Upload) -> str:
    """The reply to an admin's upload: added, new version or unchanged; OCR; questions answered now."""
    template = {"unchanged": texts.FILE_UNCHANGED, "replaced": texts.FILE_REPLACED}.get(
        upload.status, texts.FILE_ADDED)
    document = upload.document
    title = document.get("title") or document.get("source", "")
    text = template.format(title=title, chunks=document.get("chunks", 0), source=document.get("source", ""),
                           version=document.get("version", 1), replaced=upload.replaced)
    if upload.status != "unchanged" and reading_text(upload.reading):  # a scan or a photo
        text += "\n" + reading_text(upload.reading)
    if upload.now_answered:  # the refused questions this document answers now
        text += "\n\n" + now_answered_text(upload.now_answered)
    return text


def welcome_text() -> str:
    """The greeting with example questions (sent when a user follows the OA)."""
    examples = "\n".join(f"• {q}" for q in texts.EXAMPLE_QUESTIONS)
    return f"{texts.WELCOME}\n\n{texts.EXAMPLES_HEADING}\n{examples}"


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split plain text into messages within the limit, on paragraph boundaries where possible."""
    return split_paragraphs(text.strip(), limit)
