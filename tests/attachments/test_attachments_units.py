"""The pure parts of attachments: sniffing, names, sanitisers, sealed blobs, configuration."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from bson import ObjectId
from PIL import Image
from pydantic import ValidationError

from chat_service.attachments import blobs
from chat_service.attachments.blobs import BlobCorrupt, seal, unseal
from chat_service.attachments.budget import WHOLE_BUDGET, image_bytes
from chat_service.attachments.config import AllowedType, AttachmentsConfig, load_attachments_config
from chat_service.attachments.errors import ImageTooLarge, NotText, Polyglot
from chat_service.attachments.intake import sanitize_name, sniff
from chat_service.attachments.sanitize import (
    memory_cost,
    sanitize_image,
    sanitize_pdf,
    sanitize_text,
)
from tests.helpers.attachments import jpeg_with_gps_and_orientation, pdf, picture

REPO = Path(__file__).resolve().parents[2]
TEXT = AllowedType(content_type="text/plain", extensions=("txt",), max_bytes=100)
JPEG = AllowedType(content_type="image/jpeg", extensions=("jpg", "jpeg"), max_bytes=100)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"RIFF\x10\x00\x00\x00AVI LIST", "application/x-riff"),
        (b"%PDF-1.7\n", "application/pdf"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"PK\x03\x04\x14\x00", "application/zip"),
        (b"MZ\x90\x00\x03\x00", "application/x-msdownload"),
        (b"MZ is a fine abbreviation", "text/plain"),
        (b"BM\x8a\x00\x00\x00", "image/bmp"),
        (b"BMW parts order", "text/plain"),
        (b"hello", "text/plain"),
    ],
)
def test_when_bytes_are_sniffed_then_the_signature_decides(head: bytes, expected: str) -> None:
    assert sniff(head) == expected


@pytest.mark.parametrize(
    ("name", "rule", "expected"),
    [
        (None, TEXT, "attachment.txt"),
        ("", TEXT, "attachment.txt"),
        ("...", TEXT, "attachment.txt"),
        ("../x.txt", TEXT, "x.txt"),
        ("C:\\Users\\a\\b.txt", TEXT, "b.txt"),
        ("photo.JPEG", JPEG, "photo.jpeg"),
        ("photo", JPEG, "photo.jpg"),
        ("a\u202egnp.jpg", JPEG, "agnp.jpg"),
        ('we"ird<>:|?*.txt', TEXT, "we_ird______.txt"),
        ("  spaced   out  .txt", TEXT, "spaced out.txt"),
        (".hidden.txt", TEXT, "hidden.txt"),
        ("x" * 500 + ".txt", TEXT, "x" * 36 + ".txt"),
    ],
)
def test_when_a_name_is_sanitised_then_it_is_safe(
    name: str | None, rule: AllowedType, expected: str
) -> None:
    assert sanitize_name(name, rule, 40) == expected


def test_when_text_has_a_bom_then_it_is_dropped() -> None:
    assert sanitize_text(b"\xef\xbb\xbfhello\r\n\tworld\f") == b"hello\r\n\tworld\f"


@pytest.mark.parametrize("raw", [b"a\x00b", b"a\x1bb", "a\u0085b".encode(), b"\xff\xfe", b"   \n"])
def test_when_text_is_not_plain_then_refused(raw: bytes) -> None:
    with pytest.raises(NotText):
        sanitize_text(raw)


def test_when_a_jpeg_is_sanitised_then_only_pixels_remain() -> None:
    clean = sanitize_image(jpeg_with_gps_and_orientation(), "JPEG", 10_000)
    with Image.open(io.BytesIO(clean)) as image:
        assert image.size == (20, 40)
        assert not image.getexif()
        assert set(image.info) <= {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi"}


def test_when_a_picture_is_sanitised_under_a_small_limit_then_pillows_limit_is_not_lowered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pillow's bomb limit is one global for the process: sanitising under a small limit
    used to leave it at that limit, and later pictures elsewhere (OCR in the same process)
    were refused as bombs. The small limit still refuses what is over it."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 89_478_485)
    sanitize_image(picture("PNG"), "PNG", 10_000)
    assert Image.MAX_IMAGE_PIXELS == 89_478_485
    with pytest.raises(ImageTooLarge):
        sanitize_image(picture("PNG", size=(200, 100)), "PNG", 10_000)
    assert Image.MAX_IMAGE_PIXELS == 89_478_485


def test_when_a_png_has_trailing_bytes_then_re_encoding_drops_them() -> None:
    clean = sanitize_image(picture("PNG") + b"trailing junk", "PNG", 10_000)
    assert clean.endswith(b"IEND\xaeB`\x82")


def test_when_a_pdf_has_a_link_and_a_destination_then_it_is_accepted() -> None:
    assert sanitize_pdf(pdf(), 5).startswith(b"%PDF-")


def test_when_a_pdf_has_junk_before_its_header_then_refused() -> None:
    with pytest.raises(Exception, match="header"):
        sanitize_pdf(b"junk" + pdf(), 5)


def test_when_a_pdf_is_followed_by_a_payload_then_polyglot() -> None:
    with pytest.raises(Polyglot):
        sanitize_pdf(pdf() + b"<html><script>alert(1)</script></html>", 5)


# -- sealed blobs ------------------------------------------------------------------------------

DEK = bytes(range(32))


@pytest.mark.parametrize("size", [0, 1, blobs.CHUNK_BYTES, blobs.CHUNK_BYTES * 2 + 5])
def test_when_a_blob_is_sealed_then_it_unseals_to_the_same_bytes(size: int) -> None:
    file_id = ObjectId()
    data = bytes(i % 251 for i in range(size))
    sealed = seal(file_id, DEK, data)
    if size >= 16:  # a shorter run turns up in random ciphertext by chance
        assert data[:64] not in sealed
    assert unseal(file_id, DEK, sealed) == data


def _frames(sealed: bytes) -> list[bytes]:
    body = sealed[len(blobs.MAGIC) :]
    frame = blobs.NONCE_BYTES + blobs.CHUNK_BYTES + blobs.TAG_BYTES
    return [body[i : i + frame] for i in range(0, len(body), frame)]


def test_when_a_sealed_blob_is_tampered_with_then_it_does_not_open() -> None:
    file_id = ObjectId()
    data = b"x" * (blobs.CHUNK_BYTES * 3)
    sealed = seal(file_id, DEK, data)
    frames = _frames(sealed)
    cases = {
        "truncated at a chunk boundary": blobs.MAGIC + b"".join(frames[:2]),
        "reordered": blobs.MAGIC + frames[1] + frames[0] + frames[2],
        "bit flipped": sealed[:-1] + bytes([sealed[-1] ^ 1]),
        "cut short": sealed[:-100],
    }
    for name, tampered in cases.items():
        with pytest.raises(BlobCorrupt):
            unseal(file_id, DEK, tampered)
            pytest.fail(name)
    with pytest.raises(BlobCorrupt):
        unseal(ObjectId(), DEK, sealed)  # another blob's id


# -- configuration ---------------------------------------------------------------------------


def test_when_the_shipped_config_is_loaded_then_the_default_allow_list_is_there() -> None:
    config = load_attachments_config(REPO / "config")
    assert {t.content_type for t in config.types} == {
        "image/jpeg",
        "image/png",
        "image/webp",
        "application/pdf",
        "text/plain",
    }


@pytest.mark.parametrize(
    "change",
    [
        {"types": [{"content_type": "image/gif", "extensions": ["gif"], "max_bytes": 10}]},
        {"types": [{"content_type": "text/plain", "extensions": [".txt"], "max_bytes": 10}]},
        {"types": [{"content_type": "text/plain", "extensions": ["txt"], "max_bytes": 10**9}]},
        {"surprise": 1},
    ],
)
def test_when_the_config_is_wrong_then_it_is_refused(change: dict[str, object]) -> None:
    raw = load_attachments_config(REPO / "config").model_dump() | change
    with pytest.raises(ValidationError):
        AttachmentsConfig.model_validate(raw)


PNG = AllowedType(content_type="image/png", extensions=["png"], max_bytes=10 * 1024 * 1024)


def _png_file(tmp_path: Path, side: int) -> Path:
    out = io.BytesIO()
    Image.new("L", (side, side)).save(out, "PNG")
    path = tmp_path / "upload.png"
    path.write_bytes(out.getvalue())
    return path


def test_when_a_header_is_readable_then_the_cost_is_its_pixels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pillow's own default: an app tested earlier in this process may have set the global
    # lower through `sanitize_image` (which the next test is about).
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 89_478_485)
    path = _png_file(tmp_path, 1000)
    assert memory_cost(path, PNG, path.stat().st_size) == image_bytes(1000, 1000)


def test_when_pillows_pixel_limit_was_lowered_elsewhere_then_the_picture_is_not_charged_less(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found as a flaky pixel-bomb test: another app in the process had set Pillow's global
    limit lower, the header read raised, and the picture was charged its few kB on the
    wire, so three 4-megapixel bombs decoded at once under a budget for two."""
    path = _png_file(tmp_path, 1000)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100_000)  # 1 MP > twice this: an error
    assert memory_cost(path, PNG, path.stat().st_size) >= image_bytes(1000, 1000)


def test_when_a_picture_is_corrupt_then_it_is_charged_the_whole_budget(tmp_path: Path) -> None:
    path = tmp_path / "upload.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    assert memory_cost(path, PNG, 108) == WHOLE_BUDGET
