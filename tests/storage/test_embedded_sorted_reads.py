"""Sorted, filtered reads of the audit are served from its compound indexes on the embedded
store (storage/embedded_sorted_reads.py) and answer exactly as before: over the wire, as the
privacy officer's workspace reads them (or against MONGODB_URI)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo.asynchronous.collection import AsyncCollection

from chat_service.storage.audit import AuditDoc, AuditFilter, AuditLog

START = datetime(2026, 3, 1, tzinfo=UTC)
SORT = [("at", -1), ("_id", -1)]


def _entry(i: int) -> AuditDoc:
    # Ties on `at` (three entries a minute, one with milliseconds), ids not in time order.
    at = START + timedelta(minutes=i // 3, milliseconds=250 if i % 3 == 2 else 0)
    return {
        "_id": f"au_{(i * 7919) % 1000:04d}_{i}",
        "at": at,
        "actor": {"role": "agent", "id": f"agent-{i % 5}"},
        "action": "sensitive_read",
        "customer_id": f"cust-{i % 7}",
        "message_id": None,
        "categories": [],
        "reason": "r",
        "details": {},
    }


def _expected(docs: list[AuditDoc], where: AuditFilter, limit: int) -> list[str]:
    def keep(doc: AuditDoc) -> bool:
        return (
            (where.customer_id is None or doc["customer_id"] == where.customer_id)
            and (where.actor_id is None or doc["actor"]["id"] == where.actor_id)
            and (where.since is None or doc["at"] >= where.since)
            and (where.until is None or doc["at"] < where.until)
        )

    kept = sorted((d for d in docs if keep(d)), key=lambda d: (d["at"], d["_id"]), reverse=True)
    return [d["_id"] for d in kept[:limit]]


FILTERS = [
    AuditFilter(),
    AuditFilter(actor_id="agent-3"),
    AuditFilter(customer_id="cust-4"),
    AuditFilter(actor_id="agent-1", customer_id="cust-2"),
    AuditFilter(since=START + timedelta(minutes=20), until=START + timedelta(minutes=45)),
    AuditFilter(actor_id="agent-2", since=START + timedelta(minutes=10)),
    AuditFilter(actor_id="nobody"),
]


async def _walk(audit: AuditLog, where: AuditFilter, page: int) -> list[str]:
    """Every entry matching `where`, page by page through the keyset cursor."""
    seen: list[str] = []
    before: tuple[datetime, str] | None = None
    while True:
        docs = await audit.page(where, before=before, limit=page)
        seen.extend(d["_id"] for d in docs)
        if len(docs) < page:
            return seen
        before = (docs[-1]["at"], docs[-1]["_id"])


async def _filled(collection: AsyncCollection[Any]) -> tuple[AuditLog, list[AuditDoc]]:
    audit = AuditLog(collection)
    await audit.ensure_indexes()
    docs = [_entry(i) for i in range(240)]
    await collection.insert_many(docs[:200])
    for doc in docs[200:]:  # single inserts, as the service records
        await collection.insert_one(doc)
    return audit, docs


async def test_when_audit_pages_are_read_then_they_match_the_entries_in_order(
    collection: AsyncCollection[Any],
) -> None:
    audit, docs = await _filled(collection)
    for where in FILTERS:
        for limit in (1, 7, 50):
            got = [d["_id"] for d in await audit.page(where, before=None, limit=limit)]
            assert got == _expected(docs, where, limit), where
        assert await _walk(audit, where, 9) == _expected(docs, where, len(docs)), where
        rows = [d["_id"] async for d in audit.stream(where, 100, besides=docs[5]["_id"])]
        besides = [d for d in docs if d["_id"] != docs[5]["_id"]]
        assert rows == _expected(besides, where, 100), where
    ascending = collection.find({"customer_id": "cust-3"}).sort([("at", 1), ("_id", 1)])
    assert [d["_id"] async for d in ascending] == list(
        reversed(_expected(docs, AuditFilter(customer_id="cust-3"), len(docs)))
    )


async def test_when_a_field_holds_other_kinds_of_values_then_reads_answer_as_before(
    collection: AsyncCollection[Any],
) -> None:
    audit, _ = await _filled(collection)
    before = [await audit.page(where, before=None, limit=300) for where in FILTERS]
    # An actor id that is an array, a time that is a string, an entry without a time:
    # no index order stands for MongoDB's order any more.
    odd: list[dict[str, Any]] = [
        {**_entry(900), "_id": "odd-array", "actor": {"role": "agent", "id": ["agent-3", "x"]}},
        {**_entry(901), "_id": "odd-text-time", "at": "2026-03-01T00:30:00"},
    ]
    no_time: dict[str, Any] = {**_entry(902), "_id": "odd-no-time"}
    del no_time["at"]
    for doc in [*odd, no_time]:
        await collection.insert_one(doc)
    by_agent3 = [d["_id"] for d in await audit.page(FILTERS[1], before=None, limit=300)]
    assert "odd-array" in by_agent3
    assert by_agent3 == [
        d["_id"] async for d in collection.find({"actor.id": "agent-3"}, sort=SORT).hint("_id_")
    ]
    everything = [d["_id"] async for d in collection.find({}).sort(SORT)]
    # Descending: dates, then the string, then the missing time (null).
    assert everything[-2:] == ["odd-text-time", "odd-no-time"]
    assert everything == [d["_id"] async for d in collection.find({}).sort(SORT).hint("_id_")]
    # Removing them brings back the same answers as before they came.
    await collection.delete_many({"_id": {"$in": ["odd-array", "odd-text-time", "odd-no-time"]}})
    assert [await audit.page(where, before=None, limit=300) for where in FILTERS] == before


async def test_when_an_audit_page_is_read_then_the_store_reads_it_through_an_index(
    collection: AsyncCollection[Any], store_uri: str | None
) -> None:
    if store_uri is None:
        pytest.skip("the embedded store's own plan (real MongoDB explains differently)")
    audit, docs = await _filled(collection)
    database = collection.database
    for where in [FILTERS[0], FILTERS[1], FILTERS[2], FILTERS[4]]:
        plan = await database.command(
            "explain",
            {"find": collection.name, "filter": where.query(), "sort": dict(SORT), "limit": 50},
        )
        steps = " | ".join(plan["details"]["engine_details"])
        assert "sqlite_autoindex" not in steps, (where, steps)
        assert "USING INDEX idx_" in steps, (where, steps)
        assert await audit.count(where) == len(_expected(docs, where, len(docs)))
