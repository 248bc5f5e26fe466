"""Upload-to-answerable time for a 30-page PDF through the admin API.

    .venv/bin/python scripts/bench_upload.py [--pages 30] [--runs 3] [--data-dir DIR]

Generates a text-layer PDF (fpdf2, DejaVu font) of N pages with one fact on a middle page, serves
the real app under uvicorn on a loopback port over a throw-away copy of the knowledge base, and
times, per run: the POST /admin/api/documents until its 201 (read, clean, chunk, embed, publish,
find an example question), then POST /api/ask until the answer cites the new file. The clock
runs from sending the upload to reading an answer that cites it.
"""
from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import uvicorn  # noqa: E402

from knowledge.chunking import chunk_document  # noqa: E402
from knowledge.loaders import load_bytes  # noqa: E402
from config.settings import Settings  # noqa: E402
from retrieval.engine import AnswerEngine  # noqa: E402
from webhook.app import create_app  # noqa: E402

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
TOKEN = "bench-token"
PROVINCES = ["Điện Biên", "Lai Châu", "Sơn La", "Hòa Bình", "Lạng Sơn"]


def make_pdf(pages: int, run: int) -> tuple[bytes, str, str]:
    """A guidance PDF; returns (bytes, a question only its middle page answers, the figure)."""
    from fpdf import FPDF

    province, figure = PROVINCES[run % len(PROVINCES)], str(400 + 37 * run)
    pdf = FPDF()
    pdf.add_font("DejaVu", fname=FONT)
    pdf.set_font("DejaVu", size=11)
    for page in range(1, pages + 1):
        pdf.add_page()
        pdf.multi_cell(0, 7, new_x="LMARGIN", new_y="NEXT",
                       text=f"Mục {page}. Hướng dẫn nghiệp vụ đối ngoại địa phương (bản {run}), phần {page}")
        for n in range(1, 9):
            pdf.multi_cell(0, 6, new_x="LMARGIN", new_y="NEXT", text=(
                f"Khoản {page}.{n}: Cơ quan chủ trì của tỉnh cần phối hợp với các sở, ngành liên quan để "
                f"chuẩn bị nội dung làm việc, bố trí lịch tiếp và báo cáo kết quả hoạt động đối ngoại trong "
                f"thời hạn {n + 4} ngày làm việc kể từ khi kết thúc chương trình số {run * 1000 + page * 10 + n}."))
        if page == pages // 2 + 2:
            pdf.multi_cell(0, 6, new_x="LMARGIN", new_y="NEXT", text=(
                f"Năm 2031, tỉnh {province} đã tiếp nhận {figure} chuyên gia tình nguyện quốc tế "
                f"trong chương trình hợp tác y tế cộng đồng."))
    question = f"Năm 2031 tỉnh {province} đã tiếp nhận bao nhiêu chuyên gia tình nguyện quốc tế?"
    return bytes(pdf.output()), question, figure


class Server:
    """The app under uvicorn in a thread, on a free loopback port."""

    def __init__(self, app) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> "Server":
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data-dir", help="an existing data directory to copy (default: build a fresh one)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="ngoaivu-bench-upload-"))
    try:
        data_dir = work / "data"
        if args.data_dir:
            shutil.copytree(args.data_dir, data_dir)
        started = time.perf_counter()
        engine = AnswerEngine.open(Settings(data_dir=data_dir))
        print(f"knowledge base ready in {time.perf_counter() - started:.1f} s "
              f"({len(engine.documents())} documents)")
        settings = Settings(data_dir=work / "app", admin_token=TOKEN)
        totals = []
        with Server(create_app(settings, engine)) as server, httpx.Client(timeout=600) as client:
            for run in range(1, args.runs + 1):
                pdf, question, figure = make_pdf(args.pages, run)
                name = f"huong-dan-{args.pages}-trang-{run}.pdf"
                t0 = time.perf_counter()
                document = load_bytes(pdf, name)
                extract = time.perf_counter() - t0
                chunks = len(chunk_document(document))

                t0 = time.perf_counter()
                response = client.post(server.url + "/admin/api/documents", files={"file": (name, pdf)},
                                       headers={"Authorization": f"Bearer {TOKEN}"})
                uploaded = time.perf_counter() - t0
                assert response.status_code == 201, response.text
                answer = client.post(server.url + "/api/ask", json={"question": question}).json()
                total = time.perf_counter() - t0
                cited = [c["source"] for c in answer["citations"]]
                assert name in cited and figure in answer["answer"], (answer["answer"], cited)
                totals.append(total)
                print(f"run {run}: {len(pdf) / 1024:.0f} KB, {args.pages} pages, {chunks} passages | "
                      f"text extraction alone {extract:.2f} s | upload answered 201 after {uploaded:.2f} s | "
                      f"answered and cited after {total:.2f} s "
                      f"({total - uploaded:.2f} s for the question; example: {response.json()['sample_question']!r})")
        print(f"upload-to-answerable, {args.pages}-page PDF: median {statistics.median(totals):.2f} s "
              f"(min {min(totals):.2f}, max {max(totals):.2f}, {len(totals)} runs)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
