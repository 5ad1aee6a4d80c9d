"""Rate limits shared by key (issue 16 item 7), over the real server: one bucket for all of a
customer's sockets, a customer's HTTP writes, and requests without a valid token counted
per client address (forwarded addresses believed only from trusted proxies). The buckets
refill so slowly here that nothing depends on timing."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
from pytest_aiohttp import AiohttpClient

from chat_service import keys
from chat_service.app import create_app
from chat_service.auth import Identity, Role
from chat_service.net.rates import identity_key
from chat_service.settings import Settings
from tests.conftest import AppFactory
from tests.helpers.attachments import TEXT_BODY, upload
from tests.helpers.settings import settings_with
from tests.helpers.ws import Client, Peer, connect, token_for

NEVER_REFILLS = 0.001  # tokens a second: none come back during a test


async def answers(peer: Peer, pings: int) -> list[str]:
    """Send pings one at a time; what each got back: "pong" or an error code."""
    got: list[str] = []
    for _ in range(pings):
        await peer.send({"type": "ping"})
        msg = await peer.ws.receive(timeout=10)
        assert msg.type is aiohttp.WSMsgType.TEXT, msg
        frame: dict[str, Any] = json.loads(msg.data)
        got.append(frame["type"] if frame["type"] == "pong" else frame["code"])
    return got


@pytest.fixture
async def tight(aiohttp_client: AiohttpClient, settings: Settings, make_app: AppFactory) -> Client:
    custom = settings_with(
        settings,
        limits={
            "frames_per_sec": NEVER_REFILLS,
            "frame_burst": 6,
            "rate_violations_before_close": 100,
            "rate_limited_pause_secs": 0.0,
        },
    )
    return await aiohttp_client(make_app(custom))


@pytest.fixture
async def tight_http(
    aiohttp_client: AiohttpClient, settings: Settings, make_app: AppFactory
) -> Client:
    custom = settings_with(
        settings,
        rates={
            "customer_writes_per_sec": NEVER_REFILLS,
            "customer_write_burst": 2,
            "failed_auth_per_sec": NEVER_REFILLS,
            "failed_auth_burst": 3,
        },
    )
    return await aiohttp_client(make_app(custom))


async def test_when_a_customer_sends_from_three_sockets_then_they_share_one_bucket(
    tight: Client,
) -> None:
    sockets = [await connect(tight, "customer", "cust-many") for _ in range(3)]
    got = [answer for peer in sockets for answer in await answers(peer, 4)]
    assert got.count("pong") == 6  # one burst for the customer, not one per socket
    assert got.count("rate_limited") == 6
    assert await answers(sockets[0], 1) == ["rate_limited"]
    # Another customer has a bucket of its own; an agent's socket keeps one of its own.
    assert await answers(await connect(tight, "customer", "cust-other"), 6) == ["pong"] * 6
    agents = [await connect(tight, "agent", "agent-1") for _ in range(2)]
    assert [await answers(peer, 6) for peer in agents] == [["pong"] * 6] * 2


async def test_when_a_customer_sends_past_its_message_burst_then_rate_limited_with_its_ref(
    aiohttp_client: AiohttpClient, settings: Settings, make_app: AppFactory
) -> None:
    few = settings_with(
        settings,
        limits={
            "messages_per_sec": NEVER_REFILLS,
            "message_burst": 2,
            "rate_limited_pause_secs": 0.0,
        },
    )
    client = await aiohttp_client(make_app(few))
    tabs = [await connect(client, "customer", "cust-talkative") for _ in range(2)]
    for tab in tabs:
        sent = await tab.send_text("where is my parcel")
        await tab.expect("message.ack", client_id=sent)
    refused = await tabs[1].send_text("and now?")
    error = await tabs[1].expect("error", ref=refused)
    assert error["code"] == "rate_limited"
    await tabs[0].send({"type": "ping"})
    await tabs[0].expect("pong")  # other frames still pass
    other = await connect(client, "customer", "cust-quiet")
    sent = await other.send_text("hello")
    await other.expect("message.ack", client_id=sent)


async def test_when_a_customer_writes_too_often_then_429_rate_limited_and_others_unaffected(
    tight_http: Client,
) -> None:
    tight = tight_http
    for name in ("a.txt", "b.txt"):
        status, body = await upload(tight, TEXT_BODY.encode(), name, "text/plain", sub="cust-w")
        assert status == 201, body
    response = await tight.post(
        "/api/attachments",
        data=b"never read",
        headers={"Authorization": "Bearer " + token_for(tight, "customer", "cust-w")},
    )
    assert response.status == 429
    assert response.headers["Retry-After"] == "1"
    assert (await response.json())["error"]["code"] == "rate_limited"
    status, body = await upload(tight, TEXT_BODY.encode(), "c.txt", "text/plain", sub="cust-x")
    assert status == 201, body
    reads = await tight.get(
        "/api/conversations/none/messages",
        headers={"Authorization": "Bearer " + token_for(tight, "customer", "cust-w")},
    )
    assert reads.status != 429  # reads are not writes


async def test_when_an_address_keeps_failing_auth_then_429_for_it_and_valid_tokens_still_work(
    tight_http: Client,
) -> None:
    tight = tight_http
    bad = {"Authorization": "Bearer not-a-token"}
    statuses = [(await tight.get("/api/conversations", headers=bad)).status for _ in range(3)]
    assert statuses == [401, 401, 401]
    refused = await tight.get("/api/conversations", headers=bad)
    assert refused.status == 429
    assert (await refused.json())["error"]["code"] == "rate_limited"
    with pytest.raises(aiohttp.WSServerHandshakeError) as upgrade:
        await tight.ws_connect("/ws?token=forged")
    assert upgrade.value.status == 429
    agent = {"Authorization": "Bearer " + token_for(tight, "agent", "agent-1")}
    assert (await tight.get("/api/conversations", headers=agent)).status == 200
    await connect(tight, "customer", "cust-valid")  # a valid token still upgrades


async def test_when_failures_come_through_a_trusted_proxy_then_counted_per_forwarded_address(
    aiohttp_client: AiohttpClient, settings: Settings, make_app: AppFactory
) -> None:
    custom = settings_with(
        settings,
        server={"trusted_proxies": ["127.0.0.0/8"]},
        rates={"failed_auth_per_sec": NEVER_REFILLS, "failed_auth_burst": 2},
    )
    client = await aiohttp_client(make_app(custom))

    async def status(forwarded_for: str) -> int:
        headers = {"X-Forwarded-For": forwarded_for}
        return (await client.get("/api/conversations", headers=headers)).status

    assert [await status("198.51.100.7") for _ in range(3)] == [401, 401, 429]
    assert await status("198.51.100.8") == 401  # another client behind the same proxy
    assert await status("198.51.100.7, 127.0.0.5") == 429  # a trusted hop is skipped


class GatedScanner:
    """Finds nothing once the gate opens; records which texts started scanning."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self._changed = asyncio.Event()

    async def scan(self, text: str, language: str | None, owner: str = "") -> list[dict[str, Any]]:
        self.started.append(text)
        self._changed.set()
        await self.gate.wait()
        return []

    def flooding(self) -> list[str]:
        return [t for t in self.started if t.startswith("flood")]

    async def until_started(self, text: str) -> None:
        while not any(t.startswith(text) for t in self.started):
            self._changed.clear()
            await self._changed.wait()


async def test_when_a_customer_sends_from_many_sockets_then_its_frames_take_turns(
    aiohttp_client: AiohttpClient, settings: Settings, store_uri: str | None
) -> None:
    scanner = GatedScanner()
    one_at_a_time = settings_with(settings, limits={"frames_in_flight_per_customer": 1})
    client = await aiohttp_client(create_app(one_at_a_time, store_uri=store_uri, scanner=scanner))
    sockets = [await connect(client, "customer", "cust-flood") for _ in range(3)]
    innocent = await connect(client, "customer", "cust-innocent")
    opened = await sockets[0].send_text("opening")
    conversation_id = (await sockets[0].expect("message.ack", client_id=opened))["conversation_id"]
    scanner.gate.clear()  # scans now wait until the test opens the gate
    sent = [
        await peer.send_text(f"flood {n}", conversation_id=conversation_id)
        for n, peer in enumerate(sockets)
    ]
    await scanner.until_started("flood")
    waiting = await innocent.send_text("innocent")
    await scanner.until_started("innocent")  # another customer is not held up
    assert len(scanner.flooding()) == 1  # the others wait their turn, unread
    scanner.gate.set()
    for peer, client_id in zip(sockets, sent, strict=True):
        await peer.expect("message.ack", client_id=client_id)
    await innocent.expect("message.ack", client_id=waiting)
    assert sorted(scanner.started[1:]) == ["flood 0", "flood 1", "flood 2", "innocent"]


async def test_when_a_customer_opens_a_socket_while_its_turns_are_taken_then_hello_waits_in_line(
    aiohttp_client: AiohttpClient, settings: Settings, make_app: AppFactory
) -> None:
    """`hello` reads the store (the customer's conversations, open consent requests): a
    customer opening many sockets at once reads them a turn at a time, like its frames."""
    client = await aiohttp_client(make_app(settings))
    rates = client.app[keys.RATES]
    flooder = Identity(Role.CUSTOMER, "cust-opener")
    held = [
        rates.turn(flooder) for _ in range(settings.config.limits.frames_in_flight_per_customer)
    ]
    for turn in held:
        await turn.__aenter__()
    token = token_for(client, "customer", "cust-opener")
    opening = asyncio.ensure_future(client.ws_connect(f"/ws?token={token}"))
    key = identity_key(flooder)
    async with asyncio.timeout(30):  # a guard only: on time it is at once
        while not rates.customer_turns.waiting(key):  # noqa: ASYNC110  # no event for this
            await asyncio.sleep(0.01)
    other = await connect(client, "customer", "cust-bystander")  # its own turns
    await other.send({"type": "ping"})
    await other.expect("pong")
    for turn in held:
        await turn.__aexit__(None, None, None)
    peer = Peer(await opening, "customer", "cust-opener")
    assert (await peer.expect("hello"))["sub"] == "cust-opener"
    assert rates.customer_turns.waiting(key) == 0


async def test_when_a_customer_writes_then_its_token_is_verified_once(
    tight_http: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = tight_http.app[keys.TOKENS]
    verified: list[Identity] = []
    real_verify = tokens.verify

    def counting_verify(token: str) -> Identity:
        identity = real_verify(token)  # the real check, counted
        verified.append(identity)
        return identity

    token = token_for(tight_http, "customer", "cust-once")
    monkeypatch.setattr(tokens, "verify", counting_verify)
    response = await tight_http.post(
        "/api/privacy/customers/cust-once/consents/withdrawal",
        json={"categories": ["financial"]},
        headers={"Authorization": "Bearer " + token},
    )
    assert response.status == 200, await response.text()
    # Counted by the write middleware, then the handler's `authenticate`: one signature check.
    assert verified == [Identity(Role.CUSTOMER, "cust-once")]
