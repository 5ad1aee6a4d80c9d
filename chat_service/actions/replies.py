"""The shop's saved replies, edited by supervisors (issue 20 item 4; docs/agent-speed.md).

Read by agents and supervisors; added, changed and deleted by supervisors only. Stored
through `storage/replies.py` (config/replies.toml seeds the defaults once); every change is
recorded with who made it and when, and announced to every staff socket with
`replies.changed` (through FanOut.publish, so on every instance): the consoles fetch
`GET /api/replies` again, so agents see the change without a reload.
"""

from __future__ import annotations

import asyncio

from chat_service.auth import Identity, Role
from chat_service.errors import Forbidden, ReplyKeyTaken, ReplyNotFound, TooManyReplies
from chat_service.fanout import Audience, constant
from chat_service.protocol.events import RepliesChanged
from chat_service.services import Services
from chat_service.storage.replies import ChangeAction, ChangeDoc, ReplyDoc, Wording
from chat_service.web.replies import MAX_REPLIES, Localised, LocalisedTitle, SavedReply


def _doc(reply: SavedReply, identity: Identity | None, services: Services) -> ReplyDoc:
    return {
        "_id": reply.key,
        "title": {"en": reply.title.en, "zh": reply.title.zh},
        "text": {"en": reply.text.en, "zh": reply.text.zh},
        "updated_at": services.clock() if identity else None,
        "updated_by": identity.sub if identity else None,
    }


def to_reply(doc: ReplyDoc) -> SavedReply:
    return SavedReply(
        key=doc["_id"],
        title=LocalisedTitle(en=doc["title"]["en"], zh=doc["title"]["zh"]),
        text=Localised(en=doc["text"]["en"], zh=doc["text"]["zh"]),
    )


async def _seeded(services: Services) -> None:
    files = await asyncio.to_thread(services.settings.config_files)
    await services.store.replies.seed([_doc(r, None, services) for r in files.replies.replies])


async def list_replies(services: Services) -> list[ReplyDoc]:
    await _seeded(services)
    return await services.store.replies.all()


def _editor(identity: Identity) -> None:
    if identity.role is not Role.SUPERVISOR:
        raise Forbidden("only supervisors edit saved replies")


async def _changed(
    services: Services, identity: Identity, action: ChangeAction, reply: ReplyDoc
) -> None:
    await services.store.replies.record_change(
        at=services.clock(),
        actor={"role": identity.role.value, "id": identity.sub},
        action=action,
        reply=reply,
    )
    frame = RepliesChanged(key=reply["_id"], action=action, by=identity.sub).frame()
    await services.fanout.publish(Audience(all_agents=True), constant(frame))


async def create_reply(services: Services, identity: Identity, reply: SavedReply) -> ReplyDoc:
    _editor(identity)
    await _seeded(services)
    store = services.store.replies
    if await store.count() >= MAX_REPLIES:
        raise TooManyReplies()
    doc = _doc(reply, identity, services)
    if not await store.create(doc):
        raise ReplyKeyTaken()
    await _changed(services, identity, "create", doc)
    return doc


async def update_reply(
    services: Services, identity: Identity, key: str, title: Wording, text: Wording
) -> ReplyDoc:
    _editor(identity)
    await _seeded(services)
    doc = await services.store.replies.update(key, title, text, services.clock(), identity.sub)
    if doc is None:
        raise ReplyNotFound()
    await _changed(services, identity, "update", doc)
    return doc


async def delete_reply(services: Services, identity: Identity, key: str) -> ReplyDoc:
    _editor(identity)
    await _seeded(services)
    doc = await services.store.replies.delete(key)
    if doc is None:
        raise ReplyNotFound()
    await _changed(services, identity, "delete", doc)
    return doc


async def changes(services: Services, identity: Identity) -> list[ChangeDoc]:
    _editor(identity)
    return await services.store.replies.changes()
