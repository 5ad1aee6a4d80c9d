"""The store: one AsyncMongoClient, the collections' owners, index creation, health."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

import pymongo
from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from chat_service.settings import Settings
from chat_service.storage.attachments import AttachmentStore
from chat_service.storage.audit import AuditLog
from chat_service.storage.availability import AgentAvailability
from chat_service.storage.consents import ConsentLedger, ConsentRequests
from chat_service.storage.conversations import ConversationStore
from chat_service.storage.deletion_requests import DeletionRequests
from chat_service.storage.embedded import EmbeddedStore
from chat_service.storage.holds import LegalHolds
from chat_service.storage.leases import Leases
from chat_service.storage.messages import MessageStore
from chat_service.storage.replies import ReplyStore
from chat_service.storage.retention_runs import RetentionStore
from chat_service.storage.search import MessageSearch
from chat_service.storage.teamwork import NoteStore, OutcomeStore
from chat_service.storage.upload_quotas import UploadQuotas
from chat_service.storage.webhook_deliveries import WebhookDeliveries
from chat_service.web.replies import MAX_REPLIES

logger = logging.getLogger(__name__)

StoreKind = Literal["embedded", "mongodb"]
PING_TIMEOUT_SECS = 2.0


class Store:
    def __init__(
        self,
        client: AsyncMongoClient[Any],
        database: str,
        kind: StoreKind,
        embedded: EmbeddedStore | None = None,
    ) -> None:
        self.client = client
        self.kind: StoreKind = kind
        self.embedded = embedded
        self.db = client[database]
        self.conversations = ConversationStore(self.db["conversations"])
        self.messages = MessageStore(self.db["messages"])
        self.search = MessageSearch(self.db["messages"])  # reads messages' search_terms
        self.consents = ConsentLedger(self.db["consents"])
        self.consent_requests = ConsentRequests(self.db["consent_requests"])
        self.audit = AuditLog(self.db["audit"])
        self.legal_holds = LegalHolds(self.db["legal_holds"])
        self.deletion_requests = DeletionRequests(self.db["deletion_requests"])
        self.webhook_deliveries = WebhookDeliveries(self.db["webhook_deliveries"])
        self.retention = RetentionStore(self.db)
        self.leases = Leases(self.db["leases"])  # one holder per periodic job
        self.attachments = AttachmentStore(self.db)  # indexes made on first use
        self.upload_quotas = UploadQuotas(self.db["upload_quotas"])
        self.availability = AgentAvailability(self.db["agent_availability"])  # online / away
        self.notes = NoteStore(self.db["notes"])  # teamwork: staff's internal notes
        self.outcomes = OutcomeStore(self.db["outcomes"])  # handling times and ratings
        self.replies = ReplyStore(  # saved replies edited by supervisors (agent speed)
            self.db["saved_replies"], self.db["saved_reply_changes"], MAX_REPLIES
        )

    async def ensure_indexes(self) -> None:
        """Create every index; idempotent, run at each start-up."""
        await self.conversations.ensure_indexes()
        # MongoDB may be sharded (storage/sharding.py); the embedded store never is.
        await self.messages.ensure_indexes(shardable=self.kind == "mongodb")
        await self.consents.ensure_indexes()
        await self.consent_requests.ensure_indexes()
        await self.audit.ensure_indexes()
        await self.legal_holds.ensure_indexes()
        await self.deletion_requests.ensure_indexes()
        await self.webhook_deliveries.ensure_indexes()
        await self.retention.ensure_indexes()
        await self.upload_quotas.ensure_indexes()
        await self.availability.ensure_indexes()
        await self.notes.ensure_indexes()
        await self.outcomes.ensure_indexes()
        await self.replies.ensure_indexes()

    async def ping(self) -> bool:
        # The driver's own deadline, not asyncio's: a call cancelled while the driver
        # opens a connection leaves that socket unclosed (PYTHON-5867).
        try:
            with pymongo.timeout(PING_TIMEOUT_SECS):
                await self.client.admin.command("ping")
        except PyMongoError:
            return False
        return True


def make_client(uri: str, kind: StoreKind, settings: Settings) -> AsyncMongoClient[Any]:
    """The driver's client. Its document type is left open (`Any`, PyMongo's own typing
    recipe): each collection's owner in `storage/` names its documents with a TypedDict."""
    timeout_ms = settings.config.store.server_selection_timeout_ms
    if kind == "mongodb":
        # Acknowledged only once a majority of the replica set has the write (durability).
        return AsyncMongoClient(
            uri,
            serverSelectionTimeoutMS=timeout_ms,
            connectTimeoutMS=timeout_ms,
            tz_aware=True,
            appname="chat-service",
            w="majority",
            journal=True,
        )
    return AsyncMongoClient(
        uri,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        tz_aware=True,
        appname="chat-service",
    )


@asynccontextmanager
async def open_store(settings: Settings, *, uri: str | None = None) -> AsyncIterator[Store]:
    """The store the settings name: MONGODB_URI, an explicit URI, or the embedded child."""
    embedded: EmbeddedStore | None = None
    if uri is not None:
        kind: StoreKind = "embedded"
    elif settings.mongodb_uri is not None:
        uri, kind = settings.mongodb_uri.reveal(), "mongodb"
    else:
        embedded = EmbeddedStore(
            settings.data_dir,
            restart_delay_secs=settings.config.store.embedded_restart_delay_secs,
        )
        uri, kind = await embedded.start(), "embedded"
    # The driver reads container metadata from disk while constructing: keep it off the loop.
    client = await asyncio.to_thread(make_client, uri, kind, settings)
    try:
        store = Store(client, settings.config.store.database, kind, embedded)
        await store.ensure_indexes()
        yield store
    finally:
        await client.close()
        if embedded is not None:
            await embedded.stop()
