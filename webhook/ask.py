"""POST /api/ask: the JSON question API. The body is capped before it is read; with
NGOAIVU_API_TOKEN set, it needs `Authorization: Bearer <token>` (unset: open, as for a local tool)."""
from __future__ import annotations


from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer
from pydantic import BaseModel

from bot.dialogue import InvalidQuestion, unanswered
from config.settings import Settings
from webhook.admin_auth import token_ok
from webhook.limits import capped_route

ASK_PATH = "/api/ask"
API_CHANNEL = "api"  # how refusals of POST /api/ask are listed for admins
# A question is at most NGOAIVU_MAX_QUESTION_CHARS (1,000) characters; this leaves room for a
# longer one to get its clear "too long" answer, and for JSON escapes, but no more.
MAX_ASK_BYTES = 64 * 1024
TOO_LARGE = f"Yêu cầu quá lớn (tối đa {MAX_ASK_BYTES // 1024} KB)."
UNAUTHORIZED = "Thiếu hoặc sai mã truy cập (Authorization: Bearer <NGOAIVU_API_TOKEN>)."

bearer = HTTPBearer(auto_error=False, scheme_name="ApiToken",
                    description="NGOAIVU_API_TOKEN, when set, sent as `Authorization: Bearer <token>`.")


class AskRequest(BaseModel):
    question: str


def ask_router(settings: Settings) -> APIRouter:
    """The /api/ask route, its size cap and (when configured) its token check."""

    def allowed(request: Request) -> JSONResponse | None:
        if not settings.api_token or token_ok(request.headers.get("authorization"), settings.api_token):
            return None
        return JSONResponse({"detail": UNAUTHORIZED}, status_code=401, headers={"WWW-Authenticate": "Bearer"})

    router = APIRouter(route_class=capped_route(MAX_ASK_BYTES, TOO_LARGE, allowed),
                       dependencies=[Depends(bearer)] if settings.api_token else [])

    @router.post(ASK_PATH, responses={400: {"description": "Empty, too long or not a question; `detail` says why"},
                                      401: {"description": "NGOAIVU_API_TOKEN is set and the token is missing or wrong"},
                                      413: {"description": f"Body over {MAX_ASK_BYTES // 1024} KB"}})
    async def ask(request: Request, body: AskRequest) -> dict:
        """The same JSON as `ngoaivu ask --json`."""
        try:
            question = request.app.state.dialogue.validate(body.question)
        except InvalidQuestion as invalid:
            raise HTTPException(status_code=400, detail=invalid.message) from None
        dialogue = request.app.state.dialogue
        answer = await dialogue.answer_only(question)  # on the answering pool, like a chat's question
        if unanswered(answer):  # admins see it; the API has no user to name
            await dialogue.off_loop(dialogue.record_refusal, API_CHANNEL, None, question)
        return answer.to_dict()

    return router
