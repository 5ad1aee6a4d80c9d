"""Text of pictures, PDFs and text files, through the detection engine (detectors/README.md).

Everything here runs inside a detection worker process (``DetectorPool.scan_document`` and
``redact_image``), never on the event loop. The bytes were sanitised by the server but are
still treated as hostile: only PNG, JPEG and WEBP are decoded, the pixel count is checked
before decoding, every parser exception becomes ``DocumentUnreadableError`` whose message
names the failure's type only (never the document's content), and reading is bounded in
time (a timer for decoding and parsing, ``timeout=`` for Tesseract).

Pictures are read with Tesseract's word boxes (``image_to_data``); the text is rebuilt line
by line (Han characters joined without the spaces Tesseract puts between them) while each
word keeps its character range, so every finding maps back to the rectangles it covers.
"""

from __future__ import annotations

import bisect
import contextlib
import io
import math
import os
import pathlib
import signal
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import FrameType
from typing import Literal

import regex
from PIL import Image, ImageDraw

from detectors import memory
from detectors.config import DocumentsConfig
from detectors.engine import Detector
from detectors.findings import Finding

DocumentKind = Literal["image", "pdf", "text"]
ImageFormat = Literal["PNG", "JPEG", "WEBP"]
DOCUMENT_KINDS: tuple[DocumentKind, ...] = ("image", "pdf", "text")
IMAGE_FORMATS: tuple[ImageFormat, ...] = ("PNG", "JPEG", "WEBP")
PAGE_SEPARATOR = "\n\n"

# Han ideographs, CJK punctuation and full-width forms: no space is put next to them.
_CJK = regex.compile(r"[\p{Han}\u3000-\u303f\uff00-\uffef]")
# Words closer than this fraction of the line height were one word in the picture.
_TIGHT_GAP = 0.3


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle in pixels of the (sanitised) picture; PDFs and text files have none."""

    page: int  # 1-based
    left: int
    top: int
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class DocumentFinding:
    finding: Finding  # start/end are offsets in DocumentScan.text
    page: int | None  # 1-based page (PDF page; 1 for a picture or a text file)
    boxes: tuple[Box, ...]  # one rectangle per text line the span covers (pictures only)

    def to_contract(self) -> dict[str, object]:
        boxes = [[b.left, b.top, b.width, b.height] for b in self.boxes]
        return self.finding.to_contract() | {"page": self.page, "boxes": boxes}


@dataclass(frozen=True, slots=True)
class DocumentScan:
    text: str  # the extracted text, which the findings' offsets refer to
    findings: tuple[DocumentFinding, ...]
    pages: int


class DocumentUnreadableError(Exception):
    """Parsing or OCR failed; the attachment must be held. The message is safe to log."""


class DocumentTimeoutError(DocumentUnreadableError):
    """Reading the document took longer than its limit."""


class _Expired(BaseException):
    """Raised by the reading timer; a BaseException so no parser's ``except Exception``
    swallows it."""


@dataclass(frozen=True, slots=True)
class _Word:
    start: int
    end: int
    line: int
    box: Box


@dataclass(frozen=True, slots=True)
class _Extracted:
    text: str
    pages: int
    page_starts: tuple[int, ...]  # offset in text where each page begins
    words: tuple[_Word, ...]  # pictures only


def prepare_worker(config: DocumentsConfig, scratch_dir: str | None = None) -> None:
    """Process-wide settings for reading documents; called by each pool worker at start.

    ``scratch_dir`` becomes the temp dir (Tesseract's files go there): the pool removes it
    when it retires the workers, even if one was killed before cleaning up."""
    os.environ["OMP_THREAD_LIMIT"] = "1"  # Tesseract: ~7x faster than its own threading
    memory.return_large_blocks()  # a decoded picture's blocks go back when freed
    if scratch_dir is not None:
        tempfile.tempdir = scratch_dir
    Image.MAX_IMAGE_PIXELS = config.max_image_pixels
    warnings.simplefilter("error", Image.DecompressionBombWarning)


class _Alarm:
    armed = False

    @classmethod
    def handler(cls, _signum: int, _frame: FrameType | None) -> None:
        if cls.armed:
            raise _Expired


@contextlib.contextmanager
def _deadline(secs: float) -> Iterator[None]:
    """Interrupt pure-Python parsing after ``secs`` (main thread of a process only)."""
    if secs <= 0:
        raise DocumentTimeoutError("reading time limit reached")
    if threading.current_thread() is not threading.main_thread():
        yield  # the pool's hard limit still applies
        return
    previous = signal.signal(signal.SIGALRM, _Alarm.handler)
    try:
        try:
            _Alarm.armed = True
            signal.setitimer(signal.ITIMER_REAL, secs)
            yield
        finally:  # an alarm arriving in here is caught just below
            _Alarm.armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _Expired:
        raise DocumentTimeoutError("reading time limit reached") from None
    finally:
        signal.signal(signal.SIGALRM, previous)


def _unreadable(what: str, error: BaseException) -> DocumentUnreadableError:
    return DocumentUnreadableError(f"{what} could not be read ({type(error).__name__})")


def scan_document(
    detector: Detector, kind: DocumentKind, data: bytes, language: str | None = None
) -> DocumentScan:
    """Extract the text of a document and detect personal information in it (synchronous)."""
    config = detector.config.detection.documents
    extracted = read_document(kind, data, config)
    findings = detector.detect(extracted.text, language) if extracted.text.strip() else []
    return DocumentScan(
        text=extracted.text,
        findings=tuple(_locate(f, extracted) for f in findings),
        pages=extracted.pages,
    )


def read_document(kind: DocumentKind, data: bytes, config: DocumentsConfig) -> _Extracted:
    started = time.monotonic()
    if kind == "image":
        extracted = _read_image(data, config, started)
    elif kind == "pdf":
        extracted = _read_pdf(data, config, started)
    elif kind == "text":
        extracted = _read_text(data)
    else:
        raise ValueError(f"unknown document kind {kind!r}; use one of {DOCUMENT_KINDS}")
    if len(extracted.text) > config.max_text_chars:
        raise DocumentUnreadableError(f"document text longer than {config.max_text_chars} chars")
    return extracted


def _read_text(data: bytes) -> _Extracted:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _unreadable("text file", error) from None
    return _Extracted(text.removeprefix("\ufeff"), 1, (0,), ())


def _read_pdf(data: bytes, config: DocumentsConfig, started: float) -> _Extracted:
    from pypdf import PdfReader  # imported in the worker that reads PDFs only

    parts: list[str] = []
    starts: list[int] = []
    length = 0
    with _deadline(config.read_timeout_secs - (time.monotonic() - started)):
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise DocumentUnreadableError("PDF is encrypted")
            pages = len(reader.pages)
            if pages > config.pdf_max_pages:
                raise DocumentUnreadableError(f"PDF has more than {config.pdf_max_pages} pages")
            for page in reader.pages:
                starts.append(length)
                text = page.extract_text() + PAGE_SEPARATOR
                parts.append(text)
                length += len(text)
                if length > config.max_text_chars + len(PAGE_SEPARATOR):
                    raise DocumentUnreadableError(
                        f"document text longer than {config.max_text_chars} chars"
                    )
        except DocumentUnreadableError:
            raise
        except Exception as error:  # any parser failure: the attachment is held
            raise _unreadable("PDF", error) from None
    text = "".join(parts).removesuffix(PAGE_SEPARATOR)
    return _Extracted(text, max(1, pages), tuple(starts) or (0,), ())


def _open_image(data: bytes, max_pixels: int, fit_pixels: int | None = None) -> Image.Image:
    """Decode a single-frame PNG/JPEG/WEBP after checking its size from the header. With
    `fit_pixels`, a larger JPEG is decoded at a reduced scale (its DCT allows 1/2, 1/4 or
    1/8) no smaller than needed, so that its full size is never held."""
    image = Image.open(io.BytesIO(data), formats=list(IMAGE_FORMATS))
    width, height = image.size
    if width < 1 or height < 1 or width * height > max_pixels:
        image.close()
        raise DocumentUnreadableError(f"picture has more than {max_pixels} pixels")
    if getattr(image, "n_frames", 1) != 1:
        image.close()
        raise DocumentUnreadableError("picture has more than one frame")
    if fit_pixels is not None and image.format == "JPEG" and width * height > fit_pixels:
        side = math.sqrt(fit_pixels / (width * height))
        image.draft(image.mode, (max(1, int(width * side)), max(1, int(height * side))))
    image.load()
    return image


def _read_image(data: bytes, config: DocumentsConfig, started: float) -> _Extracted:
    with tempfile.TemporaryDirectory(prefix="ocr-") as folder:
        source = pathlib.Path(folder) / "input"
        with _deadline(config.read_timeout_secs - (time.monotonic() - started)):
            try:
                with Image.open(io.BytesIO(data), formats=list(IMAGE_FORMATS)) as header:
                    width, height = header.size  # before a JPEG is decoded at a lower scale
                with _open_image(data, config.max_image_pixels, config.ocr_max_pixels) as image:
                    shrunk = _shrink(image, config.ocr_max_pixels)
                    scale = (width / shrunk.width, height / shrunk.height)
                    if shrunk is image and _readable_as_is(image):
                        source.write_bytes(data)  # Tesseract reads the bytes as they are
                    else:
                        _flatten(shrunk).save(source, format="PNG")
                    shrunk.close()
            except DocumentUnreadableError:
                raise
            except Exception as error:  # any decoder failure: the attachment is held
                raise _unreadable("picture", error) from None
        remaining = config.read_timeout_secs - (time.monotonic() - started)
        if remaining <= 0:
            raise DocumentTimeoutError("reading time limit reached")
        import pytesseract  # imported in the worker that reads pictures only

        try:
            data_dict = pytesseract.image_to_data(
                str(source),
                lang="+".join(config.ocr_languages),
                config=f"--psm {config.ocr_page_segmentation_mode}",
                output_type=pytesseract.Output.DICT,
                timeout=remaining,
            )
        except RuntimeError as error:
            if str(error) == "Tesseract process timeout":
                raise DocumentTimeoutError("OCR time limit reached") from None
            status = getattr(error, "status", "?")
            raise DocumentUnreadableError(f"OCR failed (tesseract exit {status})") from None
        except Exception as error:
            raise _unreadable("OCR output", error) from None
    return _layout(data_dict, scale)


def _readable_as_is(image: Image.Image) -> bool:
    return image.format in ("PNG", "JPEG") and image.mode in ("1", "L", "RGB")


def _shrink(image: Image.Image, max_pixels: int) -> Image.Image:
    """The picture Tesseract reads: itself, or reduced by a whole factor to at most
    `max_pixels` (the boxes found are scaled back). Bounds OCR's memory and time, and
    Tesseract's own copies of the pixels, whatever the picture's size."""
    pixels = image.width * image.height
    if pixels <= max_pixels:
        return image
    factor = math.ceil(math.sqrt(pixels / max_pixels))
    while (image.width // factor) * (image.height // factor) > max_pixels:
        factor += 1
    if image.mode not in ("L", "RGB", "RGBA", "LA"):
        converted = image.convert("RGBA" if _has_alpha(image) else "RGB")
        image.close()
        image = converted
    shrunk = image.reduce(factor)
    image.close()
    return shrunk


def _has_alpha(image: Image.Image) -> bool:
    return "A" in image.getbands() or "transparency" in image.info


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white: what Tesseract reads best (transparent pixels would turn black). One
    new copy of the pixels for RGB and RGBA pictures (the alpha band is the paste's mask)."""
    if _has_alpha(image) or image.mode in ("P", "PA", "LA", "RGBA"):
        rgba = image if image.mode == "RGBA" else image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(rgba, (0, 0), rgba)
        return background
    return image if image.mode == "RGB" else image.convert("RGB")


@dataclass(slots=True)
class _OcrWord:
    text: str
    left: int
    top: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.left + self.width


def _ocr_lines(data: dict[str, list[object]]) -> list[list[_OcrWord]]:
    """Tesseract's words grouped by its (block, paragraph, line), in reading order."""
    lines: dict[tuple[int, int, int, int], list[_OcrWord]] = {}
    for index, raw in enumerate(data["text"]):
        text = str(raw).strip()
        if not text:
            continue
        page, block, paragraph, line = (
            int(str(data[k][index])) for k in ("page_num", "block_num", "par_num", "line_num")
        )
        line_key = (page, block, paragraph, line)
        word = _OcrWord(
            text,
            *(int(str(data[k][index])) for k in ("left", "top", "width", "height")),
        )
        lines.setdefault(line_key, []).append(word)
    ordered = [sorted(words, key=lambda w: w.left) for words in lines.values()]
    return _merge_split_lines(ordered)


def _merge_split_lines(lines: list[list[_OcrWord]]) -> list[list[_OcrWord]]:
    """Join a line to the previous one when Tesseract cut one printed line in two
    (same row, starting right where the previous one ends)."""
    merged: list[list[_OcrWord]] = []
    for words in lines:
        if merged:
            last = merged[-1][-1]
            first = words[0]
            height = max(last.height, first.height)
            same_row = abs((last.top + last.height / 2) - (first.top + first.height / 2))
            gap = first.left - last.right
            if same_row < height / 2 and -height / 2 <= gap <= height:
                merged[-1].extend(words)
                continue
        merged.append(list(words))
    return merged


def _needs_space(previous: _OcrWord, word: _OcrWord) -> bool:
    if _CJK.match(previous.text[-1]) or _CJK.match(word.text[0]):
        return False
    return word.left - previous.right >= _TIGHT_GAP * max(previous.height, word.height)


def _layout(data: dict[str, list[object]], scale: tuple[float, float] = (1.0, 1.0)) -> _Extracted:
    """Rebuild the text line by line, keeping each word's character range and box (in the
    picture's own pixels: `scale` maps those of a reduced copy back to them)."""
    sx, sy = scale
    parts: list[str] = []
    words: list[_Word] = []
    length = 0
    for line_index, line in enumerate(_ocr_lines(data)):
        if parts:
            parts.append("\n")
            length += 1
        for position, word in enumerate(line):
            if position and _needs_space(line[position - 1], word):
                parts.append(" ")
                length += 1
            left, top = math.floor(word.left * sx), math.floor(word.top * sy)
            right = math.ceil(word.right * sx)
            bottom = math.ceil((word.top + word.height) * sy)
            box = Box(1, left, top, right - left, bottom - top)
            words.append(_Word(length, length + len(word.text), line_index, box))
            parts.append(word.text)
            length += len(word.text)
    return _Extracted("".join(parts), 1, (0,), tuple(words))


def _locate(finding: Finding, extracted: _Extracted) -> DocumentFinding:
    if not extracted.words:
        page = bisect.bisect_right(extracted.page_starts, finding.start)
        return DocumentFinding(finding, max(1, page), ())
    covered = [w for w in extracted.words if w.start < finding.end and finding.start < w.end]
    boxes: list[Box] = []
    for line in sorted({w.line for w in covered}):
        on_line = [w.box for w in covered if w.line == line]
        left = min(b.left for b in on_line)
        top = min(b.top for b in on_line)
        right = max(b.left + b.width for b in on_line)
        bottom = max(b.top + b.height for b in on_line)
        boxes.append(Box(1, left, top, right - left, bottom - top))
    return DocumentFinding(finding, 1, tuple(boxes))


def redact_image(
    data: bytes, boxes: Sequence[Box], image_format: ImageFormat, config: DocumentsConfig
) -> bytes:
    """Black rectangles over ``boxes`` (plus the margin), re-encoded with no metadata."""
    if image_format not in IMAGE_FORMATS:
        raise ValueError(f"unsupported image format {image_format!r}")
    with _deadline(config.read_timeout_secs):
        try:
            with _open_image(data, config.max_image_pixels) as image:
                clean = _pixels_only(image, image_format)
        except DocumentUnreadableError:
            raise
        except Exception as error:  # any decoder failure: the attachment is held
            raise _unreadable("picture", error) from None
    draw = ImageDraw.Draw(clean)
    black = 0 if clean.mode == "L" else (0, 0, 0, 255)[: len(clean.getbands())]
    margin = config.redaction_margin_px
    for box in boxes:
        left = max(0, box.left - margin)
        top = max(0, box.top - margin)
        right = min(clean.width, box.left + box.width + margin) - 1
        bottom = min(clean.height, box.top + box.height + margin) - 1
        if right >= left and bottom >= top:
            draw.rectangle((left, top, right, bottom), fill=black)
    output = io.BytesIO()
    options: dict[str, object] = {"quality": 90} if image_format in ("JPEG", "WEBP") else {}
    clean.save(output, format=image_format, **options)
    return output.getvalue()


def _pixels_only(image: Image.Image, image_format: ImageFormat) -> Image.Image:
    """A new image with the same pixels and nothing else (no EXIF, XMP, ICC, comments).
    The decoded picture is closed as soon as a converted copy exists: two full copies of
    the pixels at most."""
    has_alpha = _has_alpha(image)
    if image.mode == "L" or (image.mode == "1" and image_format != "WEBP"):
        mode = "L"
    elif has_alpha and image_format != "JPEG":
        mode = "RGBA"
    else:
        mode = "RGB"
    source = _flatten(image) if mode == "RGB" and has_alpha else image
    if source.mode != mode:
        source = source.convert(mode)
    if source is not image:
        image.close()
    clean = Image.new(mode, source.size)
    clean.paste(source, (0, 0))
    source.close()
    return clean
