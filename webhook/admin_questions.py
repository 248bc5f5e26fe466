"""The admin API for what officers asked and the bot could not answer: the refused questions
(grouped, most asked first), the 👎 answers, and asking one question again.

Same guard as the document API: `Authorization: Bearer <NGOAIVU_ADMIN_TOKEN>` on every route.
No user is named in what these routes return: refusals carry pseudonyms, and only counts leave.
"""
from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from bot.analytics import QuestionLog
from config.settings import Settings
from knowledge.answers import Citation
from retrieval.answering.question import InvalidQuestion
from webhook.admin_auth import API_PREFIX, bearer, guarded_route


class UnansweredOut(BaseModel):
    """A question the documents could not answer (its spellings grouped)."""

    question: str  # the latest wording
    count: int  # times asked since it was last answered
    last_asked: str  # ISO 8601, UTC
    channels: list[str]  # "telegram", "zalo", "api"
    users: int  # distinct officers who asked (the JSON API counts none)


class FeedbackOut(BaseModel):
    """An answer an officer judged 👎, with the question and the sources it cited."""

    question: str
    answer: str
    citations: list[Citation]
    channel: str
    votes: int  # 👎 given to this answer
    last_voted: str  # ISO 8601, UTC


class AskAgainIn(BaseModel):
    question: str = Field(max_length=5000)


class AskAgainOut(BaseModel):
    """The engine's answer now (the JSON of `ngoaivu ask --json`) and whether the question left the list."""

    answer: str
    refused: bool
    citations: list[Citation]
    fact: str
    latency_ms: float
    now_answered: bool


def _questions(request: Request) -> QuestionLog:
    return request.app.state.dialogue.questions


def questions_router(settings: Settings) -> APIRouter:
    """GET /admin/api/unanswered, POST /admin/api/unanswered/ask, GET /admin/api/feedback."""
    router = APIRouter(prefix=API_PREFIX, tags=["admin"], route_class=guarded_route(settings),
                       dependencies=[Depends(bearer)])

    @router.get("/unanswered", response_model=list[UnansweredOut],
                responses={401: {"description": "Missing or wrong token"}})
    async def unanswered(request: Request, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict]:
        """Questions still unanswered, most asked first."""
        listed = await asyncio.to_thread(_questions(request).unanswered, limit)
        return [question.to_dict() for question in listed]

    @router.post("/unanswered/ask", response_model=AskAgainOut,
                 responses={400: {"description": "Not a question"}, 401: {"description": "Missing or wrong token"}})
    async def ask_again(request: Request, body: AskAgainIn) -> dict:
        """Ask a question again now; answered -> it leaves the unanswered list."""
        dialogue = request.app.state.dialogue
        try:
            question = dialogue.validate(body.question)
        except InvalidQuestion as invalid:
            raise HTTPException(status_code=400, detail=invalid.message) from None
        answer = await asyncio.to_thread(_questions(request).ask_again, question, request.app.state.engine.ask)
        return {**answer.to_dict(), "now_answered": not answer.refused}

    @router.get("/feedback", response_model=list[FeedbackOut],
                responses={401: {"description": "Missing or wrong token"}})
    async def feedback(request: Request, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict]:
        """The answers judged 👎, newest first, with their questions and citations."""
        return await asyncio.to_thread(_questions(request).down_votes, limit)

    return router
