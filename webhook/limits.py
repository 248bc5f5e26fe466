"""Request bodies read with a cap, checked before they are read: a declared Content-Length over
the cap is refused at once, and a body sent without one (chunked) is cut off as soon as it passes
the cap, so no request makes the server buffer more than the cap."""
from __future__ import annotations

from typing import Callable

from fastapi import HTTPException, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.requests import ClientDisconnect
from starlette.types import Message, Receive


class BodyTooLarge(Exception):
    """The body is (or declares it is) over the cap."""


class BodyIncomplete(Exception):
    """The client went away before sending the whole body."""


def declared_too_large(request: Request, limit: int) -> bool:
    """Whether the declared Content-Length is over the cap (or is not a length at all)."""
    declared = request.headers.get("content-length")
    return declared is not None and (not declared.strip().isdigit() or int(declared) > limit)


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or BodyTooLarge as soon as it passes `limit` bytes."""
    if declared_too_large(request, limit):
        raise BodyTooLarge
    chunks, total = [], 0
    try:
        async for chunk in request.stream():
            total += len(chunk)
            if total > limit:
                raise BodyTooLarge
            chunks.append(chunk)
    except ClientDisconnect:
        raise BodyIncomplete from None
    return b"".join(chunks)


async def body_or_refusal(request: Request, limit: int, too_large: str) -> bytes | JSONResponse:
    """The body, or the reply that refuses it: 413 saying `too_large` over the cap, 400 when the
    client went away before sending it all (each webhook's one way to read its body)."""
    try:
        return await read_body(request, limit)
    except BodyTooLarge:
        return JSONResponse({"detail": too_large}, status_code=413)
    except BodyIncomplete:
        return JSONResponse({"detail": "incomplete body"}, status_code=400)


def capped_receive(receive: Receive, limit: int, detail: str) -> Receive:
    """`receive` that fails with 413 once more than `limit` body bytes have arrived."""
    received = 0

    async def limited() -> Message:
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if received > limit:
            raise HTTPException(status_code=413, detail=detail)
        return message

    return limited


def capped_route(limit: int, detail: str,
                 allowed: Callable[[Request], Response | None] = lambda request: None) -> type[APIRoute]:
    """A route class for JSON routes that FastAPI parses itself: `allowed` (e.g. a token check)
    and the size are checked before the body is read."""

    class CappedRoute(APIRoute):
        def get_route_handler(self) -> Callable:
            handler = super().get_route_handler()

            async def capped(request: Request) -> Response:
                refusal = allowed(request)
                if refusal is not None:
                    return refusal
                if declared_too_large(request, limit):
                    return JSONResponse({"detail": detail}, status_code=413)
                return await handler(Request(request.scope, capped_receive(request.receive, limit, detail)))

            return capped

    return CappedRoute
