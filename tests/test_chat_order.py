"""A chat's updates are handled one at a time, the waiting ones by update_id; other chats go on."""
from __future__ import annotations

import asyncio

from bot.chat_order import ChatTurns


async def _handle(turns: ChatTurns, done: list, chat: int, update_id: int, seconds: float) -> None:
    async with turns.turn(chat, update_id):
        await asyncio.sleep(seconds)
        done.append((chat, update_id))


def test_updates_waiting_for_a_busy_chat_go_in_update_id_order():
    async def run() -> list:
        turns, done = ChatTurns(), []
        first = asyncio.create_task(_handle(turns, done, 1, 100, 0.05))
        await asyncio.sleep(0.01)  # chat 1 is busy with update 100 …
        later = [asyncio.create_task(_handle(turns, done, 1, update_id, 0.0)) for update_id in (103, 101, 102)]
        other = asyncio.create_task(_handle(turns, done, 2, 104, 0.0))  # … while chat 2 is not held up
        await asyncio.gather(first, other, *later)
        assert len(turns) == 0  # nothing kept once the chats are idle
        return done

    done = asyncio.run(run())
    assert [u for c, u in done if c == 1] == [100, 101, 102, 103]
    assert done[0] == (2, 104)


def test_a_cancelled_wait_neither_blocks_nor_loses_the_chat():
    async def run() -> list:
        turns, done = ChatTurns(), []
        first = asyncio.create_task(_handle(turns, done, 1, 1, 0.05))
        await asyncio.sleep(0.01)
        cancelled = asyncio.create_task(_handle(turns, done, 1, 2, 0.0))
        last = asyncio.create_task(_handle(turns, done, 1, 3, 0.0))
        await asyncio.sleep(0.01)
        cancelled.cancel()
        await asyncio.gather(first, last)
        assert len(turns) == 0
        return done

    assert asyncio.run(run()) == [(1, 1), (1, 3)]
