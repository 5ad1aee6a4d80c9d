"""What the CLI's data commands (`retention`, `privacy`) run on.

They use MONGODB_URI when it is set; otherwise the embedded store of `--data`: they attach
to it through `<data>/store.uri` while a server runs, and start it themselves when none does
(CONTRACT §2). They get the same Services as the server, except that nobody is connected to
receive live events and nothing is scanned (these commands never take new messages).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from chat_service.errors import DetectionUnavailable
from chat_service.fanout import InProcessFanOut, Registry
from chat_service.metrics import Metrics
from chat_service.privacy.webhooks import WebhookNotifier, load_webhook_config
from chat_service.services import Services
from chat_service.settings import Settings
from chat_service.storage import open_store
from chat_service.storage.crypto import FieldCipher, load_master_key

logger = logging.getLogger(__name__)
ATTACH_TIMEOUT_MS = 2000


class NoDetection:
    """The data commands never take messages: scanning is refused, never faked."""

    async def scan(self, text: str, language: str | None, owner: str = "") -> list[dict[str, Any]]:
        raise DetectionUnavailable("detection does not run in the command-line data tools")


async def running_store_uri(settings: Settings) -> str | None:
    """The URI of an embedded store a running server wrote, if it answers."""
    path = settings.data_dir / "store.uri"
    try:
        uri = (await asyncio.to_thread(path.read_text, encoding="utf-8")).strip()
    except FileNotFoundError:
        return None
    client: AsyncMongoClient[dict[str, Any]] = await asyncio.to_thread(
        AsyncMongoClient, uri, serverSelectionTimeoutMS=ATTACH_TIMEOUT_MS
    )
    try:
        await client.admin.command("ping")
    except PyMongoError:
        logger.warning("store.uri is stale (no server answers); starting the embedded store")
        return None
    finally:
        await client.close()
    return uri


@asynccontextmanager
async def data_services(settings: Settings, *, uri: str | None = None) -> AsyncIterator[Services]:
    """Services on `uri` if given, else on the store the settings name (see above)."""
    if uri is None and settings.mongodb_uri is None:
        uri = await running_store_uri(settings)
    async with open_store(settings, uri=uri) as store:
        master_key = await asyncio.to_thread(
            load_master_key,
            settings.master_key,
            settings.data_dir,
            allow_dev_key=store.kind == "embedded",
        )
        cipher = FieldCipher(
            store.client, settings.config.store.database, master_key, kmip=settings.kmip
        )
        await cipher.start()
        webhooks = await asyncio.to_thread(load_webhook_config, settings.config_dir)
        try:
            yield Services(
                settings=settings,
                store=store,
                fanout=InProcessFanOut(Registry()),
                scanner=NoDetection(),
                metrics=Metrics(),
                cipher=cipher,
                notifier=WebhookNotifier(webhooks, store.webhook_deliveries),
            )
        finally:
            await cipher.close()
