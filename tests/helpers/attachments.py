"""Builders of test files (Pillow pictures, fpdf2/pypdf PDFs, hostile variants) and upload
helpers for the attachment tests."""

from __future__ import annotations

import asyncio
import io
import struct
import uuid
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from chat_service import keys
from tests.helpers.consent import CARD, headers, raw_db
from tests.helpers.ws import Client, Peer

LATIN_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
GPS_IFD = 0x8825
ORIENTATION = 0x0112
XMP_MARKER = b"http://ns.adobe.com/xap/1.0/"
XMP_PACKET = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'exif:GPSLatitude="31,13.8N"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)
CARD_FILE = f"Please refund to my card {CARD} thanks\n".encode()
TEXT_BODY = "Order 7731: the parcel arrived damaged, please send a new one.\n"


# -- pictures ---------------------------------------------------------------------------------


def picture(fmt: str = "PNG", size: tuple[int, int] = (40, 20), **save: Any) -> bytes:
    """Left half red, right half blue: orientation changes are visible in the pixels."""
    image = Image.new("RGB", size, (0, 0, 255))
    ImageDraw.Draw(image).rectangle((0, 0, size[0] // 2 - 1, size[1] - 1), fill=(255, 0, 0))
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def jpeg_with_gps_and_orientation() -> bytes:
    """A 40x20 JPEG whose EXIF says "rotate 90° clockwise" (6), with GPS, XMP and a comment."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (31.0, 13.0, 49.4)
    gps[3] = "E"
    gps[4] = (121.0, 28.0, 25.3)
    return picture("JPEG", exif=exif.tobytes(), xmp=XMP_PACKET, comment=b"taken at home")


def text_picture(text: str, fmt: str = "PNG") -> bytes:
    image = Image.new("RGB", (900, 160), (255, 255, 255))
    face = ImageFont.truetype(str(LATIN_FONT), 40)
    ImageDraw.Draw(image).text((30, 50), text, font=face, fill=(0, 0, 0))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A PNG header announcing width x height pixels (the data would inflate to gigabytes)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def png_with_text_chunk(text: bytes) -> bytes:
    data = picture("PNG")
    end = data.rindex(b"IEND") - 4
    return data[:end] + _png_chunk(b"tEXt", b"Comment\x00" + text) + data[end:]


def animated_png() -> bytes:
    frames = [Image.new("RGB", (16, 16), colour) for colour in ((255, 0, 0), (0, 255, 0))]
    out = io.BytesIO()
    frames[0].save(out, "PNG", save_all=True, append_images=frames[1:], duration=100)
    return out.getvalue()


def zip_payload() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("run.sh", "echo owned\n")
    return out.getvalue()


# -- PDFs ------------------------------------------------------------------------------------


def pdf(text: str = "Invoice 7731: one blue kettle.") -> bytes:
    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=14)
    document.cell(text=text)
    return bytes(document.output())


def _rewrite(data: bytes, change: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    if change == "js":
        writer.add_open_action(JavaScript("app.alert('hello');"))
    elif change == "launch":
        writer.root_object[NameObject("/OpenAction")] = DictionaryObject(
            {
                NameObject("/S"): NameObject("/Launch"),
                NameObject("/F"): TextStringObject("calc.exe"),
            }
        )
    elif change == "embedded":
        writer.add_attachment("payload.exe", b"MZ not really")
    elif change == "encrypt":
        writer.encrypt("secret-password")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_with_javascript() -> bytes:
    return _rewrite(pdf(), "js")


def pdf_with_embedded_file() -> bytes:
    return _rewrite(pdf(), "embedded")


def encrypted_pdf() -> bytes:
    return _rewrite(pdf(), "encrypt")


def pdf_with_open_action() -> bytes:
    """An /OpenAction launching a program."""
    return _rewrite(pdf(), "launch")


# -- uploading -------------------------------------------------------------------------------


def form(
    data: bytes,
    filename: str | None = "file.bin",
    content_type: str | None = "application/octet-stream",
    conversation_id: str | None = None,
) -> aiohttp.FormData:
    body = aiohttp.FormData(quote_fields=False)  # as browsers send names: raw UTF-8
    if conversation_id is not None:
        body.add_field("conversation_id", conversation_id)
    body.add_field("file", data, filename=filename, content_type=content_type)
    return body


async def upload(
    client: Client,
    data: bytes,
    filename: str | None = "file.bin",
    content_type: str | None = "application/octet-stream",
    *,
    role: str = "customer",
    sub: str = "cust-1",
    conversation_id: str | None = None,
) -> tuple[int, dict[str, Any]]:
    response = await client.post(
        "/api/attachments",
        data=form(data, filename, content_type, conversation_id),
        headers=headers(client, role, sub),
    )
    body: dict[str, Any] = await response.json()
    return response.status, body


async def chunked_multipart(
    data: bytes, filename: str, content_type: str, boundary: str
) -> AsyncIterator[bytes]:
    """A multipart body sent chunked (no Content-Length)."""
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
    ).encode()
    for start in range(0, len(data), 4096):
        yield data[start : start + 4096]
        await asyncio.sleep(0)
    yield f"\r\n--{boundary}--\r\n".encode()


async def download(
    client: Client, attachment_id: str, role: str = "customer", sub: str = "cust-1"
) -> aiohttp.ClientResponse:
    response = await client.get(
        f"/api/attachments/{attachment_id}", headers=headers(client, role, sub)
    )
    await response.read()
    return response


async def leftovers(client: Client) -> dict[str, int]:
    """What an upload may have left behind: documents, GridFS files and chunks, temp files."""
    db = raw_db(client)
    tmp = client.app[keys.SETTINGS].data_dir / "tmp"
    temp_files = await asyncio.to_thread(lambda: len(list(tmp.glob("*"))) if tmp.exists() else 0)
    return {
        "attachments": await db["attachments"].count_documents({}),
        "files": await db["attachment_blobs.files"].count_documents({}),
        "chunks": await db["attachment_blobs.chunks"].count_documents({}),
        "temp_files": temp_files,
    }


def raw_multipart(data: bytes, name_params: bytes, content_type: str) -> tuple[bytes, str]:
    """A multipart body written byte by byte (for names no well-behaved client would send),
    and its Content-Type header. `name_params`: e.g. b'filename="a.txt"'."""
    boundary = "rawboundary7731"
    body = (
        f"--{boundary}\r\n".encode()
        + b'Content-Disposition: form-data; name="file"; '
        + name_params
        + b"\r\n"
        + f"Content-Type: {content_type}\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


# -- sending ----------------------------------------------------------------------------------


async def send_attachment(
    sender: Peer, attachment_id: str, kind: str, *, client_id: str | None = None, **extra: Any
) -> str:
    client_id = client_id or uuid.uuid4().hex
    await sender.send(
        {
            "type": "message.send",
            "client_id": client_id,
            "kind": kind,
            "attachment_id": attachment_id,
            **extra,
        }
    )
    return client_id


async def uploaded(
    client: Client, data: bytes, name: str, content_type: str, conversation_id: str, **kw: Any
) -> dict[str, Any]:
    status, body = await upload(
        client, data, name, content_type, conversation_id=conversation_id, **kw
    )
    assert status == 201, body
    return body


def black_at(data: bytes, box: list[int]) -> bool:
    left, top, width, height = box
    with Image.open(io.BytesIO(data)) as image:
        centre = image.convert("L").getpixel((left + width // 2, top + height // 2))
    assert isinstance(centre, int | float)  # one band: a number
    return centre <= 16  # black, give or take JPEG noise
