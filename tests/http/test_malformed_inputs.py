"""Malformed client input over the real server (issue 16, item 4): every JSON body, path id
and frame the server cannot read gets a 4xx answer (or an `error` frame) with a clear code,
nothing is logged as an internal error, and the same server and socket go on serving with
everything accepted before still there."""

from __future__ import annotations

import logging
import random
import re

import pytest
from pytest_aiohttp import AiohttpClient

from chat_service.settings import Settings
from tests.conftest import AppFactory
from tests.helpers.consent import headers, services_of
from tests.helpers.rights import set_hold
from tests.helpers.settings import UNLIMITED_RATES, settings_with
from tests.helpers.ws import Client, connect

CUSTOMER = "cust-m"
BIG_INT = b"9" * 5000  # past Python's 4,300-digit conversion limit
HOLD = b'{"hold": true, "reason": "dispute"}'
WITHDRAWAL = b'{"categories": ["financial"]}'
ENDPOINTS = {  # path -> who calls it
    "/api/conversations/c_missing/legal-hold": "privacy_officer",
    f"/api/privacy/customers/{CUSTOMER}/legal-hold": "privacy_officer",
    f"/api/privacy/customers/{CUSTOMER}/consents/withdrawal": "customer",
}

# Bodies no endpoint can read, whatever shape it expects: (body, content type, status, code).
UNREADABLE: dict[str, tuple[bytes, str, int, str]] = {
    "invalid UTF-8": (b'{"reason": "\xff\xfe"}', "application/json", 400, "invalid_json"),
    "a UTF-8 BOM": (b"\xef\xbb\xbf" + HOLD, "application/json", 400, "invalid_json"),
    "not JSON": (b"{hold: true}", "application/json", 400, "invalid_json"),
    "empty": (b"", "application/json", 400, "invalid_json"),
    "50,000 nested [": (b"[" * 50_000, "application/json", 400, "invalid_json"),
    "100,000 nested [": (b"[" * 100_000, "application/json", 413, "body_too_large"),
    "an integer of 5,000 digits": (BIG_INT, "application/json", 400, "bad_request"),
    "an array": (b"[1, 2]", "application/json", 400, "bad_request"),
    "charset latin-1": (HOLD, "application/json; charset=latin-1", 415, "unsupported_media_type"),
    "an unknown charset": (HOLD, "application/json; charset=x-nope", 415, "unsupported_media_type"),
}

# Readable JSON with a field no model accepts: (endpoint index, body, the field named).
BAD_FIELDS: dict[str, tuple[int, bytes, str]] = {
    "hold reason of 5,000 digits": (0, b'{"hold": true, "reason": ' + BIG_INT + b"}", "reason"),
    "hold of 5,000 digits": (1, b'{"hold": ' + BIG_INT + b', "reason": "r"}', "hold"),
    "hold overflowing to infinity": (1, b'{"hold": 1e999, "reason": "r"}', "hold"),
    "hold NaN": (0, b'{"hold": NaN, "reason": "r"}', "hold"),
    "reason with a lone surrogate": (1, b'{"hold": true, "reason": "\\ud800"}', "reason"),
    "category of 5,000 digits": (2, b'{"categories": [' + BIG_INT + b"]}", "categories.0"),
    "purpose of 5,000 digits": (
        2,
        b'{"categories": ["x"], "purpose": ' + BIG_INT + b"}",
        "purpose",
    ),
    "categories as an object": (2, b'{"categories": {"a": 1}}', "categories"),
}


def _no_internal_errors(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]
    counter = services_of(client).metrics.errors
    assert counter.labels("http")._value.get() == 0
    assert counter.labels("ws")._value.get() == 0


async def _still_serving(client: Client, accepted_hold_id: str) -> None:
    """A valid body on the same server is served and the hold accepted before is kept."""
    status, _ = await set_hold(
        client, f"/api/privacy/customers/{CUSTOMER}-2", hold=True, reason="after"
    )
    assert status == 201
    response = await client.post(
        f"/api/privacy/customers/{CUSTOMER}/consents/withdrawal",
        data=WITHDRAWAL,
        headers={**headers(client, "customer", CUSTOMER), "Content-Type": "application/json"},
    )
    assert response.status == 200, await response.text()
    listed = await client.get(
        "/api/privacy/legal-holds", headers=headers(client, "privacy_officer", "po-1")
    )
    assert accepted_hold_id in {h["id"] for h in (await listed.json())["legal_holds"]}


async def _accepted_hold(client: Client) -> str:
    status, hold = await set_hold(
        client, f"/api/privacy/customers/{CUSTOMER}", hold=True, reason="before"
    )
    assert status == 201
    return str(hold["id"])


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"), UNREADABLE.values(), ids=UNREADABLE.keys()
)
async def test_when_a_json_body_cannot_be_read_then_4xx_with_its_code_and_the_server_serves_on(
    client: Client,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    content_type: str,
    status: int,
    code: str,
) -> None:
    accepted = await _accepted_hold(client)
    for path, role in ENDPOINTS.items():
        response = await client.post(
            path,
            data=body,
            headers={**headers(client, role, CUSTOMER), "Content-Type": content_type},
        )
        assert response.status == status, (path, await response.text())
        error = (await response.json())["error"]
        assert error["code"] == code, path
        assert error["message"]
    await _still_serving(client, accepted)
    _no_internal_errors(client, caplog)


@pytest.mark.parametrize(("which", "body", "field"), BAD_FIELDS.values(), ids=BAD_FIELDS.keys())
async def test_when_a_json_body_has_a_bad_field_then_400_naming_it_and_the_server_serves_on(
    client: Client, caplog: pytest.LogCaptureFixture, which: int, body: bytes, field: str
) -> None:
    accepted = await _accepted_hold(client)
    path, role = list(ENDPOINTS.items())[which]
    response = await client.post(path, data=body, headers=headers(client, role, CUSTOMER))
    assert response.status == 400, await response.text()
    error = (await response.json())["error"]
    assert error["code"] == "bad_request"
    assert error["message"].startswith("body must be {")
    assert f"({field}: " in error["message"]
    await _still_serving(client, accepted)
    _no_internal_errors(client, caplog)


LONG_ID = "c" * 200
PATHS_WITH_A_CUSTOMER_ID = [
    ("GET", f"/api/privacy/customers/{LONG_ID}/consents"),
    ("POST", f"/api/privacy/customers/{LONG_ID}/consents/withdrawal"),
    ("GET", f"/api/privacy/customers/{LONG_ID}/export"),
    ("POST", f"/api/privacy/customers/{LONG_ID}/deletion-requests"),
    ("GET", f"/api/privacy/customers/{LONG_ID}/deletion-requests"),
    ("POST", f"/api/privacy/customers/{LONG_ID}/legal-hold"),
]
BAD_QUERIES = [
    "/api/conversations/c_x/messages?after_seq=" + "9" * 5000,
    "/api/conversations/c_x/messages?after_seq=%ff",
    "/api/conversations/c_x/messages?after_seq=1e3",
    "/api/conversations/c_x/messages?after_seq=%EF%BC%91",  # a full-width digit one
    "/api/privacy/legal-holds?active=%ff",
]


async def test_when_a_path_or_query_parameter_is_malformed_then_400_and_nothing_is_stored(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    accepted = await _accepted_hold(client)
    officer = headers(client, "privacy_officer", "po-1")
    for method, path in PATHS_WITH_A_CUSTOMER_ID:
        response = await client.request(method, path, headers=officer, data=HOLD)
        assert response.status == 400, (path, await response.text())
        assert (await response.json())["error"]["code"] == "bad_request", path
    for path in BAD_QUERIES:
        response = await client.get(path, headers=officer)
        assert response.status == 400, (path, await response.text())
        assert (await response.json())["error"]["code"] == "bad_request", path
    listed = await client.get("/api/privacy/legal-holds?active=all", headers=officer)
    assert [h["id"] for h in (await listed.json())["legal_holds"]] == [accepted]
    await _still_serving(client, accepted)
    _no_internal_errors(client, caplog)


BIG = BIG_INT.decode()
BAD_FRAMES: dict[str, tuple[str, str, str | None]] = {  # frame, code, ref
    "location of 5,000 digits": (
        '{"type": "message.send", "client_id": "big-1", "kind": "location", '
        '"location": {"lat": ' + BIG + ', "lng": 0}}',
        "invalid_field",
        "big-1",
    ),
    "after_seq of 5,000 digits": (
        '{"type": "history.fetch", "conversation_id": "c_x", "after_seq": ' + BIG + "}",
        "invalid_field",
        None,
    ),
    "a negative integer of 5,000 digits": (
        '{"type": "ping", "n": -' + BIG + "}",
        "invalid_field",
        None,
    ),
    "a frame that is an integer of 5,000 digits": (BIG, "invalid_frame", None),
    "a latitude overflowing to infinity": (
        '{"type": "message.send", "client_id": "big-2", "kind": "location", '
        '"location": {"lat": 1e999, "lng": 0}}',
        "invalid_field",
        "big-2",
    ),
    "50,000 nested [": ("[" * 50_000, "invalid_json", None),
    "50,000 nested { in a field": (
        '{"type": "ping", "x": ' + '{"a": ' * 10_000,
        "invalid_json",
        None,
    ),
}


@pytest.mark.parametrize(("raw", "code", "ref"), BAD_FRAMES.values(), ids=BAD_FRAMES.keys())
async def test_when_a_frame_cannot_be_read_then_an_error_frame_and_the_socket_serves_on(
    client: Client, caplog: pytest.LogCaptureFixture, raw: str, code: str, ref: str | None
) -> None:
    customer = await connect(client, "customer", CUSTOMER)
    before = await customer.send_text("accepted before")
    ack = await customer.expect("message.ack", client_id=before)
    await customer.ws.send_str(raw)
    error = await customer.expect("error")
    assert (error["code"], error["ref"]) == (code, ref)
    assert error["message"]
    after = await customer.send_text("accepted after")
    next_ack = await customer.expect("message.ack", client_id=after)
    assert next_ack["seq"] == ack["seq"] + 1
    await customer.send(
        {"type": "history.fetch", "conversation_id": ack["conversation_id"], "after_seq": 0}
    )
    history = await customer.expect("history")
    assert [m["text"] for m in history["messages"]] == ["accepted before", "accepted after"]
    _no_internal_errors(client, caplog)


def _multipart(conversation_id: bytes, filename: bytes) -> tuple[bytes, str]:
    boundary = "malformed7731"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="conversation_id"\r\n\r\n'.encode()
        + conversation_id
        + f"\r\n--{boundary}\r\n".encode()
        + b'Content-Disposition: form-data; name="file"; filename="'
        + filename
        + b'"\r\nContent-Type: text/plain\r\n\r\nhello\r\n'
        + f"--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


MULTIPART_FIELDS: dict[str, tuple[bytes, bytes, int, str]] = {
    "conversation_id of invalid UTF-8": (b"c_\xff\xfe", b"a.txt", 400, "bad_upload"),
    "conversation_id of 5,000 digits": (BIG_INT, b"a.txt", 400, "bad_upload"),
    "conversation_id with a lone surrogate": (b"c_\xed\xa0\x80", b"a.txt", 400, "bad_upload"),
    "conversation_id unknown": (b"c_missing", b"a.txt", 404, "conversation_not_found"),
}


@pytest.mark.parametrize(
    ("conversation_id", "filename", "status", "code"),
    MULTIPART_FIELDS.values(),
    ids=MULTIPART_FIELDS.keys(),
)
async def test_when_an_upload_field_is_malformed_then_4xx_and_uploads_still_work(
    client: Client,
    caplog: pytest.LogCaptureFixture,
    conversation_id: bytes,
    filename: bytes,
    status: int,
    code: str,
) -> None:
    body, content_type = _multipart(conversation_id, filename)
    customer = {**headers(client, "customer", CUSTOMER), "Content-Type": content_type}
    response = await client.post("/api/attachments", data=body, headers=customer)
    assert response.status == status, await response.text()
    assert (await response.json())["error"]["code"] == code
    good, content_type = _multipart(b"", b"notes.txt")
    response = await client.post(
        "/api/attachments", data=good, headers={**customer, "Content-Type": content_type}
    )
    assert response.status == 201, await response.text()
    _no_internal_errors(client, caplog)


HOSTILE_LITERALS = (
    BIG,
    "-" + BIG,
    "1e999",
    "NaN",
    "-Infinity",
    "null",
    "true",
    '"\\ud800"',
    '"' + "x" * 9000 + '"',
    "[" * 2000 + "]" * 2000,
    '{"a": ' * 500 + "1" + "}" * 500,
    "[]",
    "{}",
    '""',
    "0.0000001",
    str(2**53 + 1),
    "-1",
)
VALID_FRAMES = (
    '{"type": "message.send", "client_id": "f-%d", "kind": "text", "text": "hello"}',
    '{"type": "message.send", "client_id": "f-%d", "kind": "location", '
    '"location": {"lat": 31.2, "lng": 121.4, "accuracy_m": 5}}',
    '{"type": "history.fetch", "conversation_id": "c_x", "after_seq": %d}',
    '{"type": "consent.respond", "request_id": "r-%d", "granted": true, '
    '"guardian": {"name": "Li", "relationship": "mother"}}',
    '{"type": "consent.withdraw", "categories": ["financial"], "purpose": "p%d"}',
    '{"type": "typing", "conversation_id": "c_%d"}',
    '{"type": "conversation.close", "conversation_id": "c_%d"}',
)
GENERATED_FRAMES = 400


def _generated_frames(seed: int, count: int) -> list[str]:
    """Valid frames mutated: a value swapped for a hostile literal, cut short, or spliced."""
    rng = random.Random(seed)
    out: list[str] = []
    for i in range(count):
        frame = rng.choice(VALID_FRAMES) % i
        values = [m.span() for m in re.finditer(r'(?<=: )("[^"]*"|[-\d.]+|true|\{[^}]*\})', frame)]
        match rng.randrange(4):
            case 0 | 1 if values:
                start, end = rng.choice(values)
                frame = frame[:start] + rng.choice(HOSTILE_LITERALS) + frame[end:]
            case 2:
                frame = frame[: rng.randrange(len(frame))]
            case _:
                at = rng.randrange(len(frame))
                frame = frame[:at] + rng.choice(HOSTILE_LITERALS) + frame[at:]
        out.append(frame[:60_000])
    return out


async def test_when_a_live_socket_gets_generated_hostile_frames_then_never_an_internal_error(
    aiohttp_client: AiohttpClient, make_app: AppFactory, settings: Settings
) -> None:
    roomy = settings_with(
        settings,
        limits=UNLIMITED_RATES,  # many generated frames are valid messages
    )
    client = await aiohttp_client(make_app(roomy))
    customer = await connect(client, "customer", CUSTOMER)
    before = await customer.send_text("accepted before")
    first = await customer.expect("message.ack", client_id=before)
    for raw in _generated_frames(16, GENERATED_FRAMES):
        await customer.ws.send_str(raw)
    await customer.send({"type": "ping"})
    await customer.expect("pong", timeout=120)  # frames are handled in order: all answered
    codes = [f.get("code") for f in customer.buffer if f["type"] == "error"]
    assert "internal_error" not in codes
    assert len(codes) >= GENERATED_FRAMES // 2  # most were refused, each with a frame
    after = await customer.send_text("accepted after")
    ack = await customer.expect("message.ack", client_id=after)
    assert ack["conversation_id"] == first["conversation_id"]
    assert services_of(client).metrics.errors.labels("ws")._value.get() == 0
