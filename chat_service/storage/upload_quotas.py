"""Owner of `upload_quotas`: the bytes each customer uploaded on each UTC day, so that a
daily quota holds across restarts and instances (docs/attachments.md, "Quotas").

One document per customer and day: `{_id: "<day>:<customer_id>", customer_id, day:
"YYYY-MM-DD", bytes, expires_at}`. `reserve` adds an upload's bytes only if the total stays
within the quota, in one atomic update (an upsert whose filter carries the condition: when
the day's document exists but is too full, the upsert collides with it and is refused).
A customer's earlier days are deleted when their first upload of a new day is counted, and
a TTL index on `expires_at` removes the rest (a customer who never uploads again).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypedDict

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

KEEP_AFTER_DAY = timedelta(days=2)


def day_of(now: datetime) -> str:
    return now.date().isoformat()


class QuotaDoc(TypedDict):
    """One customer's day (see the module docstring)."""

    _id: str
    customer_id: str
    day: str
    bytes: int
    expires_at: datetime


class UploadQuotas:
    def __init__(self, collection: AsyncCollection[QuotaDoc]) -> None:
        self._c = collection

    async def ensure_indexes(self) -> None:
        await self._c.create_index("expires_at", expireAfterSeconds=0, name="expiry")
        await self._c.create_index("customer_id", name="by_customer")

    async def reserve(self, customer_id: str, size: int, limit: int, now: datetime) -> bool:
        """Count `size` more bytes for the customer today if the total stays <= `limit`."""
        if size > limit:
            return False
        day = day_of(now)
        key = f"{day}:{customer_id}"
        try:
            before = await self._c.find_one_and_update(
                {"_id": key, "bytes": {"$lte": limit - size}},  # index: _id
                {
                    "$inc": {"bytes": size},
                    "$setOnInsert": {
                        "customer_id": customer_id,
                        "day": day,
                        "expires_at": now + KEEP_AFTER_DAY,
                    },
                },
                upsert=True,
            )
        except DuplicateKeyError:
            return False  # today's document exists and has no room for this upload
        if before is None:  # the day's first upload: earlier days are no longer needed
            await self._c.delete_many(
                {"customer_id": customer_id, "day": {"$ne": day}}  # index: by_customer
            )
        return True

    async def give_back(self, customer_id: str, size: int, now: datetime) -> None:
        """Uncount an upload that was refused after it was counted."""
        await self._c.update_one(
            {"_id": f"{day_of(now)}:{customer_id}", "bytes": {"$gte": size}},  # index: _id
            {"$inc": {"bytes": -size}},
        )

    async def used(self, customer_id: str, now: datetime) -> int:
        doc = await self._c.find_one({"_id": f"{day_of(now)}:{customer_id}"})  # index: _id
        return int(doc["bytes"]) if doc else 0
