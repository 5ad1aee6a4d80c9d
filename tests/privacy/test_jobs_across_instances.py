"""Two instances (two apps) on one store: the periodic jobs run on one of them at a time
(chat_service/jobs.py). A due deletion request and an expiring consent request are each
carried out once; when the holder dies without releasing its lease, the other instance
takes the job over once the lease has run out."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytest_aiohttp import AiohttpClient

from chat_service import keys
from chat_service.app import CONSENT_SWEEPER_JOB, DELETION_JOB
from chat_service.jobs import LeasedJob
from chat_service.settings import Settings
from tests.conftest import REPO, AppFactory
from tests.helpers.consent import CARD_TEXT, move_clock, raw_db, send_sensitive
from tests.helpers.rights import RETRY, WEBHOOK_SECRET, WEBHOOK_SECRET_ENV, file_deletion
from tests.helpers.settings import settings_with
from tests.helpers.ws import Client, connect

LEASE_SECS = 2.0  # short, so a dead holder's jobs move within the test
INTERVAL_SECS = 0.5
WAIT_SECS = 30.0


@pytest.fixture
def fast_settings(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Jobs every half second under two-second leases, and one webhook recipient (on a
    loopback port nothing listens on) that subscribes to customer.deleted."""
    config_dir = tmp_path / "config"
    shutil.copytree(REPO / "config", config_dir)
    (config_dir / "webhooks.toml").write_text(
        "webhooks = ["
        '{name = "crm", url = "http://127.0.0.1:9/hook", events = ["customer.deleted"], '
        f'secret_env = "{WEBHOOK_SECRET_ENV}"}}'
        "]\n" + RETRY
    )
    monkeypatch.setenv(WEBHOOK_SECRET_ENV, WEBHOOK_SECRET)
    jobs = {
        "consent_sweeper_lease_secs": LEASE_SECS,
        "deletion_interval_secs": INTERVAL_SECS,
        "deletion_lease_secs": LEASE_SECS,
    }
    fast = settings_with(settings, jobs=jobs)
    return fast.with_overrides(
        config_dir=config_dir,
        consent=fast.consent.model_copy(update={"sweep_interval_secs": INTERVAL_SECS}),
    )


@pytest.fixture
async def pair(
    aiohttp_client: AiohttpClient, make_app: AppFactory, fast_settings: Settings
) -> tuple[Client, Client]:
    """Two instances sharing one store and database."""
    return (
        await aiohttp_client(make_app(fast_settings)),
        await aiohttp_client(make_app(fast_settings)),
    )


def job_of(client: Client, name: str) -> LeasedJob:
    [job] = [job for job in client.app[keys.JOBS] if job.name == name]
    return job


def held_here(client: Client, name: str) -> float | None:
    registry = client.app[keys.METRICS].registry
    return registry.get_sample_value("chat_job_lease_held", {"job": name})


async def until(condition: Callable[[], Awaitable[bool]]) -> None:
    """Wait for the store to reach a state the jobs bring about (polls the store)."""
    async with asyncio.timeout(WAIT_SECS):
        while not await condition():  # noqa: ASYNC110  # polls the store
            await asyncio.sleep(0.05)


async def holder_of(pair: tuple[Client, Client], name: str) -> tuple[Client, Client]:
    """(the instance holding the job's lease, the other), once one holds it."""
    leases = pair[0].app[keys.STORE].leases

    async def taken() -> bool:
        return await leases.get(name) is not None

    await until(taken)
    lease = await leases.get(name)
    assert lease is not None
    a, b = pair
    holder = a if lease["holder"] == job_of(a, name).holder else b
    assert lease["holder"] == job_of(holder, name).holder
    return holder, b if holder is a else a


async def completed(client: Client, request_id: str) -> bool:
    doc = await raw_db(client)["deletion_requests"].find_one({"_id": request_id})
    return doc is not None and doc["status"] == "completed"


async def test_when_two_instances_share_a_store_then_a_deletion_request_is_carried_out_once(
    pair: tuple[Client, Client],
) -> None:
    a, _ = pair
    customer = await connect(a, "customer", "cust-twice")
    client_id = await customer.send_text("Hello, where is my parcel?")
    await customer.expect("message.ack", client_id=client_id)
    await customer.close()
    status, filed = await file_deletion(a, "cust-twice")
    assert status in (200, 201), filed

    await until(lambda: completed(a, filed["id"]))
    db = raw_db(a)
    request = await db["deletion_requests"].find_one({"_id": filed["id"]})
    assert request is not None
    assert [h["status"] for h in request["history"]].count("in_progress") == 1
    assert await db["audit"].count_documents({"action": "customer_deleted"}) == 1
    assert await db["webhook_deliveries"].count_documents({"event": "customer.deleted"}) == 1
    assert await db["messages"].count_documents({}) == 0
    holder, other = await holder_of(pair, DELETION_JOB)
    assert (held_here(holder, DELETION_JOB), held_here(other, DELETION_JOB)) == (1.0, 0.0)


async def test_when_the_holder_dies_without_releasing_then_the_other_takes_the_job_over(
    pair: tuple[Client, Client],
) -> None:
    holder, survivor = await holder_of(pair, DELETION_JOB)
    assert held_here(survivor, DELETION_JOB) == 0.0
    # The holder dies: its job stops renewing and never releases the lease.
    dead = job_of(holder, DELETION_JOB)
    assert dead.task is not None
    dead.task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await dead.task
    left = await survivor.app[keys.STORE].leases.get(DELETION_JOB)
    assert left is not None and left["holder"] == dead.holder  # not released
    status, filed = await file_deletion(survivor, "cust-orphan")
    assert status in (200, 201), filed

    await until(lambda: completed(survivor, filed["id"]))
    lease = await survivor.app[keys.STORE].leases.get(DELETION_JOB)
    assert lease is not None and lease["holder"] == job_of(survivor, DELETION_JOB).holder
    assert held_here(survivor, DELETION_JOB) == 1.0
    request = await raw_db(survivor)["deletion_requests"].find_one({"_id": filed["id"]})
    assert request is not None
    # Taken over only once the dead holder's lease had run out.
    assert request["completed_at"] >= left["expires_at"]


async def test_when_two_instances_share_a_store_then_an_expiring_consent_is_decided_once(
    pair: tuple[Client, Client],
) -> None:
    holder, other = await holder_of(pair, CONSENT_SWEEPER_JOB)
    # The customer on the sweeping instance, so its fan-out reaches them (one instance's
    # events reaching another's sockets is fan-out's concern, not the jobs').
    customer = await connect(holder, "customer", "cust-quiet")
    message_id, request = await send_sensitive(customer, CARD_TEXT)
    sent_at = datetime.now(UTC)
    for instance in pair:  # nobody answers for a day, on both instances' clocks
        move_clock(instance, sent_at, timedelta(hours=24, seconds=1))

    recorded = await customer.expect("consent.recorded", request_id=request["request_id"])
    assert recorded["granted"] is False and recorded["reason"] == "expired"
    db = raw_db(holder)
    doc = await db["consent_requests"].find_one({"_id": request["request_id"]})
    assert doc is not None and doc["status"] == "expired"
    assert await db["consents"].count_documents({"customer_id": "cust-quiet"}) == 1
    message = await db["messages"].find_one({"_id": message_id})
    assert message is not None and message["secrets"][0]["value"] is None
    assert (held_here(holder, CONSENT_SWEEPER_JOB), held_here(other, CONSENT_SWEEPER_JOB)) == (
        1.0,
        0.0,
    )
    await customer.close()
