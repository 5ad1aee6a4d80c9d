"""Uploading and downloading pictures and files (docs/attachments.md).

`do_upload` takes a received upload (attachments/intake.py: on disk, nothing trusted) through
the pipeline: conversation authorised, type decided by the bytes, counted against the
customer's daily quota, sanitised in a thread once the decoding memory budget can take it
(attachments/budget.py), scanned in the detection pool, stored encrypted. Any refusal
leaves nothing behind: the blobs are written only after every check passed, and removed
again if the document cannot be stored. A scan that fails or times out does not refuse the
upload: the attachment is stored `held` (fail closed), and the failure is logged without
content and counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from dataclasses import dataclass
from typing import Any, Literal

from chat_service.actions.access import access_conversation
from chat_service.actions.attachment_views import choose_rendition
from chat_service.attachments.blobs import BlobStore
from chat_service.attachments.config import AllowedType
from chat_service.attachments.errors import (
    AttachmentGone,
    AttachmentNotFound,
    BadUpload,
    UploadQuotaExceeded,
)
from chat_service.attachments.intake import Received, read_head, resolve_type, sanitize_name
from chat_service.attachments.sanitize import Sanitised, memory_cost, sanitize
from chat_service.auth import Identity, Role
from chat_service.errors import ChatError, ConversationNotFound
from chat_service.scanning import DocumentResult, DocumentScanFailed, DocumentScanner
from chat_service.services import Services
from chat_service.storage.attachments import AttachmentDoc, BlobRef, UploaderDoc
from chat_service.storage.conversations import Conversation

logger = logging.getLogger(__name__)

ID_BYTES = 18  # 144 bits
MAX_ID_CHARS = 64


@dataclass(frozen=True, slots=True)
class Download:
    data: bytes
    content_type: str
    name: str
    kind: Literal["image", "file"]


def blobs_of(services: Services) -> BlobStore:
    return BlobStore(services.store.attachments, services.cipher)


def new_attachment_id() -> str:
    return "att_" + secrets.token_urlsafe(ID_BYTES)


async def _conversation_for(
    services: Services, identity: Identity, conversation_id: str | None
) -> Conversation | None:
    """Customers may name their own open conversation; agents must name one assigned to them.
    Anything else is "not found", so nobody learns about others' conversations."""
    if conversation_id is None:
        if identity.role is Role.AGENT:
            raise BadUpload("an agent's upload must name the conversation (conversation_id)")
        return None
    if len(conversation_id) > MAX_ID_CHARS:
        raise ConversationNotFound()
    conversation = await access_conversation(services, identity, conversation_id)
    if conversation.status != "open":
        raise ConversationNotFound()
    if identity.role is Role.AGENT and conversation.agent_id != identity.sub:
        raise ConversationNotFound()
    return conversation


async def do_upload(services: Services, identity: Identity, received: Received) -> AttachmentDoc:
    config = services.settings.attachments
    conversation = await _conversation_for(services, identity, received.conversation_id)
    customer_id = identity.sub if conversation is None else conversation.customer_id
    head = await asyncio.to_thread(read_head, received.path)
    rule = resolve_type(received, head, config)
    counted = await _count_against_quota(services, identity, received)
    try:
        clean = await _sanitize_within_budget(services, received, rule)
    except ChatError:  # refused (or the server is busy): not stored, so not counted
        if counted:
            await services.store.upload_quotas.give_back(
                identity.sub, received.size, services.clock()
            )
        raise
    name = sanitize_name(received.filename, rule, config.max_name_chars)
    kind: Literal["image", "file"] = "image" if clean.scan_kind == "image" else "file"

    now = services.clock()
    blobs = blobs_of(services)
    stored: list[BlobRef] = []
    # The original is stored whatever the scan finds (held or not): written while the
    # picture is read, so the write costs no time of its own.
    put_original = asyncio.create_task(blobs.put(customer_id, clean.data, now))
    try:
        result, redacted = await _scan(services, identity, clean)
        original = await put_original
        stored.append(original)
        findings = [] if result is None else result.findings
        sensitive = [f for f in findings if f.get("sensitive")]
        redacted_ref = None
        if redacted is not None:
            redacted_ref = await blobs.put(customer_id, redacted, now)
            stored.append(redacted_ref)
        doc = AttachmentDoc(
            _id=new_attachment_id(),
            uploader=UploaderDoc(role=identity.role.value, id=identity.sub),
            customer_id=customer_id,
            conversation_id=None if conversation is None else conversation.id,
            message_id=None,
            kind=kind,
            name=name,
            content_type=clean.content_type,
            size=len(clean.data),
            created_at=now,
            status="held" if result is None else "ready",
            findings=findings,
            sensitive=bool(sensitive),
            categories=sorted({str(f["category"]) for f in sensitive}),
            entity_types=sorted({str(f["entity_type"]) for f in sensitive}),
            original=original,
            redacted=redacted_ref,
        )
        await services.store.attachments.insert(doc)
    except BaseException:
        # Let the original's write finish rather than cancel it: a store call cancelled
        # while the driver opens a connection leaves that socket unclosed (PYTHON-5867).
        with contextlib.suppress(Exception, asyncio.CancelledError):
            ref = await put_original
            if ref not in stored:
                stored.append(ref)
        for ref in stored:
            try:
                await blobs.discard(ref)
            except Exception:
                logger.exception("could not remove the blob of a failed upload")
        raise
    services.metrics.attachments_stored.labels(kind, doc["status"]).inc()
    logger.info(
        "attachment stored",
        extra={
            "attachment_id": doc["_id"],
            "kind": kind,
            "content_type": doc["content_type"],
            "size": doc["size"],
            "status": doc["status"],
            "sensitive": doc["sensitive"],
        },
    )
    return doc


async def _count_against_quota(services: Services, identity: Identity, received: Received) -> bool:
    """A customer's upload counts against their daily quota (429 past it); True if counted."""
    if identity.role is not Role.CUSTOMER:
        return False
    quota = services.settings.attachments.daily_upload_bytes_per_customer
    if not await services.store.upload_quotas.reserve(
        identity.sub, received.size, quota, services.clock()
    ):
        raise UploadQuotaExceeded()
    return True


async def _sanitize_within_budget(
    services: Services, received: Received, rule: AllowedType
) -> Sanitised:
    """Decode and re-encode in a thread once the memory budget can take the upload (its
    cost estimated from the header). The charge is held until the thread has ended, even
    if the request is cancelled meanwhile: its memory is in use until then. The scan that
    follows runs in the detection pool, whose document slots and `ocr_max_pixels` bound
    the workers' memory on their own."""
    config = services.settings.attachments
    limits = services.limits
    cost = await asyncio.to_thread(memory_cost, received.path, rule, received.size)
    async with limits.decode_budget.hold(cost) if limits else contextlib.nullcontext(0):
        work = asyncio.ensure_future(asyncio.to_thread(sanitize, received.path, rule, config))
        try:
            return await asyncio.shield(work)
        except asyncio.CancelledError:
            await asyncio.wait([work])
            raise


async def _scan(
    services: Services, identity: Identity, clean: Sanitised
) -> tuple[DocumentResult | None, bytes | None]:
    """(findings, redacted picture), or (None, None) when it cannot be scanned: held."""
    scanner = services.scanner
    timeout = services.settings.attachments.scan_timeout_secs
    reason: str
    try:
        if not isinstance(scanner, DocumentScanner):
            raise DocumentScanFailed("error", "this scanner cannot read documents")
        async with asyncio.timeout(timeout):
            result = await scanner.scan_document(clean.scan_kind, clean.data, identity.lang)
            boxes = [
                (int(b[0]), int(b[1]), int(b[2]), int(b[3]))
                for f in result.findings
                if f.get("sensitive")
                for b in f.get("boxes", [])
            ]
            redacted = None
            if boxes and clean.image_format is not None:
                redacted = await scanner.redact_image(clean.data, boxes, clean.image_format)
        return result, redacted
    except DocumentScanFailed as exc:
        reason = exc.reason
    except TimeoutError:
        reason = "timeout"
    except Exception as exc:  # fail closed, whatever it was
        reason = "error"
        logger.warning("attachment scan raised", extra={"error": type(exc).__name__})
    services.metrics.attachment_scan_failures.labels(reason).inc()
    logger.warning(
        "attachment could not be scanned: held for review",
        extra={"reason": reason, "scan_kind": clean.scan_kind, "size": len(clean.data)},
    )
    return None, None


def public(doc: AttachmentDoc) -> dict[str, Any]:
    """The answer to an upload."""
    return {
        "id": doc["_id"],
        "kind": doc["kind"],
        "name": doc["name"],
        "content_type": doc["content_type"],
        "size": doc["size"],
        "status": doc["status"],
        "findings": doc["findings"],
        "sensitive": doc["sensitive"],
        "conversation_id": doc["conversation_id"],
    }


async def access_download(services: Services, identity: Identity, att_id: str) -> Download:
    if len(att_id) > MAX_ID_CHARS or not att_id.startswith("att_"):
        raise AttachmentNotFound()
    doc = await services.store.attachments.get(att_id)
    if doc is None:
        raise AttachmentNotFound()
    _which, ref = await choose_rendition(services, identity, doc)
    data = await blobs_of(services).open(ref)
    if data is None:
        raise AttachmentGone()  # the customer's key was shredded, or the blob deleted
    return Download(data, doc["content_type"], doc["name"], doc["kind"])
