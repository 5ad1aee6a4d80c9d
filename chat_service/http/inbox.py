"""`GET /api/inbox`: the agent's inbox (docs/inbox.md; chat_service/actions/inbox.py)."""

from __future__ import annotations

from typing import Final

from aiohttp import web

from chat_service import keys
from chat_service.actions import inbox as inbox_actions
from chat_service.actions.customer_panel import customer_panel
from chat_service.auth import Role
from chat_service.errors import BadRequest
from chat_service.http.middleware import authenticate
from chat_service.http.responses import (
    CustomerPanel,
    Inbox,
    InboxRowOut,
    PanelConversation,
    json_answer,
)
from chat_service.protocol.events import ConversationOut

INBOX_PATH: Final = "/api/inbox"
PANEL_PATH: Final = "/api/conversations/{conversation_id}/customer"
MAX_PAGE: Final = 10_000


def _page(raw: str) -> int:
    if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_PAGE:
        raise BadRequest(f"page must be an integer from 0 to {MAX_PAGE}")
    return int(raw)


async def get_inbox(request: web.Request) -> web.Response:
    identity = authenticate(request, Role.AGENT, Role.SUPERVISOR)
    raw_view = request.query.get("view", inbox_actions.View.MINE.value)
    try:
        view = inbox_actions.View(raw_view)
    except ValueError as exc:
        names = ", ".join(v.value for v in inbox_actions.View)
        raise BadRequest(f"view must be one of {names}") from exc
    page = _page(request.query.get("page", "0"))
    found = await inbox_actions.inbox(request.app[keys.SERVICES], identity, view, page)
    answer = Inbox(
        view=found.view.value,
        views=[v.value for v in inbox_actions.views_for(identity)],
        counts=found.counts,
        page=found.page,
        has_more=found.has_more,
        conversations=[
            InboxRowOut(
                conversation=ConversationOut.model_validate(row.conversation.to_public()),
                last_message=row.last_message,
                waiting_since=row.waiting_since.isoformat() if row.waiting_since else None,
                unanswered=row.unanswered,
            )
            for row in found.rows
        ],
    )
    return json_answer(Inbox, answer)


async def get_customer_panel(request: web.Request) -> web.Response:
    identity = authenticate(request, Role.AGENT, Role.SUPERVISOR)
    panel = await customer_panel(
        request.app[keys.SERVICES], identity, request.match_info["conversation_id"]
    )
    conversation = panel.conversation
    answer = CustomerPanel(
        customer_id=conversation.customer_id,
        customer_name=conversation.customer_name,
        customer_profile=dict(conversation.customer_profile),
        customer_lang=conversation.customer_lang,
        minor=any(c.minor for c, _ in panel.conversations) or conversation.minor,
        consents=panel.consents,
        privacy_requests=panel.privacy_requests,
        conversations=[
            PanelConversation(
                conversation=ConversationOut.model_validate(c.to_public()), readable=readable
            )
            for c, readable in panel.conversations
        ],
    )
    return json_answer(CustomerPanel, answer)


def setup_inbox_routes(app: web.Application) -> None:
    app.router.add_get(INBOX_PATH, get_inbox)
    app.router.add_get(PANEL_PATH, get_customer_panel)
