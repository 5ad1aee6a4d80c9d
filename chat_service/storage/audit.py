"""Owner of `audit`: append-only record of who saw raw sensitive data, and of every
destruction of sensitive values (who, what, when, why). Never updated in place."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NotRequired, TypedDict

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


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What the privacy officer's workspace asks of the audit: every field optional; `since`
    inclusive, `until` exclusive (aware datetimes)."""

    customer_id: str | None = None
    actor_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def query(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.customer_id is not None:
            out["customer_id"] = self.customer_id
        if self.actor_id is not None:
            out["actor.id"] = self.actor_id
        at: dict[str, datetime] = {}
        if self.since is not None:
            at["$gte"] = self.since
        if self.until is not None:
            at["$lt"] = self.until
        if at:
            out["at"] = at
        return out


class AuditLog:
    def __init__(self, collection: AsyncCollection[AuditDoc]) -> None:
        self._c = collection

    async def ensure_indexes(self) -> None:
        await self._c.create_index([("customer_id", 1), ("at", 1)], name="by_customer")
        await self._c.create_index([("at", -1), ("_id", -1)], name="by_time")
        await self._c.create_index([("actor.id", 1), ("at", -1)], name="by_actor")

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
    ) -> str:
        """Append an entry; its id."""
        entry_id = "au_" + secrets.token_hex(12)
        await self._c.insert_one(
            _entry(
                entry_id,
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
        return entry_id

    async def for_customer(self, customer_id: str) -> list[AuditDoc]:
        cursor = self._c.find({"customer_id": customer_id}).sort("at", 1)  # index: by_customer
        return [doc async for doc in cursor]

    # -- the privacy officer's workspace (docs/privacy-workspace.md) ---------------------------

    async def page(
        self, where: AuditFilter, *, before: tuple[datetime, str] | None, limit: int
    ) -> list[AuditDoc]:
        """Entries matching `where`, newest first, keyset-paged: those strictly older than
        `before` (its `at` and `_id`, the last entry of the previous page)."""
        query = where.query()
        if before is not None:
            at, entry_id = before
            query = {
                "$and": [
                    query,
                    {"$or": [{"at": {"$lt": at}}, {"at": at, "_id": {"$lt": entry_id}}]},
                ]
            }
        cursor = self._c.find(query).sort([("at", -1), ("_id", -1)]).limit(limit)  # index: by_*
        return [doc async for doc in cursor]

    async def count(self, where: AuditFilter) -> int:
        return await self._c.count_documents(where.query())  # index: by_customer/by_actor/by_time

    async def stream(
        self, where: AuditFilter, limit: int, *, besides: str
    ) -> AsyncIterator[AuditDoc]:
        """Entries matching `where` but `besides` (the export's own record), newest first, at
        most `limit`, read as they are sent."""
        query = {"$and": [where.query(), {"_id": {"$ne": besides}}]}
        cursor = self._c.find(query).sort([("at", -1), ("_id", -1)]).limit(limit)
        async for doc in cursor:  # index: by_customer/by_actor/by_time
            yield doc

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
