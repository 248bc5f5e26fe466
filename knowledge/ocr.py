"""Read the text of scanned pages and photographed documents with Tesseract (Vietnamese model).

Each page is turned grey, straightened (a scan or a phone photo is rarely square to the page),
enlarged to about 300 dpi, and read with a page segmentation that keeps one line per printed line,
so headings, "Điều 5." and table rows stay lines of their own. Words far apart on a line are
table cells and are joined with " | ", the way tables of other formats are read. The text comes
back NFC-normalized with the confidence Tesseract gives each word.

Tesseract runs as a child process at low priority on one thread: a long scan never takes the
cores that answer questions.
"""
from __future__ import annotations

import functools
import io
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field

from vietnamese.text import normalize

LANGUAGES = "vie"
TARGET_DPI = 300  # Tesseract reads best with text about 30 px high
MAX_SKEW_DEGREES = 6.0  # straighten tilts up to this; more is a photo to take again
PAGE_TIMEOUT_SECONDS = 300  # a page takes seconds; minutes only on a starved machine
MAX_PIXELS = 40_000_000  # larger images are scaled down first (a 12 MP phone photo is well below)
# A word is read surely enough to count as text from this confidence (Tesseract's 0-100 scale).
SURE_WORD = 50
MIN_SURE_WORDS = 8  # fewer sure words on a whole document: blank, or not a text at all
NICENESS = 10  # OCR yields the CPU to answering

_TSV_COLUMNS = 12


class OcrUnavailable(RuntimeError):
    """Tesseract or its Vietnamese model is not installed."""


@dataclass
class OcrPage:
    text: str
    confidence: float  # mean word confidence (0-100), weighted by word length; 0 when no words
    words: int
    sure_words: int
    seconds: float


@dataclass
class OcrResult:
    pages: list[OcrPage] = field(default_factory=list)

    @property
    def confidence(self) -> float:
        """Mean confidence over every word of the document, weighted by word length."""
        weight = sum(p.words for p in self.pages if p.words)
        return sum(p.confidence * p.words for p in self.pages) / weight if weight else 0.0

    @property
    def sure_words(self) -> int:
        return sum(p.sure_words for p in self.pages)

    @property
    def seconds(self) -> float:
        return sum(p.seconds for p in self.pages)


@functools.lru_cache(maxsize=1)
def missing() -> str:
    """Why OCR cannot run here ("" when it can)."""
    if shutil.which("tesseract") is None:
        return "chưa cài Tesseract (gói Debian tesseract-ocr)"
    try:
        listed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "không chạy được Tesseract"
    if LANGUAGES not in listed.stdout.split():
        return "chưa cài mô hình tiếng Việt của Tesseract (gói Debian tesseract-ocr-vie)"
    return ""


def open_image(data: bytes):
    """A PIL image from JPEG/PNG/TIFF/WebP bytes, turned upright as the camera recorded it."""
    from PIL import Image, ImageOps

    image = Image.open(io.BytesIO(data))
    image.load()
    return ImageOps.exif_transpose(image)


def prepare(image, dpi: float | None = None):
    """Grey, straightened and enlarged to about TARGET_DPI (dpi unknown: by the page's size)."""
    from PIL import Image

    image = image.convert("L")
    if image.width * image.height > MAX_PIXELS:
        scale = (MAX_PIXELS / (image.width * image.height)) ** 0.5
        image = image.resize((int(image.width * scale), int(image.height * scale)), Image.Resampling.LANCZOS)
    if dpi is None:  # a photo: assume the page's width is an A4 page's 8.3 inches
        dpi = image.width / 8.3
    if dpi < TARGET_DPI * 0.8:
        scale = min(3.0, TARGET_DPI / dpi)
        image = image.resize((int(image.width * scale), int(image.height * scale)), Image.Resampling.LANCZOS)
    angle = skew_angle(image)
    if abs(angle) >= 0.2:
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=_background(image))
    return image


def _background(image) -> int:
    """The paper's grey: the brightest common level."""
    histogram = image.histogram()
    return max(range(128, 256), key=lambda level: histogram[level])


def skew_angle(image) -> float:
    """The rotation (degrees, counter-clockwise) that makes the text lines horizontal: the angle
    at which the rows of a small dark-pixel mask have the sharpest profile (lines and gaps)."""
    import numpy as np
    from PIL import Image

    small = image.copy()
    small.thumbnail((900, 900))
    pixels = np.asarray(small, dtype=np.uint8)
    threshold = min(160, int(pixels.mean() * 0.75))
    mask = Image.fromarray(((pixels < threshold) * 255).astype(np.uint8))
    if np.count_nonzero(np.asarray(mask)) < 200:
        return 0.0  # nothing dark enough to be text

    def sharpness(angle: float) -> float:
        rows = np.asarray(mask.rotate(angle, resample=Image.Resampling.NEAREST, expand=True), dtype=np.float32).sum(axis=1)
        return float(np.square(np.diff(rows)).sum())

    best = max((a / 2 for a in range(int(-MAX_SKEW_DEGREES * 2), int(MAX_SKEW_DEGREES * 2) + 1)), key=sharpness)
    fine = max((best + a / 10 for a in range(-4, 5)), key=sharpness)
    return fine


def read_page(image, dpi: float | None = None) -> OcrPage:
    """One page's text and confidence."""
    started = time.perf_counter()
    prepared = prepare(image, dpi)
    buffer = io.BytesIO()
    prepared.save(buffer, format="PNG")
    tsv = _tesseract(buffer.getvalue())
    text, confidence, words, sure = _lines_from_tsv(tsv)
    return OcrPage(normalize(text), confidence, words, sure, time.perf_counter() - started)


def _tesseract(png: bytes) -> str:
    if shutil.which("tesseract") is None:
        raise OcrUnavailable(missing())
    # One thread (OMP_THREAD_LIMIT), low priority: answering keeps the cores it needs.
    environment = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    command = ["tesseract", "stdin", "stdout", "-l", LANGUAGES, "--psm", "4", "--dpi", str(TARGET_DPI),
               "-c", "preserve_interword_spaces=1", "tsv"]
    if shutil.which("nice"):  # coreutils' nice, not preexec_fn: that is unsafe in a threaded server
        command = ["nice", "-n", str(NICENESS)] + command
    try:
        done = subprocess.run(command, input=png, capture_output=True, timeout=PAGE_TIMEOUT_SECONDS,
                              env=environment)
    except subprocess.TimeoutExpired:
        raise OcrUnavailable("nhận dạng một trang quá lâu") from None
    if done.returncode != 0:
        reason = missing()
        raise OcrUnavailable(reason or f"Tesseract báo lỗi: {done.stderr.decode('utf-8', 'replace')[:200]}")
    return done.stdout.decode("utf-8", "replace")


def _lines_from_tsv(tsv: str) -> tuple[str, float, int, int]:
    """(text, mean confidence, words, sure words) from Tesseract's TSV: one output line per
    printed line, a blank line between Tesseract's paragraphs, " | " between cells far apart."""
    lines: dict[tuple[int, int, int], list[tuple[int, int, int, float, str]]] = {}
    for row in tsv.splitlines()[1:]:
        parts = row.split("\t")
        if len(parts) < _TSV_COLUMNS or parts[0] != "5":
            continue
        word = parts[11].strip()
        if not word:
            continue
        try:
            block, paragraph, line = int(parts[2]), int(parts[3]), int(parts[4])
            left, width, height, confidence = int(parts[6]), int(parts[8]), int(parts[9]), float(parts[10])
        except ValueError:
            continue
        lines.setdefault((block, paragraph, line), []).append((left, width, height, confidence, word))
    out: list[str] = []
    weighted = weight = 0.0
    words = sure = 0
    previous_paragraph = None
    for key in sorted(lines):
        items = sorted(lines[key])
        heights = sorted(h for _, _, h, _, _ in items)
        height = heights[len(heights) // 2]
        pieces: list[str] = []
        for i, (left, _width, _, confidence, word) in enumerate(items):
            if i:
                gap = left - (items[i - 1][0] + items[i - 1][1])
                pieces.append(" | " if gap > 2.5 * height else " ")
            pieces.append(word)
            words += 1
            weighted += max(confidence, 0.0) * len(word)
            weight += len(word)
            sure += confidence >= SURE_WORD and any(c.isalpha() for c in word)
        if previous_paragraph is not None and key[:2] != previous_paragraph:
            out.append("")
        previous_paragraph = key[:2]
        out.append("".join(pieces))
    return "\n".join(out), (weighted / weight if weight else 0.0), words, sure
