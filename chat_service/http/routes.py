"""Thin HTTP handlers: authenticate, one action call, reply."""

from __future__ import annotations

from aiohttp import web

from chat_service import keys
from chat_service.actions import conversations as conv_actions
from chat_service.actions import messages as msg_actions
from chat_service.auth import Role
from chat_service.errors import BadRequest
from chat_service.fanout_redis import RedisFanOut
from chat_service.http.attachments import setup_attachment_routes
from chat_service.http.availability import setup_availability_routes
from chat_service.http.exports import setup_export_routes
from chat_service.http.inbox import setup_inbox_routes
from chat_service.http.metrics import METRICS_PATH, public_metrics
from chat_service.http.middleware import authenticate
from chat_service.http.openapi import OPENAPI_PATH, openapi_handler
from chat_service.http.pages import setup_page_routes
from chat_service.http.privacy import setup_privacy_routes
from chat_service.http.privacy_workspace import setup_privacy_workspace_routes
from chat_service.http.replies import setup_reply_routes
from chat_service.http.responses import (
    ConversationList,
    Health,
    HealthUnavailable,
    MessagePage,
    json_answer,
)
from chat_service.http.rights import setup_rights_routes
from chat_service.http.search import setup_search_routes
from chat_service.http.teamwork import setup_teamwork_routes
from chat_service.json_types import JsonObject
from chat_service.protocol.events import ConversationOut


def fanout_health(app: web.Application) -> JsonObject:
    """How this instance reaches the others: Redis (subscribed or not), or none."""
    fanout = app[keys.FANOUT]
    if isinstance(fanout, RedisFanOut):
        return {"fanout": "redis", "redis": "up" if fanout.connected else "down"}
    return {"fanout": "local"}


async def healthz(request: web.Request) -> web.Response:
    """503 only when the store does not answer. Redis down is reported, not unhealthy: the
    instance still serves its own sockets and clients catch up from the store."""
    store = request.app[keys.STORE]
    up = await store.ping()
    metrics = request.app[keys.METRICS]
    metrics.store_up.set(1 if up else 0)
    fanout = fanout_health(request.app)
    if not up:
        return json_answer(
            HealthUnavailable,
            {
                "status": "unavailable",
                "store": store.kind,
                **fanout,
                "error": {"code": "store_unavailable", "message": "the store does not answer"},
            },
            status=503,
        )
    return json_answer(Health, {"status": "ok", "store": store.kind, **fanout})


async def list_conversations(request: web.Request) -> web.Response:
    identity = authenticate(request, Role.AGENT, Role.SUPERVISOR)
    services = request.app[keys.SERVICES]
    found = await conv_actions.list_conversations(services, identity)
    return json_answer(ConversationList, {"conversations": [c.to_public() for c in found]})


async def conversation_messages(request: web.Request) -> web.Response:
    identity = authenticate(request)
    raw = request.query.get("after_seq", "0")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        raise BadRequest("after_seq must be a non-negative integer")
    services = request.app[keys.SERVICES]
    conversation, messages, has_more = await msg_actions.fetch_history(
        services, identity, request.match_info["conversation_id"], int(raw)
    )
    page = MessagePage(
        conversation=ConversationOut.model_validate(conversation.to_public()),
        messages=messages,
        has_more=has_more,
    )
    return json_answer(MessagePage, page)


def setup_routes(app: web.Application) -> None:
    from chat_service.ws.handler import websocket_handler

    app.router.add_get("/healthz", healthz)
    app.router.add_get(METRICS_PATH, public_metrics)  # 404 without the operators' token
    app.router.add_get("/ws", websocket_handler)
    app.router.add_get(OPENAPI_PATH, openapi_handler)
    app.router.add_get("/api/conversations", list_conversations)
    app.router.add_get("/api/conversations/{conversation_id}/messages", conversation_messages)
    setup_privacy_routes(app)
    setup_rights_routes(app)
    setup_export_routes(app)
    setup_attachment_routes(app)
    setup_reply_routes(app)
    setup_availability_routes(app)
    setup_page_routes(app)
    setup_privacy_workspace_routes(app)
    setup_teamwork_routes(app)  # docs/teamwork.md
    setup_inbox_routes(app)
    setup_search_routes(app)
