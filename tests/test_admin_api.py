"""The admin API over real HTTP: the real app under uvicorn on a loopback port, the real engine on
a private copy of the seeded index. Upload -> the next question is answered and cites the
uploaded file; replace or delete -> never cited again; bad files, bad tokens and failures change
nothing; two uploads at once are both kept."""
from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from config.settings import Settings
from retrieval.index.embeddings import E5Embeddings
from retrieval.engine import AnswerEngine
from retrieval.index.knowledge_base import KnowledgeBase
from tests import admin_files as files
from tests.telegram_fixtures import LiveServer
from webhook.app import create_app

TOKEN = "admin-token_0123456789abcdef"
DOCUMENTS = "/admin/api/documents"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class Api:
    """The running app and an HTTP client that speaks to it."""

    def __init__(self, url: str, engine: AnswerEngine, client: httpx.Client) -> None:
        self.url, self.engine, self.client = url, engine, client

    def upload(self, name: str, data: bytes, headers: dict | None = AUTH, **fields) -> httpx.Response:
        return self.client.post(self.url + DOCUMENTS, files={"file": (name, data)}, data=fields,
                                headers=headers)

    def ask(self, question: str) -> dict:
        response = self.client.post(self.url + "/api/ask", json={"question": question})
        assert response.status_code == 200, response.text
        return response.json()

    def get(self, path: str, headers: dict | None = AUTH, **params) -> httpx.Response:
        return self.client.get(self.url + path, headers=headers, params=params)

    def delete(self, doc_id: str, headers: dict | None = AUTH) -> httpx.Response:
        return self.client.delete(f"{self.url}{DOCUMENTS}/{doc_id}", headers=headers)


def _serve(engine: AnswerEngine, data_dir: Path, **overrides) -> LiveServer:
    settings = replace(Settings(data_dir=data_dir, admin_token=TOKEN, rate_limit_questions=1000), **overrides)
    return LiveServer(create_app(settings, engine))


@pytest.fixture(scope="module")
def api(seed_data_dir, tmp_path_factory):
    """The app with a real engine on its own copy of the seeded index (shared by this module)."""
    data = files.copy_data_dir(seed_data_dir, tmp_path_factory.mktemp("admin-api") / "data")
    engine = AnswerEngine.open(Settings(data_dir=data))
    with _serve(engine, tmp_path_factory.mktemp("admin-api-app")) as live, httpx.Client(timeout=120) as client:
        yield Api(live.url, engine, client)


def test_pdf_upload_is_answered_and_cited_then_deleted_and_never_cited(api):
    assert files.PDF_FACT not in api.ask(files.PDF_QUESTION)["answer"]

    response = api.upload("bao-cao-ha-giang-2031.pdf", files.pdf_bytes(), publisher="Sở Ngoại vụ Hà Giang")
    assert response.status_code == 201, response.text
    doc = response.json()
    assert doc["result"] == "added" and doc["status"] == "active"
    assert doc["source"] == "bao-cao-ha-giang-2031.pdf"
    assert doc["title"] == files.PDF_TITLE
    assert doc["publisher"] == "Sở Ngoại vụ Hà Giang"
    assert doc["chunks"] >= 1 and doc["version"] == 1
    assert "bao nhiêu" in doc["sample_question"]
    files.assert_consistent(api.engine)

    answer = api.ask(files.PDF_QUESTION)
    assert not answer["refused"] and files.PDF_FACT in answer["answer"]
    assert files.cited_sources(answer)[0] == "bao-cao-ha-giang-2031.pdf"
    assert answer["citations"][0]["doc_id"] == doc["doc_id"]
    example = api.ask(doc["sample_question"])  # the example question the upload suggested works
    assert "bao-cao-ha-giang-2031.pdf" in files.cited_sources(example)

    listed = api.get(DOCUMENTS).json()
    assert doc["doc_id"] in [d["doc_id"] for d in listed]
    one = api.get(f"{DOCUMENTS}/{doc['doc_id']}").json()
    assert "347 đoàn khách quốc tế" in one["text"]

    deleted = api.delete(doc["doc_id"])
    assert deleted.status_code == 200 and deleted.json()["status"] == "deleted"
    files.assert_consistent(api.engine)
    after = api.ask(files.PDF_QUESTION)
    assert "bao-cao-ha-giang-2031.pdf" not in files.cited_sources(after)
    assert files.PDF_FACT not in after["answer"]

    assert api.delete(doc["doc_id"]).status_code == 409  # already deleted: nothing to do
    assert api.delete("ffffffffffff").status_code == 404
    assert api.get(f"{DOCUMENTS}/ffffffffffff").status_code == 404
    history = {d["doc_id"]: d["status"] for d in api.get(DOCUMENTS).json()}
    assert history[doc["doc_id"]] == "deleted"  # kept as history, never searched
    live = {d["doc_id"] for d in api.get(DOCUMENTS, history="false").json()}
    assert doc["doc_id"] not in live

    audit = api.get("/admin/api/audit").json()
    assert [(a["actor"], a["action"], a["doc_id"]) for a in audit[:2]] == [
        ("admin-api", "remove", doc["doc_id"]), ("admin-api", "add", doc["doc_id"])]
    assert audit[0]["at"] >= audit[1]["at"] > 0


def test_docx_table_and_html_article_come_through(api):
    docx = api.upload("phien-dich-son-la.docx", files.docx_bytes())
    assert docx.status_code == 201, docx.text
    assert docx.json()["title"] == files.DOCX_TITLE
    answer = api.ask(files.DOCX_QUESTION)
    assert files.DOCX_FACT in answer["answer"]
    assert files.cited_sources(answer)[0] == "phien-dich-son-la.docx"

    html = api.upload("dien-dan-cao-bang.html", files.html_bytes())
    assert html.status_code == 201, html.text
    doc = html.json()
    assert doc["title"] == files.HTML_TITLE and doc["date"] == "14/03/2031"
    text = api.get(f"{DOCUMENTS}/{doc['doc_id']}").json()["text"]
    assert "215 doanh nghiệp" in text
    for furniture in files.HTML_NAVIGATION + [files.HTML_FOOTER, "Giá vàng", "dataLayer"]:
        assert furniture not in text
    answer = api.ask(files.HTML_QUESTION)
    assert files.HTML_FACT in answer["answer"]
    assert files.cited_sources(answer)[0] == "dien-dan-cao-bang.html"
    files.assert_consistent(api.engine)


def test_txt_new_version_by_replaces_and_by_file_name_retires_the_old(api):
    first = api.upload("xe-kon-tum.txt", files.txt_bytes(4)).json()
    assert first["result"] == "added"
    assert "4 xe đưa đón" in api.ask(files.TXT_QUESTION)["answer"]

    same = api.upload("xe-kon-tum-ban-sao.txt", files.txt_bytes(4))
    assert same.status_code == 200 and same.json()["result"] == "unchanged"  # identical content
    assert same.json()["doc_id"] == first["doc_id"]

    second = api.upload("xe-kon-tum-v2.txt", files.txt_bytes(6), replaces=first["doc_id"])
    assert second.status_code == 201, second.text
    v2 = second.json()
    assert (v2["result"], v2["version"], v2["replaced"]) == ("replaced", 2, first["doc_id"])
    answer = api.ask(files.TXT_QUESTION)
    assert "6 xe đưa đón" in answer["answer"]
    assert files.cited_sources(answer) == ["xe-kon-tum-v2.txt"]

    third = api.upload("xe-kon-tum-v2.txt", files.txt_bytes(8)).json()  # the same file name: a new version
    assert (third["result"], third["version"], third["replaced"]) == ("replaced", 3, v2["doc_id"])
    answer = api.ask(files.TXT_QUESTION)
    assert "8 xe đưa đón" in answer["answer"]
    assert [c["doc_id"] for c in answer["citations"]] == [third["doc_id"]]

    reverted = api.upload("xe-kon-tum-v2.txt", files.txt_bytes(4)).json()  # back to v1's content
    assert reverted["result"] == "replaced" and reverted["version"] == 4
    assert reverted["doc_id"] != first["doc_id"]  # v1 keeps its own row in the history
    statuses = {d["doc_id"]: (d["status"], d["version"]) for d in api.get(DOCUMENTS).json()}
    assert statuses[first["doc_id"]] == ("superseded", 1)
    assert statuses[v2["doc_id"]] == ("superseded", 2)
    assert statuses[third["doc_id"]] == ("superseded", 3)
    assert statuses[reverted["doc_id"]] == ("active", 4)
    assert [c["doc_id"] for c in api.ask(files.TXT_QUESTION)["citations"]] == [reverted["doc_id"]]

    # Another file whose title is the same is another document: both stay live.
    other = api.upload("xe-kon-tum-huong-dan-khac.txt", files.txt_bytes(4) + " Áp dụng từ năm 2032.".encode()).json()
    assert (other["result"], other["version"], other["replaced"]) == ("added", 1, "")
    live = {d["doc_id"] for d in api.get(DOCUMENTS, history="false").json()}
    assert {reverted["doc_id"], other["doc_id"]} <= live
    files.assert_consistent(api.engine)

    unknown = api.upload("khac.txt", files.txt_bytes(9) + b" Khac.", replaces="0123456789ab")
    assert unknown.status_code == 422 and "0123456789ab" in unknown.json()["detail"]


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("bom.docx", files.zip_bomb_docx(), "quá lớn"),
    ("hong.pdf", files.CORRUPT_PDF, "PDF bị hỏng"),
    ("trong.txt", b"", "trống"),
    ("khoang-trang.md", b" \n\t \n", "trống"),
    ("anh.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "Ảnh bị hỏng"),  # images are read (OCR), broken ones refused
    ("so-lieu.csv", "tỉnh,số đoàn\nHà Giang,64\nCao Bằng,12\n".encode(), "Định dạng .csv chưa được hỗ trợ"),
])
def test_bad_files_get_a_clear_reason_and_change_nothing(api, name, data, reason):
    before = files.index_state(api.engine)
    response = api.upload(name, data)
    assert response.status_code == 422
    assert reason in response.json()["detail"]
    assert files.index_state(api.engine) == before


def test_a_file_over_20_mb_is_refused_before_it_is_read(api):
    before = files.index_state(api.engine)
    response = api.upload("qua-lon.txt", b"a" * (20 * 1024 * 1024 + 1))
    assert response.status_code == 413
    assert "20 MB" in response.json()["detail"]
    assert files.index_state(api.engine) == before


def test_a_body_over_the_limit_sent_without_content_length_is_cut_off(api):
    boundary = "ngoaivu-test-boundary"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="lon.txt"\r\n'
            "Content-Type: text/plain\r\n\r\n").encode()

    def chunked_body():  # a generator: httpx sends it chunked, with no Content-Length
        yield head
        for _ in range(21):
            yield b"a" * (1024 * 1024)
        yield f"\r\n--{boundary}--\r\n".encode()

    before = files.index_state(api.engine)
    headers = {**AUTH, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    try:
        response = api.client.post(api.url + DOCUMENTS, content=chunked_body(), headers=headers)
    except httpx.TransportError:
        pass  # the server may close the connection while the client is still sending: also a refusal
    else:
        assert response.status_code == 413
    assert files.index_state(api.engine) == before


@pytest.mark.parametrize("headers", [
    None, {}, {"Authorization": "Bearer wrong-token"}, {"Authorization": f"Bearer {TOKEN}x"},
    {"Authorization": f"Basic {TOKEN}"}, {"Authorization": TOKEN}, {"Authorization": "Bearer"},
])
def test_missing_or_wrong_token_is_refused_and_nothing_changes(api, headers):
    before = files.index_state(api.engine)
    live = api.engine.documents()[0]["doc_id"]
    for response in (api.upload("x.txt", files.txt_bytes(5), headers=headers),
                     api.get(DOCUMENTS, headers=headers), api.get(f"{DOCUMENTS}/{live}", headers=headers),
                     api.delete(live, headers=headers), api.get("/admin/api/audit", headers=headers),
                     api.get("/admin/fragments/documents", headers=headers)):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
    assert files.index_state(api.engine) == before


def test_with_the_token_unset_the_admin_api_refuses_everything(engine, tmp_path):
    with _serve(engine, tmp_path, admin_token="") as live, httpx.Client(timeout=30) as client:
        for headers in ({"Authorization": "Bearer"}, {"Authorization": "Bearer x"}, {}):
            response = client.get(live.url + DOCUMENTS, headers=headers)
            assert response.status_code == 401
            assert "NGOAIVU_ADMIN_TOKEN" in response.json()["detail"]
        assert client.post(live.url + DOCUMENTS, files={"file": ("a.txt", b"abc")},
                           headers={"Authorization": "Bearer"}).status_code == 401


def test_the_admin_api_is_in_the_openapi_docs(api):
    spec = api.client.get(api.url + "/openapi.json").json()
    assert {"/admin/api/documents", "/admin/api/documents/{doc_id}", "/admin/api/audit"} <= set(spec["paths"])
    upload = spec["paths"]["/admin/api/documents"]["post"]
    assert upload["security"] == [{"AdminToken": []}]
    assert spec["components"]["securitySchemes"]["AdminToken"]["scheme"] == "bearer"
    form = upload["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert {"file", "title", "publisher", "date", "replaces"} <= set(spec["components"]["schemas"][form]["properties"])
    assert "delete" in spec["paths"]["/admin/api/documents/{doc_id}"]
    assert api.client.get(api.url + "/docs").status_code == 200


def test_two_uploads_at_once_are_both_kept(api):
    uploads = {
        "dien-bien.txt": ("Năm 2031, tỉnh Điện Biên đã tiếp nhận 58 tình nguyện viên quốc tế trong chương "
                          "trình hợp tác giáo dục với Lào.").encode(),
        "lai-chau.txt": ("Năm 2031, tỉnh Lai Châu đã ký 12 bản ghi nhớ hợp tác nông nghiệp với các tỉnh "
                         "phía Bắc Lào.").encode(),
    }
    barrier = threading.Barrier(len(uploads))
    results: dict[str, httpx.Response] = {}

    def send(name: str, data: bytes) -> None:
        with httpx.Client(timeout=120) as client:
            barrier.wait()
            results[name] = client.post(api.url + DOCUMENTS, files={"file": (name, data)}, headers=AUTH)

    threads = [threading.Thread(target=send, args=item) for item in uploads.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert {name: r.status_code for name, r in results.items()} == {name: 201 for name in uploads}
    files.assert_consistent(api.engine)
    live = {d["source"] for d in api.engine.documents()}
    assert set(uploads) <= live
    assert "58" in api.ask("Năm 2031 tỉnh Điện Biên đã tiếp nhận bao nhiêu tình nguyện viên quốc tế?")["answer"]
    answer = api.ask("Năm 2031 tỉnh Lai Châu đã ký bao nhiêu bản ghi nhớ hợp tác nông nghiệp?")
    assert "12" in answer["answer"] and files.cited_sources(answer)[0] == "lai-chau.txt"


def test_the_same_file_uploaded_twice_at_once_is_stored_once(api):
    data = ("Năm 2031, tỉnh Bắc Kạn đã tổ chức 9 đoàn xúc tiến đầu tư ra nước ngoài, "
            "chủ yếu sang Hàn Quốc.").encode()
    barrier = threading.Barrier(2)
    results: list[str] = []

    def send() -> None:
        with httpx.Client(timeout=120) as client:
            barrier.wait()
            results.append(client.post(api.url + DOCUMENTS, files={"file": ("bac-kan.txt", data)},
                                       headers=AUTH).json()["result"])

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert sorted(results) == ["added", "unchanged"]
    assert [d["source"] for d in api.engine.documents()].count("bac-kan.txt") == 1
    files.assert_consistent(api.engine)


def test_a_failure_half_way_through_an_upload_leaves_the_index_unchanged(seed_data_dir, tmp_path):
    data = files.copy_data_dir(seed_data_dir, tmp_path / "data")
    crashing = files.CrashingEmbeddings(E5Embeddings(), fail_on_call=2)
    engine = AnswerEngine(KnowledgeBase(Settings(data_dir=data), crashing))
    crashing.armed = False
    engine.kb.ensure_ready()
    crashing.armed = True
    before = files.index_state(engine)
    document = files.many_paragraphs(400, "Hướng dẫn lễ tân đối ngoại của tỉnh Yên Bái")
    with _serve(engine, tmp_path / "app") as live, httpx.Client(timeout=120) as client:
        response = client.post(live.url + DOCUMENTS, files={"file": ("le-tan-yen-bai.txt", document)},
                               headers=AUTH)
        assert response.status_code == 500
        assert "không thay đổi" in response.json()["detail"]
        assert crashing.calls == 2  # the first batch of vectors was written, the second failed
        assert files.index_state(engine) == before
        answer = client.post(live.url + "/api/ask", json={"question": "Hướng dẫn lễ tân đối ngoại của tỉnh Yên Bái "
                                                                      "có bao nhiêu đoạn?"}).json()
        assert "le-tan-yen-bai.txt" not in files.cited_sources(answer)
    files.assert_consistent(engine)
