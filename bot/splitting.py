"""Long replies cut into messages a chat accepts: on paragraph breaks where possible, else on a
line break or a space. Telegram and Zalo both count length in UTF-16 code units."""
from __future__ import annotations

from typing import Callable


def utf16_len(text: str) -> int:
    """Length in UTF-16 units, as Telegram and Zalo count it (never less than the characters)."""
    return len(text.encode("utf-16-le")) // 2


def fitting(text: str, limit: int) -> int:
    """How many leading characters of `text` fit in `limit` UTF-16 units."""
    used = 0
    for i, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > limit:
            return i
    return len(text)


def plain_cut(text: str, limit: int) -> int:
    """Where to cut a too-long paragraph: the last line break, else space, that fits."""
    window = text[:fitting(text, limit)]
    for separator in ("\n", " "):
        position = window.rfind(separator)
        if position > len(window) // 2:
            return position
    return max(1, len(window))


def split_paragraphs(text: str, limit: int, cut: Callable[[str, int], int] = plain_cut,
                     strip: bool = True) -> list[str]:
    """Messages of at most `limit` UTF-16 units; `cut` says where a too-long paragraph may break.
    `strip=False` keeps each paragraph's own spacing (markup around it may matter)."""
    parts: list[str] = []
    current = ""
    for block in text.split("\n\n"):
        block = block.strip() if strip else block
        if not block.strip():
            continue
        candidate = f"{current}\n\n{block}" if current else block
        if utf16_len(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        while utf16_len(block) > limit:  # one paragraph longer than a message
            position = cut(block, limit)
            parts.append(block[:position].rstrip())
            block = block[position:].lstrip()
        current = block
    if current:
        parts.append(current)
    return parts
