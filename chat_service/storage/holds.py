"""Owner of `legal_holds` (privacy policy 4.3): data kept beyond its retention, and beyond a
deletion request, while a dispute or the law requires it.

One document per hold, never deleted: `{_id: "lh_...", scope: "customer"|"conversation",
customer_id, conversation_id (None for a customer hold), reason, active, set_by: {role, id},
set_at, lifted_at, lifted_by, lift_reason}`. A hold is active until it is lifted; a lifted one
stays as the record of what was held, by whom and why.

At most one ACTIVE hold per target: `active_key` ("customer:<id>" or "conversation:<id>")
is set while the hold is active and removed when it is lifted, and a unique sparse index on
it makes setting a hold twice (two officers, two instances) return the one already active.

Readers outside privacy (the retention engine) exclude data under an active hold in their
queries: `active_customer_ids()` and `active_conversation_ids()`.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Literal, NotRequired, TypedDict

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from chat_service.storage.actors import ActorDoc, actor_doc

HoldScope = Literal["customer", "conversation"]
SCOPES: tuple[HoldScope, ...] = ("customer", "conversation")
LIST_LIMIT = 1000


def active_key(scope: HoldScope, customer_id: str | None, conversation_id: str | None) -> str:
    target = customer_id if scope == "customer" else conversation_id
    if not target:
        raise ValueError(f"a {scope} hold needs its {scope} id")
    return f"{scope}:{target}"


class HoldDoc(TypedDict):
    """One hold as stored (see the module docstring)."""

    _id: str
    scope: HoldScope
    customer_id: str
    conversation_id: str | None
    reason: str
    active: bool
    active_key: NotRequired[str]
    set_by: ActorDoc
    set_at: datetime
    lifted_at: datetime | None
    lifted_by: ActorDoc | None
    lift_reason: str | None
    pseudonymised: NotRequired[bool]


class LegalHolds:
    def __init__(self, collection: AsyncCollection[HoldDoc]) -> None:
        self._c = collection

    async def ensure_indexes(self) -> None:
        await self._c.create_index(
            "active_key", unique=True, sparse=True, name="one_active_per_target"
        )
        await self._c.create_index([("customer_id", 1), ("active", 1)], name="by_customer")
        await self._c.create_index([("active", 1), ("set_at", -1)], name="by_state")

    async def add(
        self,
        *,
        scope: HoldScope,
        customer_id: str,
        conversation_id: str | None,
        reason: str,
        by: ActorDoc | Mapping[str, str],
        at: datetime,
    ) -> tuple[HoldDoc, bool]:
        """Set a hold; (the hold, True) or (the one already active on this target, False)."""
        key = active_key(scope, customer_id, conversation_id)
        doc: HoldDoc = {
            "_id": "lh_" + secrets.token_hex(12),
            "scope": scope,
            "customer_id": customer_id,
            "conversation_id": conversation_id if scope == "conversation" else None,
            "reason": reason,
            "active": True,
            "active_key": key,
            "set_by": actor_doc(by),
            "set_at": at,
            "lifted_at": None,
            "lifted_by": None,
            "lift_reason": None,
        }
        for _ in range(3):
            try:
                await self._c.insert_one(doc)
            except DuplicateKeyError:
                existing = await self._c.find_one({"active_key": key})  # index: one_active_...
                if existing is not None:
                    return existing, False
                continue  # lifted in between: try again
            return doc, True
        raise RuntimeError(f"could not set a hold on {key}")  # pragma: no cover

    async def lift(
        self,
        *,
        scope: HoldScope,
        customer_id: str | None,
        conversation_id: str | None,
        by: ActorDoc | Mapping[str, str],
        at: datetime,
        reason: str,
    ) -> HoldDoc | None:
        """Lift the active hold on this target; None if there is none."""
        return await self._c.find_one_and_update(
            {"active_key": active_key(scope, customer_id, conversation_id)},  # index: one_active
            {
                "$set": {
                    "active": False,
                    "lifted_at": at,
                    "lifted_by": actor_doc(by),
                    "lift_reason": reason,
                },
                "$unset": {"active_key": ""},
            },
            return_document=ReturnDocument.AFTER,
        )

    async def active_for_customer(self, customer_id: str) -> list[HoldDoc]:
        """Every active hold on the customer or on one of their conversations."""
        cursor = self._c.find({"customer_id": customer_id, "active": True})  # index: by_customer
        return [doc async for doc in cursor]

    async def holding(self, customer_id: str, conversation_id: str) -> HoldDoc | None:
        """The active hold that keeps this conversation (its own, or its customer's), if any."""
        keys = [
            active_key("conversation", customer_id, conversation_id),
            active_key("customer", customer_id, None),
        ]
        return await self._c.find_one({"active_key": {"$in": keys}})  # index: one_active_...

    async def listing(self, *, active: bool | None, limit: int = LIST_LIMIT) -> list[HoldDoc]:
        query: dict[str, bool] = {} if active is None else {"active": active}
        cursor = self._c.find(query).sort("set_at", -1).limit(limit)  # index: by_state
        return [doc async for doc in cursor]

    async def active_customer_ids(self) -> set[str]:
        """Customers held as a whole (for the retention engine's queries)."""
        cursor = self._c.find(  # index: by_state
            {"active": True, "scope": "customer"}, projection={"customer_id": 1}
        )
        return {doc["customer_id"] async for doc in cursor}

    async def active_conversation_ids(self) -> set[str]:
        """Conversations held one by one (for the retention engine's queries)."""
        cursor = self._c.find(  # index: by_state
            {"active": True, "scope": "conversation"}, projection={"conversation_id": 1}
        )
        return {
            doc["conversation_id"] async for doc in cursor if doc["conversation_id"] is not None
        }

    async def pseudonymise(self, customer_id: str, pseudonym: str) -> int:
        """After a deletion: lifted holds keep what was held and why, under the pseudonym."""
        result = await self._c.update_many(  # index: by_customer
            {"customer_id": customer_id, "active": False},
            {"$set": {"customer_id": pseudonym, "pseudonymised": True}},
        )
        return result.modified_count
