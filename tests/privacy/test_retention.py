"""Retention over the real store with an injected clock: every rule type, legal holds,
dry-run exactness, a run killed after its first batch and resumed, run records, the
lease, and loud failure (status, error log, Prometheus counter)."""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, Counter
from pymongo.asynchronous.database import AsyncDatabase

from chat_service.data_commands import data_services
from chat_service.errors import ConfigError
from chat_service.privacy.retention import (
    RetentionConfig,
    load_retention_config,
    mask_connection_data,
    run_retention,
    truncate_connection_value,
)
from chat_service.services import Services
from chat_service.settings import Settings

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
Doc = dict[str, Any]


@pytest.fixture
def config() -> RetentionConfig:
    loaded = load_retention_config(REPO / "config")
    return loaded.model_copy(update={"pause_between_batches_secs": 0.0})


@pytest.fixture
async def services(settings: Settings, store_uri: str | None) -> AsyncIterator[Services]:
    async with data_services(settings, uri=store_uri) as services:
        try:
            yield services
        finally:
            await services.store.client.drop_database(settings.config.store.database)


def db_of(services: Services) -> AsyncDatabase[Doc]:
    return services.store.db


async def conversation(
    services: Services,
    conversation_id: str,
    customer_id: str,
    *,
    closed_days_ago: float | None,
    minor: bool = False,
) -> None:
    closed = None if closed_days_ago is None else NOW - closed_days_ago * DAY
    await db_of(services)["conversations"].insert_one(
        {
            "_id": conversation_id,
            "customer_id": customer_id,
            "status": "open" if closed is None else "closed",
            "agent_id": "agent-1",
            "created_at": (closed or NOW) - timedelta(hours=1),
            "closed_at": closed,
            "minor": minor,
        }
    )


def message(
    message_id: str,
    conversation_id: str,
    customer_id: str,
    *,
    days_ago: float,
    seq: int = 1,
    text: str = "hello",
    findings: list[Doc] | None = None,
    secrets: list[Doc] | None = None,
) -> Doc:
    return {
        "_id": message_id,
        "conversation_id": conversation_id,
        "customer_id": customer_id,
        "seq": seq,
        "conv_seq": f"{conversation_id}:{seq:012d}",
        "client_id": message_id,
        "sender": {"role": "customer", "id": customer_id},
        "kind": "text",
        "text": text,
        "findings": findings or [],
        "secrets": secrets or [],
        "consent": None,
        "created_at": NOW - days_ago * DAY,
        "secrets_version": 0,
    }


def finding(entity_type: str, category: str, start: int, end: int) -> Doc:
    sensitive = category not in ("device", "contact", "identity")
    return {
        "entity_type": entity_type,
        "start": start,
        "end": end,
        "score": 0.9,
        "category": category,
        "sensitive": sensitive,
    }


async def secret(
    services: Services, customer_id: str, start: int, categories: list[str], state: str
) -> Doc:
    value = await services.cipher.encrypt(customer_id, "4111 1111 1111 1111")
    return {
        "start": start,
        "end": start + len("[CREDIT_CARD]"),
        "entity_types": ["CREDIT_CARD"],
        "categories": categories,
        "value": value if state in ("kept", "pending") else None,
        "state": state,
    }


IP_TEXT = "my ip is 192.168.1.23 thanks"
IMEI_TEXT = "phone 356938035643809 card [CREDIT_CARD] ok"


async def seed(services: Services) -> None:
    """One case per rule, plus near misses that must stay untouched."""
    messages = db_of(services)["messages"]
    await conversation(services, "c_recent", "cust-a", closed_days_ago=None)
    await conversation(services, "c_closed40", "cust-a", closed_days_ago=40)
    await conversation(services, "c_closed10", "cust-a", closed_days_ago=10)
    await conversation(services, "c_child", "cust-child", closed_days_ago=None, minor=True)
    await conversation(services, "c_old", "cust-old", closed_days_ago=1200)
    await conversation(services, "c_not_old", "cust-a", closed_days_ago=1000)
    imei_secret = await secret(services, "cust-a", 27, ["financial"], "kept")
    docs = [
        # connection data: 1 day old -> truncated; 10 days old -> truncated and masked
        message(
            "m_ip",
            "c_recent",
            "cust-a",
            days_ago=1,
            text=IP_TEXT,
            findings=[finding("IP_ADDRESS", "device", 9, 21)],
        ),
        message(
            "m_imei",
            "c_closed10",
            "cust-a",
            days_ago=10,
            text=IMEI_TEXT,
            findings=[
                finding("DEVICE_ID", "device", 6, 21),
                finding("CREDIT_CARD", "financial", 27, 40),
            ],
            secrets=[imei_secret],
        ),
        # consented values: 30 days after close -> destroyed; 10 days -> kept
        message(
            "m_kept_old",
            "c_closed40",
            "cust-a",
            days_ago=41,
            text="card [CREDIT_CARD]",
            secrets=[await secret(services, "cust-a", 5, ["financial"], "kept")],
        ),
        # a child's refused values -> message deleted; a guardian's grant -> kept
        message(
            "m_child_refused",
            "c_child",
            "cust-child",
            days_ago=0.01,
            text="I am [AGE]",
            secrets=[await secret(services, "cust-child", 5, ["minor"], "destroyed")],
        ),
        message(
            "m_child_granted",
            "c_child",
            "cust-child",
            seq=2,
            days_ago=0.01,
            text="I am [AGE]",
            secrets=[await secret(services, "cust-child", 5, ["minor"], "kept")],
        ),
        # a transaction record of 1200 days -> anonymised with its messages; 1000 -> kept
        message("m_old_1", "c_old", "cust-old", days_ago=1201, seq=1),
        message(
            "m_old_2",
            "c_old",
            "cust-old",
            days_ago=1201,
            seq=2,
            text="card [CREDIT_CARD]",
            findings=[finding("CREDIT_CARD", "financial", 5, 18)],
            secrets=[await secret(services, "cust-old", 5, ["financial"], "destroyed")],
        ),
        message("m_not_old", "c_not_old", "cust-a", days_ago=1001),
    ]
    await messages.insert_many(docs)


async def snapshot(services: Services) -> dict[str, list[Doc]]:
    db = db_of(services)
    names = ["messages", "conversations", "audit", "anonymised_conversations", "retention_runs"]
    names += ["leases", "encryption_keys"]
    return {name: [d async for d in db[name].find().sort("_id", 1)] for name in names}


def counts(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    keys = ("count", "held_skipped", "errors", "messages", "keys_shredded")
    return {
        name: {k: rule[k] for k in keys if k in rule} for name, rule in summary["rules"].items()
    }


def test_when_config_has_an_unknown_key_or_bad_combination_then_it_fails_fast(
    tmp_path: Path,
) -> None:
    for name in ("retention.toml", "categories.toml"):
        shutil.copy(REPO / "config" / name, tmp_path / name)
    load_retention_config(tmp_path)
    original = (tmp_path / "retention.toml").read_text(encoding="utf-8")
    (tmp_path / "retention.toml").write_text(original + "\nsurprise = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="surprise"):
        load_retention_config(tmp_path)
    bad = original.replace(
        'data = "conversations"\ncounts_from = "conversation_closed"',
        'data = "conversations"\ncounts_from = "message_created"',
    )
    (tmp_path / "retention.toml").write_text(bad, encoding="utf-8")
    with pytest.raises(ConfigError, match="counts from"):
        load_retention_config(tmp_path)
    (tmp_path / "retention.toml").unlink()
    with pytest.raises(ConfigError, match="missing"):
        load_retention_config(tmp_path)


def test_when_connection_data_is_truncated_then_same_length_and_only_the_host_part_goes() -> None:
    assert truncate_connection_value("IP_ADDRESS", "192.168.1.23") == "192.168.1.xx"
    assert (
        truncate_connection_value("IP_ADDRESS", "2001:db8:85a3:8d3:1319:8a2e:370:7348")
        == "2001:db8:85a3:xxx:xxxx:xxxx:xxx:xxxx"
    )
    assert truncate_connection_value("DEVICE_ID", "356938035643809") == "35693803xxxxxxx"
    assert truncate_connection_value("DEVICE_ID", "00:1A:2B:3C:4D:5E") == "00:1A:2B:xx:xx:xx"
    text, findings, secrets = mask_connection_data(
        IMEI_TEXT,
        [finding("DEVICE_ID", "device", 6, 21), finding("CREDIT_CARD", "financial", 27, 40)],
        [{"start": 27, "end": 40, "state": "kept"}, {"start": None, "end": None}],
    )
    assert text == "phone [DEVICE_ID] card [CREDIT_CARD] ok"
    assert text[findings[0]["start"] : findings[0]["end"]] == "[DEVICE_ID]"
    assert text[findings[1]["start"] : findings[1]["end"]] == "[CREDIT_CARD]"
    assert text[secrets[0]["start"] : secrets[0]["end"]] == "[CREDIT_CARD]"
    assert secrets[1] == {"start": None, "end": None}


async def test_when_rules_run_then_each_rule_type_acts_and_near_misses_stay(
    services: Services, config: RetentionConfig
) -> None:
    await seed(services)
    summary = await run_retention(services, config, now=NOW, dry_run=False, holder="test")
    assert summary.status == "succeeded", summary.errors
    assert counts(summary.to_json()) == {
        "connection_data_truncated": {"count": 2, "held_skipped": 0, "errors": 0},
        "connection_data_deleted": {"count": 1, "held_skipped": 0, "errors": 0},
        "child_without_guardian": {"count": 1, "held_skipped": 0, "errors": 0},
        "consented_sensitive_values": {"count": 1, "held_skipped": 0, "errors": 0},
        "transaction_records": {
            "count": 1,
            "held_skipped": 0,
            "errors": 0,
            "messages": 2,
            "keys_shredded": 1,
        },
    }
    assert summary.totals() == {"delete": 3, "anonymise": 3, "held_skipped": 0, "errors": 0}
    db = db_of(services)
    by_id = {d["_id"]: d async for d in db["messages"].find()}
    assert by_id["m_ip"]["text"] == "my ip is 192.168.1.xx thanks"
    imei = by_id["m_imei"]
    assert imei["text"] == "phone [DEVICE_ID] card [CREDIT_CARD] ok"
    card = imei["secrets"][0]
    assert imei["text"][card["start"] : card["end"]] == "[CREDIT_CARD]"
    assert card["state"] == "kept" and card["value"] is not None  # closed only 10 days ago
    destroyed = by_id["m_kept_old"]["secrets"][0]
    assert destroyed["state"] == "destroyed" and destroyed["value"] is None
    assert "m_child_refused" not in by_id and "m_child_granted" in by_id
    assert "m_old_1" not in by_id and "m_old_2" not in by_id and "m_not_old" in by_id
    assert await db["conversations"].find_one({"_id": "c_old"}) is None
    [stats] = [d async for d in db["anonymised_conversations"].find()]
    assert stats["messages"] == 2 and stats["findings_by_category"] == {"financial": 1}
    flat = repr(stats)
    for identifying in ("cust-old", "c_old", "m_old", "agent-1", "4111"):
        assert identifying not in flat
    assert not await services.cipher.has_key("cust-old")  # no key left to bring it back
    assert await services.cipher.has_key("cust-a")
    actions = {d["action"] async for d in db["audit"].find()}
    assert {"sensitive_destroyed", "retention_deleted", "retention_anonymise"} <= actions
    assert "retention_key_shredded" in actions
    # A second run as of the same moment finds nothing left to do.
    again = await run_retention(services, config, now=NOW, dry_run=False, holder="test")
    assert again.ok and again.totals() == {
        "delete": 0,
        "anonymise": 0,
        "held_skipped": 0,
        "errors": 0,
    }


async def test_when_data_is_under_legal_hold_then_it_survives_and_is_counted_as_skipped(
    services: Services, config: RetentionConfig
) -> None:
    await seed(services)
    holds = services.store.legal_holds
    by = {"role": "privacy_officer", "id": "po-1"}
    await holds.add(
        scope="customer",
        customer_id="cust-old",
        conversation_id=None,
        reason="dispute",
        by=by,
        at=NOW,
    )
    await holds.add(
        scope="conversation",
        customer_id="cust-a",
        conversation_id="c_closed40",
        reason="court order",
        by=by,
        at=NOW,
    )
    summary = await run_retention(services, config, now=NOW, dry_run=False, holder="test")
    assert summary.ok, summary.errors
    result = counts(summary.to_json())
    assert result["transaction_records"] == {
        "count": 0,
        "held_skipped": 1,
        "errors": 0,
        "messages": 0,
        "keys_shredded": 0,
    }
    assert result["consented_sensitive_values"] == {"count": 0, "held_skipped": 1, "errors": 0}
    assert result["connection_data_truncated"]["count"] == 2  # not held
    db = db_of(services)
    assert await db["messages"].count_documents({"conversation_id": "c_old"}) == 2
    kept = await db["messages"].find_one({"_id": "m_kept_old"})
    assert kept is not None and kept["secrets"][0]["state"] == "kept"
    assert await services.cipher.has_key("cust-old")
    # Lifted: the next run applies the rules to what was held.
    await holds.lift(
        scope="customer",
        customer_id="cust-old",
        conversation_id=None,
        by=by,
        at=NOW,
        reason="settled",
    )
    later = await run_retention(services, config, now=NOW, dry_run=False, holder="test")
    assert counts(later.to_json())["transaction_records"]["count"] == 1
    assert counts(later.to_json())["consented_sensitive_values"]["held_skipped"] == 1


async def test_when_dry_run_then_nothing_changes_and_the_real_run_does_exactly_what_it_said(
    services: Services, config: RetentionConfig
) -> None:
    await seed(services)
    await services.store.legal_holds.add(
        scope="conversation",
        customer_id="cust-a",
        conversation_id="c_closed40",
        reason="dispute",
        by={"role": "privacy_officer", "id": "po-1"},
        at=NOW,
    )
    before = await snapshot(services)
    dry = await run_retention(services, config, now=NOW, dry_run=True, holder="test", batch_size=2)
    assert await snapshot(services) == before
    real = await run_retention(
        services, config, now=NOW, dry_run=False, holder="test", batch_size=2
    )
    assert dry.ok and real.ok
    assert dry.run_id is None and real.run_id is not None
    assert counts(dry.to_json()) == counts(real.to_json())
    assert dry.to_json().keys() == real.to_json().keys()
    assert sum(r.count for r in real.rules.values()) > 0


async def test_when_a_run_is_killed_after_its_first_batch_then_the_next_run_finishes_the_job(
    services: Services, config: RetentionConfig
) -> None:
    for i in range(12):
        await conversation(services, f"c_{i:02d}", f"cust-{i}", closed_days_ago=1200 + i)
    await db_of(services)["messages"].insert_many(
        [message(f"m_{i:02d}", f"c_{i:02d}", f"cust-{i}", days_ago=1201 + i) for i in range(12)]
    )
    only = config.model_copy(update={"rules": {"t": config.rules["transaction_records"]}})
    task = asyncio.create_task(
        run_retention(services, only, now=NOW, dry_run=False, holder="test", batch_size=1)
    )
    runs = db_of(services)["retention_runs"]
    async with asyncio.timeout(20):
        while not await runs.find_one({"batches_done": {"$gte": 1}}):  # noqa: ASYNC110  # polls the store
            await asyncio.sleep(0.005)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    [killed] = [d async for d in runs.find()]
    assert killed["status"] == "interrupted"
    done_first = killed["rules"]["t"]["count"]
    assert 1 <= done_first < 12
    assert await services.store.leases.get("retention") is None  # released
    resumed = await run_retention(services, only, now=NOW, dry_run=False, holder="other")
    assert resumed.ok and resumed.error_count == 0
    assert resumed.rules["t"].count == 12 - done_first
    assert await db_of(services)["conversations"].count_documents({}) == 0
    assert await db_of(services)["messages"].count_documents({}) == 0
    assert await db_of(services)["anonymised_conversations"].count_documents({}) == 12


async def test_when_a_killed_run_left_its_record_running_then_the_next_run_marks_it_interrupted(
    services: Services, config: RetentionConfig
) -> None:
    runs = db_of(services)["retention_runs"]
    await runs.insert_one({"_id": "rr_dead", "status": "running", "started_at": NOW})
    summary = await run_retention(services, config, now=NOW, dry_run=False, holder="test")
    record = await services.store.retention.run(str(summary.run_id))
    assert record is not None
    assert record["status"] == "succeeded" and record["ok"] is True
    assert record["now"] == NOW and record["holder"] == "test"
    assert set(record["rules"]) == set(config.rules)
    assert record["errors"] == [] and record["totals"]["errors"] == 0
    assert record["duration_ms"] >= 0 and record["finished_at"] >= record["started_at"]
    assert record["batches_done"] == len(record["batches"]) == summary.batches
    dead = await runs.find_one({"_id": "rr_dead"})
    assert dead is not None and dead["status"] == "interrupted"


async def test_when_two_runs_start_at_once_then_one_runs_and_the_other_reports_the_lease(
    services: Services, config: RetentionConfig
) -> None:
    await seed(services)
    first, second = await asyncio.gather(
        run_retention(services, config, now=NOW, dry_run=False, holder="instance-a"),
        run_retention(services, config, now=NOW, dry_run=False, holder="instance-b"),
    )
    statuses = sorted([first.status, second.status])
    assert statuses == ["lease_held", "succeeded"]
    loser = first if first.status == "lease_held" else second
    assert loser.run_id is None and loser.totals()["anonymise"] == 0
    assert loser.lease is not None and loser.lease["holder"] in ("instance-a", "instance-b")
    assert await db_of(services)["retention_runs"].count_documents({}) == 1
    # A live lease held elsewhere (another instance mid-run): nothing is done.
    await seed_more(services)
    until = datetime.now(UTC) + timedelta(minutes=1)
    assert await services.store.leases.take("retention", "instance-c", datetime.now(UTC), until)
    blocked = await run_retention(services, config, now=NOW, dry_run=False, holder="instance-a")
    assert blocked.status == "lease_held" and not blocked.ok
    assert await db_of(services)["conversations"].find_one({"_id": "c_old_2"}) is not None


async def seed_more(services: Services) -> None:
    await conversation(services, "c_old_2", "cust-old-2", closed_days_ago=1300)


async def test_when_a_document_cannot_be_processed_then_the_run_fails_loudly_and_goes_on(
    services: Services, config: RetentionConfig, caplog: pytest.LogCaptureFixture
) -> None:
    await seed(services)
    await db_of(services)["messages"].insert_one(
        message(
            "m_corrupt",
            "c_recent",
            "cust-a",
            seq=9,
            days_ago=1,
            text="short",
            findings=[finding("IP_ADDRESS", "device", 2, 40)],
        )
    )
    failures = Counter("retention_failures", "test", registry=CollectorRegistry())
    with caplog.at_level(logging.ERROR, logger="chat_service.retention"):
        summary = await run_retention(
            services, config, now=NOW, dry_run=False, holder="test", failures=failures
        )
    assert summary.status == "failed" and not summary.ok
    assert summary.error_count == 1  # truncation refuses it (too recent to be masked)
    assert summary.errors[0]["message_id"] == "m_corrupt"
    assert "outside the message text" in summary.errors[0]["error"]
    assert failures._value.get() == 1
    failed = [r for r in caplog.records if r.name == "chat_service.retention"]
    assert any(r.getMessage() == "retention rule failed" for r in failed)
    assert summary.rules["connection_data_truncated"].count == 2  # the others were done
    assert summary.rules["transaction_records"].count == 1
    record = await services.store.retention.run(str(summary.run_id))
    assert record is not None and record["status"] == "failed"
    assert record["totals"]["errors"] == 1


async def test_when_now_is_naive_then_refused(services: Services, config: RetentionConfig) -> None:
    naive = NOW.replace(tzinfo=None)
    with pytest.raises(ValueError, match="aware"):
        await run_retention(services, config, now=naive, dry_run=True, holder="test")


async def test_when_whole_conversations_are_deleted_in_chunks_then_counts_holds_and_keys_hold(
    services: Services, config: RetentionConfig
) -> None:
    """The plain-delete path of `transaction_records` (the purge benchmark's): message counts
    for the whole page in one command, chunks cut at `batch_size` messages, one check of
    which customers still have data, a held conversation kept with its messages."""
    rule = config.rules["transaction_records"].model_copy(update={"action": "delete"})
    only = config.model_copy(update={"rules": {"transaction_records": rule}})
    docs: list[Doc] = []
    for c in range(5):
        customer = f"cust-{c}"
        await conversation(services, f"c_del_{c}", customer, closed_days_ago=1200 + c)
        docs.extend(
            message(f"m_{c}_{seq}", f"c_del_{c}", customer, days_ago=1201, seq=seq)
            for seq in range(1, 4)
        )
        await services.cipher.encrypt(customer, "a value under the customer's key")
    await conversation(services, "c_keep", "cust-1", closed_days_ago=10)  # cust-1 keeps data
    docs.append(message("m_keep", "c_keep", "cust-1", days_ago=11))
    await db_of(services)["messages"].insert_many(docs)
    await services.store.legal_holds.add(
        scope="conversation",
        customer_id="cust-2",
        conversation_id="c_del_2",
        reason="dispute",
        by={"role": "privacy_officer", "id": "po-1"},
        at=NOW - DAY,
    )
    summary = await run_retention(
        services, only, now=NOW, dry_run=False, holder="test", batch_size=4
    )
    assert summary.status == "succeeded", summary.errors
    assert counts(summary.to_json())["transaction_records"] == {
        "count": 4,
        "held_skipped": 1,
        "errors": 0,
        "messages": 12,
        "keys_shredded": 3,  # cust-0, cust-3, cust-4; not cust-1 (c_keep) nor cust-2 (held)
    }
    db = db_of(services)
    left = {d["_id"] async for d in db["messages"].find()}
    assert left == {"m_2_1", "m_2_2", "m_2_3", "m_keep"}
    assert {d["_id"] async for d in db["conversations"].find()} == {"c_del_2", "c_keep"}
    assert await services.cipher.has_key("cust-1") and await services.cipher.has_key("cust-2")
    assert not await services.cipher.has_key("cust-0")
    audited = [d async for d in db["audit"].find({"action": "retention_delete"})]
    assert sorted(d["details"]["conversation_id"] for d in audited) == [
        "c_del_0",
        "c_del_1",
        "c_del_3",
        "c_del_4",
    ]
    run = await services.store.retention.run(summary.run_id or "")
    assert run is not None and run["rules"]["transaction_records"]["messages"] == 12
