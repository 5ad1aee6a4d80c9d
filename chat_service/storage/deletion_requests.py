"""Owner of `deletion_requests` (privacy policy 7.2): one document per request, kept as
evidence that it was filed and fulfilled.

`{_id: "dr_...", customer_id, filed_by: {role, id}, received_at, due_at, status, history:
[{at, status, note}], held: {customer, conversations, holds} | None, deleted: {conversations,
messages, consent_requests}, key_shredded, completed_at, pseudonymised}`.

Status: "received" -> "in_progress" -> "completed", or "partially_completed" while a legal
hold keeps some of the customer's data (then "completed" once it is lifted). On completion
`customer_id` (and a customer's own `filed_by.id`) become the customer's pseudonym and
`pseudonymised` is true.

A customer has at most one open request: `open_key` holds the customer id until the request
is completed, and a unique sparse index on it turns a second filing (two tabs, a customer and
an officer at once) into the request already open.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Literal, NotRequired, TypedDict

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from chat_service.storage.actors import ActorDoc

DeletionStatus = Literal["received", "in_progress", "completed", "partially_completed"]
OPEN_STATUSES: tuple[DeletionStatus, ...] = ("received", "in_progress", "partially_completed")
LIST_LIMIT = 1000


class HistoryEntryDoc(TypedDict):
    at: datetime
    status: DeletionStatus
    note: str


class HeldHoldDoc(TypedDict):
    """A hold that keeps part of the customer's data, as the request records it."""

    id: str
    scope: str
    conversation_id: str | None
    reason: str
    set_at: datetime


class HeldDoc(TypedDict):
    """What legal holds keep while the request is partially completed."""

    customer: bool
    conversations: list[str]
    holds: list[HeldHoldDoc]


class DeletedDoc(TypedDict):
    """Running totals of what the request's passes deleted."""

    conversations: int
    messages: int
    consent_requests: int
    attachments: int


class FilingDoc(TypedDict):
    """A new request as filed, before `file` gives it its `_id` and `open_key`."""

    customer_id: str
    filed_by: ActorDoc
    received_at: datetime
    due_at: datetime
    due_at_basis: str
    status: DeletionStatus
    history: list[HistoryEntryDoc]
    held: HeldDoc | None
    deleted: DeletedDoc
    key_shredded: bool
    completed_at: datetime | None
    pseudonymised: bool


class DeletionRequestDoc(FilingDoc):
    """One request as stored (see the module docstring)."""

    _id: str
    open_key: NotRequired[str]


class RequestChanges(TypedDict, total=False):
    """Fields a transition or the completion sets besides the status."""

    held: HeldDoc | None
    key_shredded: bool


def new_request_id() -> str:
    return "dr_" + secrets.token_hex(12)


class DeletionRequests:
    def __init__(self, collection: AsyncCollection[DeletionRequestDoc]) -> None:
        self._c = collection

    async def ensure_indexes(self) -> None:
        await self._c.create_index(
            "open_key", unique=True, sparse=True, name="one_open_per_customer"
        )
        await self._c.create_index([("customer_id", 1), ("received_at", 1)], name="by_customer")
        await self._c.create_index([("status", 1), ("due_at", 1)], name="by_status")

    async def file(self, doc: FilingDoc) -> tuple[DeletionRequestDoc, bool]:
        """Store a new request (`doc` without `_id`/`open_key`); (request, True), or (the
        customer's request already open, False)."""
        customer_id = doc["customer_id"]
        for _ in range(3):
            new: DeletionRequestDoc = {"_id": new_request_id(), "open_key": customer_id, **doc}
            try:
                await self._c.insert_one(new)
            except DuplicateKeyError:
                existing = await self._c.find_one({"open_key": customer_id})  # index: one_open
                if existing is not None:
                    return existing, False
                continue  # completed in between: file a new one
            return new, True
        raise RuntimeError("could not file a deletion request")  # pragma: no cover

    async def get(self, request_id: str) -> DeletionRequestDoc | None:
        return await self._c.find_one({"_id": request_id})  # index: _id

    async def for_customer(self, customer_ids: list[str]) -> list[DeletionRequestDoc]:
        """Requests filed for any of these ids (the customer's id and their pseudonym)."""
        cursor = self._c.find({"customer_id": {"$in": customer_ids}}).sort(  # index: by_customer
            "received_at", 1
        )
        return [doc async for doc in cursor]

    async def open_requests(self, limit: int = 100) -> list[DeletionRequestDoc]:
        """Requests not completed yet, the oldest deadline first."""
        cursor = (
            self._c.find({"status": {"$in": list(OPEN_STATUSES)}})  # index: by_status
            .sort("due_at", 1)
            .limit(limit)
        )
        return [doc async for doc in cursor]

    async def completed_requests(self, limit: int = LIST_LIMIT) -> list[DeletionRequestDoc]:
        """Completed requests (pseudonymised), the most recently received first."""
        cursor = (
            self._c.find({"status": "completed"})  # index: by_status (prefix)
            .sort("received_at", -1)
            .limit(limit)
        )
        return [doc async for doc in cursor]

    async def all(self, limit: int = LIST_LIMIT) -> list[DeletionRequestDoc]:
        cursor = self._c.find({}).sort("received_at", -1).limit(limit)  # index: none (report)
        return [doc async for doc in cursor]

    async def transition(
        self,
        request_id: str,
        *,
        from_statuses: tuple[DeletionStatus, ...],
        status: DeletionStatus,
        at: datetime,
        note: str,
        changes: RequestChanges | None = None,
    ) -> DeletionRequestDoc | None:
        """Move a request on (atomically, only from `from_statuses`), with a history entry;
        the new document, or None when it was not in one of those statuses."""
        return await self._c.find_one_and_update(
            {"_id": request_id, "status": {"$in": list(from_statuses)}},  # index: _id
            {
                "$set": {"status": status, **(changes or {})},
                "$push": {"history": {"at": at, "status": status, "note": note}},
            },
            return_document=ReturnDocument.AFTER,
        )

    async def count_deleted(self, request_id: str, counts: DeletedDoc) -> None:
        """Add what one pass deleted to the request's running totals."""
        increments = {f"deleted.{k}": v for k, v in counts.items() if v}
        if increments:
            await self._c.update_one({"_id": request_id}, {"$inc": increments})  # index: _id

    async def complete(
        self,
        request_id: str,
        *,
        pseudonym: str,
        filed_by: ActorDoc,
        at: datetime,
        note: str,
        changes: RequestChanges,
    ) -> DeletionRequestDoc | None:
        """The last step: completed, pseudonymised, no longer the customer's open request."""
        return await self._c.find_one_and_update(
            {"_id": request_id, "status": {"$in": list(OPEN_STATUSES)}},  # index: _id
            {
                "$set": {
                    "status": "completed",
                    "completed_at": at,
                    "customer_id": pseudonym,
                    "filed_by": filed_by,
                    "pseudonymised": True,
                    "held": None,
                    **changes,
                },
                "$unset": {"open_key": ""},
                "$push": {"history": {"at": at, "status": "completed", "note": note}},
            },
            return_document=ReturnDocument.AFTER,
        )
