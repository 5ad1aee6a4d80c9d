"""Making an upload safe to store and to show, by type. Blocking (Pillow, pypdf, file
reads): call `sanitize` through `asyncio.to_thread`, never on the event loop.

- Pictures: the size is read from the header and refused over `max_image_pixels` before
  anything is decoded (Pillow's own bomb limit is set to the same value and its warning
  counts as a refusal); then fully decoded (truncated or corrupt: refused), rotated as its
  EXIF orientation says, and re-encoded from bare pixels in the same format, so no metadata
  block survives (EXIF with GPS, XMP, ICC profiles, comments, text chunks) and neither do
  bytes after the picture's end. Animated pictures are refused (not cut to a first frame:
  the customer should know what the agent will see).
- Polyglots: a picture carrying another format's signature (PDF, ZIP, HTML, script,
  executable) is refused before decoding; a PDF must start with its header and end with
  `%%EOF` (no payload appended after it).
- PDFs: encrypted, unparsable, over the page limit, or with active content anywhere in the
  document's object graph (scripts, actions, embedded files, rich media, XFA forms) are
  refused; accepted ones are rewritten page by page (document metadata, unreachable objects
  and earlier revisions are dropped).
- Text: UTF-8 (a BOM is dropped), no NUL or other control characters besides tab, CR, LF
  and form feed.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, PdfObject

from chat_service.attachments import budget
from chat_service.attachments.config import AllowedType, AttachmentsConfig
from chat_service.attachments.errors import (
    AnimatedImage,
    ImageTooLarge,
    NotText,
    PdfActiveContent,
    PdfEncrypted,
    Polyglot,
    TooManyPages,
    Unreadable,
)

ImageFormat = Literal["JPEG", "PNG", "WEBP"]
PIL_FORMATS: Final[dict[str, ImageFormat]] = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WEBP",
}
JPEG_QUALITY: Final = 90
WEBP_QUALITY: Final = 90
# Other formats' signatures that have no business inside a picture: a PDF (readers look for
# the header anywhere near the start), HTML or script a browser or server might run, and
# (below) a ZIP archive (read from its end). Each is long enough that compressed picture data
# matches it by chance about once in 10^4 uploads of 10 MB or less often.
_FOREIGN_IN_IMAGE: Final = re.compile(rb"%PDF-|<\?php|<script|<html|<!doctype html", re.IGNORECASE)
_ZIP_LOCAL: Final = b"PK\x03\x04"
_ZIP_END: Final = b"PK\x05\x06"
# Keys that make a PDF act or carry more than pages: scripts, additional (event) actions,
# embedded files, rich media, XFA forms. An /OpenAction or a link's /A is walked like any
# dictionary: a destination (fpdf2 writes one to set the first view) or a GoTo/URI action is
# harmless, an action of a type below is refused.
PDF_ACTIVE_KEYS: Final = frozenset(
    {
        "/JS",
        "/JavaScript",
        "/AA",
        "/Launch",
        "/EmbeddedFiles",
        "/EmbeddedFile",
        "/RichMedia",
        "/XFA",
    }
)
PDF_ACTIVE_ACTIONS: Final = frozenset(
    {
        "/JavaScript",
        "/Launch",
        "/SubmitForm",
        "/ImportData",
        "/ResetForm",
        "/GoToR",
        "/GoToE",
        "/Sound",
        "/Movie",
        "/Rendition",
        "/RichMediaExecute",
    }
)
MAX_PDF_OBJECTS: Final = 200_000
_PDF_TAIL_BYTES: Final = 1024
_TEXT_ALLOWED_CONTROLS: Final = frozenset("\t\n\r\f")
UTF8_BOM: Final = b"\xef\xbb\xbf"
EXIF_ORIENTATION: Final = 0x0112
# EXIF orientation -> the transposition that makes the picture upright (as ImageOps does).
_TRANSPOSE: Final[dict[int, Image.Transpose]] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


@dataclass(frozen=True, slots=True)
class Sanitised:
    data: bytes
    content_type: str
    scan_kind: Literal["image", "pdf", "text"]
    image_format: ImageFormat | None = None


def memory_cost(path: Path, rule: AllowedType, size: int) -> int:
    """The bytes reading this upload may hold at its peak (sanitising here, scanning in a
    worker), estimated before anything is decoded: a picture's pixels from its header.
    A header that cannot be read here is charged the whole budget: the picture is most
    likely refused before decoding, but what failed may be this reading alone (Pillow's
    pixel limit is one value for the process, set by `sanitize_image` from whichever
    configuration ran last), and a picture charged less than its pixels would let more
    decode at once than the budget allows. Blocking: call through a thread."""
    match rule.sanitizer:
        case "image":
            try:
                with Image.open(path, formats=[PIL_FORMATS[rule.content_type]]) as image:
                    width, height = image.size
            except Exception:  # corrupt, not a picture, or over Pillow's limit of the moment
                return budget.WHOLE_BUDGET
            return max(size, budget.image_bytes(width, height))
        case "pdf":
            return size * budget.PDF_BYTES_PER_BYTE
        case "text":
            return size * budget.TEXT_BYTES_PER_BYTE


def sanitize(path: Path, rule: AllowedType, config: AttachmentsConfig) -> Sanitised:
    raw = path.read_bytes()
    match rule.sanitizer:
        case "image":
            fmt = PIL_FORMATS[rule.content_type]
            data = sanitize_image(raw, fmt, config.max_image_pixels)
            return Sanitised(data, rule.content_type, "image", fmt)
        case "pdf":
            return Sanitised(sanitize_pdf(raw, config.max_pdf_pages), rule.content_type, "pdf")
        case "text":
            return Sanitised(sanitize_text(raw), rule.content_type, "text")


# -- pictures ---------------------------------------------------------------------------------


def check_image_polyglot(raw: bytes) -> None:
    found = _FOREIGN_IN_IMAGE.search(raw)
    if found is not None or (_ZIP_LOCAL in raw and _ZIP_END in raw):
        raise Polyglot("the picture also carries another format's content")


def sanitize_image(raw: bytes, fmt: ImageFormat, max_pixels: int) -> bytes:
    check_image_polyglot(raw)
    # The limit is `max_pixels`, checked from the header below. Pillow's own (a process-wide
    # global, its bomb check at open) is only ever raised to it, never lowered: a lower value
    # left behind by one call would refuse pictures elsewhere in the process.
    if Image.MAX_IMAGE_PIXELS is not None and max_pixels > Image.MAX_IMAGE_PIXELS:
        Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        # Swaps the process's warning filters for the duration (not thread-local before
        # Python 3.14); the only effect on other threads is that a bomb warning is an error.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw), formats=[fmt]) as image:
                width, height = image.size  # from the header: nothing decoded yet
                if width <= 0 or height <= 0 or width * height > max_pixels:
                    raise ImageTooLarge(f"pictures may have at most {max_pixels} pixels")
                if getattr(image, "n_frames", 1) > 1:
                    raise AnimatedImage()
                image.load()
                pixels = _bare_pixels(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge(f"pictures may have at most {max_pixels} pixels") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise Unreadable("the picture is truncated or corrupt") from exc
    out = io.BytesIO()
    if fmt == "JPEG":
        pixels.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    elif fmt == "WEBP":
        pixels.save(out, "WEBP", quality=WEBP_QUALITY)
    else:
        # No `optimize` (it tripled a screenshot's encode time for 3 %), and zlib level 3:
        # 40 % faster than the default 6 for 4 % more bytes on a 1000x700 screenshot.
        pixels.save(out, "PNG", compress_level=3)
    return out.getvalue()


def _bare_pixels(image: Image.Image) -> Image.Image:
    """A new image holding only the pixels, upright as its EXIF orientation says: no info
    dictionary, palette tricks or profile. At most two full copies of the pixels are alive
    at any step (budget.PIXEL_COPIES): each intermediate is released as soon as the next
    exists, the decoded picture included (it is closed)."""
    if image.mode in ("1", "L", "RGB"):
        mode = "L" if image.mode == "1" else image.mode
    elif image.mode in ("LA", "RGBA", "PA") or "transparency" in image.info:
        mode = "RGBA"
    else:
        mode = "RGB"
    turn = _TRANSPOSE.get(image.getexif().get(EXIF_ORIENTATION, 1))
    source = image
    if image.mode != mode:
        source = image.convert(mode)
        image.close()
    if turn is not None:
        turned = source.transpose(turn)
        source.close()
        source = turned
    bare = Image.new(mode, source.size)
    bare.paste(source, (0, 0))
    source.close()
    return bare


# -- PDFs ---------------------------------------------------------------------------------


def sanitize_pdf(raw: bytes, max_pages: int) -> bytes:
    if not raw.startswith(b"%PDF-"):
        raise Unreadable("a PDF must start with its header")
    if not raw[-_PDF_TAIL_BYTES:].rstrip().endswith(b"%%EOF"):
        raise Polyglot("the PDF does not end with %%EOF: something is appended to it")
    if _ZIP_LOCAL in raw and _ZIP_END in raw:
        raise Polyglot("the PDF also carries an archive")
    try:
        reader = PdfReader(io.BytesIO(raw), strict=False)
        if reader.is_encrypted:
            raise PdfEncrypted()
        pages = len(reader.pages)
        if pages == 0:
            raise Unreadable("the PDF has no pages")
        if pages > max_pages:
            raise TooManyPages(f"PDFs may have at most {max_pages} pages")
        _refuse_active_content(reader)
        writer = PdfWriter()
        for page in reader.pages:
            writer.add_page(page)
        out = io.BytesIO()
        writer.write(out)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise Unreadable("the PDF cannot be safely parsed") from exc
    return out.getvalue()


def _refuse_active_content(reader: PdfReader) -> None:
    """Walk every object reachable from the trailer; refuse any active key, or an action
    (/S) of an active type, whatever stream or dictionary it hides in."""
    seen: set[tuple[int, int]] = set()
    stack: list[PdfObject] = [reader.trailer]
    visited = 0
    while stack:
        node = stack.pop()
        visited += 1
        if visited > MAX_PDF_OBJECTS:
            raise Unreadable("the PDF has too many objects")
        if isinstance(node, IndirectObject):
            ref = (node.idnum, node.generation)
            if ref in seen:
                continue
            seen.add(ref)
            target = node.get_object()
            if target is not None:
                stack.append(target)
        elif isinstance(node, DictionaryObject):
            for key, value in node.items():
                if str(key) in PDF_ACTIVE_KEYS:
                    raise PdfActiveContent(f"the PDF contains {key}")
                if key == "/S" and str(value) in PDF_ACTIVE_ACTIONS:
                    raise PdfActiveContent(f"the PDF contains a {value} action")
                stack.append(value)
        elif isinstance(node, ArrayObject):
            stack.extend(node)


# -- text -----------------------------------------------------------------------------------


def sanitize_text(raw: bytes) -> bytes:
    body = raw.removeprefix(UTF8_BOM)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotText("the text is not UTF-8") from exc
    for ch in text:
        code = ord(ch)
        if (code < 0x20 or 0x7F <= code <= 0x9F) and ch not in _TEXT_ALLOWED_CONTROLS:
            raise NotText("the text contains binary control characters")
    if not text.strip():
        raise NotText("the text file holds nothing but white space")
    return body
