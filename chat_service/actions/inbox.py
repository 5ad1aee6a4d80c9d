"""The agent's inbox (issue 20, item 1; docs/inbox.md): views with counts, one row per
conversation with the last message as the viewer may see it, the waiting time and the
number of unanswered customer messages, sorted by waiting time.

Reads per page, whatever its size: one conversation query, one query for the listed
conversations' messages (read through the `conversation_seq` index), and a count for each
view whose count is not already known from the listed conversations; no read per row.
The console's first load is one request: the `open` view (an agent's Mine and Unassigned
together, a supervisor's All), whose rows give every open view's count, so only Closed is
counted by the store.
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
from chat_service.storage.messages import MessageDoc

OPEN_VIEW_MAX = 500  # open conversations listed in one view (the queue's existing cap)
CLOSED_PAGE = 50  # closed conversations per page


class View(StrEnum):
    MINE = "mine"
    UNASSIGNED = "unassigned"
    ALL = "all"  # supervisors
    CLOSED = "closed"
    OPEN = "open"  # every open conversation the caller works from: not a view of its own


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
        case View.OPEN:
            if identity.role is Role.SUPERVISOR:
                return {"status": "open"}
            return {"status": "open", "agent_id": {"$in": [None, identity.sub]}}
        case View.CLOSED:
            if identity.role is Role.SUPERVISOR:
                return {"status": "closed"}
            return {"status": "closed", "agent_id": identity.sub}  # those they handled


async def inbox(services: Services, identity: Identity, view: View, page: int) -> InboxPage:
    """One view of the inbox for an agent or a supervisor (`page`: closed view only)."""
    allowed = views_for(identity)
    if identity.role not in (Role.AGENT, Role.SUPERVISOR) or view not in (*allowed, View.OPEN):
        raise Forbidden(f"the {view.value} view is not available to this caller")
    conversations = services.store.conversations
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
    counts = _counted(view, identity, found)
    for v in allowed:
        if v.value not in counts:
            counts[v.value] = await conversations.count_where(_query(v, identity))
    counts = {v.value: counts[v.value] for v in allowed}
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


def _counted(view: View, identity: Identity, found: list[Conversation]) -> dict[str, int]:
    """The counts of the open views that the listed open conversations answer: a view within
    the listed one (Mine and Unassigned within Open or All), when the list was not cut at
    OPEN_VIEW_MAX. Empty for Closed and for a cut list: those are counted by the store."""
    if view is View.CLOSED or len(found) >= OPEN_VIEW_MAX:
        return {}
    within: dict[View, tuple[View, ...]] = {
        View.MINE: (View.MINE,),
        View.UNASSIGNED: (View.UNASSIGNED,),
        View.ALL: (View.MINE, View.UNASSIGNED, View.ALL),
        View.OPEN: (View.MINE, View.UNASSIGNED, View.ALL),
    }
    mine = sum(1 for c in found if c.agent_id == identity.sub)
    unassigned = sum(1 for c in found if c.agent_id is None)
    known = {View.MINE: mine, View.UNASSIGNED: unassigned, View.ALL: len(found)}
    allowed = views_for(identity)
    return {v.value: known[v] for v in within[view] if v in allowed}


async def _rows(
    services: Services, identity: Identity, found: list[Conversation]
) -> list[InboxRow]:
    messages = await services.store.messages.of_conversations([c.id for c in found])
    messages.sort(key=lambda m: (m["conversation_id"], m["seq"]))
    last: dict[str, MessageDoc] = {}
    waiting: dict[str, datetime] = {}
    unanswered: dict[str, int] = {}
    for m in messages:
        conversation_id = m["conversation_id"]
        last[conversation_id] = m
        if m["sender"]["role"] == Role.CUSTOMER.value:
            waiting.setdefault(conversation_id, m["created_at"])
            unanswered[conversation_id] = unanswered.get(conversation_id, 0) + 1
        else:
            waiting.pop(conversation_id, None)
            unanswered.pop(conversation_id, None)
    rows: list[InboxRow] = []
    for conversation in found:
        doc = last.get(conversation.id)
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
