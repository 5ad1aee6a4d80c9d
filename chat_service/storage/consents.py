"""Owner of `consents` (the append-only ledger) and `consent_requests`.

The ledger is never updated in place: every decision (granted, refused, expired,
withdrawn) is a new entry naming the customer, the categories, the purpose, the policy
version, who decided (a guardian for a child), when, and the evidence (request, messages,
connection). The current state of a category is its latest entry.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, Literal

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection

Decision = Literal["granted", "refused", "expired", "withdrawn"]
RequestStatus = Literal["pending", "granted", "refused", "expired"]


class ConsentLedger:
    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self._c = collection

    async def ensure_indexes(self) -> None:
        await self._c.create_index([("customer_id", 1), ("at", 1)], name="by_customer")

    async def append(
        self,
        *,
        customer_id: str,
        purpose: str,
        categories: list[str],
        decision: Decision,
        policy_version: str,
        at: datetime,
        decided_by: dict[str, Any],
        evidence: dict[str, Any],
    ) -> dict[str, Any]:
        entry = {
            "_id": "cl_" + secrets.token_hex(12),
            "customer_id": customer_id,
            "purpose": purpose,
            "categories": sorted(categories),
            "decision": decision,
            "policy_version": policy_version,
            "at": at,
            "decided_by": decided_by,
            "evidence": evidence,
        }
        await self._c.insert_one(entry)
        return entry

    async def history(self, customer_id: str) -> list[dict[str, Any]]:
        cursor = self._c.find({"customer_id": customer_id}).sort("at", 1)  # index: by_customer
        return [doc async for doc in cursor]

    async def granted(self, customer_id: str, purpose: str) -> set[str]:
        """Categories whose latest decision for this purpose is a grant."""
        state: dict[str, str] = {}
        for entry in await self.history(customer_id):
            if entry["purpose"] == purpose:
                for category in entry["categories"]:
                    state[category] = entry["decision"]
        return {c for c, d in state.items() if d == "granted"}


class ConsentRequests:
    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self._c = collection

    async def ensure_indexes(self) -> None:
        await self._c.create_index([("customer_id", 1), ("status", 1)], name="by_customer")
        await self._c.create_index([("status", 1), ("expires_at", 1)], name="due")

    async def pending_for(self, customer_id: str, purpose: str) -> list[dict[str, Any]]:
        cursor = self._c.find(  # index: by_customer
            {"customer_id": customer_id, "status": "pending", "purpose": purpose}
        )
        return [doc async for doc in cursor]

    async def create(self, doc: dict[str, Any]) -> dict[str, Any]:
        doc = {"_id": "cr_" + secrets.token_hex(12), "status": "pending", **doc}
        await self._c.insert_one(doc)
        return doc

    async def attach_message(self, request_id: str, message_id: str) -> None:
        await self._c.update_one(  # index: _id
            {"_id": request_id, "status": "pending"}, {"$addToSet": {"message_ids": message_id}}
        )

    async def get(self, request_id: str) -> dict[str, Any] | None:
        return await self._c.find_one({"_id": request_id})  # index: _id

    async def decide(
        self, request_id: str, status: RequestStatus, at: datetime, decided_by: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Move a pending request to its outcome; None if it was no longer pending."""
        return await self._c.find_one_and_update(
            {"_id": request_id, "status": "pending"},  # index: _id
            {"$set": {"status": status, "decided_at": at, "decided_by": decided_by}},
            return_document=ReturnDocument.AFTER,
        )

    async def due(self, now: datetime, limit: int = 100) -> list[dict[str, Any]]:
        cursor = self._c.find(  # index: due
            {"status": "pending", "expires_at": {"$lte": now}}
        ).limit(limit)
        return [doc async for doc in cursor]

    async def for_customer(self, customer_id: str) -> list[dict[str, Any]]:
        cursor = self._c.find({"customer_id": customer_id}).sort("created_at", 1)
        return [doc async for doc in cursor]  # index: by_customer
