"""The admin web page at /admin: plain server-rendered HTML and one small script, no build
(webhook/static/admin.html, admin.css, admin.js).

The token typed at login stays in the tab's sessionStorage and goes out as a Bearer header, so
there is no cookie to forge requests with. The document tables are rendered (and escaped) here
and fetched as an HTML fragment; uploads go to the admin API by XMLHttpRequest for progress.
"""
from __future__ import annotations

import asyncio
import secrets
import time
from datetime import datetime
from html import escape
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from knowledge.loaders import MAX_FILE_BYTES
from config.settings import Settings
from webhook.admin_auth import API_PREFIX, PAGE_CLIENT_HEADER, guarded_route

PAGE_PATH = "/admin"
FRAGMENT_PATH = "/admin/fragments/documents"
QUESTIONS_FRAGMENT_PATH = "/admin/fragments/questions"
QUESTIONS_ROWS = 200  # unanswered questions and 👎 answers shown
AUDIT_ROWS = 30
STATUS_NAMES = {"active": "đang dùng", "superseded": "đã thay bằng bản mới", "deleted": "đã xóa"}
ACTION_NAMES = {"add": "thêm", "remove": "xóa"}


def _cell(value: object) -> str:
    return f"<td>{escape(str(value if value is not None else ''))}</td>"


def _when(timestamp: float) -> str:
    return time.strftime("%d/%m/%Y %H:%M:%S", time.localtime(timestamp))


def documents_fragment(documents: list[dict], audit: list[dict]) -> str:
    """The live documents (with delete buttons), older versions, and the audit log, escaped."""
    live = [d for d in documents if d["status"] == "active"]
    history = [d for d in documents if d["status"] != "active"]
    parts = [f'<h2>Tài liệu đang dùng (<span id="live-count">{len(live)}</span>)</h2>']
    if live:
        parts.append('<table id="live-documents"><thead><tr><th>Mã</th><th>Tiêu đề</th><th>Tệp</th>'
                     '<th>Đơn vị</th><th>Ngày</th><th>Phiên bản</th><th>Số đoạn</th><th></th></tr></thead><tbody>')
        for d in live:
            doc_id, title = escape(d["doc_id"]), escape(d["title"] or d["source"])
            parts.append(
                f'<tr data-doc-id="{doc_id}"><td><code>{doc_id}</code></td>{_cell(d["title"])}{_cell(d["source"])}'
                f'{_cell(d["publisher"])}{_cell(d["date"])}{_cell(d["version"])}{_cell(d["chunks"])}'
                f'<td><button type="button" class="delete" data-doc-id="{doc_id}" data-title="{title}">'
                f'Xóa</button></td></tr>')
        parts.append("</tbody></table>")
    else:
        parts.append("<p>Chưa có tài liệu nào.</p>")
    parts.append(f"<h2>Lịch sử phiên bản ({len(history)})</h2>")
    if history:
        parts.append('<table id="history"><thead><tr><th>Mã</th><th>Tiêu đề</th><th>Tệp</th><th>Phiên bản</th>'
                     '<th>Trạng thái</th><th>Thay cho</th><th>Nạp lúc</th></tr></thead><tbody>')
        for d in history:
            parts.append(f'<tr data-doc-id="{escape(d["doc_id"])}"><td><code>{escape(d["doc_id"])}</code></td>'
                         f'{_cell(d["title"])}{_cell(d["source"])}{_cell(d["version"])}'
                         f'{_cell(STATUS_NAMES.get(d["status"], d["status"]))}{_cell(d["replaces"] or "")}'
                         f'{_cell(_when(d["created_at"]))}</tr>')
        parts.append("</tbody></table>")
    else:
        parts.append("<p>Chưa có phiên bản cũ hay tài liệu đã xóa.</p>")
    parts.append(f"<h2>Nhật ký thay đổi ({min(len(audit), AUDIT_ROWS)} mục gần nhất)</h2>")
    parts.append('<table id="audit"><thead><tr><th>Lúc</th><th>Ai</th><th>Việc</th><th>Mã</th><th>Chi tiết</th>'
                 '</tr></thead><tbody>')
    for entry in audit[:AUDIT_ROWS]:
        parts.append(f"<tr>{_cell(_when(entry['at']))}{_cell(entry['actor'])}"
                     f"{_cell(ACTION_NAMES.get(entry['action'], entry['action']))}{_cell(entry['doc_id'] or '')}"
                     f"{_cell(entry['detail'])}</tr>")
    parts.append("</tbody></table>")
    return "\n".join(parts)


def questions_fragment(unanswered: list, judged: list[dict]) -> str:
    """The unanswered questions (with "ask again" buttons) and the 👎 answers, escaped."""
    parts = [f'<h2>Câu hỏi chưa trả lời được (<span id="unanswered-count">{len(unanswered)}</span>)</h2>',
             "<p>Cán bộ đã hỏi nhưng tài liệu chưa có câu trả lời; hỏi nhiều nhất trước. Tải lên tài liệu có "
             "câu trả lời, các câu hỏi sẽ được hỏi lại tự động.</p>"]
    if unanswered:
        parts.append('<table id="unanswered"><thead><tr><th>Câu hỏi</th><th>Số lần hỏi</th><th>Số người hỏi</th>'
                     '<th>Kênh</th><th>Hỏi gần nhất</th><th></th></tr></thead><tbody>')
        for question in unanswered:
            text = escape(question.question)
            parts.append(f'<tr data-key="{escape(question.key)}">{_cell(question.question)}'
                         f'<td class="count">{question.count}</td>{_cell(question.users)}'
                         f'{_cell(", ".join(question.channels))}{_cell(_when(question.last_asked))}'
                         f'<td><button type="button" class="ask-again" data-question="{text}">Hỏi lại</button></td></tr>')
        parts.append("</tbody></table>")
    else:
        parts.append("<p>Không có câu hỏi nào chưa trả lời được.</p>")
    parts.append('<p id="ask-result" role="status" hidden></p>')
    parts.append(f'<h2>Câu trả lời bị chê 👎 (<span id="feedback-count">{len(judged)}</span>)</h2>')
    if judged:
        parts.append('<table id="feedback"><thead><tr><th>Câu hỏi</th><th>Câu trả lời</th><th>Nguồn</th>'
                     '<th>Số 👎</th><th>Lần gần nhất</th><th>Kênh</th></tr></thead><tbody>')
        for item in judged:
            sources = "; ".join(f"[{c['n']}] {c.get('title') or c.get('source', '')}" for c in item["citations"])
            parts.append(f"<tr>{_cell(item['question'])}{_cell(item['answer'])}{_cell(sources)}"
                         f"{_cell(item['votes'])}{_cell(_iso_when(item['last_voted']))}{_cell(item['channel'])}</tr>")
        parts.append("</tbody></table>")
    else:
        parts.append("<p>Chưa có câu trả lời nào bị chê.</p>")
    return "\n".join(parts)


def _iso_when(iso: str) -> str:
    try:
        return _when(datetime.fromisoformat(iso).timestamp())
    except ValueError:
        return iso


# The page, its style and its script are files of their own (webhook/static/), read once; the
# __NAME__ markers are filled in here, and the style and script go inline under the page's nonce.
_STATIC = Path(__file__).resolve().parent / "static"
_PAGE = (_STATIC / "admin.html").read_text(encoding="utf-8").rstrip("\n")
_STYLE = "\n" + (_STATIC / "admin.css").read_text(encoding="utf-8")
_SCRIPT = "\n" + (_STATIC / "admin.js").read_text(encoding="utf-8")
_MAX_MB = str(MAX_FILE_BYTES // (1024 * 1024))


def page_html(nonce: str) -> str:
    """The page: login form, upload form with a progress bar, and a place for the document tables."""
    script = (_SCRIPT.replace("__API__", API_PREFIX).replace("__FRAGMENT__", FRAGMENT_PATH)
              .replace("__QUESTIONS__", QUESTIONS_FRAGMENT_PATH)
              .replace("__CLIENT_HEADER__", PAGE_CLIENT_HEADER).replace("__MAX_BYTES__", str(MAX_FILE_BYTES))
              .replace("__MAX_MB__", _MAX_MB))
    return (_PAGE.replace("__NONCE__", nonce).replace("__MAX_MB__", _MAX_MB)
            .replace("__STYLE__", _STYLE).replace("__SCRIPT__", script))


def _security_headers(nonce: str) -> dict[str, str]:
    # Only our own nonce-marked script and style run: markup that slipped through escaping cannot.
    return {
        "Content-Security-Policy": (f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
                                    "connect-src 'self'; img-src 'self'; form-action 'self'; "
                                    "frame-ancestors 'none'; base-uri 'none'"),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }


def admin_page_router(settings: Settings) -> APIRouter:
    """GET /admin (the page, no token needed: it holds no data) and its token-guarded fragment."""
    router = APIRouter(include_in_schema=False)
    guarded = APIRouter(include_in_schema=False, route_class=guarded_route(settings))

    @router.get(PAGE_PATH, response_class=HTMLResponse)
    async def admin_page() -> HTMLResponse:
        """The admin page."""
        nonce = secrets.token_urlsafe(16)
        return HTMLResponse(page_html(nonce), headers=_security_headers(nonce))

    @guarded.get(FRAGMENT_PATH, response_class=HTMLResponse)
    def documents_table(request: Request) -> HTMLResponse:
        """The document tables as escaped HTML, for the page to show."""
        engine = request.app.state.engine
        html = documents_fragment(engine.documents(include_history=True), engine.audit_log(AUDIT_ROWS))
        return HTMLResponse(html, headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})

    @guarded.get(QUESTIONS_FRAGMENT_PATH, response_class=HTMLResponse)
    async def questions_tables(request: Request) -> HTMLResponse:
        """The unanswered questions and the 👎 answers as escaped HTML, for the page to show."""
        questions = request.app.state.dialogue.questions
        unanswered = await asyncio.to_thread(questions.unanswered, QUESTIONS_ROWS)
        judged = await asyncio.to_thread(questions.down_votes, QUESTIONS_ROWS)
        html = questions_fragment(unanswered, judged)
        return HTMLResponse(html, headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})

    router.include_router(guarded)
    return router
