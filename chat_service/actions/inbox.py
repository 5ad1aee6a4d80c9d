"""The agent's inbox (issue 20, item 1; docs/inbox.md): views with counts, one row per
conversation with the last message as the viewer may see it, the waiting time and the
number of unanswered customer messages, sorted by waiting time.

Reads per page, whatever its size: one conversation query, one query for the listed
conversations' messages from each one's newest staff message on (its mark, kept on staff
messages only, storage/conversations.py `note_staff_message`; read through the
`conversation_seq` index), and a count for each view whose count is not already known from
the listed conversations; no read per row. Conversations without a usable mark have every
message read (a second query, only when there are such).
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
    counts = _counted(view, identity, [c for c, _mark in found])
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
    services: Services, identity: Identity, found: list[tuple[Conversation, int | None]]
) -> list[InboxRow]:
    """Each row's last message, waiting time and unanswered count, from the messages since
    the conversation's newest staff message (its mark, `last_staff_seq`, kept on staff
    messages only): that message and the customer's after it, read for every row in one
    query. A conversation staff has not written in yet (mark 0: every message is the
    customer's), without a mark (opened before it was kept), or whose marked message is
    gone (retention), has every message read instead, in one plain `$in` query (a `$or`
    branch per row costs the embedded store more than it saves when nothing is skipped:
    200 rows of 5 customer messages, 425 -> 2,063 ms p50)."""
    marked = {c.id: mark for c, mark in found if mark}  # staff wrote: read from there on
    read = await services.store.messages.since_seqs(list(marked.items()))
    by_conversation: dict[str, list[MessageDoc]] = {}
    for m in read:
        by_conversation.setdefault(m["conversation_id"], []).append(m)
    every = [  # no staff message yet (0), no mark (None), or the marked message gone
        c.id
        for c, mark in found
        if not mark or all(m["seq"] != mark for m in by_conversation.get(c.id, []))
    ]
    for c in every:
        by_conversation.pop(c, None)
    for m in await services.store.messages.of_conversations(every):
        by_conversation.setdefault(m["conversation_id"], []).append(m)
    rows: list[InboxRow] = []
    for conversation, _mark in found:
        last, waiting, unanswered = _outline(by_conversation.get(conversation.id, []))
        preview = (
            await view_message(services, last, identity, conversation, "inbox")
            if last is not None
            else None
        )
        rows.append(
            InboxRow(
                conversation,
                preview,
                waiting if conversation.status == "open" else None,
                unanswered,
            )
        )
    return rows


def _outline(messages: list[MessageDoc]) -> tuple[MessageDoc | None, datetime | None, int]:
    """The last message, the time of the customer's first message since staff last wrote
    and the number of those, from a conversation's messages (every one, or those from its
    newest staff message on: the same answer)."""
    messages.sort(key=lambda m: m["seq"])
    waiting: datetime | None = None
    unanswered = 0
    for m in messages:
        if m["sender"]["role"] == Role.CUSTOMER.value:
            waiting = waiting or m["created_at"]
            unanswered += 1
        else:
            waiting, unanswered = None, 0
    return (messages[-1] if messages else None), waiting, unanswered
