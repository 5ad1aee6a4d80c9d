"""`GET /api/replies`: the shop's saved replies (config/replies.toml) for the console's `/`
shortcut, in both languages, placeholders left for the console to fill. Staff who answer or
watch conversations only (docs/agent-speed.md)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from chat_service import keys
from chat_service.auth import Role
from chat_service.http.middleware import authenticate
from chat_service.http.responses import SavedReplies, json_answer
from chat_service.web.replies import PLACEHOLDERS

REPLIES_PATH = "/api/replies"


async def list_replies(request: web.Request) -> web.Response:
    authenticate(request, Role.AGENT, Role.SUPERVISOR)
    files = await asyncio.to_thread(request.app[keys.SETTINGS].config_files)

    return json_answer(
        SavedReplies,
        {
            "replies": [r.model_dump() for r in files.replies.replies],
            "placeholders": sorted(PLACEHOLDERS),
        },
    )


def setup_reply_routes(app: web.Application) -> None:
    app.router.add_get(REPLIES_PATH, list_replies)
