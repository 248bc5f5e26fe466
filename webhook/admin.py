"""The admin API: upload, list, inspect and delete guidance documents over HTTP.

Every route needs `Authorization: Bearer <NGOAIVU_ADMIN_TOKEN>` (webhook/admin_auth.py); the token
and the declared size are checked before the body is read, so a stranger's upload is never received.
The admin page (webhook/admin_page.py) uses this API.
"""
from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, File, Form, HTTPException, Query, Request, Response, UploadFile
from starlette.concurrency import run_in_threadpool
from pydantic import BaseModel

from bot.admin import DocumentAdmin, reading_text
from knowledge.loaders import MAX_FILE_BYTES, IngestError, clean_source_name
from config.settings import Settings
from storage.outages import Unavailable
from webhook.admin_auth import API_PREFIX, PAGE_CLIENT_HEADER, TOO_LARGE, bearer, guarded_route
from webhook.admin_page import admin_page_router
from webhook.admin_questions import questions_router

log = logging.getLogger(__name__)

NOT_FOUND = "Không có tài liệu với mã “{doc_id}”."
NOT_ACTIVE = "Tài liệu “{doc_id}” không còn được dùng ({status}); không có gì để xóa."
INGEST_FAILED = "Lỗi hệ thống khi nạp tài liệu; kho tài liệu không thay đổi. Xin thử lại sau."


class DocumentOut(BaseModel):
    """A document version as the registry holds it."""

    doc_id: str
    source: str  # the uploaded file name; citations show it
    title: str
    publisher: str
    date: str
    version: int
    status: str  # "active", "superseded" or "deleted"
    replaces: str | None = None  # doc_id of the version this one replaced
    created_at: float
    content_hash: str
    chunks: int  # passages indexed


class DocumentText(DocumentOut):
    text: str  # the cleaned text that is searched


class UploadOut(DocumentOut):
    result: str  # "added", "replaced" or "unchanged" (identical content: nothing changed)
    replaced: str = ""  # doc_id of the version retired by this upload
    sample_question: str = ""  # a question now answered from this document
    now_answered: list[str] = []  # questions refused before this upload that are answered now
    # A scan or photo read by OCR: pages, ocr_pages, confidence (0-100), low_confidence, seconds,
    # and `note`, the report line the chat channels show; {} for a file with a text layer.
    reading: dict = {}


class AuditEntry(BaseModel):
    id: int
    at: float
    actor: str  # "telegram:<user id>", "admin-api", "admin-page", "cli", "seed"
    action: str  # "add" or "remove"
    doc_id: str | None
    detail: str


def _admin(request: Request) -> DocumentAdmin:
    # Stateless: one per request costs nothing. Uploads re-ask the dialogue's refused questions.
    return DocumentAdmin(request.app.state.engine, questions=request.app.state.dialogue.questions)


def _actor(request: Request) -> str:
    return "admin-page" if request.headers.get(PAGE_CLIENT_HEADER) == "admin-page" else "admin-api"


async def _read_capped(upload: UploadFile) -> bytes:
    data = await upload.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise HTTPException(status_code=413, detail=TOO_LARGE)
    return data


def admin_router(settings: Settings) -> APIRouter:
    """/admin/api/documents (POST, GET), /admin/api/documents/{id} (GET, DELETE), /admin/api/audit.
    (/admin/api/unanswered and /admin/api/feedback are in webhook/admin_questions.py.)"""
    router = APIRouter(prefix=API_PREFIX, tags=["admin"], route_class=guarded_route(settings),
                       dependencies=[Depends(bearer)])  # shows the Bearer scheme in the OpenAPI docs

    @router.post("/documents", status_code=201, response_model=UploadOut,
                 responses={200: {"model": UploadOut, "description": "Identical content: nothing changed"},
                            401: {"description": "Missing or wrong token"},
                            413: {"description": "File over 20 MB"},
                            422: {"description": "The file was refused; `detail` says why"},
                            503: {"description": "The database or the vector store is unreachable: nothing "
                                                 "was stored; `detail` says which"}})
    async def upload_document(
        request: Request, response: Response,
        file: Annotated[UploadFile, File(description="PDF (scans too), DOCX, DOC, ODT, XLSX, ODS, TXT, MD, HTML, "
                                                     "JPG/PNG photos; type sniffed from content")],
        title: Annotated[str, Form(max_length=300)] = "",
        publisher: Annotated[str, Form(max_length=200)] = "",
        date: Annotated[str, Form(max_length=40, description="dd/mm/yyyy")] = "",
        replaces: Annotated[str, Form(max_length=40, description="doc_id this file is a new version of")] = "",
    ) -> dict:
        """Add a document, or a new version of one (`replaces`, or the same file name again)."""
        data = await _read_capped(file)
        name = clean_source_name(file.filename or "")
        try:
            upload = await _admin(request).upload(data, name, _actor(request), replaces=replaces.strip(),
                                                  title=title.strip(), publisher=publisher.strip(),
                                                  date=date.strip())
        except IngestError as error:
            raise HTTPException(status_code=422, detail=str(error)) from None
        except Unavailable as error:  # refused whole: nothing listed, nothing half-indexed
            raise HTTPException(status_code=503, detail=str(error), headers={"Retry-After": "5"}) from None
        except Exception:  # noqa: BLE001 - the knowledge base rolled back; say so plainly
            log.exception("Upload of %s failed", name)
            raise HTTPException(status_code=500, detail=INGEST_FAILED) from None
        if upload.status == "unchanged":
            response.status_code = 200
        return {**upload.document, "result": upload.status, "replaced": upload.replaced,
                "sample_question": upload.sample_question, "now_answered": list(upload.now_answered),
                "reading": {**upload.reading, "note": reading_text(upload.reading)} if upload.reading else {}}

    # The read routes are plain functions: FastAPI runs them on its thread pool, so their SQLite
    # reads never hold up the event loop.
    @router.get("/documents", response_model=list[DocumentOut])
    def list_documents(
        request: Request,
        history: Annotated[bool, Query(description="include replaced and deleted versions")] = True,
    ) -> list[dict]:
        """Every document version (live ones only with `history=false`)."""
        return _admin(request).documents(include_history=history)

    @router.get("/documents/{doc_id}", response_model=DocumentText, responses={404: {"description": "Unknown id"}})
    def get_document(request: Request, doc_id: str) -> dict:
        """One document version, with the cleaned text that is searched."""
        row = _admin(request).document(doc_id)
        if row is None:
            raise HTTPException(status_code=404, detail=NOT_FOUND.format(doc_id=doc_id))
        return {**row, "text": request.app.state.engine.document(doc_id)["text"]}

    @router.delete("/documents/{doc_id}", response_model=DocumentOut,
                   responses={404: {"description": "Unknown id"}, 409: {"description": "Already retired"}})
    async def delete_document(request: Request, doc_id: str) -> dict:
        """Retire a live document: it is never searched or cited again (its history stays)."""
        admin = _admin(request)
        removed = await admin.remove(doc_id, _actor(request))
        row = await run_in_threadpool(admin.document, doc_id)
        if not removed:
            if row is None:
                raise HTTPException(status_code=404, detail=NOT_FOUND.format(doc_id=doc_id))
            raise HTTPException(status_code=409, detail=NOT_ACTIVE.format(doc_id=doc_id, status=row["status"]))
        return row

    @router.get("/audit", response_model=list[AuditEntry])
    def audit_log(request: Request, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict]:
        """Who changed which document, when (newest first)."""
        return request.app.state.engine.audit_log(limit)

    return router


def include_admin(app: FastAPI, settings: Settings) -> None:
    """Mount the admin API and the admin page (both use the engine the app opens at start-up)."""
    app.include_router(admin_router(settings))
    app.include_router(questions_router(settings))
    app.include_router(admin_page_router(settings))
