"""Uploads and downloads over HTTP against the real server, store and detection pool:
the happy paths, metadata stripping, encryption at rest, limits, and who may download."""

from __future__ import annotations

import asyncio
import io
import uuid
from typing import Any

import bson
import pytest
from aiohttp import web
from PIL import Image
from pytest_aiohttp import AiohttpClient

from chat_service.attachments.config import AllowedType, AttachmentsConfig
from chat_service.settings import Settings
from tests.conftest import AppFactory
from tests.helpers.attachments import (
    TEXT_BODY,
    XMP_MARKER,
    chunked_multipart,
    download,
    jpeg_with_gps_and_orientation,
    leftovers,
    pdf,
    picture,
    raw_multipart,
    upload,
)
from tests.helpers.consent import assigned_chat, headers, raw_db, services_of
from tests.helpers.ws import Client

NOTHING_LEFT = {"attachments": 0, "files": 0, "chunks": 0, "temp_files": 0}


def with_limits(settings: Settings, **changes: Any) -> Settings:
    """Settings whose attachment limits are changed (types: {content_type: max_bytes})."""
    config = settings.attachments
    raw = config.model_dump()
    for content_type, max_bytes in changes.pop("types", {}).items():
        for rule in raw["types"]:
            if rule["content_type"] == content_type:
                rule["max_bytes"] = max_bytes
    raw.update(changes)
    raw["types"] = [AllowedType.model_validate(r) for r in raw["types"]]
    return settings.with_overrides(attachments=AttachmentsConfig.model_validate(raw))


# -- the happy paths ---------------------------------------------------------------------------


async def test_when_a_customer_uploads_a_png_then_it_is_stored_and_they_can_download_it(
    client: Client,
) -> None:
    status, body = await upload(client, picture("PNG"), "photo.png", "image/png")

    assert status == 201, body
    assert body["id"].startswith("att_") and len(body["id"]) >= 4 + 22
    assert body["kind"] == "image"
    assert body["name"] == "photo.png"
    assert body["content_type"] == "image/png"
    assert body["status"] == "ready"
    assert body["findings"] == [] and body["sensitive"] is False
    response = await download(client, body["id"])
    assert response.status == 200
    data = await response.read()
    assert len(data) == body["size"]
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and image.size == (40, 20)
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Content-Disposition"].startswith("inline;")
    tmp = services_of(client).settings.data_dir / "tmp"
    mode = (await asyncio.to_thread(tmp.stat)).st_mode & 0o777
    assert mode == 0o700


async def test_when_a_text_file_is_downloaded_then_it_comes_as_an_attachment_download(
    client: Client,
) -> None:
    status, body = await upload(client, TEXT_BODY.encode(), "Bestellung ü.txt", "text/plain")
    assert status == 201, body
    assert (body["kind"], body["content_type"]) == ("file", "text/plain")

    response = await download(client, body["id"])

    assert response.status == 200
    assert await response.text() == TEXT_BODY
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Bestellung%20%C3%BC.txt" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_when_a_pdf_is_uploaded_then_it_is_rewritten_and_downloadable(
    client: Client,
) -> None:
    status, body = await upload(client, pdf(), "invoice.pdf", "application/pdf")
    assert status == 201, body

    response = await download(client, body["id"])

    assert response.status == 200
    data = await response.read()
    assert data.startswith(b"%PDF-")
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")


async def test_when_a_jpeg_has_exif_gps_and_orientation_then_the_download_has_no_metadata(
    client: Client,
) -> None:
    original = jpeg_with_gps_and_orientation()
    with Image.open(io.BytesIO(original)) as image:  # the test file really carries them
        assert image.getexif()[0x0112] == 6 and image.getexif().get_ifd(0x8825)
    assert XMP_MARKER in original

    status, body = await upload(client, original, "IMG_0001.JPG", "image/jpeg")
    assert status == 201, body
    data = await (await download(client, body["id"])).read()

    assert b"Exif" not in data
    assert XMP_MARKER not in data and b"xmpmeta" not in data
    assert b"taken at home" not in data and b"PhoneMaker" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert not image.getexif()
        assert not image.getexif().get_ifd(0x8825)
        assert "exif" not in image.info and "xmp" not in image.info
        assert "icc_profile" not in image.info and "comment" not in image.info
        # Orientation 6 applied: 40x20 became 20x40, the red left half is now on top.
        assert image.size == (20, 40)
        rgb = image.convert("RGB")
        top, bottom = rgb.getpixel((10, 5)), rgb.getpixel((10, 35))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] > 200 and top[2] < 60
    assert bottom[2] > 200 and bottom[0] < 60


async def test_when_the_raw_store_is_dumped_then_no_original_bytes_are_in_it(
    client: Client,
) -> None:
    secret_line = f"My locker code is {uuid.uuid4().hex}\n"
    uploads = [
        (secret_line.encode(), "code.txt", "text/plain"),
        (picture("PNG"), "a.png", "image/png"),
        (picture("JPEG"), "b.jpg", "image/jpeg"),
    ]
    for data, name, content_type in uploads:
        status, body = await upload(client, data, name, content_type)
        assert status == 201, body

    needles = {
        secret_line.encode(),
        secret_line.strip().encode(),
        b"\x89PNG\r\n\x1a\n",
        b"\xff\xd8\xff",
    }
    db = raw_db(client)
    names = await db.list_collection_names()
    assert {"attachments", "attachment_blobs.files", "attachment_blobs.chunks"} <= set(names)
    chunks = 0
    for name in names:
        async for doc in db[name].find({}):
            chunks += name == "attachment_blobs.chunks"
            encoded = bson.encode(doc)
            leaked = [n for n in needles if n in encoded]
            assert not leaked, f"{name} {doc.get('_id')!r} holds {leaked}"
    assert chunks >= 3


# -- limits ----------------------------------------------------------------------------------


@pytest.fixture
async def small_limits(
    aiohttp_client: AiohttpClient, settings: Settings, make_app: AppFactory
) -> Client:
    custom = with_limits(
        settings,
        max_upload_bytes=20_000,
        types={
            "text/plain": 1000,
            "image/png": 5000,
            "image/jpeg": 20_000,
            "image/webp": 20_000,
            "application/pdf": 20_000,
        },
    )
    return await aiohttp_client(make_app(custom))


@pytest.mark.parametrize(
    ("data", "filename", "content_type"),
    [
        pytest.param(b"a" * 1500, "big.txt", "text/plain", id="text over its limit, declared"),
        pytest.param(b"a" * 1500, "big", "application/octet-stream", id="text, sniffed"),
        pytest.param(b"a" * 1500, "big.txt", None, id="text, by extension"),
        pytest.param(
            picture("PNG", (200, 200), compress_level=0), "big.png", "image/png", id="png"
        ),
        pytest.param(b"a" * 30_000, "huge.txt", "text/plain", id="over the global limit"),
    ],
)
async def test_when_a_file_is_over_its_types_limit_then_413_and_nothing_is_left(
    small_limits: Client, data: bytes, filename: str, content_type: str | None
) -> None:
    status, body = await upload(small_limits, data, filename, content_type)

    assert status == 413, body
    assert body["error"]["code"] == "too_large"
    assert await leftovers(small_limits) == NOTHING_LEFT


async def test_when_an_upload_is_streamed_without_content_length_then_the_limit_still_holds(
    small_limits: Client,
) -> None:
    boundary = "b" + uuid.uuid4().hex
    response = await small_limits.post(
        "/api/attachments",
        data=chunked_multipart(b"x" * 50_000, "big.txt", "text/plain", boundary),
        headers={
            **headers(small_limits, "customer", "cust-1"),
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )

    assert "Content-Length" not in response.request_info.headers
    assert response.status == 413
    assert (await response.json())["error"]["code"] == "too_large"
    assert await leftovers(small_limits) == NOTHING_LEFT


async def test_when_a_chunked_upload_fits_then_it_is_accepted(small_limits: Client) -> None:
    boundary = "b" + uuid.uuid4().hex
    response = await small_limits.post(
        "/api/attachments",
        data=chunked_multipart(TEXT_BODY.encode() * 5, "note.txt", "text/plain", boundary),
        headers={
            **headers(small_limits, "customer", "cust-1"),
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )

    assert response.status == 201, await response.text()


async def test_when_content_length_is_over_the_global_limit_then_413_before_reading(
    small_limits: Client,
) -> None:
    response = await small_limits.post(
        "/api/attachments",
        data=b"--x\r\n" + b"y" * 100_000,
        headers={
            **headers(small_limits, "customer", "cust-1"),
            "Content-Type": "multipart/form-data; boundary=x",
        },
    )

    assert response.status == 413
    assert (await response.json())["error"]["code"] == "too_large"
    assert await leftovers(small_limits) == NOTHING_LEFT


# -- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\Windows\\win.txt", "win.txt"),
        ("/abs/path/notes.txt", "notes.txt"),
        ("in\u202evoice\u2066.txt", "invoice.txt"),
        ("zero\u200bwidth\u200f.txt", "zerowidth.txt"),
        ("notes", "notes.txt"),
        ("..", "attachment.txt"),
        ("NOTES.TXT", "NOTES.txt"),
        ("a" * 300 + ".txt", "a" * 116 + ".txt"),
        ("e\u0301te.txt", "\u00e9te.txt"),
    ],
)
async def test_when_a_name_is_hostile_then_the_stored_name_is_sanitised(
    client: Client, sent: str, stored: str
) -> None:
    status, body = await upload(client, TEXT_BODY.encode(), sent, "text/plain")

    assert status == 201, body
    assert body["name"] == stored
    doc = await services_of(client).store.attachments.get(body["id"])
    assert doc is not None and doc["name"] == stored


@pytest.mark.parametrize(
    ("params", "status", "stored"),
    [
        pytest.param(
            b"filename*=UTF-8''tab%09and%07bell%1B%5B31m%0D%0A.txt",
            201,
            "tabandbell[31m.txt",
            id="encoded controls: removed",
        ),
        pytest.param(
            b"filename*=UTF-8''%E2%80%AEgpj.txt", 201, "gpj.txt", id="encoded bidi override"
        ),
        pytest.param(
            b'filename="tab\tand\x07bell.txt"', 400, None, id="raw controls: malformed part"
        ),
    ],
)
async def test_when_a_name_has_control_characters_then_they_are_removed_or_refused(
    client: Client, params: bytes, status: int, stored: str | None
) -> None:
    body, content_type = raw_multipart(TEXT_BODY.encode(), params, "text/plain")
    response = await client.post(
        "/api/attachments",
        data=body,
        headers={**headers(client, "customer", "cust-1"), "Content-Type": content_type},
    )

    assert response.status == status, await response.text()
    if stored is not None:
        assert (await response.json())["name"] == stored


# -- who may upload and download ---------------------------------------------------------------


async def test_when_someone_else_asks_for_an_unbound_attachment_then_404(client: Client) -> None:
    status, body = await upload(client, picture("PNG"), "p.png", "image/png", sub="cust-1")
    assert status == 201, body
    for role, sub in [
        ("customer", "cust-2"),
        ("agent", "agent-1"),
        ("supervisor", "sup-1"),
        ("privacy_officer", "po-1"),
    ]:
        response = await download(client, body["id"], role, sub)
        assert response.status == 404, (role, sub)
        assert (await response.json())["error"]["code"] == "attachment_not_found"
    unknown = await download(client, "att_" + "A" * 24)
    assert unknown.status == 404


async def test_when_the_token_is_missing_or_forged_then_401(client: Client) -> None:
    status, body = await upload(client, picture("PNG"), "p.png", "image/png")
    assert status == 201, body
    url = f"/api/attachments/{body['id']}"

    missing = await client.get(url)
    forged = await client.get(url, headers={"Authorization": "Bearer not.a.token"})
    upload_missing = await client.post("/api/attachments", data=b"")

    assert missing.status == forged.status == upload_missing.status == 401
    assert (await forged.json())["error"]["code"] == "unauthenticated"


async def test_when_a_supervisor_or_privacy_officer_uploads_then_403(client: Client) -> None:
    for role in ("supervisor", "privacy_officer"):
        status, body = await upload(client, picture("PNG"), "p.png", "image/png", role=role)
        assert status == 403, body
    assert await leftovers(client) == NOTHING_LEFT


async def test_when_an_upload_names_a_conversation_that_is_not_the_callers_then_404(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    cases = [
        ("customer", "cust-2", chat.conversation_id),
        ("agent", "agent-2", chat.conversation_id),
        ("customer", "cust-1", "c_does_not_exist"),
    ]
    for role, sub, conversation_id in cases:
        status, body = await upload(
            client,
            picture("PNG"),
            "p.png",
            "image/png",
            role=role,
            sub=sub,
            conversation_id=conversation_id,
        )
        assert status == 404, (role, sub, body)
        assert body["error"]["code"] == "conversation_not_found"
    status, body = await upload(client, picture("PNG"), "p.png", "image/png", role="agent")
    assert status == 400, body  # an agent must name the conversation
    assert await leftovers(client) == NOTHING_LEFT


async def test_when_an_attachment_is_bound_then_its_readers_get_it_and_others_404(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    status, body = await upload(
        client, picture("PNG"), "p.png", "image/png", conversation_id=chat.conversation_id
    )
    assert status == 201, body
    assert body["conversation_id"] == chat.conversation_id
    store = services_of(client).store.attachments
    before = await download(client, body["id"], "agent", "agent-1")
    assert before.status == 404  # no message uses it yet

    assert await store.bind(body["id"], chat.conversation_id, "m_test") is not None
    assert await store.bind(body["id"], chat.conversation_id, "m_other") is None

    assert (await download(client, body["id"], "agent", "agent-1")).status == 200
    assert (await download(client, body["id"], "customer", "cust-1")).status == 200
    # Supervisors read every conversation, so they may fetch what it carries.
    assert (await download(client, body["id"], "supervisor", "sup-1")).status == 200
    for role, sub in [("agent", "agent-2"), ("customer", "cust-2"), ("privacy_officer", "po")]:
        assert (await download(client, body["id"], role, sub)).status == 404, (role, sub)


async def test_when_an_agent_uploads_into_their_conversation_then_it_belongs_to_its_customer(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    status, body = await upload(
        client,
        pdf(),
        "terms.pdf",
        "application/pdf",
        role="agent",
        sub="agent-1",
        conversation_id=chat.conversation_id,
    )

    assert status == 201, body
    doc = await services_of(client).store.attachments.get(body["id"])
    assert doc is not None
    assert doc["customer_id"] == "cust-1"
    assert doc["uploader"] == {"role": "agent", "id": "agent-1"}
    assert (await download(client, body["id"], "agent", "agent-1")).status == 200


async def test_when_an_attachment_document_is_stored_then_it_has_exactly_the_agreed_fields(
    client: Client,
) -> None:
    status, body = await upload(client, TEXT_BODY.encode(), "n.txt", "text/plain")
    assert status == 201, body

    doc = await raw_db(client)["attachments"].find_one({"_id": body["id"]})

    assert doc is not None
    assert set(doc) == {
        "_id",
        "uploader",
        "customer_id",
        "conversation_id",
        "message_id",
        "kind",
        "name",
        "content_type",
        "size",
        "created_at",
        "status",
        "findings",
        "sensitive",
        "categories",
        "entity_types",
        "original",
        "redacted",
    }
    assert set(doc["original"]) == {"file_id", "key"}
    assert isinstance(doc["original"]["key"], bson.Binary) and doc["original"]["key"].subtype == 6
    assert doc["redacted"] is None and doc["message_id"] is None


async def test_when_the_body_is_not_multipart_then_400_as_json(
    aiohttp_client: AiohttpClient, settings: Settings, make_app: AppFactory
) -> None:
    app: web.Application = make_app(settings)
    fresh = await aiohttp_client(app)
    response = await fresh.post(
        "/api/attachments",
        data=b"not multipart",
        headers={**headers(fresh, "customer", "cust-1"), "Content-Type": "text/plain"},
    )
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "bad_upload"
