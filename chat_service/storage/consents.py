"""Owner of `consents` (the append-only ledger) and `consent_requests`.

The ledger is never updated in place: every decision (granted, refused, expired,
withdrawn) is a new entry naming the customer, the categories, the purpose, the policy
version, who decided (a guardian for a child), when, and the evidence (request, messages,
connection). The current state of a category is its latest entry.

Each customer's ledger is cached in this process once read, and every append goes
through this module (and lands in the cached ledger as written), so deciding whether a
message needs consent costs no read. Likewise each customer's open (pending) consent
requests are cached once read and kept up to date by this process's own writes (create,
attach, decide, delete), so a message joining an open request costs one conditional
update. (Like the conversation cache: several instances need the change feed to
invalidate them. The open-request cache is only a hint: a message joins a request by an
update conditional on `status: "pending"` in the store, so a stale entry never attaches a
message to a decided request; at worst a request opened by another instance is not seen
and the customer is asked a second time.)
"""

from __future__ import annotations

import secrets
from collections import Counter, OrderedDict, defaultdict
from datetime import datetime
from typing import Any, Literal, NotRequired, TypedDict

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from chat_service.storage.coherence import LOCAL, Coherence, Generations

Decision = Literal["granted", "refused", "expired", "withdrawn"]
RequestStatus = Literal["pending", "granted", "refused", "expired"]


LEDGER_CACHE_CUSTOMERS = 20_000
OPEN_REQUESTS_CACHE_CUSTOMERS = 20_000


class GuardianDoc(TypedDict):
    """Who answered for a child (pseudonymised: the relationship only)."""

    name: NotRequired[str]
    relationship: str


class DeciderDoc(TypedDict):
    """Who decided: the customer, a guardian for them, or the system (a time-out)."""

    role: str
    id: str
    guardian: NotRequired[GuardianDoc]


class EvidenceDoc(TypedDict, total=False):
    """What a decision rests on (every key present in entries this service writes)."""

    request_id: str | None
    message_ids: list[str]
    connection_id: str | None


class LedgerEntryDoc(TypedDict):
    """One decision in the append-only ledger (`consents`)."""

    _id: str
    customer_id: str
    purpose: str
    categories: list[str]
    decision: Decision
    policy_version: str
    at: datetime
    decided_by: DeciderDoc
    evidence: EvidenceDoc
    pseudonymised: NotRequired[bool]


class NewRequestDoc(TypedDict):
    """A consent request as the caller asks for it (`ConsentRequests.create`)."""

    customer_id: str
    conversation_id: str
    purpose: str
    categories: list[str]
    message_ids: list[str]
    guardian_required: bool
    language: str
    policy_version: str
    created_at: datetime
    expires_at: datetime


class ConsentRequestDoc(NewRequestDoc):
    """A consent request as stored (`consent_requests`): what `create` was asked for, its
    status and, once decided, when, by whom and whether its effects were all carried out."""

    _id: str
    status: RequestStatus
    decided_at: NotRequired[datetime]
    decided_by: NotRequired[DeciderDoc]
    applied: NotRequired[bool]


class ConsentLedger:
    def __init__(self, collection: AsyncCollection[Any]) -> None:
        # The client reads every collection as plain dicts; these are ledger entries.
        self._c: AsyncCollection[LedgerEntryDoc] = collection
        self._cache: OrderedDict[str, list[LedgerEntryDoc]] = OrderedDict()
        self._generations = Generations()  # reads in flight see changes made meanwhile
        self.coherence: Coherence = LOCAL  # other instances' view of this cache

    def invalidate(self, customer_id: str) -> None:
        """Another instance changed this customer's ledger: re-read it on next use."""
        self._forget(customer_id)

    def clear(self) -> None:
        self._cache.clear()
        self._generations.cleared()

    def _forget(self, customer_id: str) -> None:
        self._cache.pop(customer_id, None)
        self._generations.changed(customer_id)

    def _cache_put(self, customer_id: str, entries: list[LedgerEntryDoc]) -> None:
        self._cache[customer_id] = entries
        self._cache.move_to_end(customer_id)
        while len(self._cache) > LEDGER_CACHE_CUSTOMERS:
            self._cache.popitem(last=False)

    async def ensure_indexes(self) -> None:
        await self._c.create_index([("customer_id", 1), ("at", 1)], name="by_customer")
        await self._c.create_index([("at", 1)], name="by_time")

    async def decision_counts(self, since: datetime, until: datetime) -> dict[str, Counter[str]]:
        """Per category, the ledger's decisions recorded in [since, until), by decision."""
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        cursor = self._c.find(  # index: by_time
            {"at": {"$gte": since, "$lt": until}}, projection={"categories": 1, "decision": 1}
        )
        async for entry in cursor:
            for category in entry["categories"]:
                counts[category][entry["decision"]] += 1
        return dict(counts)

    async def append(
        self,
        *,
        customer_id: str,
        purpose: str,
        categories: list[str],
        decision: Decision,
        policy_version: str,
        at: datetime,
        decided_by: DeciderDoc,
        evidence: EvidenceDoc,
        entry_id: str | None = None,
    ) -> LedgerEntryDoc:
        """Append an entry. With `entry_id` (derived from a request) a repeat is a no-op,
        so carrying out a decision again after a crash never records it twice."""
        entry = LedgerEntryDoc(
            _id=entry_id or "cl_" + secrets.token_hex(12),
            customer_id=customer_id,
            purpose=purpose,
            categories=sorted(categories),
            decision=decision,
            policy_version=policy_version,
            at=at,
            decided_by=decided_by,
            evidence=evidence,
        )
        try:
            await self._c.insert_one(entry)
        except BaseException as exc:
            self._forget(customer_id)  # re-read in order on next use
            if not isinstance(exc, DuplicateKeyError):
                raise
            existing = await self._c.find_one({"_id": entry["_id"]})  # index: _id
            return existing or entry
        self.coherence.changed("consents", customer_id)
        self._generations.changed(customer_id)  # a read in flight may not have it
        cached = self._cache.get(customer_id)
        if cached is not None:
            if not cached or cached[-1]["at"] <= at:
                # The latest entry, as a read sorted by `at` would list it: no re-read.
                self._cache_put(customer_id, [*cached, entry])
            else:
                self._forget(customer_id)  # recorded out of order: re-read
        return entry

    async def history(self, customer_id: str) -> list[LedgerEntryDoc]:
        """The customer's ledger, oldest first, as copies of the documents (for the API and
        the export, which show them as stored)."""
        return [entry.copy() for entry in await self.entries(customer_id)]

    async def entries(self, customer_id: str) -> list[LedgerEntryDoc]:
        """The customer's ledger, oldest first."""
        cached = self._cache.get(customer_id) if self.coherence.trusted() else None
        if cached is not None:
            self._cache.move_to_end(customer_id)
            return list(cached)
        with self._generations.read() as read:
            cursor = self._c.find({"customer_id": customer_id}).sort("at", 1)  # by_customer
            entries = [doc async for doc in cursor]
            if read.unchanged(customer_id):  # else changed meanwhile: this may be old
                self._cache_put(customer_id, entries)
        return list(entries)

    async def granted(self, customer_id: str, purpose: str) -> set[str]:
        """Categories whose latest decision for this purpose is a grant."""
        state: dict[str, str] = {}
        for entry in await self.entries(customer_id):
            if entry["purpose"] == purpose:
                for category in entry["categories"]:
                    state[category] = entry["decision"]
        return {c for c, d in state.items() if d == "granted"}

    async def pseudonymise(self, customer_id: str, pseudonym: str) -> int:
        """After a deletion the ledger stays as the evidence the law requires, without naming
        the customer: `customer_id` (and the customer's own `decided_by.id`) become the
        pseudonym; message and connection ids and a guardian's name are dropped; decision,
        categories, purpose, policy version, times and the guardian's relationship stay.
        Idempotent (an entry already pseudonymised no longer matches)."""
        changed = 0
        cursor = self._c.find({"customer_id": customer_id})  # index: by_customer
        for entry in [doc async for doc in cursor]:
            decided_by = entry["decided_by"].copy()
            if decided_by["id"] == customer_id:
                decided_by["id"] = pseudonym
            guardian = decided_by.get("guardian")
            if guardian is not None:
                decided_by["guardian"] = GuardianDoc(relationship=guardian["relationship"])
            evidence = entry["evidence"].copy()
            evidence["message_ids"] = []
            evidence["connection_id"] = None
            result = await self._c.update_one(
                {"_id": entry["_id"], "customer_id": customer_id},  # index: _id
                {
                    "$set": {
                        "customer_id": pseudonym,
                        "decided_by": decided_by,
                        "evidence": evidence,
                        "pseudonymised": True,
                    }
                },
            )
            changed += result.modified_count
        self._forget(customer_id)
        self._forget(pseudonym)
        self.coherence.changed("consents", customer_id)
        self.coherence.changed("consents", pseudonym)
        return changed


def _copy(request: ConsentRequestDoc) -> ConsentRequestDoc:
    copy = request.copy()
    copy["message_ids"] = list(request.get("message_ids", []))
    return copy


class ConsentRequests:
    def __init__(self, collection: AsyncCollection[Any]) -> None:
        # The client reads every collection as plain dicts; these are consent requests.
        self._c: AsyncCollection[ConsentRequestDoc] = collection
        # customer -> {request id: request} of their pending requests (every purpose).
        self._open: OrderedDict[str, dict[str, ConsentRequestDoc]] = OrderedDict()
        self._generations = Generations()  # reads in flight see changes made meanwhile
        self.coherence: Coherence = LOCAL  # other instances' view of this cache

    def invalidate(self, customer_id: str) -> None:
        """Another instance changed this customer's requests: re-read them on next use."""
        self._open.pop(customer_id, None)
        self._generations.changed(customer_id)

    def clear(self) -> None:
        self._open.clear()
        self._generations.cleared()

    def _open_put(self, customer_id: str, requests: dict[str, ConsentRequestDoc]) -> None:
        self._open[customer_id] = requests
        self._open.move_to_end(customer_id)
        while len(self._open) > OPEN_REQUESTS_CACHE_CUSTOMERS:
            self._open.popitem(last=False)

    def _closed(self, request: ConsentRequestDoc) -> None:
        """`request` is no longer pending: out of its customer's cached open requests."""
        self._generations.changed(request.get("customer_id", ""))
        cached = self._open.get(request.get("customer_id", ""))
        if cached is not None:
            cached.pop(request["_id"], None)

    async def ensure_indexes(self) -> None:
        await self._c.create_index([("customer_id", 1), ("status", 1)], name="by_customer")
        await self._c.create_index([("status", 1), ("expires_at", 1)], name="due")
        await self._c.create_index([("applied", 1), ("decided_at", 1)], name="unapplied")
        await self._c.create_index("message_ids", name="by_message")

    async def pending_counts(self, since: datetime, until: datetime) -> Counter[str]:
        """Per category, requests still pending that were opened in [since, until)."""
        counts: Counter[str] = Counter()
        cursor = self._c.find(  # index: due (prefix status)
            {"status": "pending", "created_at": {"$gte": since, "$lt": until}},
            projection={"categories": 1},
        )
        async for request in cursor:
            counts.update(request["categories"])
        return counts

    async def pending_for(
        self, customer_id: str, purpose: str, *, fresh: bool = False
    ) -> list[ConsentRequestDoc]:
        """The customer's pending requests for `purpose`: from this process's cache once
        read, unless `fresh` (then read from the store, and the cache refreshed)."""
        trusted = not fresh and self.coherence.trusted()
        cached = self._open.get(customer_id) if trusted else None
        if cached is None:
            with self._generations.read() as read:
                cursor = self._c.find(  # index: by_customer
                    {"customer_id": customer_id, "status": "pending"}
                )
                cached = {doc["_id"]: doc async for doc in cursor}
                if read.unchanged(customer_id):  # else changed meanwhile: this may be old
                    self._open_put(customer_id, cached)
        else:
            self._open.move_to_end(customer_id)
        return [_copy(r) for r in cached.values() if r["purpose"] == purpose]

    async def create(self, new: NewRequestDoc) -> ConsentRequestDoc:
        doc = ConsentRequestDoc(
            _id="cr_" + secrets.token_hex(12),
            status="pending",
            customer_id=new["customer_id"],
            conversation_id=new["conversation_id"],
            purpose=new["purpose"],
            categories=new["categories"],
            message_ids=new["message_ids"],
            guardian_required=new["guardian_required"],
            language=new["language"],
            policy_version=new["policy_version"],
            created_at=new["created_at"],
            expires_at=new["expires_at"],
        )
        await self._c.insert_one(doc)
        self.coherence.changed("consent_requests", doc["customer_id"])
        self._generations.changed(doc["customer_id"])  # a read in flight may not have it
        cached = self._open.get(doc["customer_id"])
        if cached is not None:
            cached[doc["_id"]] = _copy(doc)
        return doc

    async def attach_message(self, request: ConsentRequestDoc, message_id: str) -> bool:
        """Add the message to `request` if it is still pending in the store (one
        conditional update); False if it was decided meanwhile."""
        result = await self._c.update_one(  # index: _id
            {"_id": request["_id"], "status": "pending"},
            {"$addToSet": {"message_ids": message_id}},
        )
        if result.matched_count == 0:
            self._closed(request)
            return False
        self.coherence.changed("consent_requests", request["customer_id"])
        self._generations.changed(request["customer_id"])
        cached = self._open.get(request["customer_id"], {}).get(request["_id"])
        if cached is not None and message_id not in cached["message_ids"]:
            cached["message_ids"].append(message_id)
        return True

    async def get(self, request_id: str) -> ConsentRequestDoc | None:
        return await self._c.find_one({"_id": request_id})  # index: _id

    async def decide(
        self, request_id: str, status: RequestStatus, at: datetime, decided_by: DeciderDoc
    ) -> ConsentRequestDoc | None:
        """Move a pending request to its outcome; None if it was no longer pending."""
        decided = await self._c.find_one_and_update(
            {"_id": request_id, "status": "pending"},  # index: _id
            {
                "$set": {
                    "status": status,
                    "decided_at": at,
                    "decided_by": decided_by,
                    "applied": False,
                }
            },
            return_document=ReturnDocument.AFTER,
        )
        if decided is not None:
            self._closed(decided)
            self.coherence.changed("consent_requests", decided["customer_id"])
        return decided

    async def pending_with_message(self, message_id: str) -> bool:
        doc = await self._c.find_one(  # index: by_message
            {"message_ids": message_id, "status": "pending"}, projection={"_id": 1}
        )
        return doc is not None

    async def mark_applied(self, request_id: str) -> None:
        await self._c.update_one({"_id": request_id}, {"$set": {"applied": True}})  # index: _id

    async def unapplied(self, before: datetime, limit: int = 100) -> list[ConsentRequestDoc]:
        """Decided requests whose effects were interrupted (crash, store error)."""
        cursor = self._c.find(  # index: unapplied
            {"applied": False, "decided_at": {"$lte": before}}
        ).limit(limit)
        return [doc async for doc in cursor]

    async def due(self, now: datetime, limit: int = 100) -> list[ConsentRequestDoc]:
        cursor = (
            self._c.find(  # index: due
                {"status": "pending", "expires_at": {"$lte": now}}
            )
            .sort("expires_at", 1)
            .limit(limit)
        )
        return [doc async for doc in cursor]

    async def for_customer(self, customer_id: str) -> list[ConsentRequestDoc]:
        cursor = self._c.find({"customer_id": customer_id}).sort("created_at", 1)
        return [doc async for doc in cursor]  # index: by_customer

    # -- deletion (privacy policy 7.2) ---------------------------------------------------------

    async def delete_for_customer(
        self, customer_id: str, keep_conversations: set[str], batch: int = 500
    ) -> int:
        """Delete the customer's consent requests outside `keep_conversations` (held)."""
        deleted = 0
        query: dict[str, str | dict[str, list[str]]] = {"customer_id": customer_id}
        if keep_conversations:
            query["conversation_id"] = {"$nin": sorted(keep_conversations)}
        try:
            while True:
                cursor = self._c.find(query, projection={"_id": 1}).limit(batch)  # by_customer
                ids = [doc["_id"] async for doc in cursor]
                if not ids:
                    return deleted
                result = await self._c.delete_many({"_id": {"$in": ids}})  # index: _id
                deleted += result.deleted_count
        finally:
            self._open.pop(customer_id, None)  # re-read on next use
            self._generations.changed(customer_id)
            self.coherence.changed("consent_requests", customer_id)
