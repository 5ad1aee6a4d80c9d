"""Owner of `audit`: append-only record of who saw raw sensitive data, and of every
destruction of sensitive values (who, what, when, why). Never updated in place."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import NotRequired, TypedDict

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

# One value of an entry's `details`: ids, counts, flags, lists of ids, counts by kind.
AuditDetail = str | int | float | bool | None | Sequence[str] | Mapping[str, int]


class AuditDoc(TypedDict):
    """One entry. `actor` is `{role, id}`, a retention rule's adds `rule`."""

    _id: str
    at: datetime
    actor: dict[str, str]
    action: str
    customer_id: str
    message_id: str | None
    categories: list[str]
    reason: str
    details: dict[str, AuditDetail]
    pseudonymised: NotRequired[bool]


class AuditLog:
    def __init__(self, collection: AsyncCollection[AuditDoc]) -> None:
        self._c = collection

    async def ensure_indexes(self) -> None:
        await self._c.create_index([("customer_id", 1), ("at", 1)], name="by_customer")

    async def record(
        self,
        *,
        at: datetime,
        actor: Mapping[str, str],
        action: str,
        customer_id: str,
        reason: str,
        message_id: str | None = None,
        categories: list[str] | None = None,
        details: Mapping[str, AuditDetail] | None = None,
    ) -> None:
        await self._c.insert_one(
            _entry(
                "au_" + secrets.token_hex(12),
                at=at,
                actor=actor,
                action=action,
                customer_id=customer_id,
                reason=reason,
                message_id=message_id,
                categories=categories,
                details=details,
            )
        )

    async def for_customer(self, customer_id: str) -> list[AuditDoc]:
        cursor = self._c.find({"customer_id": customer_id}).sort("at", 1)  # index: by_customer
        return [doc async for doc in cursor]

    # -- deletion (privacy policy 7.2) ---------------------------------------------------------

    async def record_once(
        self,
        entry_id: str,
        *,
        at: datetime,
        actor: Mapping[str, str],
        action: str,
        customer_id: str,
        reason: str,
        details: Mapping[str, AuditDetail],
        pseudonymised: bool,
    ) -> bool:
        """`record` under a fixed id, so a step carried out again records it once; False when
        it was already recorded."""
        entry = _entry(
            entry_id,
            at=at,
            actor=actor,
            action=action,
            customer_id=customer_id,
            reason=reason,
            message_id=None,
            categories=None,
            details=details,
        )
        entry["pseudonymised"] = pseudonymised
        try:
            await self._c.insert_one(entry)
        except DuplicateKeyError:
            return False
        return True

    async def pseudonymise(self, customer_id: str, pseudonym: str) -> int:
        """After a deletion the audit stays (who saw or destroyed what, when, why) without
        naming the customer: `customer_id` and the customer's own `actor.id` become the
        pseudonym and message ids are dropped. The one update the log ever gets, required by
        the deletion itself; idempotent."""
        await self._c.update_many(  # index: by_customer
            {"customer_id": customer_id, "actor.id": customer_id},
            {"$set": {"actor.id": pseudonym}},
        )
        result = await self._c.update_many(  # index: by_customer
            {"customer_id": customer_id},
            {"$set": {"customer_id": pseudonym, "message_id": None, "pseudonymised": True}},
        )
        return result.modified_count


def _entry(
    entry_id: str,
    *,
    at: datetime,
    actor: Mapping[str, str],
    action: str,
    customer_id: str,
    reason: str,
    message_id: str | None,
    categories: list[str] | None,
    details: Mapping[str, AuditDetail] | None,
) -> AuditDoc:
    return {
        "_id": entry_id,
        "at": at,
        "actor": dict(actor),
        "action": action,
        "customer_id": customer_id,
        "message_id": message_id,
        "categories": sorted(categories or []),
        "reason": reason,
        "details": dict(details or {}),
    }
