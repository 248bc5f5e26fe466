"""Webhook load for `ngoaivu bench`: `ngoaivu serve` runs in its own process(es); this process
plays Telegram. It hosts the local Bot API server the bot replies to and posts Updates to the
webhook at a fixed rate (open loop: one every 1/rate s, whatever the server is doing), then
times each POST to its sendMessage. Bounded: a fixed number of updates, each with a timeout.

Replies are matched to updates per chat, in order (a private chat's reply does not quote the
question), so "answered once" means each chat got exactly as many messages as it sent updates.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import math
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, ContextManager, Iterator

import httpx

from config.settings import default_workers
from ngoaivu.testing.fake_bot_api import TOKEN, FakeBotApi
from ngoaivu.testing.telegram import SECRET, message_update, new_chat_id
from webhook.app import SECRET_HEADER, WEBHOOK_PATH

QUESTIONS = [
    "Năm 2020 các địa phương ký bao nhiêu thỏa thuận quốc tế?",
    "Hội nghị Ngoại vụ toàn quốc lần thứ 21 có chủ đề gì?",
    "quy che 272 ban hanh ngay nao",
    "TP.HCM có quan hệ hợp tác với bao nhiêu địa phương nước ngoài?",
    "Ai là Tổng Lãnh sự Việt Nam tại Fukuoka?",
    "Cách nấu phở bò ngon tại nhà?",
]


# Fresh update ids on every run: the server remembers the ids it has seen in its data directory
# (and drops a repeat as a Telegram retry), which may outlive this process.
_update_ids = itertools.count(time.time_ns() // 1000)


def _update(chat: int, text: str) -> dict:
    return message_update(chat, text, update_id=next(_update_ids))


def _own_cpu_seconds() -> float:
    """CPU used so far by this process: the load generator and the local Bot API server."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else float("nan")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from ngoaivu.cli import main; raise SystemExit(main())", *args]


def _kb(path: str, field: str) -> float:
    """A `kB` field of a /proc file (0 when the process is gone)."""
    try:
        match = re.search(rf"^{field}:\s+(\d+) kB", Path(path).read_text(), re.MULTILINE)
    except OSError:
        return 0.0
    return int(match.group(1)) / 1024 if match else 0.0


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(part) for part in text.split()]


@dataclass
class Server:
    """A running `ngoaivu serve` (all its worker processes) wired to the local Bot API."""

    process: subprocess.Popen
    url: str
    data_dir: Path
    log: IO[bytes]  # the server's stdout and stderr (a temporary file)

    def log_tail(self, chars: int = 3000) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-chars:]

    def worker_pids(self) -> list[int]:
        """The processes that answer: uvicorn's workers, or the server itself with one worker."""
        workers = []
        for pid in _children(self.process.pid):
            try:
                if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace"):
                    workers.append(pid)
            except OSError:
                pass
        return workers or [self.process.pid]

    def cpu_seconds(self) -> float:
        """User and system CPU time used so far by the answering processes."""
        total = 0.0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
        return total

    def memory(self) -> dict:
        """Per worker, in MB: peak RSS (VmHWM); PSS, which splits shared pages (the memory-mapped
        model file, the interpreter's libraries) between the processes that map them; and the
        private pages no other process shares."""
        pids = self.worker_pids()
        rollups = [f"/proc/{pid}/smaps_rollup" for pid in pids]
        return {"workers": len(pids),
                "peak_rss_mb": [_kb(f"/proc/{pid}/status", "VmHWM") for pid in pids],
                "pss_mb": [_kb(path, "Pss") for path in rollups],
                "private_mb": [_kb(path, "Private_Clean") + _kb(path, "Private_Dirty") for path in rollups]}


def prepare_data_dir(directory: Path, extra_env: dict | None = None) -> None:
    """Index the shipped articles once, in its own process, so the server starts warm."""
    env = {**os.environ, "NGOAIVU_DATA_DIR": str(directory), **(extra_env or {})}
    subprocess.run(_cli("docs", "--json"), env=env, check=True, capture_output=True, timeout=900)


@contextmanager
def chroma_server(path: Path) -> Iterator[dict]:
    """`chroma run` (the chromadb package's server) on a free loopback port: the environment
    that points `ngoaivu` at it."""
    port = _free_port()
    command = [str(Path(sys.executable).parent / "chroma"), "run", "--path", str(path),
               "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the Chroma server did not start")
            time.sleep(0.2)
        yield {"CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(port)}
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def serve(api: FakeBotApi, data_dir: Path, workers: int | None = None,
          extra_env: dict | None = None) -> Iterator[Server]:
    """`ngoaivu serve` in a child process, as an operator starts it, answering through `api`."""
    port = _free_port()
    env = {**os.environ, "NGOAIVU_DATA_DIR": str(data_dir), "HOST": "127.0.0.1", "PORT": str(port),
           "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET,
           "TELEGRAM_API_BASE_URL": api.base_url, "TELEGRAM_FILE_BASE_URL": api.file_base_url,
           "PUBLIC_URL": "", "NGOAIVU_RATE_LIMIT_QUESTIONS": "0", **(extra_env or {})}
    env.pop("NGOAIVU_WORKERS", None)
    if workers:
        env["NGOAIVU_WORKERS"] = str(workers)
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(_cli("serve"), env=env, stdout=log, stderr=subprocess.STDOUT)
    server = Server(process, f"http://127.0.0.1:{port}", data_dir, log)
    try:
        deadline = time.monotonic() + 300
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"ngoaivu serve exited ({process.returncode}):\n{server.log_tail()}")
            try:
                if httpx.get(server.url + "/healthz", timeout=2).json().get("telegram"):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("ngoaivu serve did not start within 300 s")
            time.sleep(0.2)
        # With several workers, each must have opened its engine before the clock starts.
        expected = workers or default_workers(env.get("CHROMA_HOST", ""))
        while len(server.worker_pids()) < expected and time.monotonic() < deadline:
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def warm_up(server: Server, api: FakeBotApi, chats: int = 8, rounds: int = 3) -> None:
    """A few questions on every worker (connections, caches) before anything is timed."""
    for _ in range(rounds):
        for i in range(chats):  # a new connection each: the kernel spreads them over the workers
            update = _update(new_chat_id(), QUESTIONS[i % len(QUESTIONS)])
            httpx.post(server.url + WEBHOOK_PATH, json=update, headers={SECRET_HEADER: SECRET}, timeout=60)
    api.reset()


def run_load(server: Server, api: FakeBotApi, rate: float, chats: int, updates: int,
             settle_seconds: float = 30.0) -> dict:
    """Post `updates` questions from `chats` chats at `rate` per second (math.inf: every POST at
    once, more than Telegram does: it sends a chat's next update after the previous response);
    time each to its reply."""
    chat_ids = [new_chat_id() for _ in range(chats)]
    sent_at: dict[int, list[float]] = {chat: [] for chat in chat_ids}
    statuses: list[int] = []
    # Bodies encoded before the clock starts: the generator shares the cores with the server.
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    bodies = [(chat_ids[i % chats], json.dumps(_update(chat_ids[i % chats], QUESTIONS[(i // chats) % len(QUESTIONS)])))
              for i in range(updates)]

    async def post(client: httpx.AsyncClient, chat: int, body: str) -> None:
        sent_at[chat].append(time.perf_counter())
        try:
            response = await client.post(server.url + WEBHOOK_PATH, content=body, headers=headers)
            statuses.append(response.status_code)
        except httpx.HTTPError:
            statuses.append(0)

    async def run() -> float:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
        async with httpx.AsyncClient(timeout=120, limits=limits) as client:
            begin = time.perf_counter()
            tasks = []
            for i, (chat, body) in enumerate(bodies):
                delay = begin + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(post(client, chat, body)))
            sending = time.perf_counter() - begin
            await asyncio.gather(*tasks)
            return sending

    cpu_before, own_before = server.cpu_seconds(), _own_cpu_seconds()
    sending_seconds = asyncio.run(run())
    deadline = time.monotonic() + settle_seconds  # replies still on their way after the last 200
    while time.monotonic() < deadline and len(api.calls_of("sendMessage")) < updates:
        time.sleep(0.05)
    cpu_ms = (server.cpu_seconds() - cpu_before) * 1000 / updates
    own_ms = (_own_cpu_seconds() - own_before) * 1000 / updates
    sent = sorted(call.at for call in api.calls_of("sendMessage"))
    # The pace replies left at: python-telegram-bot's AIORateLimiter holds a bot to Telegram's
    # 30 messages a second, whatever the rate of questions.
    reply_rate = (len(sent) - 1) / (sent[-1] - sent[0]) if len(sent) > 1 and sent[-1] > sent[0] else float("nan")
    latencies: list[float] = []
    missing, extra = 0, 0
    for chat in chat_ids:
        replies = sorted(call.at for call in api.calls_of("sendMessage", chat))
        starts = sent_at[chat]
        missing += max(0, len(starts) - len(replies))
        extra += max(0, len(replies) - len(starts))
        latencies.extend((at - start) * 1000 for at, start in zip(replies, starts))
    api.reset()
    return {"rate": rate, "chats": chats, "updates": updates, "offered_per_second": updates / max(sending_seconds, 1e-6),
            "answered": len(latencies), "missing": missing, "extra": extra,
            "non_200": sum(1 for s in statuses if s != 200), "server_cpu_ms_per_update": cpu_ms,
            "bench_cpu_ms_per_update": own_ms, "replies_per_second": reply_rate,
            "p50_ms": percentile(latencies, 0.5), "p95_ms": percentile(latencies, 0.95),
            "max_ms": max(latencies, default=float("nan"))}


def run_closed(server: Server, api: FakeBotApi, updates: int) -> dict:
    """One chat at a time: each question waits for the previous answer (the single-user case)."""
    latencies = []
    cpu_before, own_before = server.cpu_seconds(), _own_cpu_seconds()
    with httpx.Client(timeout=60) as client:
        for i in range(updates):
            chat = new_chat_id()
            started = time.perf_counter()
            client.post(server.url + WEBHOOK_PATH, json=_update(chat, QUESTIONS[i % len(QUESTIONS)]),
                        headers={SECRET_HEADER: SECRET})
            replies = api.calls_of("sendMessage", chat)
            if replies:
                latencies.append((replies[0].at - started) * 1000)
    cpu_ms = (server.cpu_seconds() - cpu_before) * 1000 / updates
    own_ms = (_own_cpu_seconds() - own_before) * 1000 / updates
    api.reset()
    return {"rate": 0, "chats": 1, "updates": updates, "answered": len(latencies),
            "missing": updates - len(latencies), "extra": 0, "non_200": 0, "server_cpu_ms_per_update": cpu_ms,
            "bench_cpu_ms_per_update": own_ms,
            "p50_ms": percentile(latencies, 0.5), "p95_ms": percentile(latencies, 0.95),
            "max_ms": max(latencies, default=float("nan"))}


def run_burst(server: Server, api: FakeBotApi, chats: int = 10, updates: int = 40,
              settle_seconds: float = 30.0) -> dict:
    """`updates` questions that reach Telegram at the same moment from `chats` chats (each chat
    asking the same questions in the same order), delivered as Telegram delivers a webhook's
    updates: the chats side by side, a chat's next update once the previous one's POST has been
    answered. Latency is from that moment to each reply; `out_of_order` counts the chats whose
    replies differ from those of one chat asking the same questions one at a time first (a reply
    out of order, or a follow-up read with the wrong question)."""
    per_chat = -(-updates // chats)
    questions = [QUESTIONS[k % len(QUESTIONS)] for k in range(per_chat)]
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    reference_chat = new_chat_id()
    with httpx.Client(timeout=60) as client:
        for question in questions:
            client.post(server.url + WEBHOOK_PATH, content=json.dumps(_update(reference_chat, question)),
                        headers=headers)
    reference = api.sent_texts(reference_chat)
    api.reset()
    chat_ids = [new_chat_id() for _ in range(chats)]
    bodies = {chat: [json.dumps(_update(chat, question)) for question in questions] for chat in chat_ids}
    statuses: list[int] = []

    async def deliver(client: httpx.AsyncClient, chat: int) -> None:
        for body in bodies[chat]:
            try:
                statuses.append((await client.post(server.url + WEBHOOK_PATH, content=body, headers=headers)).status_code)
            except httpx.HTTPError:
                statuses.append(0)

    async def run() -> None:
        async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=chats)) as client:
            await asyncio.gather(*(deliver(client, chat) for chat in chat_ids))

    cpu_before, own_before = server.cpu_seconds(), _own_cpu_seconds()
    begin = time.perf_counter()
    asyncio.run(run())
    deadline = time.monotonic() + settle_seconds
    while time.monotonic() < deadline and len(api.calls_of("sendMessage")) < chats * per_chat:
        time.sleep(0.05)
    latencies: list[float] = []
    missing, extra, out_of_order = 0, 0, 0
    for chat in chat_ids:
        replies = sorted(call.at for call in api.calls_of("sendMessage", chat))
        missing += max(0, per_chat - len(replies))
        extra += max(0, len(replies) - per_chat)
        latencies.extend((at - begin) * 1000 for at in replies[:per_chat])
        out_of_order += api.sent_texts(chat) != reference
    result = {"rate": math.inf, "chats": chats, "updates": chats * per_chat, "answered": len(latencies),
              "missing": missing, "extra": extra, "out_of_order": out_of_order,
              "non_200": sum(1 for s in statuses if s != 200),
              "server_cpu_ms_per_update": (server.cpu_seconds() - cpu_before) * 1000 / (chats * per_chat),
              "bench_cpu_ms_per_update": (_own_cpu_seconds() - own_before) * 1000 / (chats * per_chat),
              "p50_ms": percentile(latencies, 0.5), "p95_ms": percentile(latencies, 0.95),
              "max_ms": max(latencies, default=float("nan"))}
    api.reset()
    return result


BURST = "burst: 40 at once from 10 chats"
SCENARIOS = [  # (label, chats, updates per second, updates); rate 0: one chat, one at a time; inf: all at once
    ("1 chat, one question at a time", 1, 0, 40),
    ("10 chats, 20 updates/s", 10, 20, 200),
    ("50 chats, 40 updates/s", 50, 40, 400),
    (BURST, 10, math.inf, 40),
]


def measure(chroma: bool = False, workers: int | None = None,
            scenarios: list[tuple[str, int, float, int]] = SCENARIOS,
            server_env: dict | None = None) -> tuple[dict, list[dict]]:
    """Start `ngoaivu serve` as deployed (with `chroma`: vectors in a Chroma server process;
    workers: the default unless given; `server_env`: more of its environment) and run the
    scenarios against it. Returns the server's memory after the runs and one result per scenario."""
    vectors: Callable[[str], ContextManager[dict]] = \
        (lambda tmp: chroma_server(Path(tmp) / "chroma")) if chroma else (lambda tmp: nullcontext({}))
    with tempfile.TemporaryDirectory() as tmp, FakeBotApi() as api, vectors(tmp) as chroma_env:
        directory = Path(tmp) / "data"
        prepare_data_dir(directory, chroma_env)
        with serve(api, directory, workers, {**chroma_env, **(server_env or {})}) as server:
            warm_up(server, api)
            results = []
            for label, chats, rate, updates in scenarios:
                result = run_closed(server, api, updates) if rate == 0 else \
                    run_burst(server, api, chats, updates) if rate == math.inf else \
                    run_load(server, api, rate, chats, updates)
                results.append({"label": label, **result})
            return server.memory(), results
