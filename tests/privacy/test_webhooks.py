"""Privacy notices to other recipients (policy 7.2.2), against the real embedded store and a
real HTTP receiver on 127.0.0.1 that fails on purpose: durable queue, retries with backoff,
signatures, dead letters, redirects, configuration errors. The clock is injected: no test
sleeps for a backoff."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from pymongo import AsyncMongoClient

from chat_service.errors import ConfigError
from chat_service.privacy.webhooks import (
    HEADER_DELIVERY,
    HEADER_EVENT,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    RetryPolicy,
    WebhookConfig,
    WebhookNotifier,
    load_webhook_config,
    sign,
    verify,
)
from chat_service.storage.webhook_deliveries import WebhookDeliveries

REPO = Path(__file__).resolve().parent.parent.parent
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SECRET_ENV = "TEST_WEBHOOK_CRM_SECRET"
RECEIVER_SECRET = "receiver-secret-" + "r" * 32
OTHER_SECRET = "another-secret-" + "o" * 32
ENV = {SECRET_ENV: RECEIVER_SECRET}
DELETED = {"customer_id": "cust-1", "request_id": "del-1", "scope": "all"}
WITHDRAWN = {"customer_id": "cust-1", "purpose": "customer_service", "categories": ["health"]}
RETRY: dict[str, Any] = {
    "max_attempts": 3,
    "initial_backoff_secs": 10.0,
    "backoff_multiplier": 2.0,
    "max_backoff_secs": 60.0,
    "jitter_ratio": 0.2,
    "request_timeout_secs": 0.3,
    "poll_interval_secs": 0.05,
}
LOGGER = "chat_service.privacy.webhooks"


# -- a real receiver ---------------------------------------------------------------------


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An aiohttp server on 127.0.0.1 answering each POST as its script says: a status code,
    "timeout" (answers only after the sender gave up) or "redirect" (302 to /elsewhere)."""

    script: list[str]
    default: str = "200"
    received: list[Received] = field(default_factory=list)
    followed_redirects: int = 0
    release: asyncio.Event = field(default_factory=asyncio.Event)
    accepted: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""

    async def hook(self, request: web.Request) -> web.StreamResponse:
        self.received.append(Received(dict(request.headers), await request.read()))
        action = self.script.pop(0) if self.script else self.default
        if action == "timeout":
            try:
                async with asyncio.timeout(5):
                    await self.release.wait()
            except TimeoutError:
                pass
            return web.Response(status=200)
        if action == "redirect":
            raise web.HTTPFound(location=self.url.replace("/hook", "/elsewhere"))
        if action.startswith("2"):
            self.accepted.set()
        return web.Response(status=int(action))

    async def elsewhere(self, request: web.Request) -> web.StreamResponse:
        self.followed_redirects += 1
        return web.Response(status=200)


ReceiverFactory = Callable[..., Awaitable[Receiver]]


@pytest.fixture
async def receiver_factory() -> AsyncIterator[ReceiverFactory]:
    runners: list[tuple[web.AppRunner, Receiver]] = []

    async def start(*script: str, default: str = "200") -> Receiver:
        receiver = Receiver(list(script), default)
        app = web.Application()
        app.router.add_post("/hook", receiver.hook)
        app.router.add_route("*", "/elsewhere", receiver.elsewhere)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        receiver.url = f"http://127.0.0.1:{port}/hook"
        runners.append((runner, receiver))
        return receiver

    yield start
    for runner, receiver in runners:
        receiver.release.set()
        await runner.cleanup()


# -- the real store ------------------------------------------------------------------------


@dataclass
class Db:
    client: AsyncMongoClient[dict[str, Any]]
    name: str

    def deliveries(
        self, client: AsyncMongoClient[dict[str, Any]] | None = None
    ) -> WebhookDeliveries:
        return WebhookDeliveries((client or self.client)[self.name]["webhook_deliveries"])

    async def delivery(self, delivery_id: str) -> dict[str, Any]:
        doc = await self.client[self.name]["webhook_deliveries"].find_one({"_id": delivery_id})
        assert doc is not None
        return doc

    async def count(self) -> int:
        return await self.client[self.name]["webhook_deliveries"].count_documents({})


async def new_client(uri: str) -> AsyncMongoClient[dict[str, Any]]:
    # PyMongo stats /.dockerenv while constructing: keep it off the event loop.
    return await asyncio.to_thread(AsyncMongoClient, uri, tz_aware=True)


@pytest.fixture
def uri(store_uri: str | None) -> str:
    return store_uri or os.environ["MONGODB_URI"]


@pytest.fixture
async def db(uri: str) -> AsyncIterator[Db]:
    client = await new_client(uri)
    name = "t_" + secrets.token_hex(6)
    try:
        await WebhookDeliveries(client[name]["webhook_deliveries"]).ensure_indexes()
        yield Db(client, name)
    finally:
        await client.drop_database(name)
        await client.close()


# -- configuration helpers -----------------------------------------------------------------


def write_config(
    directory: Path, webhooks: list[dict[str, Any]], retry: dict[str, Any] | None = None
) -> Path:
    """A webhooks.toml in `directory` (values are JSON, which TOML reads for these types)."""
    lines = ["webhooks = []"] if not webhooks else []
    lines.append("[retry]")
    lines += [f"{key} = {json.dumps(value)}" for key, value in (retry or RETRY).items()]
    for hook in webhooks:
        lines.append("[[webhooks]]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in hook.items()]
    (directory / "webhooks.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


def hook(url: str, name: str = "crm", events: list[str] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "url": url,
        "events": events or ["customer.deleted", "consent.withdrawn"],
        "secret_env": SECRET_ENV,
    }


async def config_for(tmp_path: Path, webhooks: list[dict[str, Any]], **retry: Any) -> WebhookConfig:
    write_config(tmp_path, webhooks, {**RETRY, **retry})
    # The loader reads a file: off the event loop, as the server does.
    return await asyncio.to_thread(load_webhook_config, tmp_path, ENV)


async def notifier_for(tmp_path: Path, db: Db, receiver: Receiver, **retry: Any) -> WebhookNotifier:
    config = await config_for(tmp_path, [hook(receiver.url)], **retry)
    return WebhookNotifier(config, db.deliveries())


def attempt_time(doc: dict[str, Any]) -> datetime:
    at = doc["next_attempt_at"]
    assert isinstance(at, datetime)
    return at


# -- delivery ------------------------------------------------------------------------------


async def test_when_the_receiver_fails_then_times_out_then_answers_then_the_notice_is_delivered_with_every_attempt_logged(  # noqa: E501
    tmp_path: Path, db: Db, receiver_factory: ReceiverFactory
) -> None:
    receiver = await receiver_factory("500", "timeout", "200")
    notifier = await notifier_for(tmp_path, db, receiver)

    [delivery_id] = await notifier.enqueue("customer.deleted", DELETED, T0)
    assert await notifier.deliver_due(T0) == 1
    first = await db.delivery(delivery_id)
    assert first["state"] == "pending"
    assert [(a["status"], a["error"]) for a in first["attempts"]] == [(500, "HTTP 500")]

    second_at = attempt_time(first)
    assert await notifier.deliver_due(second_at) == 1
    second = await db.delivery(delivery_id)
    assert second["state"] == "pending"
    timed_out = second["attempts"][1]
    assert timed_out["status"] is None
    assert timed_out["error"] == "timed out after 0.3s"
    assert timed_out["duration_ms"] >= 250

    third_at = attempt_time(second)
    assert await notifier.deliver_due(third_at) == 1
    done = await db.delivery(delivery_id)
    assert done["state"] == "delivered"
    assert done["delivered_at"] == third_at
    assert done["attempt_count"] == 3
    assert [a["at"] for a in done["attempts"]] == [T0, second_at, third_at]
    assert [a["status"] for a in done["attempts"]] == [500, None, 200]
    assert done["attempts"][2]["error"] is None
    assert all(a["duration_ms"] >= 0 for a in done["attempts"])
    assert await notifier.deliver_due(third_at + timedelta(days=1)) == 0

    assert len(receiver.received) == 3
    assert {r.headers[HEADER_DELIVERY] for r in receiver.received} == {delivery_id}
    assert {r.body for r in receiver.received} == {receiver.received[0].body}
    for request, at in zip(receiver.received, (T0, second_at, third_at), strict=True):
        assert request.headers[HEADER_EVENT] == "customer.deleted"
        assert request.headers[HEADER_TIMESTAMP] == str(int(at.timestamp()))
        assert request.headers["Content-Type"] == "application/json"
        assert verify(
            RECEIVER_SECRET.encode(),
            request.headers[HEADER_TIMESTAMP],
            request.body,
            request.headers[HEADER_SIGNATURE],
            at,
        )
    body = json.loads(receiver.received[0].body)
    assert body == {
        "delivery_id": delivery_id,
        "event_id": done["event_id"],
        "event": "customer.deleted",
        "occurred_at": "2026-11-01T12:00:00.000Z",
        "data": DELETED,
    }


async def test_when_a_retry_is_not_due_yet_then_nothing_is_sent_before_next_attempt_at(
    tmp_path: Path, db: Db, receiver_factory: ReceiverFactory
) -> None:
    receiver = await receiver_factory("500", "500", "200")
    notifier = await notifier_for(tmp_path, db, receiver, max_attempts=5)
    [delivery_id] = await notifier.enqueue("consent.withdrawn", WITHDRAWN, T0)

    await notifier.deliver_due(T0)
    first_wait = attempt_time(await db.delivery(delivery_id)) - T0
    # 10 s, shortened by at most 20 % of jitter (BSON keeps milliseconds).
    assert timedelta(seconds=8) - timedelta(milliseconds=1) <= first_wait <= timedelta(seconds=10)
    second_at = T0 + first_wait
    assert await notifier.deliver_due(second_at - timedelta(milliseconds=1)) == 0
    assert await notifier.deliver_due(T0 + timedelta(seconds=7)) == 0
    assert len(receiver.received) == 1

    assert await notifier.deliver_due(second_at) == 1
    assert len(receiver.received) == 2
    second_wait = attempt_time(await db.delivery(delivery_id)) - second_at
    assert timedelta(seconds=16) - timedelta(milliseconds=1) <= second_wait
    assert second_wait <= timedelta(seconds=20)
    assert await notifier.deliver_due(second_at + second_wait - timedelta(milliseconds=1)) == 0
    assert len(receiver.received) == 2

    assert await notifier.deliver_due(second_at + second_wait) == 1
    assert (await db.delivery(delivery_id))["state"] == "delivered"
    assert len(receiver.received) == 3


def test_when_failures_accumulate_then_the_backoff_grows_by_the_multiplier_up_to_the_cap() -> None:
    policy = RetryPolicy.model_validate(RETRY)
    assert [policy.base_backoff_secs(n) for n in range(1, 7)] == [10, 20, 40, 60, 60, 60]
    assert policy.backoff_secs(2, 0.0) == 20
    assert policy.backoff_secs(2, 0.999) == pytest.approx(20 * (1 - 0.2 * 0.999))
    huge = RetryPolicy.model_validate({**RETRY, "backoff_multiplier": 1e6, "max_attempts": 100})
    assert huge.base_backoff_secs(100) == 60


# -- signatures ----------------------------------------------------------------------------


async def test_when_a_notice_is_signed_then_only_the_receivers_secret_the_exact_body_and_a_fresh_timestamp_verify(  # noqa: E501
    tmp_path: Path, db: Db, receiver_factory: ReceiverFactory
) -> None:
    receiver = await receiver_factory("200")
    notifier = await notifier_for(tmp_path, db, receiver)
    await notifier.enqueue("customer.deleted", DELETED, T0)
    await notifier.deliver_due(T0)
    [request] = receiver.received
    timestamp = request.headers[HEADER_TIMESTAMP]
    signature = request.headers[HEADER_SIGNATURE]
    secret = RECEIVER_SECRET.encode()

    expected = hmac.new(secret, f"{timestamp}.".encode() + request.body, hashlib.sha256)
    assert signature == "v1=" + expected.hexdigest()
    assert sign(secret, int(timestamp), request.body) == expected.hexdigest()
    assert verify(secret, timestamp, request.body, signature, T0)
    assert verify(secret, int(timestamp), request.body, signature, T0.timestamp() + 299)
    assert verify(secret, timestamp, request.body, "v0=abc, " + signature, T0)

    assert not verify(OTHER_SECRET.encode(), timestamp, request.body, signature, T0)
    tampered = request.body.replace(b"cust-1", b"cust-2")
    assert tampered != request.body
    assert not verify(secret, timestamp, tampered, signature, T0)
    assert not verify(secret, timestamp, request.body + b" ", signature, T0)
    # An old notice replayed, or a timestamp changed to look fresh.
    assert not verify(secret, timestamp, request.body, signature, T0 + timedelta(seconds=301))
    assert not verify(secret, timestamp, request.body, signature, T0 - timedelta(seconds=301))
    assert not verify(secret, int(timestamp) + 60, request.body, signature, T0)
    for bad_signature in ("", "v1=", signature.removeprefix("v1="), "v2=" + expected.hexdigest()):
        assert not verify(secret, timestamp, request.body, bad_signature, T0)
    for bad_timestamp in ("", "-1", "1e9", " " + timestamp, "\uff11\uff12\uff13"):
        assert not verify(secret, bad_timestamp, request.body, signature, T0)
    assert not verify(secret, timestamp, request.body, "v1=ü" + expected.hexdigest(), T0)


# -- failures ------------------------------------------------------------------------------


async def test_when_every_attempt_fails_then_the_delivery_is_a_dead_letter_in_the_summary(
    tmp_path: Path, db: Db, receiver_factory: ReceiverFactory, caplog: pytest.LogCaptureFixture
) -> None:
    receiver = await receiver_factory(default="503")
    notifier = await notifier_for(tmp_path, db, receiver)
    [delivery_id] = await notifier.enqueue("customer.deleted", DELETED, T0)
    assert (await notifier.summary())["counts"] == {"pending": 1, "delivered": 0, "dead": 0}
    assert (await notifier.summary())["oldest_pending_at"] == "2026-11-01T12:00:00.000Z"

    now = T0
    with caplog.at_level(logging.INFO, logger=LOGGER):
        for _ in range(3):
            assert await notifier.deliver_due(now) == 1
            doc = await db.delivery(delivery_id)
            now = attempt_time(doc)
    assert doc["state"] == "dead"
    assert doc["attempt_count"] == 3
    assert len(receiver.received) == 3
    assert await notifier.deliver_due(now + timedelta(days=30)) == 0
    assert len(receiver.received) == 3

    summary = await notifier.summary()
    assert summary["counts"] == {"pending": 0, "delivered": 0, "dead": 1}
    assert summary["oldest_pending_at"] is None
    assert summary["webhooks"] == [
        {"name": "crm", "events": ["consent.withdrawn", "customer.deleted"]}
    ]
    [dead] = summary["dead"]
    assert dead["delivery_id"] == delivery_id
    assert dead["webhook"] == "crm"
    assert dead["event"] == "customer.deleted"
    assert dead["customer_id"] == "cust-1"
    assert dead["attempts"] == 3
    assert dead["last_error"] == "HTTP 503"
    assert dead["created_at"] == "2026-11-01T12:00:00.000Z"
    assert dead["dead_at"] is not None

    errors = [r for r in caplog.records if r.name == LOGGER and r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert errors[0].__dict__["delivery_id"] == delivery_id
    warnings = [r for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert RECEIVER_SECRET not in caplog.text
    assert "cust-1" not in caplog.text


async def test_when_the_receiver_redirects_then_the_redirect_is_not_followed_and_the_notice_is_not_delivered(  # noqa: E501
    tmp_path: Path, db: Db, receiver_factory: ReceiverFactory
) -> None:
    receiver = await receiver_factory("redirect", "200")
    notifier = await notifier_for(tmp_path, db, receiver)
    [delivery_id] = await notifier.enqueue("customer.deleted", DELETED, T0)

    assert await notifier.deliver_due(T0) == 1
    doc = await db.delivery(delivery_id)
    assert doc["state"] == "pending"
    assert doc["attempts"][0]["status"] == 302
    assert doc["last_error"] == "HTTP 302 (redirects are not followed)"
    assert receiver.followed_redirects == 0

    assert await notifier.deliver_due(attempt_time(doc)) == 1
    assert (await db.delivery(delivery_id))["state"] == "delivered"
    assert receiver.followed_redirects == 0


async def test_when_nothing_listens_then_the_connection_error_is_logged_as_a_failed_attempt(
    tmp_path: Path, db: Db
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = await config_for(tmp_path, [hook(f"http://127.0.0.1:{port}/hook")])
    notifier = WebhookNotifier(config, db.deliveries())
    [delivery_id] = await notifier.enqueue("customer.deleted", DELETED, T0)

    assert await notifier.deliver_due(T0) == 1
    doc = await db.delivery(delivery_id)
    assert doc["state"] == "pending"
    [attempt] = doc["attempts"]
    assert attempt["status"] is None
    assert attempt["error"].startswith("ClientConnectorError")


async def test_when_a_webhook_is_removed_from_the_config_then_its_pending_notices_are_dead_letters(
    tmp_path: Path, db: Db, receiver_factory: ReceiverFactory
) -> None:
    receiver = await receiver_factory("200")
    first = await notifier_for(tmp_path, db, receiver)
    [delivery_id] = await first.enqueue("customer.deleted", DELETED, T0)
    without = WebhookNotifier(await config_for(tmp_path, []), db.deliveries())

    assert await without.deliver_due(T0) == 1
    doc = await db.delivery(delivery_id)
    assert doc["state"] == "dead"
    assert "no longer configured" in doc["last_error"]
    assert receiver.received == []
    assert (await without.summary())["counts"]["dead"] == 1


# -- the queue -----------------------------------------------------------------------------


async def test_when_a_notice_is_enqueued_then_it_is_stored_before_sending_and_a_new_notifier_delivers_it(  # noqa: E501
    tmp_path: Path, uri: str, db: Db, receiver_factory: ReceiverFactory
) -> None:
    receiver = await receiver_factory("200")
    config = await config_for(tmp_path, [hook(receiver.url)])
    first = WebhookNotifier(config, db.deliveries())
    ids = await first.enqueue("consent.withdrawn", WITHDRAWN, T0)
    assert len(ids) == 1
    stored = await db.delivery(ids[0])
    assert stored["state"] == "pending"
    assert stored["attempt_count"] == 0
    assert stored["next_attempt_at"] == T0
    assert receiver.received == []

    # As after a restart: another client, another notifier, the same database.
    client = await new_client(uri)
    try:
        second = WebhookNotifier(config, db.deliveries(client))
        assert await second.deliver_due(T0) == 1
        assert await first.deliver_due(T0) == 0
    finally:
        await client.close()
    assert (await db.delivery(ids[0]))["state"] == "delivered"
    assert [r.headers[HEADER_DELIVERY] for r in receiver.received] == ids


async def test_when_an_event_is_not_subscribed_then_no_delivery_is_stored_for_that_webhook(
    tmp_path: Path, db: Db, receiver_factory: ReceiverFactory
) -> None:
    receiver = await receiver_factory()
    config = await config_for(
        tmp_path,
        [
            hook(receiver.url, "crm", ["customer.deleted"]),
            hook(receiver.url, "analytics", ["consent.withdrawn"]),
        ],
    )
    notifier = WebhookNotifier(config, db.deliveries())

    deleted = await notifier.enqueue("customer.deleted", DELETED, T0)
    assert [(await db.delivery(i))["webhook"] for i in deleted] == ["crm"]
    withdrawn = await notifier.enqueue("consent.withdrawn", WITHDRAWN, T0)
    assert [(await db.delivery(i))["webhook"] for i in withdrawn] == ["analytics"]
    assert await db.count() == 2

    only_deletions = WebhookNotifier(
        await config_for(tmp_path, [hook(receiver.url, "crm", ["customer.deleted"])]),
        db.deliveries(),
    )
    assert await only_deletions.enqueue("consent.withdrawn", WITHDRAWN, T0) == []
    nobody = WebhookNotifier(await config_for(tmp_path, []), db.deliveries())
    assert await nobody.enqueue("customer.deleted", DELETED, T0) == []
    assert await db.count() == 2


async def test_when_the_same_event_id_is_enqueued_twice_then_each_delivery_is_stored_once(
    tmp_path: Path, db: Db, receiver_factory: ReceiverFactory
) -> None:
    receiver = await receiver_factory()
    notifier = await notifier_for(tmp_path, db, receiver)
    first = await notifier.enqueue("customer.deleted", DELETED, T0, event_id="del-1")
    again = await notifier.enqueue("customer.deleted", DELETED, T0, event_id="del-1")
    assert first == again
    assert await db.count() == 1
    other = await notifier.enqueue("customer.deleted", DELETED, T0)
    assert other != first
    assert await db.count() == 2


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("customer.deleted", {**DELETED, "text": "my card is 4111 1111 1111 1111"}),
        ("customer.deleted", {**DELETED, "scope": "x" * 201}),
        ("customer.deleted", {**DELETED, "message_ids": [{"text": "hello"}]}),
        ("customer.deleted", {"request_id": "del-1"}),
        ("consent.withdrawn", {**WITHDRAWN, "scope": "all"}),
        ("customer.created", DELETED),
    ],
)
async def test_when_a_notice_would_carry_content_or_an_unknown_event_then_enqueue_refuses_it(
    tmp_path: Path,
    db: Db,
    receiver_factory: ReceiverFactory,
    event: str,
    payload: dict[str, Any],
) -> None:
    receiver = await receiver_factory()
    notifier = await notifier_for(tmp_path, db, receiver)
    with pytest.raises(ValueError, match=r"not allowed|must be an id|required|unknown"):
        await notifier.enqueue(event, payload, T0)
    assert await db.count() == 0


async def test_when_the_server_loop_runs_then_it_delivers_due_notices_until_stopped(
    tmp_path: Path, db: Db, receiver_factory: ReceiverFactory
) -> None:
    receiver = await receiver_factory("500", "200")
    config = await config_for(tmp_path, [hook(receiver.url)], initial_backoff_secs=0.05)
    notifier = WebhookNotifier(config, db.deliveries())
    [delivery_id] = await notifier.enqueue("customer.deleted", DELETED, datetime.now(UTC))
    stop = asyncio.Event()
    task = asyncio.create_task(notifier.run(stop))
    try:
        async with asyncio.timeout(10):
            await receiver.accepted.wait()
    finally:
        # The round in progress finishes (and records the attempt) before the loop ends.
        stop.set()
        async with asyncio.timeout(5):
            await task
    assert (await db.delivery(delivery_id))["state"] == "delivered"
    assert len(receiver.received) == 2


# -- configuration -------------------------------------------------------------------------


def test_when_the_shipped_config_is_loaded_then_no_webhook_is_enabled() -> None:
    config = load_webhook_config(REPO / "config", {})
    assert config.webhooks == ()
    assert config.retry.max_attempts >= 3
    assert config.retry.initial_backoff_secs < config.retry.max_backoff_secs


def test_when_the_shipped_example_is_uncommented_then_it_loads(tmp_path: Path) -> None:
    shipped = (REPO / "config" / "webhooks.toml").read_text(encoding="utf-8")
    example = [
        line.removeprefix("#   ") for line in shipped.splitlines() if line.startswith("#   ")
    ]
    assert example[0] == "[[webhooks]]"
    text = shipped.replace("\nwebhooks = []\n", "\n") + "\n" + "\n".join(example) + "\n"
    (tmp_path / "webhooks.toml").write_text(text, encoding="utf-8")
    config = load_webhook_config(tmp_path, {"CHAT_SERVICE_WEBHOOK_CRM_SECRET": "s" * 32})
    [crm] = config.webhooks
    assert crm.name == "crm"
    assert crm.events == {"customer.deleted", "consent.withdrawn"}
    assert crm.secret.reveal() == "s" * 32
    assert "s" * 32 not in repr(crm)


GOOD = {
    "name": "crm",
    "url": "https://crm.example.com/hooks",
    "events": ["customer.deleted"],
    "secret_env": SECRET_ENV,
}


@pytest.mark.parametrize(
    ("webhooks", "retry", "env", "match"),
    [
        ([{**GOOD, "colour": "red"}], RETRY, ENV, "colour"),
        ([GOOD], {**RETRY, "max_retries": 3}, ENV, "max_retries"),
        ([GOOD], {k: v for k, v in RETRY.items() if k != "max_attempts"}, ENV, "max_attempts"),
        ([GOOD], {**RETRY, "max_backoff_secs": 1.0}, ENV, "max_backoff_secs"),
        ([GOOD], {**RETRY, "max_attempts": 0}, ENV, "max_attempts"),
        ([GOOD], RETRY, {}, SECRET_ENV),
        ([GOOD], RETRY, {SECRET_ENV: ""}, SECRET_ENV),
        ([GOOD], RETRY, {SECRET_ENV: "short-secret"}, "at least 32"),
        ([{**GOOD, "url": "ftp://crm.example.com/hooks"}], RETRY, ENV, "http"),
        ([{**GOOD, "url": "file:///etc/passwd"}], RETRY, ENV, "http"),
        ([{**GOOD, "url": "javascript:alert(1)"}], RETRY, ENV, "http"),
        ([{**GOOD, "url": "crm.example.com/hooks"}], RETRY, ENV, "http"),
        ([{**GOOD, "url": "https:///hooks"}], RETRY, ENV, "host"),
        ([{**GOOD, "url": "https://u:p@crm.example.com/"}], RETRY, ENV, "credentials"),
        ([{**GOOD, "url": "https://crm.example.com:99999/"}], RETRY, ENV, "port"),
        ([{**GOOD, "events": ["customer.created"]}], RETRY, ENV, "events"),
        ([{**GOOD, "events": []}], RETRY, ENV, "events"),
        ([{**GOOD, "secret_env": "the secret itself"}], RETRY, ENV, "secret_env"),
        ([GOOD, GOOD], RETRY, ENV, "unique"),
    ],
)
def test_when_the_config_is_wrong_then_loading_fails_with_a_config_error(
    tmp_path: Path,
    webhooks: list[dict[str, Any]],
    retry: dict[str, Any],
    env: dict[str, str],
    match: str,
) -> None:
    write_config(tmp_path, webhooks, retry)
    with pytest.raises(ConfigError, match=match) as raised:
        load_webhook_config(tmp_path, env)
    message = str(raised.value)
    assert RECEIVER_SECRET not in message
    assert "short-secret" not in message
    assert "u:p@" not in message  # inputs are not echoed: a URL may carry a credential


def test_when_the_file_or_a_section_is_missing_then_loading_fails_with_a_config_error(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError, match="missing"):
        load_webhook_config(tmp_path, ENV)
    (tmp_path / "webhooks.toml").write_text("webhooks = []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"retry\n\s+Field required"):
        load_webhook_config(tmp_path, ENV)
    (tmp_path / "webhooks.toml").write_text(
        "[retry]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in RETRY.items()),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"webhooks\n\s+Field required"):
        load_webhook_config(tmp_path, ENV)
