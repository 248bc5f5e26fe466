"""Office files made in the test from text: a regulation printed to PDF, then scanned (rasterised,
grey, slightly tilted, a little noise, packed as an image-only PDF) or photographed (a page image
turned a few degrees, saved as a JPEG of quality ~70)."""
from __future__ import annotations

import io
import random
from pathlib import Path

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
FONT_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def printed_pdf(text: str, *, size: float = 12) -> bytes:
    """The text set on A4 pages like a typed regulation: a line starting with "# " is a bold
    centred heading, a line of cells separated by " | " is a table row, any other a paragraph."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_margins(22, 20, 18)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_font("DejaVu", "", str(FONT))
    pdf.add_font("DejaVu", "B", str(FONT_BOLD))
    pdf.add_page()
    rows: list[list[str]] = []

    def flush_table() -> None:
        if not rows:
            return
        with pdf.table(first_row_as_headings=True, line_height=size * 0.55) as table:
            for cells in rows:
                row = table.row()
                for cell in cells:
                    row.cell(cell)
        pdf.ln(2)
        rows.clear()

    for line in text.strip().split("\n"):
        line = line.strip()
        if " | " in line:
            rows.append([cell.strip() for cell in line.split(" | ")])
            continue
        flush_table()
        if not line:
            pdf.ln(size * 0.25)
        elif line.startswith("# "):
            pdf.set_font("DejaVu", "B", size)
            pdf.multi_cell(0, size * 0.55, line[2:], align="C", new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.set_font("DejaVu", "", size)
            pdf.multi_cell(0, size * 0.55, line, new_x="LMARGIN", new_y="NEXT")
    flush_table()
    return bytes(pdf.output())


def page_images(pdf: bytes, dpi: int = 150) -> list:
    """Each page rendered as a grey PIL image at `dpi`."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        return [document[i].render(scale=dpi / 72).to_pil().convert("L") for i in range(len(document))]
    finally:
        document.close()


def _degrade(image, tilt: float, noise: float, seed: int):
    """Tilt the page on the glass and add sensor noise."""
    import numpy as np
    from PIL import Image

    image = image.rotate(tilt, resample=Image.BICUBIC, expand=False, fillcolor=255)
    pixels = np.asarray(image, dtype=np.float32)
    pixels = pixels * 0.92 + 8 + np.random.default_rng(seed).normal(0, noise, pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L")


def scanned_pdf(text: str, *, dpi: int = 150, tilt: float = 1.0, noise: float = 12.0, seed: int = 7) -> bytes:
    """The printed text scanned: every page an image (grey, tilted, noisy), no text layer."""
    from fpdf import FPDF

    rng = random.Random(seed)
    pdf = FPDF(unit="pt")
    for n, page in enumerate(page_images(printed_pdf(text), dpi)):
        scan = _degrade(page, tilt * (1 if n % 2 == 0 else -0.7) + rng.uniform(-0.2, 0.2), noise, seed + n)
        width, height = scan.width * 72 / dpi, scan.height * 72 / dpi
        pdf.add_page(format=(width, height))
        buffer = io.BytesIO()
        scan.save(buffer, format="PNG")
        pdf.image(buffer, x=0, y=0, w=width, h=height)
    return bytes(pdf.output())


def photo_jpeg(text: str, *, angle: float = 3.0, quality: int = 70, dpi: int = 200, seed: int = 3) -> bytes:
    """The first printed page photographed: turned `angle` degrees on a darker desk, a JPEG."""
    from PIL import Image

    from PIL import ImageOps

    page = page_images(printed_pdf(text), dpi)[0]
    # The photo frames the printed part of the page, its full width (a short notice: the top only).
    bottom = ImageOps.invert(page).point(lambda v: 255 if v > 60 else 0).getbbox()[3]
    page = page.crop((0, 0, page.width, min(page.height, bottom + dpi // 2)))
    page = _degrade(page, 0, 6.0, seed)
    desk = Image.new("L", (int(page.width * 1.08), int(page.height * 1.06)), 90)
    desk.paste(page, ((desk.width - page.width) // 2, (desk.height - page.height) // 2))
    photo = desk.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=90).convert("RGB")
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()
