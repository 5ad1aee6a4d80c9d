"""The agent's inbox (issue 20, item 1; docs/inbox.md): views with counts, one row per
conversation with the last message as the viewer may see it, the waiting time and the
number of unanswered customer messages, sorted by waiting time.

Reads per page, whatever its size: one count per view, one conversation query, one
message outline query (no content), one query for the last messages; no read per row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from chat_service.actions.views import view_message
from chat_service.auth import Identity, Role
from chat_service.errors import Forbidden
from chat_service.protocol.events import MessageOut
from chat_service.services import Services
from chat_service.storage.conversations import Conversation

OPEN_VIEW_MAX = 500  # open conversations listed in one view (the queue's existing cap)
CLOSED_PAGE = 50  # closed conversations per page


class View(StrEnum):
    MINE = "mine"
    UNASSIGNED = "unassigned"
    ALL = "all"  # supervisors
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class InboxRow:
    conversation: Conversation
    last_message: MessageOut | None
    waiting_since: datetime | None  # the customer's first message since staff last wrote
    unanswered: int  # the customer's messages since staff last wrote


@dataclass(frozen=True, slots=True)
class InboxPage:
    view: View
    counts: dict[str, int]
    rows: list[InboxRow]
    page: int
    has_more: bool


def views_for(identity: Identity) -> tuple[View, ...]:
    if identity.role is Role.SUPERVISOR:
        return (View.MINE, View.UNASSIGNED, View.ALL, View.CLOSED)
    return (View.MINE, View.UNASSIGNED, View.CLOSED)


def _query(view: View, identity: Identity) -> Mapping[str, object]:
    match view:
        case View.MINE:
            return {"status": "open", "agent_id": identity.sub}
        case View.UNASSIGNED:
            return {"status": "open", "agent_id": None}
        case View.ALL:
            return {"status": "open"}
        case View.CLOSED:
            if identity.role is Role.SUPERVISOR:
                return {"status": "closed"}
            return {"status": "closed", "agent_id": identity.sub}  # those they handled


async def inbox(services: Services, identity: Identity, view: View, page: int) -> InboxPage:
    """One view of the inbox for an agent or a supervisor (`page`: closed view only)."""
    allowed = views_for(identity)
    if identity.role not in (Role.AGENT, Role.SUPERVISOR) or view not in allowed:
        raise Forbidden(f"the {view.value} view is not available to this caller")
    conversations = services.store.conversations
    counts = {v.value: await conversations.count_where(_query(v, identity)) for v in allowed}
    if view is View.CLOSED:
        found = await conversations.list_where(
            _query(view, identity), "closed_at", page * CLOSED_PAGE, CLOSED_PAGE + 1
        )
        has_more = len(found) > CLOSED_PAGE
        found = found[:CLOSED_PAGE]
    else:
        found = await conversations.list_where(
            _query(view, identity), "created_at", 0, OPEN_VIEW_MAX
        )
        has_more, page = False, 0
    rows = await _rows(services, identity, found)
    if view is not View.CLOSED:  # longest waiting first, then those not waiting, oldest first
        rows.sort(
            key=lambda r: (
                r.waiting_since is None,
                r.waiting_since or r.conversation.created_at,
                r.conversation.created_at,
            )
        )
    return InboxPage(view, counts, rows, page, has_more)


async def _rows(
    services: Services, identity: Identity, found: list[Conversation]
) -> list[InboxRow]:
    by_id = {c.id: c for c in found}
    outline = await services.store.messages.outline(list(by_id))
    outline.sort(key=lambda m: (m.conversation_id, m.seq))
    last: dict[str, str] = {}
    waiting: dict[str, datetime] = {}
    unanswered: dict[str, int] = {}
    for m in outline:
        last[m.conversation_id] = m.id
        if m.sender_role == Role.CUSTOMER.value:
            waiting.setdefault(m.conversation_id, m.created_at)
            unanswered[m.conversation_id] = unanswered.get(m.conversation_id, 0) + 1
        else:
            waiting.pop(m.conversation_id, None)
            unanswered.pop(m.conversation_id, None)
    docs = {d["_id"]: d for d in await services.store.messages.many(list(last.values()))}
    rows: list[InboxRow] = []
    for conversation in found:
        doc = docs.get(last.get(conversation.id, ""))
        preview = (
            await view_message(services, doc, identity, conversation, "inbox")
            if doc is not None
            else None
        )
        rows.append(
            InboxRow(
                conversation,
                preview,
                waiting.get(conversation.id) if conversation.status == "open" else None,
                unanswered.get(conversation.id, 0),
            )
        )
    return rows
