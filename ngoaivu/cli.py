"""The `ngoaivu` command: it mirrors the Python API (AnswerEngine.ask / ingest / remove / documents)."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from config.settings import Settings


def _engine(settings: Settings, quiet: bool = False):
    from tqdm import tqdm

    from retrieval.engine import AnswerEngine

    bar = None

    def progress(count: int) -> None:
        nonlocal bar
        if quiet:
            return
        if bar is None:
            bar = tqdm(desc="Đang lập chỉ mục", unit=" đoạn", file=sys.stderr)
        bar.update(count)

    engine = AnswerEngine.open(settings, progress=progress)
    if bar is not None:
        bar.close()
    return engine


def _print_answer(answer) -> None:
    print(answer.answer)
    if answer.citations and not answer.refused:  # a refusal lists its leads in its own text
        print("\nNguồn:")
        for citation in answer.citations:
            details = citation.details
            place = f"{citation.location} — " if citation.location else ""
            print(f"[{citation.n}] {place}{citation.title}" + (f" ({details})" if details else "") + f" — {citation.source}")


def cmd_ask(args, settings: Settings) -> int:
    engine = _engine(settings, quiet=args.json)
    questions = [" ".join(args.question)] if args.question else (line.rstrip("\n") for line in sys.stdin)
    for question in questions:
        answer = engine.ask(question)
        if args.json:
            print(json.dumps(answer.to_dict(), ensure_ascii=False), flush=True)
        else:
            _print_answer(answer)
    return 0


def _files(paths: list[str]) -> list[Path]:
    """The files named, and every file under the folders named (hidden ones skipped): each gets a
    line in the report, so a type we do not read is refused by name, never skipped in silence."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            inside = [p for p in path.rglob("*") if p.is_file()
                      and not any(part.startswith(".") for part in p.relative_to(path).parts)]
            found.extend(sorted(inside, key=lambda p: (len(p.parts), str(p))))  # a folder's own files first
        else:
            found.append(path)
    return found


def _say(line: str, stream=None) -> None:
    from tqdm import tqdm

    tqdm.write(line, file=stream or sys.stdout)  # above the progress bar, never through it


class IngestReport:
    """One line per file (added / new version / unchanged / refused and why) and a summary."""

    def __init__(self) -> None:
        self.counts = {"added": 0, "replaced": 0, "unchanged": 0, "refused": 0}

    def result(self, name: str, result) -> None:
        doc = result.document
        self.counts[result.status] += 1
        if result.status == "unchanged":
            _say(f"= {name}: nội dung đã có (mã {doc.doc_id}, phiên bản {doc.version}), không thay đổi.")
        elif result.status == "replaced":
            _say(f"↻ {name}: phiên bản {doc.version} của “{doc.title}” (mã {doc.doc_id}, {result.chunks} đoạn), "
                  f"thay phiên bản {doc.version - 1} (mã {result.replaced})")
        else:
            _say(f"✓ {name}: đã thêm “{doc.title}” (mã {doc.doc_id}, {result.chunks} đoạn)")
        if result.status != "unchanged" and doc.reading.get("ocr"):
            _say(self.reading_line(doc.reading))

    @staticmethod
    def reading_line(reading: dict) -> str:
        """What OCR made of a scan: pages, mean confidence, seconds, and a warning when low."""
        line = (f"  OCR: {reading['ocr_pages']}/{reading['pages']} trang nhận dạng chữ, độ tin cậy trung bình "
                f"{reading['confidence']:.0f}%, {reading['seconds']:.1f} giây")
        if reading.get("low_confidence"):
            line += " — CẢNH BÁO: độ tin cậy thấp, nên kiểm tra lại nội dung hoặc quét lại rõ hơn"
        return line

    def refused(self, name: str, reason: str) -> None:
        self.counts["refused"] += 1
        _say(f"✗ {name}: {reason}", sys.stderr)

    def summary(self) -> str:
        c = self.counts
        return (f"Tổng cộng {sum(c.values())} tệp: {c['added']} thêm mới, {c['replaced']} phiên bản mới, "
                f"{c['unchanged']} không đổi, {c['refused']} bị từ chối.")


def cmd_ingest(args, settings: Settings) -> int:
    from tqdm import tqdm

    from knowledge.loaders import IngestError

    files = _files(args.paths)
    if not files:
        print("Không tìm thấy tệp nào để nạp.", file=sys.stderr)
        return 1
    if args.replaces and len(files) > 1:
        print("--replaces chỉ dùng khi nạp một tệp (phiên bản mới của đúng một tài liệu).", file=sys.stderr)
        return 2
    engine = _engine(settings)
    report = IngestReport()
    seen: dict[str, Path] = {}  # file name -> the file of this run that has it
    for path in tqdm(files, desc="Nạp tài liệu", unit=" tệp", file=sys.stderr, disable=len(files) < 2):
        if path.name in seen:  # the same name is a new version: never of a file of the same run
            report.refused(str(path), f"trùng tên với {seen[path.name]} trong lần nạp này, nên không được coi là "
                                      "phiên bản mới của nó; hãy đổi tên một trong hai tệp.")
            continue
        seen[path.name] = path
        pages = None

        def on_page(done: int, total: int, name: str = path.name) -> None:
            nonlocal pages  # a progress bar of its own for a scan's pages (a few seconds each)
            if pages is None:
                pages = tqdm(total=total, desc=f"OCR {name}", unit=" trang", file=sys.stderr, leave=False)
            pages.update(done - pages.n)

        try:
            result = engine.ingest(path, actor="cli", replaces=args.replaces or "", on_page=on_page,
                                   title=args.title or "", publisher=args.publisher or "", date=args.date or "")
        except IngestError as error:
            if pages is not None:
                pages.close()
            report.refused(path.name, str(error))
            continue
        if pages is not None:
            pages.close()
        report.result(path.name, result)
    print(report.summary())
    return 1 if report.counts["refused"] else 0


def cmd_docs(args, settings: Settings) -> int:
    engine = _engine(settings)
    documents = engine.documents(include_history=args.history)
    if args.json:
        print(json.dumps(documents, ensure_ascii=False, indent=2))
        return 0
    for doc in documents:
        status = "" if doc["status"] == "active" else f" [{doc['status']}]"
        meta = ", ".join(x for x in (doc["publisher"], doc["date"]) if x)
        print(f"{doc['doc_id']}  v{doc['version']}  {doc['source']}  “{doc['title']}”" + (f" ({meta})" if meta else "")
              + f"  {doc['chunks']} đoạn{status}")
    return 0


def cmd_remove(args, settings: Settings) -> int:
    engine = _engine(settings)
    if engine.remove(args.doc_id, actor="cli"):
        print(f"Đã xóa tài liệu {args.doc_id}.")
        return 0
    print(f"Không có tài liệu đang dùng với mã {args.doc_id}.", file=sys.stderr)
    return 1


def cmd_eval(args, settings: Settings) -> int:
    from retrieval.answering.evaluation import evaluate

    engine = _engine(settings, quiet=True)
    report = evaluate(engine, Path(args.gold), without_diacritics=args.strip_diacritics)
    print(report.text())
    return 0


def cmd_bench(args, settings: Settings) -> int:
    from ngoaivu.bench import run_bench

    tiers = [int(t) for t in args.tiers.split(",") if t.strip()] if args.tiers else []
    print(run_bench(settings, Path(args.questions) if args.questions else None, repeat=args.repeat, tiers=tiers,
                    webhook=not args.quick, memory=not args.quick))
    return 0


def cmd_serve(args, settings: Settings) -> int:
    from webhook.server import serve

    serve(settings)
    return 0


def cmd_poll(args, settings: Settings) -> int:
    from bot.telegram.channel import run_polling

    run_polling(settings)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ngoaivu", description="Hỏi đáp có trích dẫn nguồn về công tác đối ngoại.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    commands = parser.add_subparsers(dest="command", required=True)

    ask = commands.add_parser("ask", help="answer a question (or one question per line of stdin)")
    ask.add_argument("question", nargs="*")
    ask.add_argument("--json", action="store_true", help="one JSON object per answer")
    ask.set_defaults(run=cmd_ask)

    ingest = commands.add_parser("ingest", help="add files or folders (.txt .md .html .pdf .docx .doc .odt .xlsx .ods, "
                                                "scans and photos); one line per file")
    ingest.add_argument("paths", nargs="+")
    ingest.add_argument("--title")
    ingest.add_argument("--publisher")
    ingest.add_argument("--date")
    ingest.add_argument("--replaces", help="doc id this file is a new version of")
    ingest.set_defaults(run=cmd_ingest)

    docs = commands.add_parser("docs", help="list the documents held")
    docs.add_argument("--history", action="store_true", help="include replaced and deleted versions")
    docs.add_argument("--json", action="store_true")
    docs.set_defaults(run=cmd_docs)

    remove = commands.add_parser("remove", help="delete a document by id")
    remove.add_argument("doc_id")
    remove.set_defaults(run=cmd_remove)

    evaluation = commands.add_parser("eval", help="score against a gold question file")
    evaluation.add_argument("gold")
    evaluation.add_argument("--strip-diacritics", action="store_true", help="ask every question without accents")
    evaluation.set_defaults(run=cmd_eval)

    bench = commands.add_parser("bench", help="answer latency and index build throughput")
    bench.add_argument("--questions", help="file with one question per line (default: built-in set)")
    bench.add_argument("--repeat", type=int, default=5)
    bench.add_argument("--tiers", default="1000,10000,100000",
                       help="knowledge-base sizes in chunks to measure ('' for none); above 1000 uses generated vectors")
    bench.add_argument("--quick", action="store_true", help="skip the webhook load and the serve memory runs")
    bench.set_defaults(run=cmd_bench)

    commands.add_parser("serve", help="run the HTTP server (webhooks, /api/ask)").set_defaults(run=cmd_serve)
    commands.add_parser("poll", help="run the Telegram bot by long polling").set_defaults(run=cmd_poll)
    return parser


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return args.run(args, Settings.from_env())


if __name__ == "__main__":
    sys.exit(main())
