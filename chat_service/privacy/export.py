"""A copy of everything held about one customer (privacy policy 7.1), as one JSON document.

Documented in docs/privacy-export.md. The document holds: what is known of the customer
(there is no profile beyond the chat), every conversation with its messages rendered
exactly as the customer sees them (through actions/views.py, the one place that decides
what a viewer sees), every attachment (metadata, and the bytes the customer may download,
as `choose_rendition` decides, base64, up to a per-export cap), the consent ledger and
requests, deletion requests, who read the customer's sensitive values and every other
audit record about them, and legal holds (their reason and author only for a privacy
officer).

One `export` audit record per export (who, for whom, why, counts, the categories shown in
clear), written before the document is handed out: an export that cannot be audited
fails. Individual messages are not audited one by one.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bson import Binary

from chat_service.actions.attachment_views import choose_rendition
from chat_service.actions.attachments import blobs_of
from chat_service.actions.views import view_for_export
from chat_service.attachments.blobs import BlobCorrupt
from chat_service.attachments.errors import AttachmentGone
from chat_service.auth import Identity, Role
from chat_service.errors import ChatError
from chat_service.json_types import JsonObject, JsonValue
from chat_service.services import Services
from chat_service.storage.attachments import AttachmentDoc, BlobRef
from chat_service.storage.audit import AuditDoc
from chat_service.storage.consents import ConsentRequestDoc, LedgerEntryDoc
from chat_service.storage.conversations import Conversation
from chat_service.storage.deletion_requests import DeletionRequestDoc
from chat_service.storage.holds import HoldDoc
from chat_service.storage.privacy_records import CUSTOMER_LIMIT, PrivacyRecords

FORMAT = "chat-service.customer-export"
FORMAT_VERSION = 1
logger = logging.getLogger(__name__)
MESSAGE_PAGE = 500
ACCESS_ACTIONS = frozenset({"sensitive_read"})
# Streaming (stream_export): json.dumps's own settings; base64 pieces a multiple of 3 bytes
# long encode to exactly the text of the whole; writes of about 64 KiB.
_ENCODER = json.JSONEncoder()
_MARK = "\x00content\x00"
_BASE64_PIECE_BYTES = 3 * 16 * 1024
_WRITE_BYTES = 64 * 1024

PROFILE_NOTE = (
    "This service keeps no customer profile: account, order and delivery data are held by "
    "the shop's own systems. The name and shop fields below are what the shop's login sent "
    "with your most recent conversation (each conversation lists its own); they are deleted "
    "with your conversations. What it knows about you is listed here and in your conversations."
)
ATTACHMENTS_NOTE = (
    "Every picture and file held about you, oldest first. `content` holds the file as you "
    "can download it (base64): a picture whose original was destroyed comes as its redacted "
    "copy; a file that was destroyed, is held for review or is not yours to download is "
    "listed without content, and `content_note` says why."
)
CAP_NOTE = (
    "This export holds at most {cap} bytes of file contents; attachments that would take it "
    "past that are listed without content (content_note: export_size_cap). Download them "
    "from the chat, or ask the privacy officer for a copy."
)
REASON_SELF_HTTP = "customer's own request for a copy of their data (policy 7.1), over HTTP"
REASON_OFFICER_HTTP = "privacy officer's export of a customer's data (policy 7.1), over HTTP"
REASON_OFFICER_CLI = (
    "privacy officer's export of a customer's data (policy 7.1), from the command line"
)
HOLDS_NOTE = (
    "A legal hold keeps data that would otherwise be deleted, while the law or a dispute "
    "requires it (policy 4.3). Its reason is not disclosed in a customer's own copy."
)


async def export_customer(
    services: Services, customer_id: str, actor: Identity, reason: str
) -> dict[str, Any]:
    """Everything held about `customer_id`, rendered as the customer sees it; audited once.
    The whole document in memory (the command line); HTTP streams it (`write_export`)."""
    prepared = await prepare_export(services, customer_id, actor, reason)
    for entry in prepared.contents:
        await _fill_content(services, entry)
    return prepared.document


@dataclass(frozen=True, slots=True)
class _Planned:
    """An attachment entry whose content the export includes, read when it is written."""

    entry: JsonObject
    which: str
    ref: BlobRef


@dataclass(frozen=True, slots=True)
class PreparedExport:
    """The export document with every attachment's content still to read (`contents`, in
    the document's order; each entry's `content` is None until then), already audited."""

    document: dict[str, Any]
    contents: tuple[_Planned, ...]


async def prepare_export(
    services: Services, customer_id: str, actor: Identity, reason: str
) -> PreparedExport:
    """Everything but the attachments' bytes, which are read (one at a time, and dropped)
    only to decide what the export includes and to name the categories it reveals; the
    audit record is written before anything is handed out."""
    store = services.store
    generated_at = services.clock()
    held = await _gather(services, customer_id)
    officer = actor.role is Role.PRIVACY_OFFICER
    counts = _counts(held)
    document: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "generated_at": generated_at.isoformat(),
        "customer_id": customer_id,
        "requested_by": {"role": actor.role.value, "id": actor.sub},
        "counts": counts,
        "profile": await _profile(services, customer_id, held.conversations),
        "conversations": held.conversations_out,
        "attachments": held.attachments,
        "attachments_note": _attachments_note(services, capped=held.capped),
        "consents": {
            "policy_version": services.settings.consent.policy_version,
            "ledger": [jsonable(e) for e in held.ledger],
            "requests": [jsonable(r) for r in held.requests],
        },
        "deletion_requests": [jsonable(d) for d in held.deletions],
        "access_log": held.access_log,
        "audit": [jsonable(a) for a in held.audit if a["action"] not in ACCESS_ACTIONS],
        "legal_holds": [_hold(h, officer=officer) for h in held.holds],
        "legal_holds_note": HOLDS_NOTE,
        "ratings": await _ratings(services, customer_id),
    }
    if officer:  # staff notes: data about the customer, never shown to the customer
        document["staff_notes"] = [jsonable(n) for n in await store.notes.for_customer(customer_id)]
    await store.audit.record(
        at=generated_at,
        actor={"role": actor.role.value, "id": actor.sub},
        action="export",
        customer_id=customer_id,
        reason=reason,
        categories=sorted(held.revealed),
        details={"format_version": FORMAT_VERSION, "counts": counts},
    )
    return PreparedExport(document, tuple(held.planned))


@dataclass(frozen=True, slots=True)
class _Held:
    """What the store holds about the customer, read for one export."""

    conversations: list[Conversation]
    conversations_out: list[JsonValue]
    message_count: int
    ledger: list[LedgerEntryDoc]
    requests: list[ConsentRequestDoc]
    deletions: list[DeletionRequestDoc]
    audit: list[AuditDoc]
    holds: list[HoldDoc]
    access_log: list[JsonValue]
    attachments: list[JsonValue]
    planned: list[_Planned]
    capped: bool
    revealed: set[str]  # categories shown in clear (the export's audit record names them)


async def _gather(services: Services, customer_id: str) -> _Held:
    """Read, in this order, the conversations with their messages, the consent ledger and
    requests, deletion requests, audit records, legal holds and the attachments."""
    store = services.store
    records = PrivacyRecords(store)
    conversations = await store.conversations.list_for_customer(customer_id, CUSTOMER_LIMIT)
    conversations.sort(key=lambda c: c.created_at)
    revealed: set[str] = set()
    conversations_out: list[JsonValue] = []
    message_count = 0
    for conversation in conversations:
        messages = await _messages(services, conversation, revealed)
        message_count += len(messages)
        conversations_out.append({**_conversation(conversation), "messages": messages})
    ledger = await store.consents.history(customer_id)
    requests = await store.consent_requests.for_customer(customer_id)
    deletions = await records.deletion_requests_for(customer_id)
    audit = await store.audit.for_customer(customer_id)
    holds = await records.holds_for_customer(customer_id)
    access_log: list[JsonValue] = [_access(a) for a in audit if a["action"] in ACCESS_ACTIONS]
    attachments, planned, capped = await _attachments(services, customer_id, revealed)
    return _Held(
        conversations=conversations,
        conversations_out=conversations_out,
        message_count=message_count,
        ledger=ledger,
        requests=requests,
        deletions=deletions,
        audit=audit,
        holds=holds,
        access_log=access_log,
        attachments=attachments,
        planned=planned,
        capped=capped,
        revealed=revealed,
    )


def _counts(held: _Held) -> dict[str, int]:
    return {
        "conversations": len(held.conversations_out),
        "messages": held.message_count,
        "consent_entries": len(held.ledger),
        "consent_requests": len(held.requests),
        "deletion_requests": len(held.deletions),
        "access_log": len(held.access_log),
        "legal_holds": len(held.holds),
        "attachments": len(held.attachments),
    }


async def _profile(
    services: Services, customer_id: str, conversations: list[Conversation]
) -> dict[str, Any]:
    """What is known of the customer: there is no profile beyond the chat."""
    return {
        "customer_id": customer_id,
        "minor": any(c.minor for c in conversations),
        "first_contact_at": _iso(conversations[0].created_at) if conversations else None,
        "last_contact_at": _iso(conversations[-1].created_at) if conversations else None,
        "encryption_key_on_file": await services.cipher.has_key(customer_id),
        "customer_name": conversations[-1].customer_name if conversations else None,
        "customer_profile": dict(conversations[-1].customer_profile) if conversations else {},
        "customer_lang": conversations[-1].customer_lang if conversations else None,
        "note": PROFILE_NOTE,
    }


def _attachments_note(services: Services, *, capped: bool) -> str:
    if not capped:
        return ATTACHMENTS_NOTE
    cap = services.settings.attachments.export_max_content_bytes
    return ATTACHMENTS_NOTE + " " + CAP_NOTE.format(cap=cap)


async def _ratings(services: Services, customer_id: str) -> list[JsonValue]:
    """The customer's ratings of their conversations (comment masked as stored)."""
    out: list[JsonValue] = []
    for outcome in await services.store.outcomes.for_customer(customer_id):
        rating = outcome.get("rating")
        if rating is not None:
            out.append({"conversation_id": outcome["_id"], **jsonable(rating)})
    return out


async def _messages(
    services: Services, conversation: Conversation, revealed: set[str]
) -> list[JsonValue]:
    out: list[JsonValue] = []
    after_seq = 0
    while True:
        docs = await services.store.messages.after(conversation.id, after_seq, MESSAGE_PAGE)
        for doc in docs:
            message, categories = await view_for_export(services, doc, conversation)
            revealed |= categories
            out.append(message.frame())
        if len(docs) < MESSAGE_PAGE:
            return out
        after_seq = docs[-1]["seq"]


async def _attachments(
    services: Services, customer_id: str, revealed: set[str]
) -> tuple[list[JsonValue], list[_Planned], bool]:
    """Every attachment of the customer, the ones whose bytes go in (those they would
    download: their own originals while they exist, else what `choose_rendition` gives
    them), and whether the per-export cap left some without content. Categories of
    sensitive originals included go into `revealed` (the export's single audit record names
    them). Each blob is opened here, one at a time, to learn its size and that it opens."""
    owner = Identity(Role.CUSTOMER, customer_id)
    cap = services.settings.attachments.export_max_content_bytes
    used, capped = 0, False
    out: list[JsonValue] = []
    planned: list[_Planned] = []
    docs = await services.store.attachments.for_customer(customer_id)
    docs.sort(key=lambda d: (d["created_at"], d["_id"]))
    for doc in docs:
        entry = _attachment(doc)
        try:
            which, ref = await choose_rendition(services, owner, doc)
            if used + doc["size"] > cap:
                capped = True
                entry["content_note"] = "export_size_cap"
            else:
                size = await _open_size(services, ref)
                used += size
                planned.append(_Planned(entry, which, ref))
                if which == "original" and doc.get("sensitive"):
                    revealed.update(doc.get("categories", []))
        except ChatError as exc:  # not found, held, withheld or gone: as a download answers
            entry["content_note"] = exc.code
        except BlobCorrupt:
            logger.error("attachment blob does not decrypt", extra={"attachment_id": doc["_id"]})
            entry["content_note"] = "unreadable"
        out.append(entry)
    return out, planned, capped


async def _open_size(services: Services, ref: BlobRef) -> int:
    data = await blobs_of(services).open(ref)
    if data is None:
        raise AttachmentGone()  # the key shredded, or the blob deleted meanwhile
    return len(data)


async def _fill_content(services: Services, planned: _Planned) -> bytes | None:
    """Read a planned attachment's bytes into its entry (`content`), or note why they are
    gone since the export was prepared. Returns the bytes (None when gone)."""
    entry = planned.entry
    try:
        data = await blobs_of(services).open(planned.ref)
    except BlobCorrupt:
        logger.error("attachment blob does not decrypt", extra={"attachment_id": entry["id"]})
        entry["content_note"] = "unreadable"
        return None
    if data is None:
        entry["content_note"] = AttachmentGone.code
        return None
    entry["content"] = {
        "rendition": planned.which,
        "encoding": "base64",
        "size": len(data),
        "data": base64.b64encode(data).decode("ascii"),
    }
    return data


async def stream_export(
    services: Services, prepared: PreparedExport, write: Callable[[bytes], Awaitable[None]]
) -> None:
    """Write the export as JSON, piece by piece: the same text `json.dumps` gives for the
    whole document, but the attachments' bytes are read one at a time and written in base64
    pieces, so at most one file's contents is in memory."""
    out = _Chunks(write)
    planned = {id(p.entry): p for p in prepared.contents}
    await out.add("{")
    for index, (key, value) in enumerate(prepared.document.items()):
        await out.add((", " if index else "") + json.dumps(key) + ": ")
        if key != "attachments":
            for piece in _ENCODER.iterencode(value):
                await out.add(piece)
            continue
        await out.add("[")
        for position, entry in enumerate(value):
            await out.add(", " if position else "")
            plan = planned.get(id(entry))
            if plan is None:
                await out.add(json.dumps(entry))
            else:
                await _write_attachment(services, plan, out)
        await out.add("]")
    await out.add("}")
    await out.flush()


async def _write_attachment(services: Services, plan: _Planned, out: _Chunks) -> None:
    entry = plan.entry
    try:
        data = await blobs_of(services).open(plan.ref)
    except BlobCorrupt:
        logger.error("attachment blob does not decrypt", extra={"attachment_id": entry["id"]})
        await out.add(json.dumps(entry | {"content_note": "unreadable"}))
        return
    if data is None:  # destroyed since the export was prepared
        await out.add(json.dumps(entry | {"content_note": AttachmentGone.code}))
        return
    content = {"rendition": plan.which, "encoding": "base64", "size": len(data), "data": _MARK}
    head, tail = json.dumps(entry | {"content": content}).split(json.dumps(_MARK))
    await out.add(head + '"')
    view = memoryview(data)
    for start in range(0, len(view), _BASE64_PIECE_BYTES):
        await out.add(base64.b64encode(view[start : start + _BASE64_PIECE_BYTES]).decode("ascii"))
    await out.add('"' + tail)


class _Chunks:
    """Text gathered into writes of about `_WRITE_BYTES`."""

    def __init__(self, write: Callable[[bytes], Awaitable[None]]) -> None:
        self._write = write
        self._parts: list[str] = []
        self._size = 0

    async def add(self, text: str) -> None:
        self._parts.append(text)
        self._size += len(text)
        if self._size >= _WRITE_BYTES:
            await self.flush()

    async def flush(self) -> None:
        if self._parts:
            data = "".join(self._parts).encode("utf-8")
            self._parts.clear()
            self._size = 0
            await self._write(data)


def _attachment(doc: AttachmentDoc) -> JsonObject:
    """What is known of one attachment, never a key or a GridFS id."""
    return {
        "id": doc["_id"],
        "kind": doc["kind"],
        "name": doc["name"],
        "content_type": doc["content_type"],
        "size": doc["size"],
        "created_at": _iso(doc.get("created_at")),
        "uploaded_by": doc.get("uploader", {}).get("role"),
        "status": doc["status"],
        "findings": jsonable(doc.get("findings", [])),
        "sensitive": bool(doc.get("sensitive")),
        "categories": list(doc.get("categories", [])),
        "conversation_id": doc.get("conversation_id"),
        "message_id": doc.get("message_id"),
        "renditions": {
            "original": doc.get("original") is not None,
            "redacted": doc.get("redacted") is not None,
        },
        "content": None,
        "content_note": None,
    }


def _conversation(conversation: Conversation) -> JsonObject:
    return {**conversation.to_public(), "minor": conversation.minor}


def _access(entry: AuditDoc) -> JsonObject:
    """Who saw which of the customer's sensitive values, when and why."""
    return {
        "at": _iso(entry["at"]),
        "by": {**entry["actor"]},
        "message_id": entry.get("message_id"),
        "categories": [*entry["categories"]],
        "reason": entry.get("reason"),
    }


def _hold(hold: HoldDoc, *, officer: bool) -> JsonObject:
    """A customer is told that and since when data is held, not why nor by whom."""
    shown: dict[str, object] = {
        "id": hold.get("_id"),
        "scope": hold.get("scope"),
        "conversation_id": hold.get("conversation_id"),
        "active": hold.get("active"),
        "set_at": hold.get("set_at"),
        "lifted_at": hold.get("lifted_at"),
    }
    if officer:
        shown |= {
            "reason": hold.get("reason"),
            "set_by": hold.get("set_by"),
            "lifted_by": hold.get("lifted_by"),
            "lift_reason": hold.get("lift_reason"),
        }
    return {k: jsonable(v) for k, v in shown.items()}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def jsonable(value: Any) -> Any:  # any stored BSON value
    """A stored document as JSON: `_id` as `id`, dates as ISO 8601, binary never shown."""
    if isinstance(value, dict):
        return {("id" if k == "_id" else str(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Binary | bytes):
        return "[binary]"  # ciphertext or raw bytes: never part of an export
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
