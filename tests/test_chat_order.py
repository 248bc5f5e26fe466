"""A chat's updates are handled one at a time, the waiting ones by update_id; other chats go on."""
from __future__ import annotations

import asyncio

from bot.chat_order import ChatTurns


async def _handle(turns: ChatTurns, done: list, chat: int, update_id: int, hold: asyncio.Event | None = None) -> None:
    async with turns.turn(chat, update_id):
        if hold is not None:
            await hold.wait()
        done.append((chat, update_id))


async def _settle() -> None:
    for _ in range(5):  # let every task created so far run up to its first wait
        await asyncio.sleep(0)


def test_updates_waiting_for_a_busy_chat_go_in_update_id_order():
    async def run() -> list:
        turns, done, hold = ChatTurns(), [], asyncio.Event()
        first = asyncio.create_task(_handle(turns, done, 1, 100, hold))
        await _settle()  # chat 1 is busy with update 100 …
        later = [asyncio.create_task(_handle(turns, done, 1, update_id)) for update_id in (103, 101, 102)]
        other = asyncio.create_task(_handle(turns, done, 2, 104))  # … while chat 2 is not held up
        await _settle()
        assert done == [(2, 104)]
        hold.set()
        await asyncio.gather(first, other, *later)
        assert len(turns) == 0  # nothing kept once the chats are idle
        return done

    done = asyncio.run(run())
    assert [u for c, u in done if c == 1] == [100, 101, 102, 103]


def test_a_cancelled_wait_neither_blocks_nor_loses_the_chat():
    async def run() -> list:
        turns, done, hold = ChatTurns(), [], asyncio.Event()
        first = asyncio.create_task(_handle(turns, done, 1, 1, hold))
        await _settle()
        cancelled = asyncio.create_task(_handle(turns, done, 1, 2))
        last = asyncio.create_task(_handle(turns, done, 1, 3))
        await _settle()
        cancelled.cancel()
        await _settle()
        hold.set()
        await asyncio.gather(first, last)
        assert len(turns) == 0
        return done

    assert asyncio.run(run()) == [(1, 1), (1, 3)]
