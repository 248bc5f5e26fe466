"""Replies in the order a chat asked: a chat's updates are handled one at a time, the waiting ones
by update_id (Telegram numbers updates in the order they happened), while other chats go on.

Telegram delivers a webhook's updates over several connections at once, so two questions typed
in quick succession may reach the server in either order, and be answered side by side; without
this, the second answer could arrive first (and a follow-up be read without its question)."""
from __future__ import annotations

import asyncio
import heapq
import itertools
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import AsyncIterator, Hashable


@dataclass
class _Chat:
    busy: bool = False
    waiting: list = field(default_factory=list)  # heap of [order, arrival, future]


class ChatTurns:
    """`async with turns.turn(chat_id, update_id):` runs one update of a chat at a time."""

    def __init__(self) -> None:
        self._chats: dict[Hashable, _Chat] = {}
        self._arrivals = itertools.count()

    def __len__(self) -> int:
        """Chats with an update in hand (kept only while they have one)."""
        return len(self._chats)

    @asynccontextmanager
    async def turn(self, chat: Hashable, order: int) -> AsyncIterator[None]:
        state = self._chats.setdefault(chat, _Chat())
        if state.busy:
            entry = [order, next(self._arrivals), asyncio.get_running_loop().create_future()]
            heapq.heappush(state.waiting, entry)
            try:
                await entry[2]
            except asyncio.CancelledError:
                if entry[2].done() and not entry[2].cancelled():
                    self._pass_on(chat, state)  # the turn was handed over as we were cancelled
                else:
                    state.waiting.remove(entry)
                    heapq.heapify(state.waiting)
                raise
        else:
            state.busy = True
        try:
            yield
        finally:
            self._pass_on(chat, state)

    def _pass_on(self, chat: Hashable, state: _Chat) -> None:
        """Hand the chat to its lowest waiting update, or let it go."""
        while state.waiting:
            _, _, future = heapq.heappop(state.waiting)
            if not future.done():
                future.set_result(None)  # `busy` stays set: the turn moves on directly
                return
        state.busy = False
        self._chats.pop(chat, None)
