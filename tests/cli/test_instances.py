"""A deployment of real processes (issue 19, item 4): one `chat-service store`, one Debian
`redis-server`, two `chat-service serve` on the same `--data` and `REDIS_URL`. A customer on
A and an agent on B hold a whole conversation (consent asked and granted on A, seen on B; a
picture uploaded through A, fetched through B); then A is killed with SIGKILL: the customer
reconnects to B and catches up with nothing lost and nothing doubled, and the periodic job A
held is taken over by B within its lease."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest

from chat_service.auth import Role
from tests.cli.test_cli import REPO, _reap
from tests.cli.test_cli_store import served_url, start_store, token
from tests.helpers.attachments import form, picture, send_attachment
from tests.helpers.consent import CARD_TEXT, MASKED_CARD_TEXT, answer
from tests.helpers.redis import RedisServer, running_redis
from tests.helpers.server import START_SECS, start_serve
from tests.helpers.ws import Peer

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("MONGODB_URI")), reason="exercises the embedded store of --data"
)
SWEEP_INTERVAL_SECS = 1.0  # the consent sweeper's turn, and its lease below
SWEEP_LEASE_SECS = 4.0
TAKEOVER_BOUND_SECS = 60.0  # lease + interval is 5 s; the rest is a loaded machine's slack


@pytest.fixture
async def redis() -> AsyncIterator[RedisServer]:
    async for server in running_redis():
        yield server


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """The repository's configuration: one detection worker a serve (half the start), and a
    consent sweeper with a short lease so that a takeover is seen within the test."""
    config = tmp_path / "config"
    config.mkdir()
    for source in (REPO / "config").iterdir():
        if source.is_file():
            (config / source.name).write_bytes(source.read_bytes())
    server = config / "server.toml"
    text = server.read_text(encoding="utf-8").replace("\nworkers = 2\n", "\nworkers = 1\n")
    text = re.sub(
        r"(?m)^consent_sweeper_lease_secs = .*$",
        f"consent_sweeper_lease_secs = {SWEEP_LEASE_SECS}",
        text,
    )
    server.write_text(text, encoding="utf-8")
    consent = config / "consent.toml"
    consent.write_text(
        re.sub(
            r"(?m)^sweep_interval_secs = .*$",
            f"sweep_interval_secs = {SWEEP_INTERVAL_SECS}",
            consent.read_text(encoding="utf-8"),
        ),
        encoding="utf-8",
    )
    return config


class Instance:
    """One `chat-service serve`: its URLs, and its log kept (a full pipe would stall it)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.log = bytearray()
        assert process.stderr is not None
        self._drain = asyncio.create_task(self._collect(process.stderr))
        self.url = self.metrics_url = ""

    async def _collect(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(65536):
            self.log += chunk

    async def started(self) -> Instance:
        self.url = await served_url(self.process)
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout=START_SECS)
        assert line.startswith(b"chat-service metrics on "), line
        self.metrics_url = line.decode().split(" on ", 1)[1].strip()
        return self

    async def gauge(self, session: aiohttp.ClientSession, name: str, labels: str = "") -> float:
        async with session.get(self.metrics_url) as response:
            text = await response.text()
        match = re.search(rf"(?m)^{name}{re.escape(labels)} (\S+)$", text)
        assert match is not None, f"{name}{labels} not in {self.metrics_url}"
        return float(match.group(1))

    async def stop(self) -> None:
        await _reap(self.process)
        self._drain.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._drain


async def until(check: Callable[[], Awaitable[bool]], bound_secs: float) -> None:
    """Poll a predicate on another process's state until it holds (bounded)."""
    async with asyncio.timeout(bound_secs):
        while not await check():  # noqa: ASYNC110  # another process: nothing to wait on
            await asyncio.sleep(0.2)


async def peer(session: aiohttp.ClientSession, url: str, role: Role, sub: str) -> Peer:
    ws = await session.ws_connect(url + f"/ws?token={await token(role, sub)}")
    opened = Peer(ws, role.value, sub)
    await opened.expect("hello")
    return opened


SWEEPER = '{job="consent-sweeper"}'


@pytest.mark.timeout(900)
async def test_when_instance_a_is_killed_mid_conversation_then_b_serves_its_customer_and_jobs(
    tmp_path: Path, config: Path, redis: RedisServer
) -> None:
    store, _uri = await start_store(tmp_path)
    env = {"REDIS_URL": redis.url}
    a: Instance | None = None
    b: Instance | None = None
    try:
        # A starts first and takes the jobs' leases; B starts once A is up.
        a = await Instance(await start_serve(tmp_path, config=config, env=env)).started()
        b = await Instance(await start_serve(tmp_path, config=config, env=env)).started()
        async with aiohttp.ClientSession() as session:
            # Both subscribed before anything is published.
            await until(lambda: _up(session, a), TAKEOVER_BOUND_SECS)
            await until(lambda: _up(session, b), TAKEOVER_BOUND_SECS)
            await until(lambda: _holds(session, a), TAKEOVER_BOUND_SECS)
            assert await b.gauge(session, "chat_job_lease_held", SWEEPER) == 0

            customer = await peer(session, a.url, Role.CUSTOMER, "cust-ab")
            agent = await peer(session, b.url, Role.AGENT, "agent-ab")

            # Opened on A, seen live on B; joined on B, told on A; a reply from B.
            first_id = await customer.send_text("Hello, my kettle arrived broken")
            first = await customer.expect("message.ack", client_id=first_id)
            conversation = first["conversation_id"]
            opened = await agent.expect("conversation.opened")
            assert opened["conversation"]["id"] == conversation
            await agent.send({"type": "conversation.join", "conversation_id": conversation})
            assert (await customer.expect("conversation.assigned"))["agent_id"] == "agent-ab"
            await agent.send_text("Sorry to hear that", conversation_id=conversation)
            await customer.expect_message(text="Sorry to hear that")

            # Consent asked and granted on A: B's agent sees the card masked, then in clear.
            card_id = await customer.send_text(CARD_TEXT, conversation_id=conversation)
            card = await customer.expect("message.ack", client_id=card_id)
            request = await customer.expect("consent.request", message_id=card["message_id"])
            masked = await agent.expect_message(id=card["message_id"])
            assert masked["text"] == MASKED_CARD_TEXT
            await answer(customer, request["request_id"], granted=True)
            await customer.expect("consent.recorded")
            shown = await agent.expect_message("message.updated", id=card["message_id"])
            assert shown["text"] == CARD_TEXT

            # A picture uploaded through A, sent, and fetched by the agent through B.
            customer_auth = {"Authorization": "Bearer " + await token(Role.CUSTOMER, "cust-ab")}
            async with session.post(
                a.url + "/api/attachments",
                data=form(picture(), "kettle.png", "image/png", conversation),
                headers=customer_auth,
            ) as response:
                assert response.status == 201, await response.text()
                attachment = (await response.json())["id"]
            picture_id = await send_attachment(customer, attachment, "image")
            sent = await customer.expect("message.ack", client_id=picture_id)
            seen = await agent.expect_message(id=sent["message_id"])
            assert seen["attachment_id"] == attachment
            agent_auth = {"Authorization": "Bearer " + await token(Role.AGENT, "agent-ab")}
            async with session.get(
                b.url + f"/api/attachments/{attachment}", headers=agent_auth
            ) as response:
                assert response.status == 200
                assert response.content_type.startswith("image/")
                assert await response.read()
            last_seen = sent["seq"]

            # A dies without a goodbye. The agent on B writes while the customer is away.
            a.process.send_signal(signal.SIGKILL)
            await a.process.wait()
            away_id = await agent.send_text("Are you still there?", conversation_id=conversation)
            await agent.expect("message.ack", client_id=away_id)

            # The customer comes back through B: catches up, and a resend stores nothing new.
            back = await peer(session, b.url, Role.CUSTOMER, "cust-ab")
            await back.send(
                {"type": "history.fetch", "conversation_id": conversation, "after_seq": last_seen}
            )
            caught_up = await back.expect("history")
            assert [m["text"] for m in caught_up["messages"]] == ["Are you still there?"]
            await back.send_text(
                "Hello, my kettle arrived broken", conversation_id=conversation, client_id=first_id
            )
            again = await back.expect("message.ack", client_id=first_id)
            assert (again["message_id"], again["seq"]) == (first["message_id"], first["seq"])
            await back.send(
                {"type": "history.fetch", "conversation_id": conversation, "after_seq": 0}
            )
            everything = await back.expect("history")
            seqs = [m["seq"] for m in everything["messages"]]
            assert seqs == list(range(1, len(seqs) + 1))  # no gap, no copy
            assert len(seqs) == 5  # hello, reply, card, picture, the question while away

            # The consent sweeper A held runs on B once A's lease has lapsed.
            await until(lambda: _holds(session, b), TAKEOVER_BOUND_SECS)
            await back.close()
            await agent.close()
    finally:
        for started in (a, b):
            if started is not None:
                await started.stop()
        store.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(30):
                await store.wait()
        except TimeoutError:
            await _reap(store)


async def _up(session: aiohttp.ClientSession, instance: Instance) -> bool:
    return await instance.gauge(session, "chat_redis_up") == 1


async def _holds(session: aiohttp.ClientSession, instance: Instance) -> bool:
    return await instance.gauge(session, "chat_job_lease_held", SWEEPER) == 1
