"""Teamwork endpoints (docs/teamwork.md): transfer, notes, tags and priority, the team's
view for supervisors, a customer's rating and transcript. Thin: authenticate, one action
call (actions/teamwork.py), reply."""

from __future__ import annotations

import html
from typing import Annotated, Final, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from chat_service import keys
from chat_service.actions import teamwork
from chat_service.auth import Role
from chat_service.errors import BadRequest
from chat_service.http.body import read_json
from chat_service.http.middleware import authenticate
from chat_service.http.responses import (
    AgentLoad,
    ConversationAnswer,
    NoteAnswer,
    NoteList,
    Outcome,
    RatingAnswer,
    TeamOverview,
    json_answer,
)
from chat_service.protocol.commands import Id
from chat_service.protocol.events import ConversationOut, MessageOut
from chat_service.storage.conversations import Conversation
from chat_service.storage.teamwork import OutcomeDoc

MAX_NOTE_CHARS: Final = 4_000
MAX_COMMENT_CHARS: Final = 1_000
MAX_TAGS: Final = 20
Tag = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[\w\- ]+$")]


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, hide_input_in_errors=True)


class TransferBody(_Body):
    """`to_agent_id`: the agent's id (token `sub`), or null for back to the queue."""

    to_agent_id: Id | None


class NoteBody(_Body):
    text: str = Field(min_length=1, max_length=MAX_NOTE_CHARS)


class TriageBody(_Body):
    tags: list[Tag] | None = Field(default=None, max_length=MAX_TAGS)
    priority: Literal["low", "normal", "high", "urgent"] | None = None


class RatingBody(_Body):
    score: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=MAX_COMMENT_CHARS)


def _conversation(conversation: Conversation) -> ConversationAnswer:
    return ConversationAnswer(conversation=ConversationOut.model_validate(conversation.to_public()))


def _outcome(doc: OutcomeDoc) -> Outcome:
    rating = doc.get("rating")
    return Outcome(
        conversation_id=doc["_id"],
        agent_id=doc["agent_id"],
        closed_at=doc["closed_at"].isoformat(),
        first_response_secs=doc["first_response_secs"],
        resolution_secs=doc["resolution_secs"],
        score=rating["score"] if rating else None,
        comment=rating["comment"] if rating else None,
    )


async def transfer(request: web.Request) -> web.Response:
    identity = authenticate(request, Role.AGENT, Role.SUPERVISOR)
    body = await read_json(request, TransferBody, expected='{"to_agent_id": str | null}')
    services = request.app[keys.SERVICES]
    moved = await teamwork.do_transfer(
        services, identity, request.match_info["conversation_id"], body.to_agent_id
    )
    return json_answer(ConversationAnswer, _conversation(moved))


async def add_note(request: web.Request) -> web.Response:
    identity = authenticate(request, Role.AGENT, Role.SUPERVISOR)
    body = await read_json(request, NoteBody, expected='{"text": str}')
    services = request.app[keys.SERVICES]
    note = await teamwork.add_note(
        services, identity, request.match_info["conversation_id"], body.text
    )
    return json_answer(NoteAnswer, NoteAnswer(note=note), status=201)


async def list_notes(request: web.Request) -> web.Response:
    identity = authenticate(request, Role.AGENT, Role.SUPERVISOR)
    services = request.app[keys.SERVICES]
    notes = await teamwork.list_notes(services, identity, request.match_info["conversation_id"])
    return json_answer(NoteList, NoteList(notes=notes))


async def triage(request: web.Request) -> web.Response:
    identity = authenticate(request, Role.AGENT, Role.SUPERVISOR)
    body = await read_json(
        request, TriageBody, expected='{"tags"?: [str], "priority"?: "low"|"normal"|...}'
    )
    services = request.app[keys.SERVICES]
    updated = await teamwork.set_triage(
        services, identity, request.match_info["conversation_id"], body.tags, body.priority
    )
    return json_answer(ConversationAnswer, _conversation(updated))


async def team_overview(request: web.Request) -> web.Response:
    identity = authenticate(request, Role.SUPERVISOR)
    services = request.app[keys.SERVICES]
    view = await teamwork.team_view(services, identity)
    agents = [
        AgentLoad(agent_id=agent, open_conversations=count)
        for agent, count in sorted(view.load.items(), key=lambda item: (-item[1], item[0]))
    ]
    overview = TeamOverview(
        unassigned=view.unassigned, agents=agents, outcomes=[_outcome(d) for d in view.outcomes]
    )
    return json_answer(TeamOverview, overview)


async def rate(request: web.Request) -> web.Response:
    identity = authenticate(request, Role.CUSTOMER)
    body = await read_json(request, RatingBody, expected='{"score": 1-5, "comment"?: str}')
    services = request.app[keys.SERVICES]
    rated = await teamwork.rate(
        services, identity, request.match_info["conversation_id"], body.score, body.comment
    )
    rating = rated.get("rating")
    assert rating is not None  # noqa: S101  # `rate` answers the rated outcome
    answer = RatingAnswer(
        conversation_id=rated["_id"], score=rating["score"], comment=rating["comment"]
    )
    return json_answer(RatingAnswer, answer, status=201)


TRANSCRIPT_LABELS: Final = {
    "en": {"you": "You", "agent": "Agent", "title": "Conversation", "ended": "Ended"},
    "zh": {"you": "我", "agent": "客服", "title": "对话", "ended": "已结束"},
}


def _line_text(message: MessageOut) -> str:
    if message.text:
        return message.text
    if message.attachment is not None:
        return f"[{message.kind}: {message.attachment.name}]"
    return f"[{message.kind}]"


def render_transcript(
    conversation: Conversation, messages: list[MessageOut], lang: str, *, as_html: bool
) -> str:
    labels = TRANSCRIPT_LABELS[lang]
    head = f"{labels['title']} {conversation.id} · {conversation.created_at.isoformat()}"
    ended = (
        f"{labels['ended']} {conversation.closed_at.isoformat()}" if conversation.closed_at else ""
    )
    rows = [
        (
            m.created_at,
            labels["you"] if m.sender.role == Role.CUSTOMER.value else labels["agent"],
            _line_text(m),
        )
        for m in messages
    ]
    if not as_html:
        lines = [head, *([ended] if ended else []), ""]
        lines += [f"{at}  {who}: {text}" for at, who, text in rows]
        return "\n".join(lines) + "\n"
    esc = html.escape
    items = "\n".join(
        f'<li><time>{esc(at)}</time> <b>{esc(who)}</b>: <span class="text">{esc(text)}</span></li>'
        for at, who, text in rows
    )
    return (
        f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{esc(head)}</title></head><body><h1>{esc(head)}</h1>"
        f"<p>{esc(ended)}</p><ol>\n{items}\n</ol></body></html>\n"
    )


async def transcript(request: web.Request) -> web.Response:
    identity = authenticate(request, Role.CUSTOMER)
    fmt = request.query.get("format", "text")
    lang = request.query.get("lang", "en")
    if fmt not in ("text", "html"):
        raise BadRequest("format must be text or html")
    if lang not in TRANSCRIPT_LABELS:
        raise BadRequest("lang must be en or zh")
    services = request.app[keys.SERVICES]
    conversation, messages = await teamwork.transcript(
        services, identity, request.match_info["conversation_id"]
    )
    as_html = fmt == "html"
    filename = f"transcript-{conversation.id}.{'html' if as_html else 'txt'}"
    body = render_transcript(conversation, messages, lang, as_html=as_html)
    return web.Response(
        text=body,
        content_type="text/html" if as_html else "text/plain",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            # The HTML is escaped text; no script may run in it even if opened in place.
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
            "X-Content-Type-Options": "nosniff",
        },
    )


def setup_teamwork_routes(app: web.Application) -> None:
    conv = "/api/conversations/{conversation_id}"
    app.router.add_post(conv + "/transfer", transfer)
    app.router.add_post(conv + "/notes", add_note)
    app.router.add_get(conv + "/notes", list_notes)
    app.router.add_post(conv + "/triage", triage)
    app.router.add_post(conv + "/rating", rate)
    app.router.add_get(conv + "/transcript", transcript)
    app.router.add_get("/api/team", team_overview)
