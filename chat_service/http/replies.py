"""The shop's saved replies (docs/agent-speed.md): `GET /api/replies` for the console's `/`
shortcut, in both languages, placeholders left for the console to fill (agents and
supervisors); `POST /api/replies`, `PUT` and `DELETE /api/replies/{key}` and
`GET /api/replies/changes` for supervisors (chat_service/actions/replies.py)."""

from __future__ import annotations

from typing import Final

from aiohttp import web

from chat_service import keys
from chat_service.actions import replies
from chat_service.auth import Role
from chat_service.http.body import read_json
from chat_service.http.middleware import authenticate
from chat_service.http.responses import (
    ReplyChange,
    ReplyChanges,
    SavedReplies,
    SavedReplyAnswer,
    json_answer,
)
from chat_service.web.replies import PLACEHOLDERS, ReplyWording, SavedReply

REPLIES_PATH: Final = "/api/replies"
REPLY_PATH: Final = "/api/replies/{key}"
CHANGES_PATH: Final = "/api/replies/changes"
_REPLY_SHAPE: Final = '{"key", "title": {"en", "zh"}, "text": {"en", "zh"}}'
_WORDING_SHAPE: Final = '{"title": {"en", "zh"}, "text": {"en", "zh"}}'


async def list_replies(request: web.Request) -> web.Response:
    authenticate(request, Role.AGENT, Role.SUPERVISOR)
    docs = await replies.list_replies(request.app[keys.SERVICES])
    return json_answer(
        SavedReplies,
        {
            "replies": [replies.to_reply(d).model_dump() for d in docs],
            "placeholders": sorted(PLACEHOLDERS),
        },
    )


async def create_reply(request: web.Request) -> web.Response:
    identity = authenticate(request, Role.SUPERVISOR)
    body = await read_json(request, SavedReply, expected=_REPLY_SHAPE)
    doc = await replies.create_reply(request.app[keys.SERVICES], identity, body)
    answer = SavedReplyAnswer(reply=replies.to_reply(doc))
    return json_answer(SavedReplyAnswer, answer, status=201)


async def update_reply(request: web.Request) -> web.Response:
    identity = authenticate(request, Role.SUPERVISOR)
    body = await read_json(request, ReplyWording, expected=_WORDING_SHAPE)
    doc = await replies.update_reply(
        request.app[keys.SERVICES],
        identity,
        request.match_info["key"],
        {"en": body.title.en, "zh": body.title.zh},
        {"en": body.text.en, "zh": body.text.zh},
    )
    return json_answer(SavedReplyAnswer, SavedReplyAnswer(reply=replies.to_reply(doc)))


async def delete_reply(request: web.Request) -> web.Response:
    identity = authenticate(request, Role.SUPERVISOR)
    doc = await replies.delete_reply(
        request.app[keys.SERVICES], identity, request.match_info["key"]
    )
    return json_answer(SavedReplyAnswer, SavedReplyAnswer(reply=replies.to_reply(doc)))


async def list_changes(request: web.Request) -> web.Response:
    identity = authenticate(request, Role.SUPERVISOR)
    found = await replies.changes(request.app[keys.SERVICES], identity)
    answer = ReplyChanges(
        changes=[
            ReplyChange(
                at=c["at"].isoformat(),
                by=c["actor"]["id"],
                action=c["action"],
                key=c["key"],
            )
            for c in found
        ]
    )
    return json_answer(ReplyChanges, answer)


def setup_reply_routes(app: web.Application) -> None:
    app.router.add_get(REPLIES_PATH, list_replies)
    app.router.add_post(REPLIES_PATH, create_reply)
    app.router.add_get(CHANGES_PATH, list_changes)  # before {key}: "changes" is a valid key
    app.router.add_put(REPLY_PATH, update_reply)
    app.router.add_delete(REPLY_PATH, delete_reply)
