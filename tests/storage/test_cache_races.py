"""The coherent caches (consent ledger, pending consent requests, open conversations) never
keep a value read before an invalidation that arrived while the read was in flight.

The interleaving is driven by events: the collection under the cache is the real one over
the wire, held between the store's answer and the cache's fill (`HeldReads`) until the
test has changed the entry (as another instance would, then its invalidation, or through
this process's own write) and lets the read finish.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from chat_service.storage.coherence import CHANGED_KEYS_MAX, Generations
from chat_service.storage.consents import ConsentLedger, ConsentRequests, LedgerEntryDoc
from chat_service.storage.conversations import ConversationStore

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


class HeldReads:
    """The real collection; while `hold` is set, a read's answer comes back from the store,
    `answered` is set, and the answer is handed to the caller only once `release` is."""

    def __init__(self, collection: AsyncCollection[Any]) -> None:
        self._c = collection
        self.hold = False
        self.answered = asyncio.Event()
        self.release = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._c, name)

    async def _held(self) -> None:
        if self.hold:
            self.hold = False  # one read held at a time
            self.answered.set()
            await self.release.wait()

    async def find_one(self, *args: Any, **kwargs: Any) -> Any:
        doc = await self._c.find_one(*args, **kwargs)
        await self._held()
        return doc

    def find(self, *args: Any, **kwargs: Any) -> HeldCursor:
        return HeldCursor(self, self._c.find(*args, **kwargs))


class HeldCursor:
    def __init__(self, reads: HeldReads, cursor: Any) -> None:
        self._reads = reads
        self._cursor = cursor

    def sort(self, *args: Any, **kwargs: Any) -> HeldCursor:
        self._cursor = self._cursor.sort(*args, **kwargs)
        return self

    async def __aiter__(self) -> AsyncIterator[Any]:
        docs = [doc async for doc in self._cursor]
        await self._reads._held()
        for doc in docs:
            yield doc


async def _read_held_until(
    reads: HeldReads, read: Awaitable[Any], meanwhile: Awaitable[object]
) -> Any:
    """Start `read`, hold it after the store answered, do `meanwhile`, let it finish."""
    reads.hold = True
    task = asyncio.ensure_future(read)
    await reads.answered.wait()
    await meanwhile
    reads.release.set()
    return await task


def _entry(customer_id: str, entry_id: str, at: datetime) -> LedgerEntryDoc:
    return LedgerEntryDoc(
        _id=entry_id,
        customer_id=customer_id,
        purpose="order_support",
        categories=["PHONE_NUMBER"],
        decision="granted",
        policy_version="1",
        at=at,
        decided_by={"role": "customer", "id": customer_id},
        evidence={"request_id": None, "message_ids": [], "connection_id": None},
    )


async def test_when_a_ledger_is_invalidated_during_its_read_then_the_old_read_is_not_cached(
    collection: AsyncCollection[dict[str, Any]],
) -> None:
    reads = HeldReads(collection)
    ledger = ConsentLedger(reads)  # type: ignore[arg-type]  # the real collection, held

    async def granted_on_another_instance() -> None:
        await collection.insert_one(dict(_entry("cust-1", "cl_b", T0)))
        ledger.invalidate("cust-1")  # its invalidation, as the Redis bus delivers it

    old = await _read_held_until(reads, ledger.entries("cust-1"), granted_on_another_instance())
    assert old == []  # the read began before the grant: it may answer without it
    assert [e["_id"] for e in await ledger.entries("cust-1")] == ["cl_b"]
    assert await ledger.granted("cust-1", "order_support") == {"PHONE_NUMBER"}


async def test_when_this_process_appends_to_a_ledger_during_its_read_then_the_entry_is_not_lost(
    collection: AsyncCollection[dict[str, Any]],
) -> None:
    reads = HeldReads(collection)
    ledger = ConsentLedger(reads)  # type: ignore[arg-type]
    entry = _entry("cust-2", "cl_a", T0)

    async def append() -> None:
        await ledger.append(
            customer_id="cust-2",
            purpose=entry["purpose"],
            categories=entry["categories"],
            decision="granted",
            policy_version="1",
            at=T0,
            decided_by=entry["decided_by"],
            evidence=entry["evidence"],
            entry_id="cl_a",
        )

    await _read_held_until(reads, ledger.entries("cust-2"), append())
    assert [e["_id"] for e in await ledger.entries("cust-2")] == ["cl_a"]


async def test_when_a_request_is_decided_elsewhere_during_its_read_then_it_is_not_cached(
    collection: AsyncCollection[dict[str, Any]],
) -> None:
    reads = HeldReads(collection)
    requests = ConsentRequests(reads)  # type: ignore[arg-type]
    other = ConsentRequests(collection)  # another instance, its own cache
    request = await other.create(
        {
            "customer_id": "cust-3",
            "conversation_id": "c_1",
            "purpose": "order_support",
            "categories": ["PHONE_NUMBER"],
            "message_ids": ["m_1"],
            "guardian_required": False,
            "language": "en",
            "policy_version": "1",
            "created_at": T0,
            "expires_at": T0 + timedelta(hours=1),
        }
    )

    async def decided_elsewhere() -> None:
        decider = {"role": "customer", "id": "cust-3"}
        assert await other.decide(request["_id"], "granted", T0, decider)  # type: ignore[arg-type]
        requests.invalidate("cust-3")

    old = await _read_held_until(
        reads, requests.pending_for("cust-3", "order_support"), decided_elsewhere()
    )
    assert [r["_id"] for r in old] == [request["_id"]]  # read before the decision
    assert await requests.pending_for("cust-3", "order_support") == []


async def test_when_a_conversation_closes_during_a_read_of_it_then_it_is_not_cached_as_open(
    collection: AsyncCollection[dict[str, Any]],
) -> None:
    reads = HeldReads(collection)
    conversations = ConversationStore(reads)  # type: ignore[arg-type]
    other = ConversationStore(collection)  # another instance
    opened, _ = await other.open_for_customer("cust-4", T0)

    async def closed_elsewhere() -> None:
        assert await other.close(opened.id, T0)
        conversations.invalidate(opened.id)

    old = await _read_held_until(reads, conversations.get(opened.id), closed_elsewhere())
    assert old is not None and old.status == "open"
    now = await conversations.get(opened.id)
    assert now is not None and now.status == "closed"

    # The same by customer: find_open must not keep the closed conversation as open.
    again, _ = await other.open_for_customer("cust-4", T0)
    reads.answered.clear()
    reads.release.clear()

    async def closed_again() -> None:
        assert await other.close(again.id, T0)
        conversations.invalidate(again.id)

    old = await _read_held_until(reads, conversations.find_open("cust-4"), closed_again())
    assert old is not None and old.id == again.id
    assert await conversations.find_open("cust-4") is None


async def test_when_this_process_closes_a_conversation_during_its_read_then_it_is_not_cached(
    collection: AsyncCollection[dict[str, Any]],
) -> None:
    reads = HeldReads(collection)
    conversations = ConversationStore(reads)  # type: ignore[arg-type]
    opened, _ = await ConversationStore(collection).open_for_customer("cust-5", T0)
    await _read_held_until(reads, conversations.get(opened.id), conversations.close(opened.id, T0))
    now = await conversations.get(opened.id)
    assert now is not None and now.status == "closed"


async def test_when_the_whole_cache_is_cleared_during_a_read_then_the_read_is_not_cached(
    collection: AsyncCollection[dict[str, Any]],
) -> None:
    """A resubscribe to Redis empties every cache (invalidations were lost meanwhile)."""
    reads = HeldReads(collection)
    ledger = ConsentLedger(reads)  # type: ignore[arg-type]

    async def granted_while_unsubscribed() -> None:
        await collection.insert_one(dict(_entry("cust-6", "cl_c", T0)))
        ledger.clear()

    await _read_held_until(reads, ledger.entries("cust-6"), granted_while_unsubscribed())
    assert [e["_id"] for e in await ledger.entries("cust-6")] == ["cl_c"]


def test_when_no_read_is_in_flight_then_generations_remember_nothing() -> None:
    generations = Generations()
    generations.changed("a")
    assert len(generations) == 0
    with generations.read() as outer:
        generations.changed("a")
        with generations.read() as inner:
            assert inner.unchanged("a") and not outer.unchanged("a")
            for n in range(CHANGED_KEYS_MAX + 5):  # a busy process: bounded, conservative
                generations.changed(f"k{n}")
            assert len(generations) <= CHANGED_KEYS_MAX
            assert not inner.unchanged("never-changed")  # the table was dropped: stale
        assert outer.unchanged("b") is False
    assert len(generations) == 0
    with generations.read() as fresh:
        assert fresh.unchanged("a")
