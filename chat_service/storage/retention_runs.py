"""Owner of `retention_runs` and `anonymised_conversations`, and of the retention job's
queries over `messages` and `conversations`.

The retention engine (chat_service/privacy/retention/) is the only caller. Its queries
over other owners' collections live here, in storage, and use indexes created here with a
`retention_` prefix, so the owners' modules stay unaware of retention. Active legal holds
come from their owner (`holds.py`: `active_customer_ids`, `active_conversation_ids`).

Conventions:

- every page query excludes data under an active legal hold in the query itself
  (`customer_id: {$nin: held customers}`, `conversation_id: {$nin: held conversations}`),
  or, for counting what a hold saved, selects only that data (`scope="held"`);
- pages are keyset-paged on (time, `_id`), so a dry run (which changes nothing) and a real
  run (whose processed documents stop matching) walk the same documents.

The run's lease (one runner at a time) is in `leases`, owned by `leases.py`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NotRequired, TypedDict

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from chat_service.search_terms import terms_of
from chat_service.storage.holds import LegalHolds

Scope = Literal["free", "held"]
MessageQuery = Literal["connection_truncate", "connection_delete", "kept_values", "child"]
RUN_BATCHES_KEPT = 200  # batch entries kept per run record (counts are totals regardless)

Doc = dict[str, Any]


class ConversationMessageRow(TypedDict):
    """What an anonymised summary reads of each message (`conversation_messages`)."""

    _id: str
    seq: int
    sender_role: str | None
    kind: str | None
    finding_categories: list[str | None]
    consent: str | None


class ClosedConversationRow(TypedDict):
    """What retention reads of a closed conversation (`conversations_page`)."""

    _id: str
    customer_id: str
    closed_at: datetime
    created_at: datetime | None
    minor: bool
    agent_id: str | None


class UnsentUploadRow(TypedDict):
    """An upload no message used (`unsent_attachments_page`)."""

    _id: str
    created_at: datetime
    customer_id: str


class AnonymisedConversation(TypedDict):
    """A document of `anonymised_conversations`: statistics, no link to the conversation."""

    _id: str
    rule: str
    opened_day: str | None
    closed_day: str | None
    duration_minutes: int | None
    minor: bool
    assigned: bool
    messages: int
    by_sender_role: dict[str, int]
    by_kind: dict[str, int]
    findings_by_category: dict[str, int]
    consent: dict[str, int]
    anonymised_day: str | None
    pending_conversation: NotRequired[str]


@dataclass(frozen=True, slots=True)
class Holds:
    """Active legal holds at one moment: customers held whole, and single conversations."""

    customers: tuple[str, ...]
    conversations: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.customers or self.conversations)


def _hold_clause(holds: Holds, scope: Scope, conversation_field: str) -> Doc:
    if scope == "free":
        # Only the non-empty lists too (an empty `$nin` matches everything): without a hold
        # the clause is empty, and mongoeco evaluates a delete's plain `$in` on its index
        # instead of testing two always-true conditions on every document it removes.
        free: Doc = {}
        if holds.customers:
            free["customer_id"] = {"$nin": list(holds.customers)}
        if holds.conversations:
            free[conversation_field] = {"$nin": list(holds.conversations)}
        return free
    # Only the non-empty lists: the embedded store (mongoeco) writes an empty `$in` on an
    # indexed field as invalid SQL, and an empty `$in` matches nothing anyway.
    either: list[Doc] = []
    if holds.customers:
        either.append({"customer_id": {"$in": list(holds.customers)}})
    if holds.conversations:
        either.append({conversation_field: {"$in": list(holds.conversations)}})
    return {"$or": either} if either else {"_id": None}  # no hold: matches nothing


def _all(*clauses: Doc) -> Doc:
    """The conjunction of the non-empty clauses, as a plain filter when only one is left
    (mongoeco plans a bare `{field: {$in: [...]}}` on its index)."""
    kept = [clause for clause in clauses if clause]
    if not kept:
        return {}
    return kept[0] if len(kept) == 1 else {"$and": kept}


def _after_clause(field: str, after: tuple[datetime, str] | None) -> Doc:
    if after is None:
        return {}
    at, last_id = after
    return {"$or": [{field: {"$gt": at}}, {field: at, "_id": {"$gt": last_id}}]}


def _message_row(doc: Doc) -> ConversationMessageRow:
    return {
        "_id": doc["_id"],
        "seq": doc["seq"],
        "sender_role": doc.get("sender", {}).get("role"),
        "kind": doc.get("kind"),
        "finding_categories": [f.get("category") for f in doc.get("findings", [])],
        "consent": doc.get("consent"),
    }


def _closed_row(doc: Doc) -> ClosedConversationRow:
    return {
        "_id": doc["_id"],
        "customer_id": doc["customer_id"],
        "closed_at": doc["closed_at"],
        "created_at": doc.get("created_at"),
        "minor": bool(doc.get("minor", False)),
        "agent_id": doc.get("agent_id"),
    }


def _unsent_row(doc: Doc) -> UnsentUploadRow:
    return {"_id": doc["_id"], "created_at": doc["created_at"], "customer_id": doc["customer_id"]}


async def active_holds(holds: LegalHolds) -> Holds:
    customers = await holds.active_customer_ids()
    conversations = await holds.active_conversation_ids()
    return Holds(tuple(sorted(customers)), tuple(sorted(conversations)))


class RetentionStore:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self._db = db
        self._runs: AsyncCollection[Doc] = db["retention_runs"]
        self._anonymised: AsyncCollection[Doc] = db["anonymised_conversations"]
        self._messages: AsyncCollection[Doc] = db["messages"]
        self._conversations: AsyncCollection[Doc] = db["conversations"]
        self._attachments: AsyncCollection[Doc] = db["attachments"]

    async def ensure_indexes(self) -> None:
        await self._runs.create_index([("started_at", -1)], name="recent")
        await self._runs.create_index([("status", 1)], name="by_status")
        await self._messages.create_index(
            [("findings.category", 1), ("created_at", 1)], name="retention_findings"
        )
        await self._conversations.create_index(
            [("status", 1), ("closed_at", 1)], name="retention_closed"
        )
        await self._anonymised.create_index(
            "pending_conversation", sparse=True, name="pending_conversation"
        )
        await self._attachments.create_index(
            [("message_id", 1), ("created_at", 1)], name="retention_unsent"
        )

    # -- messages --------------------------------------------------------------------------

    def _message_query(
        self, kind: MessageQuery, cutoff: datetime, categories: tuple[str, ...]
    ) -> tuple[Doc, str]:
        """The rule's condition and the index it uses."""
        before = {"created_at": {"$lte": cutoff}}
        match kind:
            case "connection_truncate":
                query = {
                    "findings.category": "device",
                    **before,
                    "retention.connection_truncated": {"$exists": False},
                    "retention.connection_deleted": {"$exists": False},
                }
                return query, "retention_findings"
            case "connection_delete":
                query = {
                    "findings.category": "device",
                    **before,
                    "retention.connection_deleted": {"$exists": False},
                }
                return query, "retention_findings"
            case "kept_values":
                query = {
                    "secrets.state": "kept",
                    **before,
                    "secrets": {
                        "$elemMatch": {"state": "kept", "categories": {"$in": list(categories)}}
                    },
                }
                return query, "pending_secrets"
            case "child":
                query = {
                    "secrets.state": "destroyed",
                    **before,
                    "secrets": {"$elemMatch": {"state": "destroyed", "categories": "minor"}},
                }
                return query, "pending_secrets"

    async def messages_page(
        self,
        kind: MessageQuery,
        *,
        cutoff: datetime,
        holds: Holds,
        scope: Scope,
        after: tuple[datetime, str] | None,
        limit: int,
        categories: tuple[str, ...] = (),
    ) -> list[Doc]:
        """The next page of messages a rule applies to, oldest first."""
        condition, _index = self._message_query(kind, cutoff, categories)
        query = {
            "$and": [
                condition,
                _hold_clause(holds, scope, "conversation_id"),
                _after_clause("created_at", after),
            ]
        }
        cursor = (
            self._messages.find(query)  # index: retention_findings | pending_secrets (_index)
            .sort([("created_at", 1), ("_id", 1)])
            .limit(limit)
        )
        return [doc async for doc in cursor]

    async def rewrite_message(
        self,
        message_id: str,
        *,
        text: str | None,
        version: int,
        changes: Doc,
        mark: str,
        at: datetime,
    ) -> bool:
        """Compare-and-swap on the text and `secrets_version` (a consent decision that got
        there first wins; the caller re-reads and retries). New text gets new search terms:
        none of the erased text stays findable."""
        if "text" in changes:
            changes = {**changes, "search_terms": terms_of(changes["text"])}
        result = await self._messages.update_one(
            {"_id": message_id, "text": text, "secrets_version": version},  # index: _id
            {"$set": {**changes, f"retention.{mark}": at}, "$inc": {"secrets_version": 1}},
        )
        return result.modified_count == 1

    async def message(self, message_id: str) -> Doc | None:
        return await self._messages.find_one({"_id": message_id})  # index: _id

    async def delete_messages(
        self, kind: MessageQuery, ids: list[str], *, cutoff: datetime, holds: Holds
    ) -> int:
        """Delete these messages if they still match the rule and are not held."""
        condition, _index = self._message_query(kind, cutoff, ())
        result = await self._messages.delete_many(  # index: _id
            _all({"_id": {"$in": ids}}, condition, _hold_clause(holds, "free", "conversation_id"))
        )
        return result.deleted_count

    async def conversation_messages(
        self, conversation_id: str, after_seq: int, limit: int
    ) -> list[ConversationMessageRow]:
        cursor = (
            self._messages.find(  # index: conversation_seq
                {"conversation_id": conversation_id, "seq": {"$gt": after_seq}},
                projection={
                    "seq": 1,
                    "sender.role": 1,
                    "kind": 1,
                    "findings.category": 1,
                    "secrets.state": 1,
                    "consent": 1,
                },
            )
            .sort("seq", 1)
            .limit(limit)
        )
        return [_message_row(doc) async for doc in cursor]

    async def messages_per_conversation(self, conversation_ids: list[str]) -> dict[str, int]:
        """How many messages each of these conversations has (absent: none), in one
        command for a whole page instead of one count per conversation."""
        if not conversation_ids:
            return {}
        cursor = await self._messages.aggregate(  # index: conversation_seq
            [
                {"$match": {"conversation_id": {"$in": conversation_ids}}},
                {"$group": {"_id": "$conversation_id", "n": {"$sum": 1}}},
            ]
        )
        return {doc["_id"]: doc["n"] async for doc in cursor}

    # -- conversations -----------------------------------------------------------------------

    async def conversations_page(
        self,
        *,
        cutoff: datetime,
        holds: Holds,
        scope: Scope,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[ClosedConversationRow]:
        query = {
            "$and": [
                {"status": "closed", "closed_at": {"$lte": cutoff}},
                _hold_clause(holds, scope, "_id"),
                _after_clause("closed_at", after),
            ]
        }
        cursor = (
            self._conversations.find(query)  # index: retention_closed
            .sort([("closed_at", 1), ("_id", 1)])
            .limit(limit)
        )
        return [_closed_row(doc) async for doc in cursor]

    async def closed_at(self, conversation_ids: list[str]) -> dict[str, datetime | None]:
        cursor = self._conversations.find(  # index: _id
            {"_id": {"$in": conversation_ids}}, projection={"closed_at": 1}
        )
        return {doc["_id"]: doc.get("closed_at") async for doc in cursor}

    async def remove_conversations(
        self,
        conversation_ids: list[str],
        summaries: dict[str, AnonymisedConversation],
        *,
        holds: Holds,
    ) -> tuple[int, int]:
        """Replace closed conversations by their anonymised summaries (none for a plain
        delete): (conversations, messages) removed.

        No multi-document transaction: mongoeco's SQLite engine refuses every other
        session's operation while one is open, which would fail the chat traffic. Instead
        each step is idempotent and ordered so a run killed anywhere is finished by the
        next: summaries are stored first, marked `pending_conversation` (reused, never
        duplicated, on a retry), then the messages and the conversation are deleted, and
        only then is the mark, the last link to the conversation, removed.
        """
        if summaries:  # a plain delete writes no summary, so has none to reuse either
            existing = {
                doc["pending_conversation"]
                async for doc in self._anonymised.find(  # index: pending_conversation
                    {"pending_conversation": {"$in": list(summaries)}},
                    projection={"pending_conversation": 1},
                )
            }
            fresh = [
                {**summary, "pending_conversation": conversation_id}
                for conversation_id, summary in summaries.items()
                if conversation_id not in existing
            ]
            if fresh:
                await self._anonymised.insert_many(fresh)
        messages = await self._messages.delete_many(  # index: conversation_seq
            _all(
                {"conversation_id": {"$in": conversation_ids}},
                _hold_clause(holds, "free", "conversation_id"),
            )
        )
        gone = await self._conversations.delete_many(  # index: _id
            _all(
                {"_id": {"$in": conversation_ids}, "status": "closed"},
                _hold_clause(holds, "free", "_id"),
            )
        )
        if gone.deleted_count != len(conversation_ids):
            # Not removed (changed meanwhile): its summary must not count it.
            left = [
                doc["_id"]
                async for doc in self._conversations.find(  # index: _id
                    {"_id": {"$in": conversation_ids}}, projection={"_id": 1}
                )
            ]
            await self._anonymised.delete_many(  # index: pending_conversation
                {"pending_conversation": {"$in": left}}
            )
        await self._anonymised.update_many(  # index: pending_conversation
            {"pending_conversation": {"$in": conversation_ids}},
            {"$unset": {"pending_conversation": ""}},
        )
        return gone.deleted_count, messages.deleted_count

    async def customers_with_data(self, customer_ids: list[str], besides: set[str]) -> set[str]:
        """Which of these customers still have a conversation, a message or an attachment
        outside the conversations `besides`, in at most three commands (a conversation
        belongs to one customer, so one `$nin` of all the removed conversations excludes
        exactly each customer's own)."""
        remaining = sorted(set(customer_ids))
        exclude = sorted(besides)
        found: set[str] = set()
        for collection, conversation_field in (
            (self._conversations, "_id"),  # index: by_customer
            (self._messages, "conversation_id"),  # index: customer_secrets (prefix)
            # An upload not sent yet (its own retention step deletes it later) needs the key.
            (self._attachments, "conversation_id"),  # index: by_customer
        ):
            if not remaining:
                break
            hits = await collection.distinct(
                "customer_id",
                {"customer_id": {"$in": remaining}, conversation_field: {"$nin": exclude}},
            )
            found.update(hits)
            remaining = [c for c in remaining if c not in found]
        return found

    # -- attachments ---------------------------------------------------------------------------

    async def attachment_ids(
        self,
        *,
        holds: Holds,
        conversation_ids: list[str] | None = None,
        message_ids: list[str] | None = None,
    ) -> list[str]:
        """The attachments of these conversations or messages that no hold keeps (their
        blobs are deleted through AttachmentStore, which owns the GridFS bucket)."""
        if conversation_ids is not None:
            which: Doc = {"conversation_id": {"$in": conversation_ids}}  # by_conversation
        else:
            which = {"message_id": {"$in": message_ids or []}}  # by_message
        cursor = self._attachments.find(
            _all(which, _hold_clause(holds, "free", "conversation_id")),
            projection={"_id": 1},
        )
        return [doc["_id"] async for doc in cursor]

    async def unsent_attachments_page(
        self,
        *,
        cutoff: datetime,
        holds: Holds,
        scope: Scope,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[UnsentUploadRow]:
        """Uploads no message used, created before `cutoff`, oldest first."""
        query = {
            "$and": [
                {"message_id": None, "created_at": {"$lte": cutoff}},
                _hold_clause(holds, scope, "conversation_id"),
                _after_clause("created_at", after),
            ]
        }
        cursor = (
            self._attachments.find(  # index: retention_unsent
                query, projection={"created_at": 1, "customer_id": 1, "conversation_id": 1}
            )
            .sort([("created_at", 1), ("_id", 1)])
            .limit(limit)
        )
        return [_unsent_row(doc) async for doc in cursor]

    # -- run records ---------------------------------------------------------------------------

    @staticmethod
    def new_run_id() -> str:
        return "rr_" + secrets.token_hex(12)

    async def start_run(self, doc: Doc) -> None:
        await self._runs.insert_one(doc)

    async def interrupt_stale(self, except_run: str, at: datetime) -> int:
        """Runs left "running" by a process that died (we hold the lease: none is alive)."""
        result = await self._runs.update_many(  # index: by_status
            {"status": "running", "_id": {"$ne": except_run}},
            {"$set": {"status": "interrupted", "finished_at": at}},
        )
        return result.modified_count

    async def record_batch(
        self, run_id: str, rule: str, counts: dict[str, int], batch: Doc, section: str = "rules"
    ) -> None:
        """One bounded chunk done: add its counts to the run and keep its entry. `section`:
        "rules" for a configured rule, or the name of a step outside the rules (e.g.
        "unsent_attachments")."""
        prefix = f"rules.{rule}" if section == "rules" else section
        await self._runs.update_one(  # index: _id
            {"_id": run_id},
            {
                "$inc": {f"{prefix}.{key}": value for key, value in counts.items()}
                | {"batches_done": 1},
                "$push": {"batches": {"$each": [batch], "$slice": -RUN_BATCHES_KEPT}},
            },
        )

    async def finish_run(self, run_id: str, fields: Doc) -> None:
        await self._runs.update_one({"_id": run_id}, {"$set": fields})  # index: _id

    async def run(self, run_id: str) -> Doc | None:
        return await self._runs.find_one({"_id": run_id})  # index: _id

    async def recent_runs(self, limit: int = 20) -> list[Doc]:
        cursor = self._runs.find({}, projection={"batches": 0}).sort("started_at", -1).limit(limit)
        return [doc async for doc in cursor]  # index: recent
