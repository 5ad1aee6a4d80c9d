"""The JSON answers of the HTTP endpoints (CONTRACT §4), as pydantic models.

Handlers reply through `json_answer(Model, data)`: the data is validated against the model
and serialised by it, so what is sent is what `/api/openapi.json` describes (its success
schemas are these models' JSON Schemas, `http/openapi.py`). `exclude_unset` keeps the JSON
exactly as the handlers built it: a key the data does not have is not added.

Answers built here are `extra="forbid"`. Stored documents handed out as JSON (consent
ledger entries and requests, deletion requests, legal holds) name the keys every such
document has and allow more (`extra="allow"`: a later version may add a key without
breaking older clients); their values are JSON.
"""

from __future__ import annotations

from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from chat_service.json_types import JsonObject, JsonValue
from chat_service.protocol.events import ConversationOut, MessageOut


class _Answer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Stored(BaseModel):
    """A stored document as JSON: `id` for `_id`, times in ISO 8601, more keys allowed."""

    model_config = ConfigDict(frozen=True, extra="allow")


class ErrorDetail(_Answer):
    code: str
    message: str


class Health(_Answer):
    """`GET /healthz` (200)."""

    status: Literal["ok"]
    store: str


class HealthUnavailable(_Answer):
    """`GET /healthz` (503): an Error body with the health fields."""

    status: Literal["unavailable"]
    store: str
    error: ErrorDetail


class ConversationList(_Answer):
    """`GET /api/conversations`."""

    conversations: list[ConversationOut]


class MessagePage(_Answer):
    """`GET /api/conversations/{id}/messages`: a page of history (`has_more`: ask again
    with `after_seq` the last message's `seq`)."""

    conversation: ConversationOut
    messages: list[MessageOut]
    has_more: bool


class Actor(_Stored):
    role: str
    id: str


class ConsentLedgerEntry(_Stored):
    id: str
    customer_id: str
    purpose: str
    categories: list[str]
    decision: str
    policy_version: str
    at: str
    decided_by: JsonObject
    evidence: JsonObject


class ConsentRequestRecord(_Stored):
    id: str
    status: str


class ConsentLedger(_Answer):
    """`GET /api/privacy/customers/{id}/consents`."""

    customer_id: str
    policy_version: str
    granted: list[str]
    ledger: list[ConsentLedgerEntry]
    requests: list[ConsentRequestRecord]


class Withdrawal(_Answer):
    """`POST /api/privacy/customers/{id}/consents/withdrawal`."""

    customer_id: str
    categories: list[str]
    messages_affected: int


class DeletionRequest(_Stored):
    """A deletion request (`POST`: 201 filed, 200 the one already open)."""

    id: str
    customer_id: str
    filed_by: Actor
    received_at: str
    due_at: str
    status: str
    history: list[JsonObject]
    deleted: dict[str, int]
    key_shredded: bool
    completed_at: str | None


class DeletionRequests(_Answer):
    """`GET /api/privacy/customers/{id}/deletion-requests`."""

    customer_id: str
    deletion_requests: list[DeletionRequest]


class LegalHold(_Stored):
    """A legal hold (`POST .../legal-hold`: 201 set, 200 already so or lifted)."""

    id: str
    scope: Literal["conversation", "customer"]
    customer_id: str | None
    conversation_id: str | None
    reason: str
    active: bool
    set_by: Actor
    set_at: str
    lifted_at: str | None
    lifted_by: Actor | None
    lift_reason: str | None


class LegalHolds(_Answer):
    """`GET /api/privacy/legal-holds`."""

    legal_holds: list[LegalHold]


class PrivacyReport(_Answer):
    """`GET /api/privacy/report` (docs/retention.md)."""

    format: Literal["chat-service.privacy-report"]
    format_version: int
    generated_at: str
    deletion_requests: JsonObject
    consents: JsonObject
    legal_holds: JsonValue
    retention: JsonValue
    webhooks: JsonValue
    warnings: list[str]


class Upload(_Answer):
    """`POST /api/attachments` (201): the attachment as scanned."""

    id: str
    kind: str
    name: str
    content_type: str
    size: int
    status: str
    findings: list[JsonObject]
    sensitive: bool
    conversation_id: str | None


class Export(_Answer):
    """`GET /api/privacy/customers/{id}/export` (docs/privacy-export.md). Streamed piece by
    piece (attachments' contents one at a time), so not serialised by this model: the
    tests check real exports against it."""

    format: Literal["chat-service.customer-export"]
    format_version: int
    generated_at: str
    customer_id: str
    requested_by: Actor
    counts: dict[str, int]
    profile: JsonObject
    conversations: list[JsonObject]
    attachments: list[JsonObject]
    attachments_note: str
    consents: JsonObject
    deletion_requests: list[JsonObject]
    access_log: list[JsonObject]
    audit: list[JsonObject]
    legal_holds: list[JsonObject]
    legal_holds_note: str


class OpenApiDescription(_Stored):
    """`GET /api/openapi.json`: an OpenAPI 3.1 document."""

    openapi: Literal["3.1.0"]
    info: JsonObject
    paths: JsonObject
    components: JsonObject


def json_answer(
    model: type[_Answer] | type[_Stored],
    data: Any,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """`data` validated as `model` and sent as its JSON: a dict keeps exactly its keys
    (`exclude_unset`), a model instance is sent whole (defaults included)."""
    if isinstance(data, model):
        body = data.model_dump(mode="json")
    else:
        body = model.model_validate(data).model_dump(mode="json", exclude_unset=True)
    return web.json_response(body, status=status, headers=headers)


# search (http/search.py, docs/search.md)


class SearchResult(_Answer):
    """One message found: its conversation, the message as the caller may see it, and a
    snippet of that text around the first term."""

    conversation: ConversationOut
    message: MessageOut
    snippet: str


class SearchPage(_Answer):
    """`GET /api/search`: newest first; `next_offset` (null at the end or past the cap) asks
    for the next page."""

    query: str
    terms: list[str]
    results: list[SearchResult]
    offset: int
    next_offset: int | None
