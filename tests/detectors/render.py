"""Test pictures and documents drawn here (Pillow, fpdf2), with where each text was drawn.

Used by tests/detectors/test_documents.py and tests/benchmarks/attachment_ocr.py.
"""

from __future__ import annotations

import io
import pathlib
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

LATIN_FONT = pathlib.Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
CJK_FONT = pathlib.Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
CJK_FONT_INDEX = 2  # "Noto Sans CJK SC" inside the collection (Simplified Chinese glyphs)

Rect = tuple[int, int, int, int]  # left, top, right, bottom


@dataclass(frozen=True, slots=True)
class Line:
    text: str
    cjk: bool = False
    size: int = 28


@dataclass(frozen=True, slots=True)
class Picture:
    data: bytes
    drawn: dict[str, Rect]  # each line's text -> its bounding box in pixels


def font(cjk: bool, size: int) -> ImageFont.FreeTypeFont:
    if cjk:
        return ImageFont.truetype(str(CJK_FONT), size, index=CJK_FONT_INDEX)
    return ImageFont.truetype(str(LATIN_FONT), size)


@dataclass(frozen=True, slots=True)
class Placed:
    """A text drawn at a given position (left, top) in pixels."""

    text: str
    left: int
    top: int
    cjk: bool = False
    size: int = 28


def draw_texts(
    texts: Sequence[Placed],
    size: tuple[int, int] = (1000, 700),
    image_format: str = "PNG",
    background: tuple[int, int, int] = (255, 255, 255),
) -> Picture:
    """Black texts where they are placed on a plain background; returns the encoded image."""
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    drawn: dict[str, Rect] = {}
    for text in texts:
        face = font(text.cjk, text.size)
        box = draw.textbbox((text.left, text.top), text.text, font=face)
        draw.text((text.left, text.top), text.text, font=face, fill=(0, 0, 0))
        drawn[text.text] = (int(box[0]), int(box[1]), int(box[2]), int(box[3]))
    buffer = io.BytesIO()
    image.save(buffer, format=image_format)
    return Picture(buffer.getvalue(), drawn)


def draw_lines(
    lines: Sequence[Line],
    size: tuple[int, int] = (1000, 700),
    image_format: str = "PNG",
    margin: int = 40,
    spacing: int = 22,
) -> Picture:
    """Black text on white, one line under the other (line height from the font size)."""
    placed = []
    top = margin
    for line in lines:
        placed.append(Placed(line.text, margin, top, line.cjk, line.size))
        top += round(line.size * 1.45) + spacing
    return draw_texts(placed, size, image_format)


def resident_id(first17: str) -> str:
    """A CN resident ID with a valid GB 11643 (ISO 7064 MOD 11-2) check digit."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


def overlap(box: Rect, other: Rect) -> int:
    """Area (px²) shared by two rectangles given as left, top, right, bottom."""
    width = min(box[2], other[2]) - max(box[0], other[0])
    height = min(box[3], other[3]) - max(box[1], other[1])
    return max(0, width) * max(0, height)


def pdf_document(pages: Sequence[Sequence[str]]) -> bytes:
    """A PDF (fpdf2, DejaVu Sans) with one page per item, one text line per string."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("DejaVu", fname=str(LATIN_FONT))
    pdf.set_font("DejaVu", size=12)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.cell(text=line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def encrypted(pdf: bytes, password: str) -> bytes:
    """The same PDF encrypted with a user password (pypdf)."""
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    writer.encrypt(user_password=password, algorithm="AES-128")
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()
