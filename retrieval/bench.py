"""`ngoaivu bench`: answer latency, index build throughput and cold-start time, measured here."""
from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from langchain_core.embeddings import Embeddings

from knowledge.seeds import seed_documents
from ngoaivu.settings import Settings
from retrieval.embeddings import make_embeddings
from retrieval.engine import AnswerEngine
from retrieval.knowledge_base import KnowledgeBase

DEFAULT_QUESTIONS = [
    "Năm 2020 các địa phương ký bao nhiêu thỏa thuận quốc tế?",
    "quy che 272 ban hanh ngay nao",
    "Hội nghị Ngoại vụ toàn quốc lần thứ 21 có chủ đề gì?",
    "TP.HCM có quan hệ hợp tác với bao nhiêu địa phương nước ngoài?",
    "Ai là Tổng Lãnh sự Việt Nam tại Fukuoka?",
    "How many international agreements did localities sign in 2020?",
    "HNNV 18 khai mạc ở đâu?",
    "Giá vàng SJC hôm nay bao nhiêu?",
]


class TimedEmbeddings(Embeddings):
    """Wraps a backend and adds up the seconds spent embedding."""

    def __init__(self, inner: Embeddings) -> None:
        self.inner, self.seconds, self.name = inner, 0.0, getattr(inner, "name", "embeddings")

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        started = time.perf_counter()
        try:
            return self.inner.embed_documents(texts)
        finally:
            self.seconds += time.perf_counter() - started

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def answer_latency(engine: AnswerEngine, questions: list[str], repeat: int) -> list[float]:
    for question in questions:  # warm caches once
        engine.ask(question)
    timings = []
    for _ in range(repeat):
        for question in questions:
            started = time.perf_counter()
            engine.ask(question)
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def build_throughput(settings: Settings) -> tuple[int, float, float]:
    """(chunks, seconds, seconds embedding) for indexing the shipped articles into a fresh store."""
    with tempfile.TemporaryDirectory() as directory:
        timed = TimedEmbeddings(make_embeddings(settings.embeddings))
        knowledge_base = KnowledgeBase(replace(settings, data_dir=Path(directory), chroma_host=""), timed)
        documents = seed_documents()
        started = time.perf_counter()
        chunks = sum(knowledge_base.add(document, actor="bench").chunks for document in documents)
        return chunks, time.perf_counter() - started, timed.seconds


def cold_ask_seconds(settings: Settings) -> float:
    env = {**os.environ, "NGOAIVU_DATA_DIR": str(settings.data_dir), "NGOAIVU_EMBEDDINGS": settings.embeddings}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from ngoaivu.cli import main; main()", "ask", "--json", DEFAULT_QUESTIONS[0]],
                   env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def run_bench(settings: Settings, questions_path: Path | None = None, repeat: int = 5) -> str:
    engine = AnswerEngine.open(settings)
    questions = DEFAULT_QUESTIONS
    if questions_path:
        questions = [line.strip() for line in questions_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    timings = answer_latency(engine, questions, repeat)
    chunks, seconds, embedding_seconds = build_throughput(settings)
    cold = cold_ask_seconds(settings)
    passages = len(engine.kb.snapshot().passages)
    rows = [
        f"ngoaivu bench — {time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, embeddings {settings.embeddings}",
        f"knowledge base: {len(engine.documents())} documents, {passages} chunks",
        "| measure | value |",
        "| --- | --- |",
        f"| answer latency p50 ({len(timings)} answers) | {statistics.median(timings):.1f} ms |",
        f"| answer latency p95 | {percentile(timings, 0.95):.1f} ms |",
        f"| index build (shipped articles, fresh store) | {chunks} chunks in {seconds:.1f} s = {chunks / seconds:.1f} chunks/s |",
        f"| share of build time spent embedding | {100 * embedding_seconds / seconds:.0f}% |",
        f"| `ngoaivu ask` from a cold process, existing index | {cold:.2f} s |",
    ]
    return "\n".join(rows)
