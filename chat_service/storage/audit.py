"""Owner of `audit`: append-only record of who saw raw sensitive data, and of every
destruction of sensitive values (who, what, when, why). Never updated in place."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection


class AuditLog:
    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self._c = collection

    async def ensure_indexes(self) -> None:
        await self._c.create_index([("customer_id", 1), ("at", 1)], name="by_customer")

    async def record(
        self,
        *,
        at: datetime,
        actor: dict[str, Any],
        action: str,
        customer_id: str,
        reason: str,
        message_id: str | None = None,
        categories: list[str] | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        await self._c.insert_one(
            {
                "_id": "au_" + secrets.token_hex(12),
                "at": at,
                "actor": actor,
                "action": action,
                "customer_id": customer_id,
                "message_id": message_id,
                "categories": sorted(categories or []),
                "reason": reason,
                "details": details or {},
            }
        )

    async def for_customer(self, customer_id: str) -> list[dict[str, Any]]:
        cursor = self._c.find({"customer_id": customer_id}).sort("at", 1)  # index: by_customer
        return [doc async for doc in cursor]
