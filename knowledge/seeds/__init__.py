"""The five articles the product starts with: its default knowledge base."""
from __future__ import annotations

import json
from pathlib import Path

from knowledge.loaders import load_file
from knowledge.models import Document

SEEDS_DIR = Path(__file__).parent


def seed_documents() -> list[Document]:
    """The shipped articles, with the title, publisher and date their text gives."""
    metadata = json.loads((SEEDS_DIR / "metadata.json").read_text(encoding="utf-8"))
    return [load_file(path, **metadata.get(path.name, {})) for path in sorted(SEEDS_DIR.glob("*.txt"))]
