"""The admin web page at /admin: plain server-rendered HTML and one small inline script, no build.

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

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from knowledge.loaders import MAX_FILE_BYTES
from config.settings import Settings
from webhook.admin import API_PREFIX, PAGE_CLIENT_HEADER, guarded_route

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


_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
header{background:#0b4f8a;color:#fff;padding:.8rem 1.2rem;display:flex;justify-content:space-between;align-items:center}
header h1{font-size:1.2rem;margin:0}
main,#login{max-width:1100px;margin:1rem auto;padding:0 1rem}
section{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:1rem;margin-bottom:1rem}
label{display:block;font-weight:600;margin:.4rem 0 .2rem}
input[type=text],input[type=password]{width:100%;max-width:28rem;padding:.35rem;box-sizing:border-box}
button{padding:.4rem .9rem;cursor:pointer}
button.delete{color:#a40000}
table{border-collapse:collapse;width:100%;font-size:.9rem;margin-bottom:1rem}
th,td{border-bottom:1px solid #e3e6ea;padding:.35rem .4rem;text-align:left;vertical-align:top}
progress{width:100%;max-width:28rem;height:1.1rem}
.error{color:#a40000}.ok{color:#0a6b2d}
#now-answered{color:#0a6b2d}
.fields{display:grid;grid-template-columns:repeat(auto-fit,minmax(14rem,1fr));gap:0 1rem}
"""

_SCRIPT = """
"use strict";
const KEY = "ngoaivu-admin-token";
const API = "__API__";
const FRAGMENT = "__FRAGMENT__";
const QUESTIONS = "__QUESTIONS__";
const $ = (id) => document.getElementById(id);
const token = () => sessionStorage.getItem(KEY) || "";
const auth = () => ({"Authorization": "Bearer " + token(), "__CLIENT_HEADER__": "admin-page"});

function say(id, text, kind) {
  const el = $(id);
  el.textContent = text;
  el.className = kind || "";
  el.hidden = !text;
}

function detail(body, fallback) {
  if (body && typeof body.detail === "string") return body.detail;
  if (body && Array.isArray(body.detail)) return body.detail.map((e) => e.msg).join("; ");
  return fallback;
}

function showApp(on) {
  $("login").hidden = on;
  $("app").hidden = !on;
  $("logout").hidden = !on;
}

async function loadDocuments() {
  const response = await fetch(FRAGMENT, {headers: auth(), cache: "no-store"});
  if (response.status === 401) {
    sessionStorage.removeItem(KEY);
    showApp(false);
    say("login-error", "Mã quản trị không đúng hoặc API quản trị đang tắt.", "error");
    return false;
  }
  if (!response.ok) {
    say("app-error", "Không tải được danh sách tài liệu (lỗi " + response.status + ").", "error");
    return false;
  }
  $("documents").innerHTML = await response.text();  // rendered and escaped by the server
  await loadQuestions();
  return true;
}

async function loadQuestions() {
  const response = await fetch(QUESTIONS, {headers: auth(), cache: "no-store"});
  if (!response.ok) {
    say("app-error", "Không tải được danh sách câu hỏi chưa trả lời (lỗi " + response.status + ").", "error");
    return;
  }
  $("questions").innerHTML = await response.text();  // rendered and escaped by the server
}

function showNowAnswered(questions) {
  const list = $("now-answered");
  list.textContent = "";
  for (const question of questions || []) {
    const item = document.createElement("li");
    item.textContent = question;
    list.appendChild(item);
  }
  $("now-answered-box").hidden = !(questions && questions.length);
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY, $("token").value.trim());
  $("token").value = "";
  say("login-error", "");
  if (await loadDocuments()) showApp(true);
});

$("logout").addEventListener("click", () => {
  sessionStorage.removeItem(KEY);
  $("documents").textContent = "";
  $("questions").textContent = "";
  showNowAnswered([]);
  showApp(false);
});

$("upload-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.target;
  const file = $("file").files[0];
  if (!file) { say("upload-status", "Xin chọn một tệp.", "error"); return; }
  if (file.size > __MAX_BYTES__) { say("upload-status", "Tệp lớn hơn __MAX_MB__ MB.", "error"); return; }
  const bar = $("upload-progress");
  bar.value = 0;
  bar.hidden = false;
  $("upload-button").disabled = true;
  say("upload-status", "Đang tải lên “" + file.name + "”…");
  const xhr = new XMLHttpRequest();
  xhr.open("POST", API + "/documents");
  for (const [name, value] of Object.entries(auth())) xhr.setRequestHeader(name, value);
  xhr.upload.addEventListener("progress", (e) => {
    if (e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total);
    $("upload-percent").textContent = bar.value + "%";
  });
  xhr.upload.addEventListener("load", () => {
    bar.value = 100;
    $("upload-percent").textContent = "100%";
    say("upload-status", "Đã tải lên, đang đọc (bản quét: nhận dạng chữ, vài giây mỗi trang) và lập chỉ mục…");
  });
  xhr.addEventListener("load", async () => {
    $("upload-button").disabled = false;
    let body = null;
    try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
    if (xhr.status === 201 || xhr.status === 200) {
      bar.value = 100;
      let text;
      if (body.result === "unchanged") {
        text = "Tài liệu “" + body.title + "” (mã " + body.doc_id + ") đã có với nội dung y hệt; không thay đổi gì.";
      } else {
        text = "Đã nạp “" + body.title + "” (mã " + body.doc_id + ", phiên bản " + body.version + ", " +
               body.chunks + " đoạn" + (body.replaced ? ", thay mã " + body.replaced : "") + ").";
        if (body.reading && body.reading.note) text += " " + body.reading.note;
        if (body.sample_question) text += " Có thể hỏi: " + body.sample_question;
      }
      say("upload-status", text, "ok");
      showNowAnswered(body.now_answered);
      form.reset();
      await loadDocuments();
    } else if (xhr.status === 401) {
      await loadDocuments();
    } else {
      say("upload-status", "Không nạp được: " + detail(body, "lỗi " + xhr.status), "error");
    }
  });
  xhr.addEventListener("error", () => {
    $("upload-button").disabled = false;
    say("upload-status", "Mất kết nối khi tải lên. Xin thử lại.", "error");
  });
  xhr.send(new FormData(form));
});

$("documents").addEventListener("click", async (event) => {
  const button = event.target.closest("button.delete");
  if (!button) return;
  const id = button.dataset.docId;
  if (!confirm("Xóa tài liệu “" + button.dataset.title + "” (mã " + id + ")? Tài liệu sẽ không được trích dẫn nữa.")) return;
  const response = await fetch(API + "/documents/" + encodeURIComponent(id), {method: "DELETE", headers: auth()});
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (response.ok) say("upload-status", "Đã xóa “" + button.dataset.title + "” (mã " + id + ").", "ok");
  else say("upload-status", "Không xóa được: " + detail(body, "lỗi " + response.status), "error");
  await loadDocuments();
});

$("questions").addEventListener("click", async (event) => {
  const button = event.target.closest("button.ask-again");
  if (!button) return;
  button.disabled = true;
  const question = button.dataset.question;
  const response = await fetch(API + "/unanswered/ask", {
    method: "POST", headers: {...auth(), "Content-Type": "application/json"},
    body: JSON.stringify({question: question}),
  });
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (response.ok && body.now_answered) {
    await loadQuestions();
    say("ask-result", "Nay đã trả lời được “" + question + "”: " + body.answer, "ok");
  } else if (response.ok) {
    button.disabled = false;
    say("ask-result", "“" + question + "” vẫn chưa trả lời được từ các tài liệu hiện có.", "error");
  } else {
    button.disabled = false;
    say("ask-result", "Không hỏi lại được: " + detail(body, "lỗi " + response.status), "error");
  }
});

if (token()) loadDocuments().then((ok) => showApp(ok));
"""


def page_html(nonce: str) -> str:
    """The page: login form, upload form with a progress bar, and a place for the document tables."""
    script = (_SCRIPT.replace("__API__", API_PREFIX).replace("__FRAGMENT__", FRAGMENT_PATH)
              .replace("__QUESTIONS__", QUESTIONS_FRAGMENT_PATH)
              .replace("__CLIENT_HEADER__", PAGE_CLIENT_HEADER).replace("__MAX_BYTES__", str(MAX_FILE_BYTES))
              .replace("__MAX_MB__", str(MAX_FILE_BYTES // (1024 * 1024))))
    return f"""<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Quản trị tài liệu – Trợ lý Ngoại vụ</title>
<style nonce="{nonce}">{_STYLE}</style>
</head>
<body>
<header><h1>Quản trị tài liệu – Trợ lý Ngoại vụ</h1><button type="button" id="logout" hidden>Đăng xuất</button></header>
<div id="login">
<section>
<h2>Đăng nhập</h2>
<form id="login-form">
<label for="token">Mã quản trị (NGOAIVU_ADMIN_TOKEN)</label>
<input type="password" id="token" autocomplete="current-password" required>
<p><button type="submit" id="login-button">Đăng nhập</button></p>
</form>
<p id="login-error" role="alert" hidden></p>
</section>
</div>
<main id="app" hidden>
<p id="app-error" role="alert" hidden></p>
<section>
<h2>Tải tài liệu lên</h2>
<form id="upload-form">
<label for="file">Tệp PDF, DOCX, TXT, MD hoặc HTML (tối đa {MAX_FILE_BYTES // (1024 * 1024)} MB)</label>
<input type="file" id="file" name="file" accept=".pdf,.docx,.txt,.md,.markdown,.html,.htm" required>
<div class="fields">
<div><label for="title">Tiêu đề (không bắt buộc)</label><input type="text" id="title" name="title" maxlength="300"></div>
<div><label for="publisher">Đơn vị ban hành (không bắt buộc)</label><input type="text" id="publisher" name="publisher" maxlength="200"></div>
<div><label for="date">Ngày (dd/mm/yyyy, không bắt buộc)</label><input type="text" id="date" name="date" maxlength="40"></div>
<div><label for="replaces">Thay cho tài liệu có mã (không bắt buộc)</label><input type="text" id="replaces" name="replaces" maxlength="40"></div>
</div>
<p>Cùng tiêu đề với một tài liệu đang dùng, hoặc ghi mã tài liệu cần thay: tệp sẽ thành phiên bản mới.</p>
<p><button type="submit" id="upload-button">Tải lên</button></p>
</form>
<progress id="upload-progress" max="100" value="0" hidden></progress> <span id="upload-percent"></span>
<p id="upload-status" role="status" hidden></p>
<div id="now-answered-box" hidden><p>Các câu hỏi trước đây chưa trả lời được, nay đã trả lời được:</p>
<ul id="now-answered"></ul></div>
</section>
<section id="questions" aria-live="polite"></section>
<section id="documents" aria-live="polite"></section>
</main>
<script nonce="{nonce}">{script}</script>
</body>
</html>"""


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
