"""Full-text search over the `messages` collection (owned by storage/messages.py, which writes
each message's `search_terms` with its masked text; docs/search.md).

One query shape on MongoDB and on the embedded store: `{"search_terms": {"$all": terms}}`
(plus the conversations an agent may see), newest first. On MongoDB the multikey index
`search_terms` serves it (MongoDB's own text index would need a tokenizer that knows
Chinese; `$all` over our own terms is the same lookup a text index makes), and the index
`newest_first` its sort. On the embedded store the engine serves the same query from
mongoeco's multikey entries (storage/embedded_term_reads.py; mongoeco's `$text` is a
Python scan of every document). See docs/search.md for the figures.
"""

from __future__ import annotations

from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from chat_service.search_terms import terms_of
from chat_service.storage.messages import MessageDoc

BACKFILL_BATCH = 500


class MessageSearch:
    def __init__(self, collection: AsyncCollection[Any]) -> None:
        self._c: AsyncCollection[MessageDoc] = collection

    async def find(
        self, terms: list[str], conversation_ids: list[str] | None, skip: int, limit: int
    ) -> list[MessageDoc]:
        """Messages holding every one of `terms`, newest first; only in `conversation_ids`
        unless None (every conversation)."""
        query: dict[str, Any] = {"search_terms": {"$all": terms}}
        if conversation_ids is not None:
            query["conversation_id"] = {"$in": conversation_ids}
        cursor = (
            self._c.find(query)  # index: search_terms, newest_first
            .sort([("created_at", -1), ("_id", 1)])
            .skip(skip)
            .limit(limit)
        )
        return [doc async for doc in cursor]

    async def backfill(self, batch: int = BACKFILL_BATCH) -> int:
        """Give `search_terms` to the messages stored before the field existed; returns how
        many. Idempotent and resumable: it walks `_id` order and only writes messages that
        lack the field, each guarded on its text (a message changed meanwhile keeps the
        terms its writer gave it)."""
        done = 0
        after = ""
        while True:
            cursor = (
                self._c.find(  # index: _id
                    {"_id": {"$gt": after}}, projection={"_id": 1, "text": 1, "search_terms": 1}
                )
                .sort("_id", 1)
                .limit(batch)
            )
            docs = [doc async for doc in cursor]
            if not docs:
                return done
            after = docs[-1]["_id"]
            updates = [
                UpdateOne(
                    {"_id": d["_id"], "text": d.get("text"), "search_terms": {"$exists": False}},
                    {"$set": {"search_terms": terms_of(d.get("text"))}},
                )
                for d in docs
                if "search_terms" not in d
            ]
            if updates:
                result = await self._c.bulk_write(updates, ordered=False)  # index: _id
                done += result.modified_count
