"""Read-only views across collections for the customer's export and the privacy report.

Owns no collection and writes nothing. `legal_holds`, `deletion_requests` and
`retention_runs` belong to the deletion and retention modules, which create their indexes;
this module only reads them, by the shapes those modules store, and tolerates a collection
that does not exist yet (an empty answer). Every query names the index it expects; the
ledger and retention counts scan their collection once per report (a privacy officer's
report, not a hot path).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

from pymongo.asynchronous.collection import AsyncCollection

from chat_service.storage.conversations import ConversationDoc
from chat_service.storage.deletion_requests import DeletionRequestDoc
from chat_service.storage.holds import HoldDoc
from chat_service.storage.webhook_deliveries import WebhookDeliveries

if TYPE_CHECKING:
    from chat_service.storage.db import Store

OPEN_DELETION_STATUSES = ("received", "in_progress", "partially_completed")
DELETION_STATUSES = ("received", "in_progress", "completed", "partially_completed")
CUSTOMER_LIMIT = 10_000  # conversations of one customer read for an export


class _LedgerDecision(TypedDict):
    """The fields of a consent ledger entry the counts read (storage/consents.py)."""

    _id: str
    customer_id: str
    purpose: NotRequired[str]
    categories: NotRequired[list[str]]
    decision: str


class _MessageKeys(TypedDict):
    """The fields a hold's messages are counted by (storage/messages.py)."""

    _id: str
    conversation_id: str
    customer_id: str


class PrivacyRecords:
    def __init__(self, store: Store) -> None:
        db = store.db
        self._holds: AsyncCollection[HoldDoc] = db["legal_holds"]
        self._deletions: AsyncCollection[DeletionRequestDoc] = db["deletion_requests"]
        # Retention runs keep per-rule summaries whose shape is the retention engine's.
        self._runs: AsyncCollection[dict[str, Any]] = db["retention_runs"]
        self._ledger: AsyncCollection[_LedgerDecision] = db["consents"]
        self._conversations: AsyncCollection[ConversationDoc] = db["conversations"]
        self._messages: AsyncCollection[_MessageKeys] = db["messages"]
        self.webhook_deliveries = WebhookDeliveries(db["webhook_deliveries"])

    # -- one customer (export) ---------------------------------------------------------------

    async def holds_for_customer(self, customer_id: str) -> list[HoldDoc]:
        """Every hold, active or lifted, on the customer or one of their conversations (a
        conversation's hold names its customer too)."""
        cursor = self._holds.find({"customer_id": customer_id}).sort(  # index: by_customer
            "set_at", 1
        )
        return [doc async for doc in cursor]

    async def deletion_requests_for(self, customer_id: str) -> list[DeletionRequestDoc]:
        cursor = self._deletions.find({"customer_id": customer_id}).sort(  # index: by_customer
            "received_at", 1
        )
        return [doc async for doc in cursor]

    # -- everyone (report) -------------------------------------------------------------------

    async def open_deletion_requests(self) -> list[DeletionRequestDoc]:
        cursor = self._deletions.find(  # index: by_status
            {"status": {"$in": list(OPEN_DELETION_STATUSES)}}
        ).sort("due_at", 1)
        return [doc async for doc in cursor]

    async def deletion_request_counts(self) -> dict[str, int]:
        return {
            status: await self._deletions.count_documents({"status": status})  # index: by_status
            for status in DELETION_STATUSES
        }

    async def active_holds(self) -> list[HoldDoc]:
        cursor = self._holds.find({"active": True}).sort("set_at", 1)  # index: by_state
        return [doc async for doc in cursor]

    async def lifted_hold_count(self) -> int:
        return await self._holds.count_documents({"active": False})  # index: by_state

    async def held_counts(self, hold: HoldDoc) -> dict[str, int]:
        """What a hold keeps: its conversations and their messages."""
        if hold.get("scope") == "conversation":
            conversation_id = hold.get("conversation_id")
            conversations = await self._conversations.count_documents(
                {"_id": conversation_id}  # index: _id
            )
            messages = await self._messages.count_documents(
                {"conversation_id": conversation_id}  # index: conversation_seq
            )
        else:
            customer_id = hold.get("customer_id")
            conversations = await self._conversations.count_documents(
                {"customer_id": customer_id}  # index: by_customer
            )
            messages = await self._messages.count_documents(
                {"customer_id": customer_id}  # index: customer_secrets (prefix)
            )
        return {"conversations": conversations, "messages": messages}

    async def consent_counts(self) -> tuple[dict[str, Counter[str]], dict[str, Counter[str]]]:
        """Per category: ledger entries per decision, and customers per current decision
        (their latest entry for the category and purpose)."""
        entries: dict[str, Counter[str]] = defaultdict(Counter)
        latest: dict[tuple[str, str, str], str] = {}
        cursor = self._ledger.find(  # index: none, one pass over the ledger in time order
            {}, projection={"customer_id": 1, "purpose": 1, "categories": 1, "decision": 1}
        ).sort("at", 1)
        async for entry in cursor:
            for category in entry.get("categories", []):
                entries[category][entry["decision"]] += 1
                latest[entry["customer_id"], entry.get("purpose", ""), category] = entry["decision"]
        current: dict[str, Counter[str]] = defaultdict(Counter)
        for (_, _, category), decision in latest.items():
            current[category][decision] += 1
        return dict(entries), dict(current)

    async def retention_runs(self, limit: int) -> list[dict[str, Any]]:
        """The most recent runs first."""
        cursor = (
            self._runs.find({}, projection={"batches": 0})  # index: recent
            .sort("started_at", -1)
            .limit(limit)
        )
        return [doc async for doc in cursor]

    async def all_retention_runs(self) -> list[dict[str, Any]]:
        """Every run, for totals; only the fields the totals need."""
        cursor = self._runs.find(  # index: none, one pass over the run log
            {}, projection={"dry_run": 1, "status": 1, "rules": 1, "unsent_attachments": 1}
        )
        return [doc async for doc in cursor]
