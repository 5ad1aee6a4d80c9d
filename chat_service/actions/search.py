"""Full-text search over the conversations a viewer may read (docs/search.md).

Who: agents search the conversations they may read (`actions/access.py`: theirs, open or
closed, and the open queue); supervisors every conversation; customers and privacy
officers do not search (403): a customer has only their own conversations, which the
widget shows in full. The query runs on each message's terms, built from its stored masked
text (chat_service/search_terms.py), so a sensitive value is never found; every result is
rendered by `view_message` exactly as the viewer may see it (reads of consented values
audited as for history, reason "search"), and its snippet is cut from that rendering.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from chat_service.actions.access import may_read
from chat_service.actions.views import view_message
from chat_service.auth import Identity, Role
from chat_service.errors import BadRequest, Forbidden
from chat_service.protocol.events import MessageOut
from chat_service.search_terms import MAX_QUERY_CHARS, MAX_QUERY_TERMS, query_terms
from chat_service.services import Services
from chat_service.storage.conversations import Conversation

MAX_OFFSET: Final = 1000  # deeper than this: refine the query
MAX_PAGE: Final = 50
DEFAULT_PAGE: Final = 20
MAX_AGENT_CONVERSATIONS: Final = 5000  # an agent's newest conversations searched
SNIPPET_CHARS: Final = 160


@dataclass(frozen=True, slots=True)
class Hit:
    conversation: Conversation
    message: MessageOut
    snippet: str


@dataclass(frozen=True, slots=True)
class Found:
    terms: list[str]
    hits: list[Hit]
    next_offset: int | None


def checked_terms(query: str) -> list[str]:
    if not query.strip():
        raise BadRequest("q must not be empty")
    if len(query) > MAX_QUERY_CHARS:
        raise BadRequest(f"q is longer than {MAX_QUERY_CHARS} characters")
    terms = query_terms(query)
    if not terms:
        raise BadRequest("q has no searchable word")
    if len(terms) > MAX_QUERY_TERMS:
        raise BadRequest(f"q has more than {MAX_QUERY_TERMS} search terms")
    return terms


def snippet(text: str | None, terms: list[str]) -> str:
    """At most SNIPPET_CHARS of `text` around the first term found in it."""
    if not text:
        return ""
    if len(text) <= SNIPPET_CHARS:
        return text
    folded = text.casefold()
    at = min((i for t in terms if (i := folded.find(t)) >= 0), default=0)
    start = max(0, min(at - SNIPPET_CHARS // 4, len(text) - SNIPPET_CHARS))
    cut = text[start : start + SNIPPET_CHARS]
    return ("…" if start else "") + cut + ("…" if start + SNIPPET_CHARS < len(text) else "")


async def search_messages(
    services: Services, identity: Identity, query: str, offset: int, limit: int
) -> Found:
    if identity.role not in (Role.AGENT, Role.SUPERVISOR):
        raise Forbidden()
    terms = checked_terms(query)
    if not 0 <= offset <= MAX_OFFSET:
        raise BadRequest(f"offset must be between 0 and {MAX_OFFSET}")
    if not 1 <= limit <= MAX_PAGE:
        raise BadRequest(f"limit must be between 1 and {MAX_PAGE}")
    store = services.store
    scope: list[str] | None = None
    if identity.role is Role.AGENT:
        scope = await store.conversations.ids_visible_to_agent(
            identity.sub, MAX_AGENT_CONVERSATIONS
        )
    docs = [] if scope == [] else await store.search.find(terms, scope, offset, limit + 1)
    conversations: dict[str, Conversation | None] = {}
    hits: list[Hit] = []
    for doc in docs[:limit]:
        cid = doc["conversation_id"]
        if cid not in conversations:
            conversations[cid] = await store.conversations.get(cid)
        conversation = conversations[cid]
        if conversation is None or not may_read(identity, conversation):
            continue  # reassigned or removed since the scope was read
        message = await view_message(services, doc, identity, conversation, "search")
        hits.append(Hit(conversation, message, snippet(message.text, terms)))
    next_offset = offset + limit if len(docs) > limit and offset + limit <= MAX_OFFSET else None
    return Found(terms, hits, next_offset)
