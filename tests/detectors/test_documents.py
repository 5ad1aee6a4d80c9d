# Chinese punctuation and full-width characters are the data here, on purpose.
# ruff: noqa: RUF001
"""Pictures (real Tesseract), PDFs and text files through the pool: findings with their page
and boxes, every failure an error (fail closed), time limits, redaction without metadata."""

from __future__ import annotations

import asyncio
import io
import pathlib
import re
import shutil
from collections.abc import AsyncIterator, Sequence

import pytest
import pytest_asyncio
from PIL import Image, PngImagePlugin

from chat_service.scanning import PoolScanner, Scanner
from detectors import (
    Box,
    DetectorPool,
    DocumentFinding,
    DocumentScan,
    DocumentTimeoutError,
    DocumentUnreadableError,
)
from detectors.pool import DetectionUnavailableError, _Slots
from tests.detectors import jobs, waits
from tests.detectors.render import (
    Line,
    Placed,
    Rect,
    draw_lines,
    draw_texts,
    encrypted,
    overlap,
    pdf_document,
    resident_id,
)

RESIDENT_ID = resident_id("31011519900307123")
CN_MOBILE = "13812345678"
CARD = "4111 1111 1111 1111"
IBAN = "GB82 WEST 1234 5698 7654 32"


@pytest.fixture(scope="session")
def pool(scanner: Scanner) -> DetectorPool:
    """The session's detection pool (tests/conftest.py), one worker."""
    assert isinstance(scanner, PoolScanner)
    detector_pool = scanner._pool
    assert isinstance(detector_pool, DetectorPool)
    return detector_pool


@pytest_asyncio.fixture(scope="module")
async def tight_pool(
    config_dir: pathlib.Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[DetectorPool]:
    """A pool whose documents must be read within 0.5 s (hard limit 0.5 s + 3 s)."""
    target = tmp_path_factory.mktemp("tight-config")
    for name in ("detection.toml", "categories.toml"):
        shutil.copy(config_dir / name, target / name)
    toml = target / "detection.toml"
    text = re.sub(r"(?m)^read_timeout_secs = .*$", "read_timeout_secs = 0.5", toml.read_text())
    toml.write_text(re.sub(r"(?m)^hang_grace_secs = .*$", "hang_grace_secs = 3.0", text))
    detector_pool = DetectorPool(target, workers=1)
    await detector_pool.start()
    try:
        yield detector_pool
    finally:
        await detector_pool.close()


def of_type(scan: DocumentScan, entity_type: str) -> list[DocumentFinding]:
    return [f for f in scan.findings if f.finding.entity_type == entity_type]


def values(scan: DocumentScan, entity_type: str) -> list[str]:
    return [scan.text[f.finding.start : f.finding.end] for f in of_type(scan, entity_type)]


def as_rect(box: Box) -> Rect:
    return (box.left, box.top, box.left + box.width, box.top + box.height)


def assert_boxes_on(found: DocumentFinding, drawn: Rect) -> None:
    """Every box of the finding lies on the drawn text, and together they cover most of it."""
    assert found.page == 1
    assert found.boxes, found
    for box in found.boxes:
        assert box.page == 1
        area = box.width * box.height
        assert overlap(as_rect(box), drawn) >= 0.8 * area, (box, drawn)


ORDER_LINES = [
    Line("Order NB-20261126001    Status: shipped"),
    Line("Customer: Alice Smith"),
    Line("Phone: +1 415-555-0132"),
    Line("Email: alice.smith@example.com"),
    Line("Total: $42.50"),
]


@pytest.mark.timeout(180)
async def test_when_an_order_screenshot_is_scanned_then_phone_and_email_are_found_where_drawn(
    pool: DetectorPool,
) -> None:
    picture = draw_lines(ORDER_LINES)
    scan = await pool.scan_document("image", picture.data)
    assert scan.pages == 1
    assert "alice.smith@example.com" in scan.text
    assert values(scan, "PHONE_NUMBER") == ["+1 415-555-0132"]
    assert values(scan, "EMAIL_ADDRESS") == ["alice.smith@example.com"]
    [phone] = of_type(scan, "PHONE_NUMBER")
    [email] = of_type(scan, "EMAIL_ADDRESS")
    assert_boxes_on(phone, picture.drawn["Phone: +1 415-555-0132"])
    assert_boxes_on(email, picture.drawn["Email: alice.smith@example.com"])
    assert phone.boxes[0].left > picture.drawn["Phone: +1 415-555-0132"][0] + 60  # not "Phone:"
    assert not values(scan, "CREDIT_CARD") and not values(scan, "BANK_ACCOUNT")  # order number
    contract = email.to_contract()
    assert contract["entity_type"] == "EMAIL_ADDRESS"
    assert contract["page"] == 1
    box = email.boxes[0]
    assert contract["boxes"] == [[box.left, box.top, box.width, box.height]]


@pytest.mark.parametrize("image_format", ["PNG", "JPEG"])
@pytest.mark.timeout(180)
async def test_when_a_picture_is_larger_than_ocr_reads_then_it_is_reduced_and_boxes_fit_it(
    pool: DetectorPool, image_format: str
) -> None:
    """Past `ocr_max_pixels` (12 MP) a picture is read reduced (bounded memory in the
    worker; a JPEG decoded at a lower scale): the boxes are still the picture's own."""
    lines = [Line("Phone: +1 415-555-0132", size=72), Line("Total: $42.50", size=72)]
    picture = draw_lines(lines, size=(4200, 3000), image_format=image_format, margin=300)
    scan = await pool.scan_document("image", picture.data)
    [phone] = of_type(scan, "PHONE_NUMBER")
    assert values(scan, "PHONE_NUMBER") == ["+1 415-555-0132"]
    assert_boxes_on(phone, picture.drawn["Phone: +1 415-555-0132"])
    assert phone.boxes[0].left > picture.drawn["Phone: +1 415-555-0132"][0] + 150  # not "Phone:"


@pytest.mark.timeout(180)
async def test_when_a_chinese_picture_is_scanned_then_resident_id_and_mobile_are_found(
    pool: DetectorPool,
) -> None:
    lines = [
        Line("订单详情", cjk=True),
        Line("收件人：张伟", cjk=True),
        Line(f"身份证号：{RESIDENT_ID}", cjk=True),
        Line(f"手机：{CN_MOBILE}", cjk=True),
        Line("地址：上海市浦东新区张江路88号", cjk=True),
    ]
    picture = draw_lines(lines)
    scan = await pool.scan_document("image", picture.data, language="zh")
    assert "身份证号" in scan.text  # Han characters joined without Tesseract's spaces
    assert values(scan, "CN_RESIDENT_ID") == [RESIDENT_ID]
    assert values(scan, "PHONE_NUMBER") == [CN_MOBILE]
    [resident] = of_type(scan, "CN_RESIDENT_ID")
    assert resident.finding.sensitive
    assert_boxes_on(resident, picture.drawn[f"身份证号：{RESIDENT_ID}"])
    assert_boxes_on(of_type(scan, "PHONE_NUMBER")[0], picture.drawn[f"手机：{CN_MOBILE}"])


@pytest.mark.timeout(180)
async def test_when_an_id_card_picture_is_scanned_then_the_number_box_covers_the_number(
    pool: DetectorPool,
) -> None:
    fields = [("姓名", "王芳", 60), ("性别", "女", 120), ("出生", "1990年3月7日", 180)]
    texts = [Placed(label, 40, top, cjk=True, size=24) for label, _value, top in fields]
    texts += [Placed(value, 140, top, cjk=True, size=30) for _label, value, top in fields]
    texts += [
        Placed("住址", 40, 240, cjk=True, size=24),
        Placed("上海市浦东新区张江路88号", 140, 240, cjk=True, size=30),
        Placed("公民身份号码", 40, 420, cjk=True, size=24),
        Placed(RESIDENT_ID, 240, 416, size=34),
    ]
    picture = draw_texts(texts, size=(856, 540), background=(226, 236, 244))
    scan = await pool.scan_document("image", picture.data)
    assert values(scan, "CN_RESIDENT_ID") == [RESIDENT_ID]
    [resident] = of_type(scan, "CN_RESIDENT_ID")
    assert_boxes_on(resident, picture.drawn[RESIDENT_ID])
    drawn = picture.drawn[RESIDENT_ID]
    [box] = resident.boxes
    assert overlap(as_rect(box), drawn) >= 0.9 * (drawn[2] - drawn[0]) * (drawn[3] - drawn[1])


@pytest.mark.timeout(180)
async def test_when_a_picture_has_no_personal_information_then_there_are_no_findings(
    pool: DetectorPool,
) -> None:
    picture = draw_lines(
        [Line("Thank you for your order!"), Line("您的包裹已发货，请耐心等待。", cjk=True)]
    )
    scan = await pool.scan_document("image", picture.data)
    assert "Thank you" in scan.text
    assert scan.findings == ()


@pytest.mark.timeout(120)
async def test_when_a_pdf_has_a_card_and_an_iban_on_page_two_then_findings_say_page_two(
    pool: DetectorPool,
) -> None:
    pdf = pdf_document(
        [
            ["Invoice INV-20261126", "Thank you for shopping with us."],
            [f"Refund to card {CARD}", f"or to account IBAN {IBAN}"],
        ]
    )
    scan = await pool.scan_document("pdf", pdf)
    assert scan.pages == 2
    assert values(scan, "CREDIT_CARD") == [CARD]
    assert values(scan, "IBAN_CODE") == [IBAN]
    assert {(f.page, f.boxes) for f in scan.findings} == {(2, ())}
    assert all(f.finding.sensitive for f in scan.findings)


@pytest.mark.timeout(120)
async def test_when_a_text_file_is_scanned_then_its_findings_are_on_page_one(
    pool: DetectorPool,
) -> None:
    text = f"收件人张伟\n手机 {CN_MOBILE}\n"
    scan = await pool.scan_document("text", ("\ufeff" + text).encode("utf-8"))
    assert scan.text == text
    assert scan.pages == 1
    assert values(scan, "PHONE_NUMBER") == [CN_MOBILE]
    assert [(f.page, f.boxes) for f in of_type(scan, "PHONE_NUMBER")] == [(1, ())]


def corrupt_png() -> bytes:
    whole = draw_lines([Line(f"Phone {CN_MOBILE}")]).data
    return whole[:200] + b"\x00" * 64 + whole[264:]


UNREADABLE = [
    pytest.param(
        "pdf", encrypted(pdf_document([[f"card {CARD}"]]), "pw"), "encrypted", id="pdf-encrypted"
    ),
    pytest.param("pdf", b"%PDF-1.7\n1 0 obj <<\n" + b"\xff" * 500, "PDF", id="pdf-corrupt"),
    pytest.param("pdf", pdf_document([["a"]] * 51), "more than 50 pages", id="pdf-too-many-pages"),
    pytest.param("image", corrupt_png(), "picture", id="image-corrupt"),
    pytest.param("image", b"GIF89a" + b"\x00" * 100, "picture", id="image-not-allowed-format"),
    pytest.param("image", b"", "picture", id="image-empty"),
    pytest.param("text", CN_MOBILE.encode() + b" \xff\xfe", "text", id="not-utf8"),
    pytest.param("text", b"a" * 500_001, "longer than", id="text-over-max-chars"),
]


@pytest.mark.parametrize(("kind", "data", "reason"), UNREADABLE)
@pytest.mark.timeout(120)
async def test_when_a_document_cannot_be_read_completely_then_it_is_an_error_without_content(
    pool: DetectorPool, kind: str, data: bytes, reason: str
) -> None:
    failures = sum(pool.document_failures.values())
    with pytest.raises(DocumentUnreadableError, match=reason) as raised:
        await pool.scan_document(kind, data)  # type: ignore[arg-type]  # str from the table
    assert not isinstance(raised.value, DocumentTimeoutError)
    assert CN_MOBILE not in str(raised.value) and "4111" not in str(raised.value)
    assert sum(pool.document_failures.values()) == failures + 1
    assert await pool.detect(f"call {CN_MOBILE}") != []  # the pool still serves text


async def test_when_arguments_are_wrong_then_they_are_refused_before_any_work(
    pool: DetectorPool,
) -> None:
    with pytest.raises(ValueError, match="kind"):
        await pool.scan_document("docx", b"x")  # type: ignore[arg-type]  # on purpose
    with pytest.raises(ValueError, match="language"):
        await pool.scan_document("text", b"x", language="fr")
    with pytest.raises(ValueError, match="format"):
        await pool.redact_image(b"x", [], image_format="GIF")  # type: ignore[arg-type]  # on purpose


@pytest.mark.timeout(180)
async def test_when_reading_takes_longer_than_its_limit_then_timeout_and_text_is_still_served(
    tight_pool: DetectorPool,
) -> None:
    lines = [
        Line(f"Line {i}: customer service order details 客服订单详情", cjk=True) for i in range(60)
    ]
    big = draw_lines(lines, size=(2400, 3400), margin=30, spacing=10)
    with pytest.raises(DocumentTimeoutError):
        await tight_pool.scan_document("image", big.data)
    assert tight_pool.document_failures["timeout"] == 1
    assert tight_pool.restarts == 0
    findings = await tight_pool.detect(f"手机{CN_MOBILE}")
    assert [f.entity_type for f in findings] == ["PHONE_NUMBER"]


@pytest.mark.timeout(180)
async def test_when_a_document_job_hangs_then_timeout_worker_replaced_and_queued_text_scanned(
    tight_pool: DetectorPool,
) -> None:
    [stuck_pid] = await tight_pool.worker_pids()
    restarts = tight_pool.restarts
    [old_scratch] = [pathlib.Path(w.scratch) for w in tight_pool._workers]
    assert old_scratch.is_dir()
    await waits.idle(tight_pool)
    hung = asyncio.ensure_future(tight_pool._run_document("hang", jobs.hang, 3600.0))
    await waits.job_started(tight_pool)  # the text below queues behind the stuck job
    waiting_text = asyncio.ensure_future(tight_pool.detect(f"手机{CN_MOBILE}"))
    with pytest.raises(DocumentTimeoutError, match="worker replaced"):
        await hung
    findings = await asyncio.wait_for(waiting_text, timeout=120)
    assert [f.entity_type for f in findings] == ["PHONE_NUMBER"]
    assert tight_pool.document_failures["stuck"] == 1
    assert tight_pool.restarts == restarts + 1
    assert stuck_pid not in await tight_pool.worker_pids()
    assert not old_scratch.exists()  # Tesseract's files of the killed workers are gone
    scan = await tight_pool.scan_document("text", f"电话 {CN_MOBILE}".encode())
    assert values(scan, "PHONE_NUMBER") == [CN_MOBILE]


def picture_with_metadata(image_format: str) -> bytes:
    image = Image.new("RGB", (400, 200), (250, 240, 200))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x8825] = {2: (31.0, 14.0, 0.0)}  # GPS latitude
    icc = b"\x00" * 128  # an ICC profile blob (content irrelevant: it must not survive)
    buffer = io.BytesIO()
    if image_format == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", "customer's phone 13812345678")
        info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>secret</x:xmpmeta>")
        image.save(buffer, format="PNG", exif=exif, icc_profile=icc, pnginfo=info)
    else:
        image.save(buffer, format=image_format, exif=exif, icc_profile=icc, quality=95)
    return buffer.getvalue()


REDACT_BOXES = [Box(1, 50, 40, 100, 30), Box(1, 300, 150, 200, 100)]  # second one off the edge


@pytest.mark.parametrize("image_format", ["PNG", "JPEG", "WEBP"])
@pytest.mark.timeout(120)
async def test_when_a_picture_is_redacted_then_boxes_are_black_and_no_metadata_is_left(
    pool: DetectorPool, image_format: str
) -> None:
    data = picture_with_metadata(image_format)
    with Image.open(io.BytesIO(data)) as source:
        assert source.getexif()  # the input did carry metadata
    redacted = await pool.redact_image(
        data,
        REDACT_BOXES,
        image_format=image_format,  # type: ignore[arg-type]  # str from the table
    )
    with Image.open(io.BytesIO(redacted)) as image:
        assert image.format == image_format
        assert not image.getexif()
        assert not {"exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "Comment"} & set(image.info)
        rgb = image.convert("RGB")
    tolerance = 0 if image_format == "PNG" else 24
    margin = 4  # redaction_margin_px
    for x, y in [(50, 40), (149, 69), (46, 36), (153, 73), (100, 55), (399, 199), (300, 150)]:
        assert max(rgb.getpixel((x, y))) <= tolerance, (x, y)  # type: ignore[arg-type]  # RGB
    for x, y in [(10, 10), (50 - margin - 3, 55), (200, 100), (100, 150), (290, 190)]:
        pixel = rgb.getpixel((x, y))
        assert isinstance(pixel, tuple)
        assert all(abs(a - b) <= tolerance for a, b in zip(pixel, (250, 240, 200), strict=True))


async def test_when_a_picture_to_redact_is_corrupt_then_it_is_an_error(pool: DetectorPool) -> None:
    with pytest.raises(DocumentUnreadableError, match="picture"):
        await pool.redact_image(corrupt_png(), REDACT_BOXES, image_format="PNG")


async def acquired(slots: _Slots[int], document: bool) -> asyncio.Future[int]:
    waiter = asyncio.ensure_future(slots.acquire(document))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    return waiter


@pytest.mark.parametrize(("workers", "document_limit"), [(1, 1), (2, 1), (3, 2)])
async def test_when_documents_and_text_wait_then_text_goes_first_and_documents_leave_a_worker(
    workers: int, document_limit: int
) -> None:
    slots = _Slots(range(workers), document_limit)
    documents = [await acquired(slots, document=True) for _ in range(3)]
    granted: Sequence[asyncio.Future[int]] = [d for d in documents if d.done()]
    assert len(granted) == document_limit  # with >= 2 workers one is left for text
    assert len({g.result() for g in granted}) == document_limit  # each a different worker
    text = await acquired(slots, document=False)
    assert text.done() == (workers > document_limit)
    if not text.done():  # one worker: the text waits behind exactly one document job
        slots.release(granted[0].result(), document=True)
        await asyncio.sleep(0)
        assert text.done()
        assert sum(d.done() for d in documents) == document_limit  # the text went first
    waiting = [d for d in documents if not d.done()]
    slots.close()
    outcomes = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(o, DetectionUnavailableError) for o in outcomes), outcomes
    with pytest.raises(DetectionUnavailableError, match="closed"):
        await slots.acquire(document=False)


@pytest.mark.timeout(180)
async def test_when_a_caller_gives_up_on_a_picture_then_its_worker_slot_comes_back(
    pool: DetectorPool,
) -> None:
    await waits.idle(pool)
    reading = asyncio.ensure_future(pool.scan_document("image", draw_lines(ORDER_LINES).data))
    await waits.job_started(pool)  # the picture is being read: the caller gives up now
    assert not reading.done()
    reading.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reading
    scan = await asyncio.wait_for(pool.scan_document("text", f"手机 {CN_MOBILE}".encode()), 120)
    assert values(scan, "PHONE_NUMBER") == [CN_MOBILE]
    assert pool._slots.documents_busy == 0
