"""Owner of the `conversations` collection.

Open conversations are cached in this process (every change to one goes through this
module, so the cache is updated with the write): a message in an open conversation then
costs no read. Closed conversations are read from the store. With several instances on
one MongoDB the cache must be invalidated through the same change feed as fan-out
(chat_service/fanout.py); until that backend exists the service runs one instance.

The customer's display name and shop fields (the `name` and `profile` claims of their
access token, chat_service/auth.py) are kept on each of their conversations as
`customer_name` / `customer_profile`: personal data that lives and dies with the
conversation (retention removes or anonymises it with the conversation, a deletion request
deletes it, the customer's export lists it). The newest token wins: a customer message whose
token carries other values updates the open conversation (docs/inbox.md). The customer's
language (`customer_lang`, "en" or "zh": the widget's language, else the token's `lang`
claim) is kept the same way, and also updated when the widget connects in another one.

A customer has at most one open conversation: `open_key` holds the customer id while the
conversation is open and is removed when it closes; a unique sparse index on it makes
"continue the open one or open a new one" safe across concurrent tabs and instances.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, NotRequired, TypedDict

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from chat_service.json_types import JsonObject
from chat_service.storage.coherence import LOCAL, Coherence, Generations, Read

Status = Literal["open", "closed"]
Priority = Literal["low", "normal", "high", "urgent"]
Lang = Literal["en", "zh"]
OPEN_CACHE_MAX = 50_000


class ReviewDoc(TypedDict):
    reason: str
    at: datetime


class ConversationDoc(TypedDict):
    """One conversation as stored (`open_key` while open, `minor` once flagged)."""

    _id: str
    customer_id: str
    open_key: NotRequired[str]
    status: Status
    agent_id: str | None
    created_at: datetime
    closed_at: datetime | None
    minor: NotRequired[bool]
    review: NotRequired[ReviewDoc]
    tags: NotRequired[list[str]]  # teamwork (docs/teamwork.md)
    priority: NotRequired[Priority]
    customer_name: NotRequired[str]
    customer_profile: NotRequired[dict[str, str]]
    customer_lang: NotRequired[Lang]
    # The inbox's mark (docs/inbox.md "Reads"): the seq of the newest staff message, 0 before
    # any; absent on conversations opened before it was kept.
    last_staff_seq: NotRequired[int]


@dataclass(frozen=True, slots=True)
class Conversation:
    id: str
    customer_id: str
    status: Status
    agent_id: str | None
    created_at: datetime
    closed_at: datetime | None
    minor: bool = False
    tags: tuple[str, ...] = ()  # teamwork (docs/teamwork.md)
    priority: Priority = "normal"
    customer_name: str | None = None
    customer_profile: Mapping[str, str] = field(default_factory=dict, compare=False)
    customer_lang: Lang | None = None

    @classmethod
    def from_doc(cls, doc: ConversationDoc) -> Conversation:
        return cls(
            id=doc["_id"],
            customer_id=doc["customer_id"],
            status=doc["status"],
            agent_id=doc.get("agent_id"),
            created_at=doc["created_at"],
            closed_at=doc.get("closed_at"),
            minor=bool(doc.get("minor", False)),
            tags=tuple(doc.get("tags", ())),
            priority=doc.get("priority", "normal"),
            customer_name=doc.get("customer_name"),
            customer_profile=dict(doc.get("customer_profile") or {}),
            customer_lang=doc.get("customer_lang"),
        )

    def to_public(self) -> JsonObject:
        return {
            "id": self.id,
            "customer_id": self.customer_id,
            "status": self.status,
            "agent_id": self.agent_id,
            "created_at": self.created_at.isoformat(),
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "minor": self.minor,
            "tags": list(self.tags),
            "priority": self.priority,
            "customer_name": self.customer_name,
            "customer_profile": dict(self.customer_profile),
            "customer_lang": self.customer_lang,
        }


class ConversationStore:
    def __init__(self, collection: AsyncCollection[Any]) -> None:
        # The collection as the driver hands it (its document type left open, PyMongo's
        # typing recipe); this owner names what it holds.
        self._c: AsyncCollection[ConversationDoc] = collection
        self._open: dict[str, Conversation] = {}  # open conversations by id
        self._open_by_customer: dict[str, str] = {}
        self._generations = Generations()  # reads in flight see changes made meanwhile
        self.coherence: Coherence = LOCAL  # other instances' view of this cache

    def invalidate(self, conversation_id: str) -> None:
        """Another instance changed this conversation: re-read it on next use."""
        self._forget(conversation_id)

    def clear(self) -> None:
        self._open.clear()
        self._open_by_customer.clear()
        self._generations.cleared()

    def _remember(self, conversation: Conversation, read: Read | None = None) -> Conversation:
        """Cache what the store answered; after a read (`read`), only if the conversation
        did not change while it was in flight (the answer may be the old state)."""
        if read is not None and not read.unchanged(conversation.id):
            return conversation
        if read is None:
            self._generations.changed(conversation.id)  # written here: reads in flight are old
        if conversation.status == "open":
            if len(self._open) >= OPEN_CACHE_MAX and conversation.id not in self._open:
                self._forget(next(iter(self._open)))
            self._open[conversation.id] = conversation
            self._open_by_customer[conversation.customer_id] = conversation.id
        else:
            self._forget(conversation.id)
        return conversation

    def _forget(self, conversation_id: str) -> None:
        self._generations.changed(conversation_id)
        gone = self._open.pop(conversation_id, None)
        if gone is not None and self._open_by_customer.get(gone.customer_id) == conversation_id:
            del self._open_by_customer[gone.customer_id]

    async def ensure_indexes(self) -> None:
        await self._c.create_index("open_key", unique=True, sparse=True, name="open_per_customer")
        await self._c.create_index([("customer_id", 1), ("created_at", -1)], name="by_customer")
        await self._c.create_index([("status", 1), ("agent_id", 1)], name="queue")

    async def get(self, conversation_id: str) -> Conversation | None:
        cached = self._open.get(conversation_id) if self.coherence.trusted() else None
        if cached is not None:
            return cached
        with self._generations.read() as read:
            doc = await self._c.find_one({"_id": conversation_id})  # index: _id
            return self._remember(Conversation.from_doc(doc), read) if doc else None

    async def find_open(self, customer_id: str) -> Conversation | None:
        cached = self._open_by_customer.get(customer_id) if self.coherence.trusted() else None
        if cached is not None:
            return self._open[cached]
        with self._generations.read() as read:
            doc = await self._c.find_one({"open_key": customer_id})  # index: open_per_customer
            return self._remember(Conversation.from_doc(doc), read) if doc else None

    async def open_for_customer(
        self,
        customer_id: str,
        now: datetime,
        name: str | None = None,
        profile: Mapping[str, str] | None = None,
        lang: Lang | None = None,
    ) -> tuple[Conversation, bool]:
        """The customer's open conversation, or a new one (with the customer's `name`, shop
        `profile` fields and language, when given). Returns (conversation, created).

        Called after `find_open` found none, so the insert comes first: the unique
        `open_key` refuses it if another tab or instance opened one meanwhile, and that
        one is read and used (one round trip fewer than looking first)."""
        for _ in range(3):
            new: ConversationDoc = {
                "_id": "c_" + secrets.token_hex(12),
                "customer_id": customer_id,
                "open_key": customer_id,
                "status": "open",
                "agent_id": None,
                "created_at": now,
                "closed_at": None,
                "last_staff_seq": 0,  # the inbox's mark, kept by `note_staff_message`
            }
            if name is not None:
                new["customer_name"] = name
            if profile:
                new["customer_profile"] = dict(profile)
            if lang is not None:
                new["customer_lang"] = lang
            try:
                await self._c.insert_one(new)
            except DuplicateKeyError:
                # Another tab opened it at the same moment: use theirs (if it closed
                # again before this read, try once more).
                with self._generations.read() as read:
                    doc = await self._c.find_one({"open_key": customer_id})  # open_per_customer
                    if doc is not None:
                        return self._remember(Conversation.from_doc(doc), read), False
                continue
            return self._remember(Conversation.from_doc(new)), True
        raise RuntimeError("could not open a conversation")  # pragma: no cover

    async def set_customer_fields(
        self, conversation_id: str, name: str | None, profile: Mapping[str, str]
    ) -> Conversation | None:
        """Replace the customer's display name and shop fields on an open conversation."""
        changes: dict[str, object] = {"customer_profile": dict(profile)}
        unset: dict[str, str] = {}
        if name is None:
            unset["customer_name"] = ""
        else:
            changes["customer_name"] = name
        update: dict[str, object] = {"$set": changes}
        if unset:
            update["$unset"] = unset
        doc = await self._c.find_one_and_update(
            {"_id": conversation_id, "status": "open"},  # index: _id
            update,
            return_document=ReturnDocument.AFTER,
        )
        self.coherence.changed("conversations", conversation_id)
        if doc is None:
            self._forget(conversation_id)
            return None
        return self._remember(Conversation.from_doc(doc))

    async def set_customer_lang(self, conversation_id: str, lang: Lang) -> Conversation | None:
        """Keep the customer's language on an open conversation; None if it is not open."""
        doc = await self._c.find_one_and_update(
            {"_id": conversation_id, "status": "open"},  # index: _id
            {"$set": {"customer_lang": lang}},
            return_document=ReturnDocument.AFTER,
        )
        self.coherence.changed("conversations", conversation_id)
        if doc is None:
            self._forget(conversation_id)
            return None
        return self._remember(Conversation.from_doc(doc))

    async def count_opened_since(self, customer_id: str, since: datetime) -> int:
        """Conversations of the customer created at or after `since` (open or not)."""
        query = {"customer_id": customer_id, "created_at": {"$gte": since}}
        return await self._c.count_documents(query)  # index: by_customer

    async def assign(self, conversation_id: str, agent_id: str) -> Conversation | None:
        """Assign an open, unassigned (or already ours) conversation; None if that lost."""
        with self._generations.read() as read:  # a close may overtake this answer
            doc = await self._c.find_one_and_update(
                {  # index: _id
                    "_id": conversation_id,
                    "status": "open",
                    "agent_id": {"$in": [None, agent_id]},
                },
                {"$set": {"agent_id": agent_id}},
                return_document=ReturnDocument.AFTER,
            )
            assigned = self._remember(Conversation.from_doc(doc), read) if doc else None
        self._generations.changed(conversation_id)  # reads in flight hold the old agent
        self.coherence.changed("conversations", conversation_id)
        return assigned

    async def transfer(
        self, conversation_id: str, from_agent: str | None, to_agent: str | None
    ) -> Conversation | None:
        """Compare-and-swap the agent of an open conversation: `from_agent` (None: the queue)
        to `to_agent` (None: back to the queue). None if the conversation is no longer open
        or no longer `from_agent`'s (another transfer, join or close won)."""
        doc = await self._c.find_one_and_update(
            {"_id": conversation_id, "status": "open", "agent_id": from_agent},  # index: _id
            {"$set": {"agent_id": to_agent}},
            return_document=ReturnDocument.AFTER,
        )
        self.coherence.changed("conversations", conversation_id)
        if doc is None:
            self._forget(conversation_id)  # re-read: the cached one may be stale
            return None
        return self._remember(Conversation.from_doc(doc))

    async def set_triage(
        self, conversation_id: str, tags: list[str] | None, priority: Priority | None
    ) -> Conversation | None:
        """Set the tags and/or the priority of a conversation (open or closed)."""
        changes: dict[str, object] = {}
        if tags is not None:
            changes["tags"] = tags
        if priority is not None:
            changes["priority"] = priority
        doc = await self._c.find_one_and_update(
            {"_id": conversation_id},  # index: _id
            {"$set": changes},
            return_document=ReturnDocument.AFTER,
        )
        self._forget(conversation_id)
        self.coherence.changed("conversations", conversation_id)
        return self._remember(Conversation.from_doc(doc)) if doc else None

    async def open_load(self, limit: int = 5_000) -> tuple[int, dict[str, int]]:
        """Open conversations: how many wait in the queue, and how many each agent has."""
        cursor = self._c.find(  # index: queue
            {"status": "open"}, projection={"agent_id": 1}
        ).limit(limit)
        unassigned = 0
        per_agent: dict[str, int] = {}
        async for doc in cursor:
            agent = doc.get("agent_id")
            if agent is None:
                unassigned += 1
            else:
                per_agent[agent] = per_agent.get(agent, 0) + 1
        return unassigned, per_agent

    async def close(self, conversation_id: str, now: datetime) -> Conversation | None:
        doc = await self._c.find_one_and_update(
            {"_id": conversation_id, "status": "open"},  # index: _id
            {"$set": {"status": "closed", "closed_at": now}, "$unset": {"open_key": ""}},
            return_document=ReturnDocument.AFTER,
        )
        self._forget(conversation_id)
        self.coherence.changed("conversations", conversation_id)
        return Conversation.from_doc(doc) if doc else None

    async def list_for_agent(self, agent_id: str, limit: int = 500) -> list[Conversation]:
        """The queue (open, unassigned) and the agent's own open conversations."""
        cursor = (
            self._c.find(  # index: queue
                {"status": "open", "agent_id": {"$in": [None, agent_id]}}
            )
            .sort("created_at", 1)
            .limit(limit)
        )
        return [Conversation.from_doc(doc) async for doc in cursor]

    async def list_all(self, status: Status | None, limit: int = 500) -> list[Conversation]:
        query: dict[str, object] = {} if status is None else {"status": status}
        cursor = self._c.find(query).sort("created_at", -1).limit(limit)  # index: queue
        return [Conversation.from_doc(doc) async for doc in cursor]

    # -- the inbox (docs/inbox.md) ----------------------------------------------------------

    async def count_where(self, query: Mapping[str, object]) -> int:
        return await self._c.count_documents(dict(query))  # index: queue

    async def list_where(
        self, query: Mapping[str, object], sort: str, skip: int, limit: int
    ) -> list[tuple[Conversation, int | None]]:
        """Conversations matching an inbox view's query (chat_service/actions/inbox.py),
        newest `sort` first, each with the seq of its newest staff message (0: none yet;
        None: opened before that was kept)."""
        cursor = self._c.find(dict(query)).sort(sort, -1).skip(skip).limit(limit)  # index: queue
        return [(Conversation.from_doc(doc), doc.get("last_staff_seq")) async for doc in cursor]

    async def note_staff_message(self, conversation_id: str, seq: int) -> None:
        """Keep the inbox's mark of a conversation whose staff has just stored message `seq`:
        one atomic `$max` (several instances or an out-of-order update end the same). Only
        staff messages write it (customers' messages, most of them, write nothing here); a
        conversation opened before the mark was kept gets none (the inbox reads all its
        messages). Not cached: the open-conversation cache holds no mark."""
        await self._c.update_one(
            {"_id": conversation_id, "last_staff_seq": {"$exists": True}},  # index: _id (key)
            {"$max": {"last_staff_seq": seq}},
        )

    async def list_for_customer(self, customer_id: str, limit: int = 100) -> list[Conversation]:
        cursor = (
            self._c.find({"customer_id": customer_id})
            .sort(  # index: by_customer
                "created_at", -1
            )
            .limit(limit)
        )
        return [Conversation.from_doc(doc) async for doc in cursor]

    async def mark_minor(self, conversation_id: str) -> None:
        """The customer of this conversation is a child under 14 (policy 5)."""
        await self._c.update_one({"_id": conversation_id}, {"$set": {"minor": True}})  # index: _id
        self._forget(conversation_id)  # re-read with the flag next time
        self.coherence.changed("conversations", conversation_id)

    async def flag_for_review(self, conversation_id: str, reason: str, at: datetime) -> None:
        await self._c.update_one(  # index: _id
            {"_id": conversation_id}, {"$set": {"review": {"reason": reason, "at": at}}}
        )

    # -- deletion (privacy policy 7.2) ---------------------------------------------------------

    async def ids_for_customer(
        self, customer_id: str, exclude: set[str], limit: int = 100
    ) -> list[str]:
        """The customer's conversation ids, except `exclude` (held ones)."""
        query: dict[str, str | dict[str, list[str]]] = {"customer_id": customer_id}
        if exclude:
            query["_id"] = {"$nin": sorted(exclude)}
        cursor = self._c.find(query, projection={"_id": 1}).limit(limit)  # index: by_customer
        return [doc["_id"] async for doc in cursor]

    async def delete(self, conversation_id: str) -> bool:
        """Delete a conversation record (its messages first) and drop it from the cache."""
        result = await self._c.delete_one({"_id": conversation_id})  # index: _id
        self._forget(conversation_id)
        self.coherence.changed("conversations", conversation_id)
        return result.deleted_count > 0

    # -- search (storage/search.py) -------------------------------------------------------------

    async def ids_visible_to_agent(self, agent_id: str, limit: int) -> list[str]:
        """The conversations an agent may read (actions/access.py `may_read`): theirs, open
        or closed, and the open unassigned queue; the newest `limit`."""
        cursor = (
            self._c.find(  # index: queue
                {"$or": [{"agent_id": agent_id}, {"status": "open", "agent_id": None}]},
                projection={"_id": 1},
            )
            .sort("created_at", -1)
            .limit(limit)
        )
        return [doc["_id"] async for doc in cursor]
