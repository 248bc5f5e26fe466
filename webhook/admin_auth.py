"""Who may use the admin API and page: `Authorization: Bearer <NGOAIVU_ADMIN_TOKEN>`, checked in
constant time, with the declared size, before a request's body is read (with the token unset,
every request is refused)."""
from __future__ import annotations

import hmac

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer

from config.settings import Settings
from knowledge.loaders import MAX_FILE_BYTES
from webhook.limits import capped_route

API_PREFIX = "/admin/api"
MAX_REQUEST_BYTES = MAX_FILE_BYTES + 256 * 1024  # the file plus the multipart framing and fields
PAGE_CLIENT_HEADER = "X-Ngoaivu-Client"  # the admin page says so, for the audit log's "who"
UNAUTHORIZED = "Thiếu hoặc sai mã quản trị (Authorization: Bearer <NGOAIVU_ADMIN_TOKEN>)."
DISABLED = "API quản trị đang tắt: chưa đặt NGOAIVU_ADMIN_TOKEN."
TOO_LARGE = f"Tệp lớn hơn giới hạn {MAX_FILE_BYTES // (1024 * 1024)} MB."

bearer = HTTPBearer(auto_error=False, scheme_name="AdminToken",
                    description="NGOAIVU_ADMIN_TOKEN, sent as `Authorization: Bearer <token>`.")


def token_ok(authorization: str | None, expected: str) -> bool:
    """Constant-time check of a Bearer header; an unset token accepts nothing."""
    if not expected or not authorization:
        return False
    scheme, _, given = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode("utf-8"), expected.encode("utf-8"))


def _refusal(settings: Settings) -> JSONResponse:
    detail = DISABLED if not settings.admin_token else UNAUTHORIZED
    return JSONResponse({"detail": detail}, status_code=401, headers={"WWW-Authenticate": "Bearer"})


def guarded_route(settings: Settings) -> type[APIRoute]:
    """A route class that checks the token and the size before FastAPI reads the body (also one
    sent without Content-Length: cut off with 413 once past the cap)."""

    def allowed(request: Request) -> Response | None:
        return None if token_ok(request.headers.get("authorization"), settings.admin_token) else _refusal(settings)

    return capped_route(MAX_REQUEST_BYTES, TOO_LARGE, allowed)
