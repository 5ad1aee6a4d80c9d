"""Pictures and files in messages: the same consent path as typed values.

Uploaded, then sent with `message.send`; a sensitive original is shown to agents redacted
(pictures) or withheld (files) until the customer consents, and destroyed on refusal or
withdrawal. Real server, real store, real Tesseract through the detection pool.
"""

from __future__ import annotations

import io

from PIL import Image
from pytest_aiohttp import AiohttpClient

from chat_service.settings import Settings
from tests.attachments.test_attachments import with_limits
from tests.conftest import AppFactory
from tests.detectors.render import Placed, draw_texts
from tests.detectors.render import resident_id as resident_id_with_check
from tests.helpers.attachments import (
    CARD_FILE,
    black_at,
    download,
    leftovers,
    picture,
    send_attachment,
    text_picture,
    uploaded,
)
from tests.helpers.consent import (
    CARD,
    answer,
    assigned_chat,
    audit_entries,
    raw_db,
    raw_message,
    services_of,
)
from tests.helpers.ws import Client, connect


async def test_when_a_card_picture_is_sent_then_agents_see_it_redacted_until_consent(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    body = await uploaded(
        client, text_picture(f"Card {CARD}"), "card.png", "image/png", chat.conversation_id
    )
    cards = [f for f in body["findings"] if f["entity_type"] == "CREDIT_CARD"]
    assert cards, (body["status"], body["findings"])
    box = cards[0]["boxes"][0]

    client_id = await send_attachment(chat.customer, body["id"], "image")
    ack = await chat.customer.expect("message.ack", client_id=client_id)
    request = await chat.customer.expect("consent.request", message_id=ack["message_id"])
    assert request["categories"] == ["financial"]
    own = await chat.customer.expect_message(id=ack["message_id"])
    seen = await chat.agent.expect_message(id=ack["message_id"])

    assert own["attachment"]["status"] == "available"
    assert seen["attachment"]["status"] == "redacted"
    assert seen["attachment_id"] == body["id"] and seen["masked"] is True
    redacted = await download(client, body["id"], "agent", "agent-1")
    assert redacted.status == 200 and black_at(await redacted.read(), box)
    original = await (await download(client, body["id"])).read()
    assert not black_at(original, box)

    await answer(chat.customer, request["request_id"], granted=True)
    updated = await chat.agent.expect_message("message.updated", id=ack["message_id"])

    assert updated["attachment"]["status"] == "available"
    after = await download(client, body["id"], "agent", "agent-1")
    assert await after.read() == original
    reads = await audit_entries(client, action="sensitive_read", message_id=ack["message_id"])
    assert reads and reads[-1]["actor"] == {"role": "agent", "id": "agent-1"}


async def test_when_consent_to_a_file_is_refused_then_the_original_is_destroyed(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    body = await uploaded(client, CARD_FILE, "refund.txt", "text/plain", chat.conversation_id)
    files_before = (await leftovers(client))["files"]

    client_id = await send_attachment(chat.customer, body["id"], "file")
    ack = await chat.customer.expect("message.ack", client_id=client_id)
    request = await chat.customer.expect("consent.request", message_id=ack["message_id"])
    seen = await chat.agent.expect_message(id=ack["message_id"])
    assert seen["attachment"]["status"] == "withheld"
    withheld = await download(client, body["id"], "agent", "agent-1")
    assert withheld.status == 403
    assert (await withheld.json())["error"]["code"] == "withheld_pending_consent"

    await answer(chat.customer, request["request_id"], granted=False)
    updated = await chat.agent.expect_message("message.updated", id=ack["message_id"])

    assert updated["attachment"]["status"] == "destroyed"
    assert (await download(client, body["id"])).status == 410
    assert (await download(client, body["id"], "agent", "agent-1")).status == 410
    secret = (await raw_message(client, ack["message_id"]))["secrets"][0]
    assert (secret["field"], secret["state"], secret["value"]) == ("attachment", "destroyed", None)
    assert (await leftovers(client))["files"] == files_before - 1
    destroyed = await audit_entries(
        client, action="sensitive_destroyed", message_id=ack["message_id"]
    )
    assert destroyed and destroyed[0]["categories"] == ["financial"]


async def test_when_consent_is_withdrawn_then_a_kept_picture_goes_back_to_redacted(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    body = await uploaded(
        client, text_picture(f"Card {CARD}"), "card.png", "image/png", chat.conversation_id
    )
    client_id = await send_attachment(chat.customer, body["id"], "image")
    ack = await chat.customer.expect("message.ack", client_id=client_id)
    request = await chat.customer.expect("consent.request", message_id=ack["message_id"])
    await answer(chat.customer, request["request_id"], granted=True)
    await chat.agent.expect_message("message.updated", id=ack["message_id"])
    await chat.customer.expect_message("message.updated", id=ack["message_id"])

    await chat.customer.send({"type": "consent.withdraw", "categories": ["financial"]})
    updated = await chat.agent.expect_message("message.updated", id=ack["message_id"])

    assert updated["attachment"]["status"] == "redacted"
    own = await chat.customer.expect_message("message.updated", id=ack["message_id"])
    assert own["attachment"]["status"] == "redacted"  # the original is gone for everyone
    doc = await services_of(client).store.attachments.get(body["id"])
    assert doc is not None and doc["original"] is None and doc["redacted"] is not None


async def test_when_a_picture_has_nothing_sensitive_then_the_agent_gets_the_original(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    body = await uploaded(
        client, picture("PNG", (120, 80)), "parcel.png", "image/png", chat.conversation_id
    )

    client_id = await send_attachment(chat.customer, body["id"], "image", text="it came broken")
    ack = await chat.customer.expect("message.ack", client_id=client_id)
    seen = await chat.agent.expect_message(id=ack["message_id"])

    assert seen["attachment"]["status"] == "available" and seen["text"] == "it came broken"
    assert seen["consent"] is None
    theirs = await download(client, body["id"], "agent", "agent-1")
    assert await theirs.read() == await (await download(client, body["id"])).read()


async def test_when_a_message_is_resent_then_one_message_and_the_same_ack(client: Client) -> None:
    chat = await assigned_chat(client)
    body = await uploaded(
        client, picture("PNG", (60, 40)), "a.png", "image/png", chat.conversation_id
    )
    first = await send_attachment(chat.customer, body["id"], "image", client_id="pic-1")
    ack = await chat.customer.expect("message.ack", client_id=first)

    await send_attachment(chat.customer, body["id"], "image", client_id="pic-1")
    again = await chat.customer.expect("message.ack", client_id="pic-1")

    assert (again["message_id"], again["seq"], again["duplicate"]) == (
        ack["message_id"],
        ack["seq"],
        True,
    )
    count = await raw_db(client)["messages"].count_documents({"attachment_id": body["id"]})
    assert count == 1


async def test_when_an_attachment_is_not_the_senders_own_then_it_cannot_be_sent(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    body = await uploaded(
        client, picture("PNG", (60, 40)), "a.png", "image/png", chat.conversation_id
    )
    stranger = await connect(client, "customer", "cust-2")

    await send_attachment(stranger, body["id"], "image", client_id="steal")
    error = await stranger.expect("error", ref="steal")
    assert error["code"] == "attachment_not_found"

    await send_attachment(chat.customer, body["id"], "file", client_id="wrong-kind")
    assert (await chat.customer.expect("error", ref="wrong-kind"))["code"] == "invalid_field"

    await send_attachment(chat.customer, body["id"], "image", client_id="first")
    await chat.customer.expect("message.ack", client_id="first")
    await send_attachment(chat.customer, body["id"], "image", client_id="second")
    assert (await chat.customer.expect("error", ref="second"))["code"] == "attachment_in_use"
    assert (await download(client, body["id"], "customer", "cust-2")).status == 404


async def test_when_an_agent_sends_a_picture_of_a_card_then_its_original_is_not_kept(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    body = await uploaded(
        client,
        text_picture(f"Card {CARD}"),
        "card.png",
        "image/png",
        chat.conversation_id,
        role="agent",
        sub="agent-1",
    )

    client_id = await send_attachment(
        chat.agent, body["id"], "image", conversation_id=chat.conversation_id
    )
    ack = await chat.agent.expect("message.ack", client_id=client_id)
    warning = await chat.agent.expect("warning", ref=client_id)
    seen = await chat.customer.expect_message(id=ack["message_id"])

    assert warning["code"] == "sensitive_data_masked"
    assert seen["attachment"]["status"] == "redacted"
    doc = await services_of(client).store.attachments.get(body["id"])
    assert doc is not None and doc["original"] is None
    assert (await download(client, body["id"], "agent", "agent-1")).status == 200  # redacted


async def test_when_a_held_file_is_sent_then_agents_see_held_for_review(
    aiohttp_client: AiohttpClient, settings: Settings, make_app: AppFactory
) -> None:
    # Text over what the engine reads is refused at upload (413); with the text limit raised
    # past it (a configuration the settings loader refuses), the scan fails closed: held.
    client = await aiohttp_client(make_app(with_limits(settings, types={"text/plain": 1 << 20})))
    chat = await assigned_chat(client)
    long_text = ("word " * 110_000).encode()  # over what the engine reads: unreadable
    body = await uploaded(client, long_text, "long.txt", "text/plain", chat.conversation_id)
    assert body["status"] == "held"

    client_id = await send_attachment(chat.customer, body["id"], "file")
    ack = await chat.customer.expect("message.ack", client_id=client_id)
    seen = await chat.agent.expect_message(id=ack["message_id"])

    assert seen["attachment"]["status"] == "held"
    held = await download(client, body["id"], "agent", "agent-1")
    assert held.status == 423
    own = await chat.customer.expect_message(id=ack["message_id"])
    assert own["attachment"]["status"] == "available"


async def test_when_a_photo_of_an_id_card_is_sent_then_the_number_is_hidden_from_the_agent(
    client: Client,
) -> None:
    """A phone photo (JPEG with EXIF GPS) of a Chinese ID card, end to end: OCR in chi_sim,
    an identity-document consent request, the number blacked out for the agent, and no
    EXIF (the photo's own location) in any bytes anyone downloads."""
    resident_id = resident_id_with_check("31011519900307123")
    texts = [
        Placed("姓名", 40, 60, cjk=True, size=24),
        Placed("王芳", 140, 60, cjk=True, size=30),
        Placed("公民身份号码", 40, 420, cjk=True, size=24),
        Placed(resident_id, 240, 416, size=34),
    ]
    card = draw_texts(texts, size=(856, 540), image_format="PNG", background=(226, 236, 244))
    photo = io.BytesIO()
    with Image.open(io.BytesIO(card.data)) as image:
        exif = Image.Exif()
        exif.get_ifd(0x8825)[2] = (31.0, 13.0, 49.4)  # GPSLatitude
        image.save(photo, "JPEG", quality=95, exif=exif.tobytes())
    chat = await assigned_chat(client)
    body = await uploaded(
        client, photo.getvalue(), "身份证.jpg", "image/jpeg", chat.conversation_id
    )
    assert [f["entity_type"] for f in body["findings"] if f["sensitive"]] == ["CN_RESIDENT_ID"]

    client_id = await send_attachment(chat.customer, body["id"], "image")
    ack = await chat.customer.expect("message.ack", client_id=client_id)
    request = await chat.customer.expect("consent.request", message_id=ack["message_id"])
    seen = await chat.agent.expect_message(id=ack["message_id"])

    assert request["categories"] == ["identity_document"]
    assert seen["attachment"]["status"] == "redacted"
    box = next(f for f in body["findings"] if f["sensitive"])["boxes"][0]
    for role, sub in (("agent", "agent-1"), ("customer", "cust-1")):
        data = await (await download(client, body["id"], role, sub)).read()
        with Image.open(io.BytesIO(data)) as image:
            assert not image.getexif() and "exif" not in image.info, role
        assert black_at(data, box) is (role == "agent")
