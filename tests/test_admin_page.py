"""The admin page in a real headless Chromium (Debian's `chromium`, driven by Playwright): log in
with the token, upload with the progress bar, see the document listed, ask and see it cited,
replace it and delete it with the confirm dialog, and see it no longer cited; see the questions
the documents could not answer and the 👎 answers, ask one again, and see an upload answer one.

Needs /usr/bin/chromium (`apt-get install -y chromium`) and the `playwright` package; Playwright's
own browser download is never used."""
from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from bot.analytics import question_key
from bot.dialogue import Dialogue
from config.settings import Settings
from retrieval.engine import AnswerEngine
from tests import admin_files as files
from tests.telegram_fixtures import LiveServer
from webhook.app import create_app

CHROMIUM = "/usr/bin/chromium"
TOKEN = "page-token_9876543210"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WAIT_MS = 180_000  # an upload embeds on 2 cores; generous, and only a bound, never a measure

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason=f"{CHROMIUM} is missing: apt-get install -y chromium")


@pytest.fixture(scope="module")
def app_settings(tmp_path_factory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("admin-page-app"), admin_token=TOKEN,
                    rate_limit_questions=1000)


@pytest.fixture(scope="module")
def site(seed_data_dir, tmp_path_factory, app_settings):
    """The app under uvicorn with a real engine on its own copy of the seeded index."""
    data = files.copy_data_dir(seed_data_dir, tmp_path_factory.mktemp("admin-page") / "data")
    engine = AnswerEngine.open(Settings(data_dir=data))
    with LiveServer(create_app(app_settings, engine)) as live:
        yield live.url, engine


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="vi-VN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Failed loads (favicon, a refused token) are expected; a CSP refusal or script error is not.
    page.on("console", lambda message: "Refused to" in message.text and errors.append(message.text))
    yield page
    context.close()
    assert errors == []  # no script error and no CSP violation on the page


def _ask(url: str, question: str) -> dict:
    response = httpx.post(url + "/api/ask", json={"question": question}, timeout=60)
    assert response.status_code == 200
    return response.json()


def _log_in(page, url: str, token: str = TOKEN) -> None:
    page.goto(url + "/admin")
    page.fill("#token", token)
    page.click("#login-button")


def _upload(page, path: Path, **fields: str) -> str:
    """Choose a file, submit, wait for the result line; returns it."""
    page.set_input_files("#file", str(path))
    for name, value in fields.items():
        page.fill(f"#{name}", value)
    page.click("#upload-button")
    status = page.locator("#upload-status.ok, #upload-status.error")
    status.wait_for(timeout=WAIT_MS)
    return status.inner_text()


def test_a_wrong_token_is_refused_on_the_page(site, page):
    url, _ = site
    _log_in(page, url, "wrong-token")
    page.locator("#login-error").wait_for(timeout=WAIT_MS)
    assert "không đúng" in page.inner_text("#login-error")
    assert page.is_hidden("#app")
    assert page.evaluate("sessionStorage.getItem('ngoaivu-admin-token')") is None


def test_upload_ask_replace_and_delete_in_the_browser(site, page, tmp_path):
    url, engine = site
    _log_in(page, url)
    page.locator("#live-documents").wait_for(timeout=WAIT_MS)
    assert page.is_visible("#app") and page.is_hidden("#login")
    seeds = engine.documents()
    assert page.inner_text("#live-count") == str(len(seeds))
    assert seeds[0]["title"] in page.inner_text("#live-documents")
    assert files.PDF_FACT not in _ask(url, files.PDF_QUESTION)["answer"]

    pdf = tmp_path / "bao-cao-ha-giang-2031.pdf"
    pdf.write_bytes(files.pdf_bytes())
    result = _upload(page, pdf, publisher="Sở Ngoại vụ Hà Giang", date="05/01/2032")
    assert result.startswith(f"Đã nạp “{files.PDF_TITLE}”"), result
    assert "Có thể hỏi:" in result
    assert page.get_attribute("#upload-progress", "value") == "100"
    assert page.is_visible("#upload-progress")
    doc = next(d for d in engine.documents() if d["source"] == pdf.name)
    row = page.locator(f'#live-documents tr[data-doc-id="{doc["doc_id"]}"]')
    assert "Sở Ngoại vụ Hà Giang" in row.inner_text() and "05/01/2032" in row.inner_text()
    assert engine.audit_log(1)[0]["actor"] == "admin-page"

    answer = _ask(url, files.PDF_QUESTION)
    assert files.PDF_FACT in answer["answer"]
    assert files.cited_sources(answer)[0] == pdf.name

    revised = tmp_path / "sua" / pdf.name
    revised.parent.mkdir()
    revised.write_bytes(files.pdf_bytes([files.PDF_TITLE, files.PDF_LINES[1].replace("347", "352")]))
    result = _upload(page, revised)  # the same file name: a new version
    assert "phiên bản 2" in result and f"thay mã {doc['doc_id']}" in result, result
    answer = _ask(url, files.PDF_QUESTION)
    assert "352" in answer["answer"] and files.PDF_FACT not in answer["answer"]
    assert doc["doc_id"] not in {c["doc_id"] for c in answer["citations"]}
    history = page.locator(f'#history tr[data-doc-id="{doc["doc_id"]}"]')
    assert "đã thay bằng bản mới" in history.inner_text()

    new = next(d for d in engine.documents() if d["source"] == revised.name)
    assert answer["citations"][0]["doc_id"] == new["doc_id"]
    dialogs: list[str] = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.click(f'button.delete[data-doc-id="{new["doc_id"]}"]')
    page.locator(f'#history tr[data-doc-id="{new["doc_id"]}"]').wait_for(timeout=WAIT_MS)
    assert dialogs and files.PDF_TITLE in dialogs[0]
    assert page.locator(f'#live-documents tr[data-doc-id="{new["doc_id"]}"]').count() == 0
    assert "Đã xóa" in page.inner_text("#upload-status")
    answer = _ask(url, files.PDF_QUESTION)
    assert not {pdf.name, revised.name} & set(files.cited_sources(answer))
    assert "352" not in answer["answer"] and files.PDF_FACT not in answer["answer"]
    files.assert_consistent(engine)


def test_dismissing_the_confirm_keeps_the_document_and_bad_files_are_explained(site, page, tmp_path):
    url, engine = site
    _log_in(page, url)
    page.locator("#live-documents").wait_for(timeout=WAIT_MS)
    before = files.index_state(engine)
    keep = engine.documents()[0]
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click(f'button.delete[data-doc-id="{keep["doc_id"]}"]')
    page.locator("#documents").click()  # the dialog has been handled once the page takes input
    assert page.locator(f'#live-documents tr[data-doc-id="{keep["doc_id"]}"]').count() == 1

    corrupt = tmp_path / "hong.pdf"
    corrupt.write_bytes(files.CORRUPT_PDF)
    result = _upload(page, corrupt)
    assert result.startswith("Không nạp được: Tệp PDF bị hỏng"), result
    assert files.index_state(engine) == before


def test_document_text_is_escaped_on_the_page(site, page, tmp_path):
    url, engine = site
    hostile = tmp_path / "<img src=x onerror=alert(1)>.txt"
    hostile.write_text("<script>alert(1)</script> Tiêu đề & “nháy”\n\nNăm 2031, tỉnh Bắc Giang đã đón "
                       "14 đoàn doanh nghiệp Nhật Bản đến tìm hiểu cơ hội đầu tư.\n", encoding="utf-8")
    response = httpx.post(url + "/admin/api/documents", files={"file": (hostile.name, hostile.read_bytes())},
                          headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120)
    assert response.status_code == 201, response.text
    doc = response.json()
    _log_in(page, url)
    row = page.locator(f'#live-documents tr[data-doc-id="{doc["doc_id"]}"]')
    row.wait_for(timeout=WAIT_MS)
    assert "<img src=x onerror=alert(1)>.txt" in row.inner_text()  # shown as text, not run
    assert "<script>alert(1)</script>" in row.inner_text()
    assert page.locator("#documents img, #documents script").count() == 0


DIEN_BIEN = "Năm 2033 tỉnh Điện Biên cử bao nhiêu đoàn cán bộ sang Lào học tập kinh nghiệm?"
DIEN_BIEN_FILE = ("Báo cáo hợp tác đào tạo cán bộ của tỉnh Điện Biên năm 2033\n\n"
                  "Năm 2033, tỉnh Điện Biên đã cử 17 đoàn cán bộ sang Lào học tập kinh nghiệm "
                  "quản lý biên giới.\n")
VISA = "Phóng viên nước ngoài xin thị thực vào Việt Nam phải nộp hồ sơ trước bao nhiêu ngày?"
JUDGED = "Hội nghị Ngoại vụ toàn quốc lần thứ 18 có chủ đề gì?"


def test_unanswered_questions_and_thumbs_down_on_the_page(site, app_settings, page, tmp_path):
    url, engine = site
    assert _ask(url, "nam 2033 tinh dien bien cu bao nhieu doan can bo sang lao hoc tap kinh nghiem")["refused"]
    assert _ask(url, DIEN_BIEN)["refused"]
    assert _ask(url, VISA)["refused"]
    # An officer's 👎 in Telegram, and a question refused before its answer arrived by a way that
    # does not re-ask (the CLI), recorded through a second dialogue on the same data directory.
    other = Dialogue(engine, app_settings)
    with ThreadPoolExecutor(1) as thread:  # Playwright's loop runs in this one
        judged = thread.submit(asyncio.run, other.ask("telegram", 4242, 4242, JUDGED)).result()
    assert other.vote("telegram", 4242, 4242, judged.answer_id, up=False) is not None
    answerable = JUDGED.replace("?", " vậy?")
    other.record_refusal("zalo", "99", answerable)
    other.close()

    _log_in(page, url)
    page.locator("#unanswered").wait_for(timeout=WAIT_MS)
    dien_bien = page.locator(f'#unanswered tr[data-key="{question_key(DIEN_BIEN)}"]')
    assert dien_bien.locator("td.count").inner_text() == "2"  # both spellings, one question
    assert dien_bien.locator("td").first.inner_text() == DIEN_BIEN  # the latest wording
    visa_row = page.locator("#unanswered tr", has_text=VISA)
    assert visa_row.locator("td.count").inner_text() == "1" and "api" in visa_row.inner_text()
    feedback = page.inner_text("#feedback")
    assert JUDGED in feedback and judged.answer.citations[0].title in feedback
    assert page.inner_text("#feedback-count") == "1"
    assert "4242" not in page.inner_text("#questions")

    # "Hỏi lại": still unanswered stays; answerable now leaves the list.
    visa_row.locator("button.ask-again").click()
    page.locator("#ask-result.error").wait_for(timeout=WAIT_MS)
    assert "vẫn chưa trả lời được" in page.inner_text("#ask-result")
    page.locator("#unanswered tr", has_text=answerable).locator("button.ask-again").click()
    page.locator("#ask-result.ok").wait_for(timeout=WAIT_MS)
    assert "Nay đã trả lời được" in page.inner_text("#ask-result")
    assert page.locator("#unanswered tr", has_text=answerable).count() == 0

    document = tmp_path / "dao-tao-dien-bien-2033.txt"
    document.write_text(DIEN_BIEN_FILE, encoding="utf-8")
    result = _upload(page, document)
    assert result.startswith("Đã nạp"), result
    assert page.locator("#now-answered li").all_inner_texts() == [DIEN_BIEN]
    page.locator("#unanswered tr", has_text=VISA).wait_for(timeout=WAIT_MS)
    assert dien_bien.count() == 0
    assert not _ask(url, DIEN_BIEN)["refused"]


def test_the_api_docs_render_with_nothing_from_outside(site, page):
    """/docs on an offline network: every request to another host fails, the page still renders."""
    url, _ = site
    outside: list[str] = []

    def only_local(route) -> None:
        if route.request.url.startswith(url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.goto(url + "/docs")
    page.locator(".swagger-ui .information-container .title").wait_for(timeout=WAIT_MS)
    assert "ngoaivu" in page.inner_text(".swagger-ui .information-container .title")
    page.locator(".opblock-summary-path[data-path='/api/ask']").wait_for(timeout=WAIT_MS)
    assert outside == []
