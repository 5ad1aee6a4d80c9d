"""Hostile uploads: each gets a clear 4xx and changes nothing (no attachment document, no
GridFS file or chunk, no temporary file). Also: fail closed when scanning fails, and the
redacted copy of a picture with sensitive content."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from PIL import Image
from pytest_aiohttp import AiohttpClient

from chat_service.settings import Settings
from tests.attachments.test_attachments import NOTHING_LEFT, with_limits
from tests.conftest import AppFactory
from tests.helpers.attachments import (
    TEXT_BODY,
    animated_png,
    download,
    encrypted_pdf,
    leftovers,
    pdf,
    pdf_with_embedded_file,
    pdf_with_javascript,
    pdf_with_open_action,
    picture,
    png_bomb,
    png_with_text_chunk,
    upload,
    zip_payload,
)
from tests.helpers.consent import assigned_chat, headers, services_of
from tests.helpers.ws import Client

Build = Callable[[], bytes]


def _truncated_png() -> bytes:
    data = picture("PNG", (64, 64))
    return data[: len(data) // 2]


def _corrupt_jpeg() -> bytes:
    data = bytearray(picture("JPEG", (64, 64)))
    for i in range(200, len(data) - 10):
        data[i] = 0x00 if i % 7 else 0xFF
    return bytes(data)


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "GIF")
    return out.getvalue()


def _malformed_pdf() -> bytes:
    return b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\nxref\ngarbage\n%%EOF\n"


HOSTILE: list[tuple[str, Build, str | None, str | None, int, str]] = [
    ("zero bytes", lambda: b"", "empty.txt", "text/plain", 422, "empty_file"),
    ("png declared jpeg", lambda: picture("PNG"), "a.jpg", "image/jpeg", 415, "type_mismatch"),
    ("png named .jpg", lambda: picture("PNG"), "a.jpg", None, 415, "type_mismatch"),
    ("png named .txt", lambda: picture("PNG"), "a.txt", "image/png", 415, "type_mismatch"),
    ("text declared png", lambda: TEXT_BODY.encode(), "a.png", "image/png", 415, "type_mismatch"),
    ("pdf named .png", pdf, "invoice.png", None, 415, "type_mismatch"),
    ("double extension", lambda: picture("PNG"), "a.png.exe", None, 415, "type_not_allowed"),
    ("gif", _gif, "a.gif", "image/gif", 415, "type_not_allowed"),
    ("gif undeclared", _gif, "a", None, 415, "type_not_allowed"),
    ("zip", zip_payload, "a.zip", "application/zip", 415, "type_not_allowed"),
    ("zip as pdf", zip_payload, "a.pdf", "application/pdf", 415, "type_not_allowed"),
    ("svg", lambda: b"<svg onload=alert(1)/>", "a.svg", "image/svg+xml", 415, "type_not_allowed"),
    ("truncated png", _truncated_png, "a.png", "image/png", 422, "unreadable_file"),
    ("corrupt jpeg", _corrupt_jpeg, "a.jpg", "image/jpeg", 422, "unreadable_file"),
    ("decompression bomb", png_bomb, "bomb.png", "image/png", 422, "image_too_large"),
    ("animated png", animated_png, "a.png", "image/png", 422, "animated_image"),
    (
        "png + zip",
        lambda: picture("PNG") + zip_payload(),
        "a.png",
        "image/png",
        415,
        "polyglot",
    ),
    ("jpeg + pdf", lambda: picture("JPEG") + pdf(), "a.jpg", "image/jpeg", 415, "polyglot"),
    (
        "png with script",
        lambda: png_with_text_chunk(b"<script>alert(1)</script>"),
        "a.png",
        "image/png",
        415,
        "polyglot",
    ),
    ("pdf + appended zip", lambda: pdf() + zip_payload(), "a.pdf", None, 415, "polyglot"),
    ("encrypted pdf", encrypted_pdf, "a.pdf", "application/pdf", 422, "pdf_encrypted"),
    ("pdf javascript", pdf_with_javascript, "a.pdf", None, 422, "pdf_active_content"),
    ("pdf embedded file", pdf_with_embedded_file, "a.pdf", None, 422, "pdf_active_content"),
    ("pdf launch action", pdf_with_open_action, "a.pdf", None, 422, "pdf_active_content"),
    ("malformed pdf", _malformed_pdf, "a.pdf", None, 422, "unreadable_file"),
    ("text with nul", lambda: b"hello\x00world", "a.txt", "text/plain", 415, "not_plain_text"),
    ("latin-1 text", lambda: "caf\u00e9".encode("latin-1"), "a.txt", None, 415, "not_plain_text"),
    ("binary as text", lambda: bytes(range(256)) * 4, "a.txt", None, 415, "not_plain_text"),
]


@pytest.mark.parametrize(
    ("build", "filename", "content_type", "status", "code"),
    [pytest.param(*case[1:], id=case[0]) for case in HOSTILE],
)
async def test_when_a_hostile_file_is_uploaded_then_4xx_and_nothing_is_left(
    client: Client,
    build: Build,
    filename: str | None,
    content_type: str | None,
    status: int,
    code: str,
) -> None:
    got, body = await upload(client, build(), filename, content_type)

    assert (got, body.get("error", {}).get("code")) == (status, code), body
    assert body["error"]["message"]
    assert await leftovers(client) == NOTHING_LEFT


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param([], id="no parts"),
        pytest.param([("conversation_id", "c1")], id="no file part"),
        pytest.param([("file", b"a"), ("file", b"b")], id="two files"),
        pytest.param([("other", b"x"), ("file", b"a")], id="unknown part"),
    ],
)
async def test_when_the_multipart_body_is_not_one_file_then_400(
    client: Client, fields: list[tuple[str, str | bytes]]
) -> None:
    import aiohttp

    body = aiohttp.FormData()
    for name, value in fields:
        if isinstance(value, bytes):
            body.add_field(name, value, filename="a.txt", content_type="text/plain")
        else:
            body.add_field(name, value)
    if not fields:
        body.add_field("x", b"", filename="x.txt")  # FormData needs one part to be multipart
    response = await client.post(
        "/api/attachments", data=body, headers=headers(client, "customer", "cust-1")
    )

    assert response.status == 400, await response.text()
    assert (await response.json())["error"]["code"] == "bad_upload"
    assert await leftovers(client) == NOTHING_LEFT


LONGER_THAN_DETECTION_READS = ("Order notes, line after line. " * 20_000)[:600_000].encode()


@pytest.mark.parametrize(
    ("filename", "content_type"),
    [("notes.txt", "text/plain"), ("notes.txt", None), ("notes", None)],
    ids=["declared text", "by extension", "sniffed"],
)
async def test_when_a_text_file_is_longer_than_detection_reads_then_413_before_scanning(
    client: Client, filename: str, content_type: str | None
) -> None:
    """600,000 characters: over detection's 500,000 (config/detection.toml), once accepted
    under attachments.toml's 1 MiB and then always held for review."""
    got, body = await upload(client, LONGER_THAN_DETECTION_READS, filename, content_type)

    assert (got, body["error"]["code"]) == (413, "too_large"), body
    assert "500000 bytes" in body["error"]["message"]
    assert await leftovers(client) == NOTHING_LEFT  # nothing stored, so nothing held


async def test_when_a_picture_is_over_the_configured_pixels_then_refused_before_decoding(
    aiohttp_client: AiohttpClient, settings: Settings, make_app: AppFactory
) -> None:
    client = await aiohttp_client(make_app(with_limits(settings, max_image_pixels=100 * 100)))

    status, body = await upload(client, picture("PNG", (101, 100)), "a.png", "image/png")
    fits, _ = await upload(client, picture("PNG", (100, 100)), "b.png", "image/png")

    assert (status, body["error"]["code"]) == (422, "image_too_large")
    assert fits == 201


# -- fail closed ---------------------------------------------------------------------------


def _held_count(client: Client, reason: str) -> float:
    counter = services_of(client).metrics.attachment_scan_failures.labels(reason)
    return float(counter._value.get())  # no public reader for one labelled child


async def test_when_the_scanner_cannot_read_a_document_then_it_is_held(
    aiohttp_client: AiohttpClient, settings: Settings, make_app: AppFactory
) -> None:
    """More text than the detection engine reads in one document: unreadable, so held.
    Upload refuses such text (413, above); an app whose text limit is raised past it (a
    configuration the settings loader refuses) shows the scan still fails closed."""
    client = await aiohttp_client(make_app(with_limits(settings, types={"text/plain": 1 << 20})))
    chat = await assigned_chat(client)
    text = ("word " * 110_000).encode()  # 550,000 characters, over documents.max_text_chars
    before = _held_count(client, "unreadable")

    status, body = await upload(
        client, text, "long.txt", "text/plain", conversation_id=chat.conversation_id
    )

    assert status == 201, body
    assert body["status"] == "held" and body["findings"] == []
    assert _held_count(client, "unreadable") == before + 1
    mine = await download(client, body["id"])
    assert mine.status == 200  # the uploader gets their own file back
    store = services_of(client).store.attachments
    assert await store.bind(body["id"], chat.conversation_id, "m_held") is not None
    theirs = await download(client, body["id"], "agent", "agent-1")
    assert theirs.status == 423
    assert (await theirs.json())["error"]["code"] == "held_for_review"


async def test_when_scanning_times_out_then_the_attachment_is_held(
    aiohttp_client: AiohttpClient, settings: Settings, make_app: AppFactory
) -> None:
    client = await aiohttp_client(make_app(with_limits(settings, scan_timeout_secs=0.001)))
    before = _held_count(client, "timeout")

    status, body = await upload(client, picture("PNG"), "a.png", "image/png")

    assert status == 201, body
    assert body["status"] == "held"
    assert _held_count(client, "timeout") == before + 1


# -- destroyed renditions (consent paths: tests/actions/test_attachment_messages.py) ---------


async def test_when_the_original_is_destroyed_then_410(client: Client) -> None:
    status, body = await upload(client, picture("PNG"), "a.png", "image/png")
    assert status == 201, body
    store = services_of(client).store.attachments

    assert await store.destroy_blob(body["id"], "original") is True

    gone = await download(client, body["id"])
    assert gone.status == 410
    left = await leftovers(client)
    assert (left["attachments"], left["files"], left["chunks"]) == (1, 0, 0)


async def test_when_a_customers_key_is_shredded_then_their_attachments_are_gone(
    client: Client,
) -> None:
    status, body = await upload(client, picture("PNG"), "a.png", "image/png")
    assert status == 201, body

    await services_of(client).cipher.shred("cust-1")

    assert (await download(client, body["id"])).status == 410


async def test_when_a_customer_is_deleted_then_their_attachments_and_blobs_go(
    client: Client,
) -> None:
    for name in ("a.png", "b.png"):
        status, _ = await upload(client, picture("PNG"), name, "image/png")
        assert status == 201
    other, _ = await upload(client, picture("PNG"), "c.png", "image/png", sub="cust-2")
    assert other == 201

    deleted = await services_of(client).store.attachments.delete_for_customer("cust-1")

    assert deleted == 2
    left = await leftovers(client)
    assert (left["attachments"], left["files"]) == (1, 1)
