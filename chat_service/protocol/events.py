"""Typed server events. Every frame the server sends is built from one of these models.

Tests validate every outgoing frame with `validate_event`, so a frame that drifts from
its declared shape fails the suite.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from chat_service.json_types import JsonObject


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def frame(self) -> JsonObject:
        return self.model_dump(mode="json")


class Sender(_Event):
    role: str
    id: str


class FindingOut(_Event):
    entity_type: str
    start: int
    end: int
    score: float
    category: str
    sensitive: bool


class LocationOut(_Event):
    lat: float
    lng: float
    accuracy_m: float | None = None


class LocationAreaOut(_Event):
    """Where a customer is, coarsely (about 1 km): shown before consent to the precise point."""

    lat: float
    lng: float
    radius_m: float


class AttachmentFindingOut(FindingOut):
    """A finding in an attachment's text: the page, and the boxes (pixels) on a picture."""

    page: int | None = None
    boxes: list[list[int]] = Field(default_factory=list)


class AttachmentOut(_Event):
    """A picture or file as one viewer may get it from GET /api/attachments/{id}:
    `available` (the sanitised original), `redacted` (sensitive regions blacked out),
    `withheld` (a file with sensitive content, until consent), `held` (could not be scanned:
    held for review), `destroyed` (refused, withdrawn or deleted)."""

    id: str
    kind: str
    name: str
    content_type: str
    size: int
    status: Literal["available", "redacted", "withheld", "held", "destroyed"]
    findings: list[AttachmentFindingOut]


class MessageOut(_Event):
    id: str
    conversation_id: str
    seq: int
    client_id: str | None  # the sender's own idempotency key: shown to the sender only
    sender: Sender
    kind: str
    text: str | None
    findings: list[FindingOut]
    created_at: str
    consent: str | None = None
    masked: bool = False
    attachment_id: str | None = None
    attachment: AttachmentOut | None = None
    location: LocationOut | None = None
    location_area: LocationAreaOut | None = None


class ConversationOut(_Event):
    id: str
    customer_id: str
    status: str
    agent_id: str | None
    created_at: str
    closed_at: str | None
    minor: bool = False  # the customer is a child under 14 (policy 5)
    tags: list[str] = []  # teamwork (docs/teamwork.md)
    priority: Literal["low", "normal", "high", "urgent"] = "normal"
    # The customer's display name and shop fields from their token (docs/inbox.md): plain
    # text as the shop sent it; pages show `customer_name ?? customer_id`.
    customer_name: str | None = None
    customer_profile: dict[str, str] = Field(default_factory=dict)
    # The customer's language: the widget's, else their token's `lang` (docs/inbox.md).
    customer_lang: Literal["en", "zh"] | None = None


class CustomerConversationOut(_Event):
    """One of a customer's own conversations, as their widget lists them in `hello`."""

    id: str
    status: str
    created_at: str
    closed_at: str | None
    # A closed one: whether the customer rated it (the widget offers the rating again after
    # a reload, docs/teamwork.md); null while open.
    rated: bool | None = None


class Hello(_Event):
    type: Literal["hello"] = "hello"
    role: str
    sub: str
    heartbeat_secs: float
    # Customers only: their most recent conversations, oldest first, so the widget shows one
    # history across them (and forgets one that no longer exists, e.g. after a deletion).
    # Absent for other roles, and when the store could not be read.
    conversations: list[CustomerConversationOut] | None = None

    def frame(self) -> JsonObject:
        unset = {"conversations"} if self.conversations is None else None
        return self.model_dump(mode="json", exclude=unset)


class MessageAck(_Event):
    type: Literal["message.ack"] = "message.ack"
    client_id: str
    message_id: str
    conversation_id: str
    seq: int
    duplicate: bool = False


class MessageNew(_Event):
    type: Literal["message.new"] = "message.new"
    message: MessageOut


class MessageUpdated(_Event):
    type: Literal["message.updated"] = "message.updated"
    message: MessageOut


class History(_Event):
    type: Literal["history"] = "history"
    conversation_id: str
    messages: list[MessageOut]
    has_more: bool


class TypingOut(_Event):
    type: Literal["typing"] = "typing"
    conversation_id: str
    sender: Sender


class ConversationOpened(_Event):
    type: Literal["conversation.opened"] = "conversation.opened"
    conversation: ConversationOut


class AgentAvailabilityOut(_Event):
    """To supervisors and the agent's own sockets: an agent went online or away."""

    type: Literal["agent.availability"] = "agent.availability"
    agent_id: str
    state: Literal["online", "away"]
    changed_at: str


class ConversationUpdated(_Event):
    """To agents: the conversation changed otherwise than by a join or a close (its
    customer turned out to be a child)."""

    type: Literal["conversation.updated"] = "conversation.updated"
    conversation: ConversationOut


class ConversationAssigned(_Event):
    type: Literal["conversation.assigned"] = "conversation.assigned"
    conversation_id: str
    agent_id: str


class ConversationClosedOut(_Event):
    type: Literal["conversation.closed"] = "conversation.closed"
    conversation_id: str
    closed_by: Sender


# -- teamwork (docs/teamwork.md) -------------------------------------------------------------


class ConversationTransferred(_Event):
    """To staff: the conversation moved from one agent (None: the queue) to another (None:
    back to the queue), by `by` (the agent or a supervisor)."""

    type: Literal["conversation.transferred"] = "conversation.transferred"
    conversation: ConversationOut
    from_agent_id: str | None
    to_agent_id: str | None
    by: Sender


class ConversationNotice(_Event):
    """To the customer: a neutral notice about their conversation (no staff names)."""

    type: Literal["conversation.notice"] = "conversation.notice"
    conversation_id: str
    notice: Literal["transferred"]


class NoteOut(_Event):
    """An internal note, masked: staff only, never sent to a customer."""

    id: str
    conversation_id: str
    author: Sender
    text: str
    findings: list[FindingOut]
    created_at: str


class NoteNew(_Event):
    type: Literal["note.new"] = "note.new"
    note: NoteOut


class RepliesChanged(_Event):
    """To staff: a supervisor added, changed or deleted a saved reply (docs/agent-speed.md);
    consoles fetch `GET /api/replies` again."""

    type: Literal["replies.changed"] = "replies.changed"
    key: str
    action: Literal["create", "update", "delete"]
    by: str


class ConversationRated(_Event):
    """To supervisors: a customer rated a closed conversation."""

    type: Literal["conversation.rated"] = "conversation.rated"
    conversation_id: str
    agent_id: str | None
    score: int


class ConsentRequest(_Event):
    type: Literal["consent.request"] = "consent.request"
    request_id: str
    message_id: str
    message_ids: list[str]
    categories: list[str]
    purpose: str
    notice: str
    guardian_required: bool
    language: str
    expires_at: str


class ConsentRecorded(_Event):
    type: Literal["consent.recorded"] = "consent.recorded"
    request_id: str | None
    granted: bool
    categories: list[str]
    purpose: str
    reason: str  # "answered", "expired", "withdrawn"
    # For a grant: whether the agent handling the conversation may now see every value
    # (config/consent.toml [visibility]; agents are not shown a child's data). None otherwise.
    agent_sees: bool | None = None
    # The granted categories agents are still not shown.
    hidden_from_agent: list[str] = []


class WarningOut(_Event):
    type: Literal["warning"] = "warning"
    code: str
    message: str
    ref: str | None = None
    entity_types: list[str] = []


class Pong(_Event):
    type: Literal["pong"] = "pong"


class ErrorOut(_Event):
    type: Literal["error"] = "error"
    code: str
    message: str
    ref: str | None = None


Event = Annotated[
    Hello
    | MessageAck
    | MessageNew
    | MessageUpdated
    | History
    | TypingOut
    | ConversationOpened
    | ConversationAssigned
    | ConversationUpdated
    | ConversationClosedOut
    | AgentAvailabilityOut
    | ConversationTransferred
    | ConversationNotice
    | NoteNew
    | ConversationRated
    | RepliesChanged
    | ConsentRequest
    | ConsentRecorded
    | WarningOut
    | Pong
    | ErrorOut,
    Field(discriminator="type"),
]
_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def validate_event(frame: JsonObject) -> Event:
    """Parse an outgoing frame against its declared model (raises if it does not fit)."""
    return _ADAPTER.validate_python(frame)
