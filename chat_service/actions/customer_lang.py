"""The customer's language, kept on their open conversation (docs/inbox.md).

It comes from the customer's token (`lang` claim) and from the widget: the widget connects
with `/ws?lang=en|zh`, the language it is shown in (the language switch reloads it, so a
switch reconnects in the new language), which overrides the claim for that socket. A new
conversation takes it when it opens; a customer's message or a socket in another language
updates the open conversation, and the agents who see it get `conversation.updated`.
"""

from __future__ import annotations

import dataclasses

from chat_service.actions import delivery
from chat_service.auth import Identity, Role
from chat_service.services import Services
from chat_service.storage.conversations import Conversation, Lang

LANGS: tuple[Lang, ...] = ("en", "zh")


def lang_of(identity: Identity) -> Lang | None:
    for lang in LANGS:
        if identity.lang == lang:
            return lang
    return None


def socket_identity(identity: Identity, requested: str | None) -> Identity:
    """A customer's socket speaks the language its widget asked for (`?lang=`), when it is
    one the service knows; otherwise the token's claim stands. Staff sockets are unchanged."""
    if identity.role is not Role.CUSTOMER or requested not in LANGS:
        return identity
    return dataclasses.replace(identity, lang=requested)


async def keep_lang(
    services: Services, identity: Identity, conversation: Conversation
) -> Conversation:
    """The open conversation with the customer's current language (published when it
    changed)."""
    lang = lang_of(identity)
    if lang is None or conversation.customer_lang == lang or conversation.status != "open":
        return conversation
    updated = await services.store.conversations.set_customer_lang(conversation.id, lang)
    if updated is None:
        return conversation
    await delivery.publish_updated(services, updated)
    return updated


async def on_connect(services: Services, identity: Identity) -> None:
    """A customer's widget connected in a language: their open conversation keeps it."""
    if identity.role is not Role.CUSTOMER or lang_of(identity) is None:
        return
    current = await services.store.conversations.find_open(identity.sub)
    if current is not None:
        await keep_lang(services, identity, current)
