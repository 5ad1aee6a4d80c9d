"""Owner of the `saved_replies` and `saved_reply_changes` collections: the shop's saved
replies as supervisors edit them (docs/agent-speed.md).

config/replies.toml seeds the shop's defaults once: the first read or write of a store that
was never seeded inserts them and a marker (`_id` "#seeded", not a valid shortcut), so a
reply a supervisor deleted does not come back at the next start. After that the collection
is the truth; the file is read again only by a store that was never seeded.

Each reply's `_id` is its shortcut (`key`): the unique `_id` refuses a second reply with
the same shortcut, whichever instance writes it. Every change (create, update, delete)
appends who made it and when to `saved_reply_changes`, with the reply as it was after the
change (before it, for a delete).
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal, TypedDict

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError

SEEDED_ID = "#seeded"
ChangeAction = Literal["create", "update", "delete"]


class Wording(TypedDict):
    en: str
    zh: str


class ReplyDoc(TypedDict):
    _id: str  # the shortcut (`key`)
    title: Wording
    text: Wording
    updated_at: datetime | None  # None: seeded from config/replies.toml
    updated_by: str | None


class ChangeDoc(TypedDict):
    _id: str
    at: datetime
    actor: dict[str, str]  # {role, id}
    action: ChangeAction
    key: str
    reply: dict[str, Any]  # {title, text}: after the change (before it, for a delete)


class ReplyStore:
    def __init__(
        self, replies: AsyncCollection[Any], changes: AsyncCollection[Any], limit: int
    ) -> None:
        self._c: AsyncCollection[ReplyDoc] = replies
        self._raw = replies  # the marker is not a reply
        self._changes: AsyncCollection[ChangeDoc] = changes
        self._limit = limit
        self._seeded = False

    async def ensure_indexes(self) -> None:
        await self._changes.create_index([("at", -1)], name="recent")

    async def seed(self, defaults: Sequence[ReplyDoc]) -> None:
        """Insert `defaults` once per store (see the module's docstring)."""
        if self._seeded:
            return
        if await self._c.find_one({"_id": SEEDED_ID}) is None:  # index: _id
            if defaults:
                # another instance may seed them at the same moment: theirs stand
                with contextlib.suppress(BulkWriteError):
                    await self._c.insert_many(list(defaults), ordered=False)
            with contextlib.suppress(DuplicateKeyError):
                await self._raw.insert_one({"_id": SEEDED_ID})
        self._seeded = True

    async def all(self) -> list[ReplyDoc]:
        cursor = self._c.find({"_id": {"$ne": SEEDED_ID}}).sort("_id", 1).limit(self._limit)
        return [doc async for doc in cursor]

    async def count(self) -> int:
        return await self._c.count_documents({"_id": {"$ne": SEEDED_ID}})

    async def create(self, doc: ReplyDoc) -> bool:
        """Insert a new reply; False if its shortcut is taken."""
        try:
            await self._c.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    async def update(
        self, key: str, title: Wording, text: Wording, at: datetime, by: str
    ) -> ReplyDoc | None:
        """Replace a reply's wording; None if no reply has this shortcut."""
        return await self._c.find_one_and_update(
            {"_id": key},  # index: _id
            {"$set": {"title": title, "text": text, "updated_at": at, "updated_by": by}},
            return_document=ReturnDocument.AFTER,
        )

    async def delete(self, key: str) -> ReplyDoc | None:
        """Delete a reply; the deleted one, or None if there was none."""
        if key == SEEDED_ID:
            return None
        return await self._c.find_one_and_delete({"_id": key})  # index: _id

    async def record_change(
        self, *, at: datetime, actor: dict[str, str], action: ChangeAction, reply: ReplyDoc
    ) -> None:
        await self._changes.insert_one(
            {
                "_id": "rc_" + secrets.token_hex(12),
                "at": at,
                "actor": actor,
                "action": action,
                "key": reply["_id"],
                "reply": {"title": dict(reply["title"]), "text": dict(reply["text"])},
            }
        )

    async def changes(self, limit: int = 200) -> list[ChangeDoc]:
        cursor = self._changes.find({}).sort("at", -1).limit(limit)  # index: recent
        return [doc async for doc in cursor]
