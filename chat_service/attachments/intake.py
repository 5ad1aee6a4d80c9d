"""Receiving an upload: the multipart body streamed to a private temporary file under the
size cap, the type decided by the bytes, the file name made safe.

Nothing is held in memory beyond one buffer of `WRITE_BUFFER_BYTES`: the `file` part is
written to `<data dir>/tmp` (mode 0700) as it arrives and refused with 413 the moment it
passes the limit of its declared type (or the global limit when nothing is declared). The
temporary file is removed whatever happens (`receive_upload` is a context manager).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import unicodedata
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from chat_service.attachments.config import AllowedType, AttachmentsConfig
from chat_service.attachments.errors import (
    BadUpload,
    EmptyFile,
    TooLarge,
    TypeMismatch,
    TypeNotAllowed,
)

READ_CHUNK_BYTES: Final = 64 * 1024
WRITE_BUFFER_BYTES: Final = 256 * 1024
SNIFF_BYTES: Final = 64
# Headroom for the multipart framing and the small fields when checking Content-Length.
MULTIPART_OVERHEAD_BYTES: Final = 16 * 1024
MAX_FIELD_BYTES: Final = 256
MAX_PARTS: Final = 4
NEUTRAL_TYPES: Final = frozenset({"application/octet-stream", ""})
# Characters replaced in stored names: reserved on common file systems or in headers.
_UNSAFE_NAME_CHARS: Final = frozenset('<>:"/\\|?*')
# Unicode categories removed from names: controls, format (bidi marks and overrides,
# zero-width characters), surrogates, private use, unassigned, line/paragraph separators.
_DROPPED_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})

# Signatures of the allowed types (offset, bytes), and of common types that are refused, so
# the answer can name them. Text has no signature: it is whatever is left, checked later.
_SIGNATURES: Final[tuple[tuple[str, int, bytes], ...]] = (
    ("image/jpeg", 0, b"\xff\xd8\xff"),
    ("image/png", 0, b"\x89PNG\r\n\x1a\n"),
    ("application/pdf", 0, b"%PDF-"),
    ("image/gif", 0, b"GIF87a"),
    ("image/gif", 0, b"GIF89a"),
    ("image/tiff", 0, b"II*\x00"),
    ("image/tiff", 0, b"MM\x00*"),
    ("application/zip", 0, b"PK\x03\x04"),
    ("application/gzip", 0, b"\x1f\x8b"),
    ("application/x-7z-compressed", 0, b"7z\xbc\xaf\x27\x1c"),
    ("application/vnd.rar", 0, b"Rar!\x1a\x07"),
    ("application/x-executable", 0, b"\x7fELF"),
    ("application/x-msdownload", 0, b"MZ"),
    ("application/postscript", 0, b"%!PS"),
    ("image/bmp", 0, b"BM"),
    ("application/x-bzip2", 0, b"BZh"),
    ("video/mp4", 4, b"ftyp"),
    ("application/ogg", 0, b"OggS"),
    ("image/x-icon", 0, b"\x00\x00\x01\x00"),
)


@dataclass(frozen=True, slots=True)
class Received:
    """An upload on disk, as sent: nothing about it is trusted yet."""

    path: Path
    size: int
    filename: str | None
    declared_type: str | None  # None when absent or application/octet-stream
    conversation_id: str | None


def sniff(head: bytes) -> str:
    """The content type the first bytes announce; "text/plain" when none (checked later)."""
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF":
        return "application/x-riff"
    for content_type, offset, signature in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            # "BM" and "MZ" also start ordinary words: only binary-looking heads count.
            if len(signature) <= 2 and signature != b"\x1f\x8b" and _looks_textual(head):
                continue
            return content_type
    return "text/plain"


def _looks_textual(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # The head may end inside a multi-byte character.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return all(ch.isprintable() or ch in "\t\r\n" for ch in text)


def extension_of(name: str | None) -> str | None:
    if not name:
        return None
    suffix = PurePosixPath(base_name(name)).suffix
    return suffix[1:].lower() if len(suffix) > 1 else None


def base_name(name: str) -> str:
    """The last path component, whatever separator the sender's system uses."""
    return name.replace("\\", "/").rsplit("/", 1)[-1]


def sanitize_name(name: str | None, rule: AllowedType, max_chars: int) -> str:
    """A name safe to store and show: the base name only, no control, bidi or other format
    characters, NFC, reserved characters replaced, capped, with the sniffed type's
    extension forced on. Falls back to "attachment.<ext>"."""
    cleaned = unicodedata.normalize("NFC", base_name(name or ""))
    cleaned = "".join(
        "_" if ch in _UNSAFE_NAME_CHARS else ch
        for ch in cleaned
        if unicodedata.category(ch) not in _DROPPED_CATEGORIES
    )
    cleaned = " ".join(cleaned.split()).strip(" .")  # no leading dots, no "..", no padding
    path = PurePosixPath(cleaned) if cleaned else None
    ext = rule.extensions[0]
    stem = ""
    if path is not None and path.suffix and path.suffix[1:].lower() in rule.extensions:
        ext = path.suffix[1:].lower()
        stem = path.stem
    elif path is not None:
        stem = cleaned
    stem = stem.strip(" .")[: max(1, max_chars - len(ext) - 1)].rstrip(" .")
    return f"{stem or 'attachment'}.{ext}"


def resolve_type(received: Received, head: bytes, config: AttachmentsConfig) -> AllowedType:
    """The allowed type the bytes are; 415 if not allowed or if the declared type or the
    extension says otherwise; 422 for an empty file; 413 over the type's limit."""
    if received.size == 0:
        raise EmptyFile()
    sniffed = sniff(head)
    rule = config.rule_for(sniffed)
    if rule is None:
        raise TypeNotAllowed(f"files of type {sniffed} are not accepted")
    declared = received.declared_type
    if declared is not None and declared != rule.content_type:
        raise TypeMismatch(f"declared as {declared} but the bytes are {rule.content_type}")
    ext = extension_of(received.filename)
    if ext is not None and ext not in rule.extensions:
        raise TypeMismatch(f"the extension .{ext} does not fit a file of type {rule.content_type}")
    if received.size > rule.max_bytes:
        raise TooLarge(f"{rule.content_type} files may be at most {rule.max_bytes} bytes")
    return rule


def _declared_limit(declared: str | None, ext: str | None, config: AttachmentsConfig) -> int:
    """The size cap while streaming: the declared type's, else the extension's, else global.
    A declared type outside the allow-list is refused before reading any of it."""
    if declared is not None:
        rule = config.rule_for(declared)
        if rule is None:
            raise TypeNotAllowed(f"files of type {declared} are not accepted")
        return rule.max_bytes
    if ext is not None:
        rule = config.rule_for_extension(ext)
        if rule is None:
            raise TypeNotAllowed(f"files with the extension .{ext} are not accepted")
        return rule.max_bytes
    return config.max_upload_bytes


def _declared_type(part: BodyPartReader) -> str | None:
    raw = part.headers.get("Content-Type", "")
    content_type = raw.split(";", 1)[0].strip().lower()
    return None if content_type in NEUTRAL_TYPES else content_type


def _make_temp(tmp_dir: Path) -> tuple[int, Path]:
    tmp_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(tmp_dir, 0o700)  # whatever the umask or an older directory said
    fd, name = tempfile.mkstemp(prefix="upload-", dir=tmp_dir)
    return fd, Path(name)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _discard(fd: int | None, path: Path | None) -> None:
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)
    if path is not None:
        path.unlink(missing_ok=True)


async def _read_field(part: BodyPartReader) -> str:
    data = bytearray()
    while chunk := await part.read_chunk(MAX_FIELD_BYTES):
        data.extend(chunk)
        if len(data) > MAX_FIELD_BYTES:
            raise BadUpload(f"the field {part.name} is too long")
    try:
        return data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise BadUpload(f"the field {part.name} is not UTF-8") from None


@asynccontextmanager
async def receive_upload(
    request: web.Request, config: AttachmentsConfig, tmp_dir: Path
) -> AsyncIterator[Received]:
    """Stream the upload to a temporary file (removed on exit, whatever happens)."""
    length = request.content_length
    if length is not None and length > config.max_upload_bytes + MULTIPART_OVERHEAD_BYTES:
        raise TooLarge(f"uploads may be at most {config.max_upload_bytes} bytes")
    if not request.content_type.startswith("multipart/"):
        raise BadUpload()
    try:
        reader = await request.multipart()
    except (ValueError, AssertionError, KeyError) as exc:
        raise BadUpload() from exc
    fd: int | None = None
    path: Path | None = None
    try:
        conversation_id: str | None = None
        filename: str | None = None
        declared: str | None = None
        size = 0
        seen_file = False
        for _ in range(MAX_PARTS + 1):
            try:
                part = await reader.next()
            except (ValueError, HttpProcessingError) as exc:  # e.g. control bytes in headers
                raise BadUpload("a part's headers are malformed") from exc
            if part is None:
                break
            if not isinstance(part, BodyPartReader):
                raise BadUpload()  # a nested multipart
            if part.name == "conversation_id" and conversation_id is None:
                conversation_id = await _read_field(part) or None
                continue
            if part.name != "file" or seen_file:
                raise BadUpload()
            encoding = part.headers.get("Content-Transfer-Encoding", "binary").lower()
            if encoding not in {"binary", "8bit", "7bit"} or "Content-Encoding" in part.headers:
                raise BadUpload("the file part must be sent as is (no transfer encoding)")
            seen_file = True
            filename = part.filename
            declared = _declared_type(part)
            limit = _declared_limit(declared, extension_of(filename), config)
            out, path = await asyncio.to_thread(_make_temp, tmp_dir)
            fd = out
            buffer = bytearray()
            while chunk := await part.read_chunk(READ_CHUNK_BYTES):
                size += len(chunk)
                if size > limit:
                    raise TooLarge(f"this file may be at most {limit} bytes")
                buffer.extend(chunk)
                if len(buffer) >= WRITE_BUFFER_BYTES:
                    await asyncio.to_thread(_write_all, out, bytes(buffer))
                    buffer.clear()
            if buffer:
                await asyncio.to_thread(_write_all, out, bytes(buffer))
            fd = None
            await asyncio.to_thread(os.close, out)
        else:
            raise BadUpload()  # too many parts
        if not seen_file or path is None:
            raise BadUpload("the `file` part is missing")
        yield Received(path, size, filename, declared, conversation_id)
    finally:
        await asyncio.to_thread(_discard, fd, path)


def read_head(path: Path) -> bytes:
    """The first bytes of a received file (blocking: call through a thread)."""
    with path.open("rb") as handle:
        return handle.read(SNIFF_BYTES)
