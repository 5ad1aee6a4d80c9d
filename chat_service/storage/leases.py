"""Owner of `leases`: which instance runs each periodic job (docs/deployment.md).

One document per job, `{_id: name, holder, expires_at}`. Taking is one atomic conditional
upsert: the lease is taken if it is free, lapsed (`expires_at <= now`) or already ours
(then it is a renewal); two takers of a free lease race on `_id` and the loser gets
`DuplicateKeyError`, so exactly one wins. Renewing is the same conditional update without
the upsert and only for the holder: a holder whose lease lapsed and was taken by another
learns it at its next renewal. Releasing deletes the document only if it is still ours.

Time: `now` and `until` come from the caller's clock (the instances' wall clocks, which
must agree to within a small part of a lease; NTP does that), so tests can move time.
Holder ids are unique per process and per taker (`new_holder`): host, pid and a random
part, so two apps in one process, or a restarted process reusing a pid, never share one.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import datetime
from typing import Any, TypedDict

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError


class LeaseDoc(TypedDict):
    _id: str
    holder: str
    expires_at: datetime


def new_holder(kind: str | None = None) -> str:
    """A holder id unique to this taker: `host:pid:random` (`host:pid:kind-random`)."""
    random = secrets.token_hex(4)
    tail = f"{kind}-{random}" if kind else random
    return f"{socket.gethostname()}:{os.getpid()}:{tail}"


class Leases:
    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self._leases = collection

    async def take(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Take (or renew) the lease if it is free, lapsed or ours: True if we hold it."""
        try:
            doc = await self._leases.find_one_and_update(
                {"_id": name, "$or": [{"expires_at": {"$lte": now}}, {"holder": holder}]},
                {"$set": {"holder": holder, "expires_at": until}},  # index: _id
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            return False  # held by someone else (the upsert lost the race on _id)
        return doc is not None and doc.get("holder") == holder

    async def renew(self, name: str, holder: str, until: datetime) -> bool:
        """Extend a lease we still hold; False if it is gone or another holder has it
        (ours lapsed and was taken): the caller must stop the work it guards."""
        result = await self._leases.update_one(
            {"_id": name, "holder": holder},  # index: _id
            {"$set": {"expires_at": until}},
        )
        return result.matched_count == 1

    async def release(self, name: str, holder: str) -> None:
        """Give the lease up (only if still ours), so another instance takes it at once."""
        await self._leases.delete_one({"_id": name, "holder": holder})  # index: _id

    async def get(self, name: str) -> LeaseDoc | None:
        doc = await self._leases.find_one({"_id": name})  # index: _id
        if doc is None:
            return None
        return {"_id": doc["_id"], "holder": doc["holder"], "expires_at": doc["expires_at"]}
