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
from chat_service.protocol.events import ConversationOut, MessageOut, NoteOut
from chat_service.web.replies import SavedReply


class _Answer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Stored(BaseModel):
    """A stored document as JSON: `id` for `_id`, times in ISO 8601, more keys allowed."""

    model_config = ConfigDict(frozen=True, extra="allow")


class ErrorDetail(_Answer):
    code: str
    message: str


class Health(_Answer):
    """`GET /healthz` (200). `fanout`: how events reach the other instances (`local`: one
    instance, no `REDIS_URL`); `redis`, only with `REDIS_URL`: whether this instance is
    subscribed to it now. Redis down is not unhealthy (docs/deployment.md)."""

    status: Literal["ok"]
    store: str
    fanout: Literal["redis", "local"] | None = None
    redis: Literal["up", "down"] | None = None


class HealthUnavailable(_Answer):
    """`GET /healthz` (503): an Error body with the health fields."""

    status: Literal["unavailable"]
    store: str
    fanout: Literal["redis", "local"] | None = None
    redis: Literal["up", "down"] | None = None
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
    # Teamwork (docs/teamwork.md): the customer's ratings (their own words, masked), and,
    # in the privacy officer's export only, staff's internal notes about the customer.
    ratings: list[JsonObject] = []
    staff_notes: list[JsonObject] | None = None


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


# agent speed (issue 20 item 4): the shop's saved replies, agents' availability


class SavedReplies(_Answer):
    """`GET /api/replies`: config/replies.toml, placeholders left for the console to fill."""

    replies: list[SavedReply]
    placeholders: list[str]


class SavedReplyAnswer(_Answer):
    """`POST /api/replies`, `PUT` / `DELETE /api/replies/{key}`: the reply as stored (as it
    was, for a delete)."""

    reply: SavedReply


class ReplyChange(_Answer):
    at: str
    by: str  # the supervisor's id
    action: Literal["create", "update", "delete"]
    key: str


class ReplyChanges(_Answer):
    """`GET /api/replies/changes`: who changed which saved reply when, newest first."""

    changes: list[ReplyChange]


class AgentState(_Answer):
    """`PUT /api/availability`, and each agent of `GET /api/availability`."""

    agent_id: str
    state: Literal["online", "away"]
    changed_at: str


class AgentStates(_Answer):
    """`GET /api/availability`: the caller's own state (an agent; empty: online, never
    set), or every agent who set one (a supervisor)."""

    agents: list[AgentState]


# -- privacy officer's workspace (docs/privacy-workspace.md) -------------------------------


class WorkspaceDeletionRequest(DeletionRequest):
    """A deletion request as the workspace lists it: with its deadline's state."""

    open: bool
    working_days_left: int | None  # open ones; None past the holiday table or when done
    overdue: bool
    completed_in_time: bool | None


class WorkspaceDeletionRequests(_Answer):
    """`GET /api/privacy/workspace/deletion-requests`."""

    state: Literal["open", "completed", "all"]
    generated_at: str
    deadline_working_days: int | None
    deletion_requests: list[WorkspaceDeletionRequest]


class AuditEntry(_Stored):
    """One audit entry: who read or destroyed what, when and why."""

    id: str
    at: str
    actor: Actor
    action: str
    customer_id: str
    message_id: str | None
    categories: list[str]
    reason: str
    details: JsonObject
    pseudonymised: bool


class AuditPage(_Answer):
    """`GET /api/privacy/workspace/audit`: newest first; `next_cursor` asks for older."""

    entries: list[AuditEntry]
    next_cursor: str | None


class ConsentStatistics(_Answer):
    """`GET /api/privacy/workspace/consent-statistics`: per category, decisions recorded in
    [since, until) and requests opened then still pending."""

    since: str
    until: str
    categories: dict[str, dict[str, int]]


class RetentionRuns(_Answer):
    """`GET /api/privacy/workspace/retention-runs`: the report's retention section."""

    runs_total: int
    dry_runs: int
    runs_by_status: dict[str, int]
    purged_by_rule: dict[str, JsonObject]
    purged_total: int
    recent: list[JsonObject]


# -- teamwork (docs/teamwork.md) -------------------------------------------------------------


class ConversationAnswer(_Answer):
    conversation: ConversationOut


class NoteAnswer(_Answer):
    note: NoteOut


class NoteList(_Answer):
    notes: list[NoteOut]


class AgentLoad(_Answer):
    agent_id: str
    open_conversations: int


class Outcome(_Answer):
    conversation_id: str
    agent_id: str | None
    closed_at: str
    first_response_secs: float | None
    resolution_secs: float
    score: int | None
    comment: str | None  # masked


class TeamOverview(_Answer):
    unassigned: int
    agents: list[AgentLoad]
    outcomes: list[Outcome]


class RatingAnswer(_Answer):
    conversation_id: str
    score: int
    comment: str | None  # as stored: sensitive values masked


# inbox (docs/inbox.md, http/inbox.py)


class InboxRowOut(_Answer):
    conversation: ConversationOut
    last_message: MessageOut | None  # rendered for the caller, masked as they may see it
    waiting_since: str | None  # the customer's first unanswered message (open only)
    unanswered: int  # the customer's messages since staff last wrote


class Inbox(_Answer):
    """`GET /api/inbox`: one view, the counts of every view the caller has, its rows."""

    view: str
    views: list[str]
    counts: dict[str, int]
    page: int
    has_more: bool
    conversations: list[InboxRowOut]


class PanelConversation(_Answer):
    conversation: ConversationOut
    readable: bool  # the caller may read its history (GET .../messages)


class CustomerPanel(_Answer):
    """`GET /api/conversations/{id}/customer`: the customer panel (docs/inbox.md)."""

    customer_id: str
    customer_name: str | None
    customer_profile: dict[str, str]
    customer_lang: Literal["en", "zh"] | None  # the shown conversation's (docs/inbox.md)
    minor: bool
    consents: list[JsonObject]  # {purpose, categories, decision, at}, oldest first
    privacy_requests: list[JsonObject]  # open ones: {id, kind, status, received_at, due_at}
    conversations: list[PanelConversation]  # every conversation of the customer, oldest first


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
