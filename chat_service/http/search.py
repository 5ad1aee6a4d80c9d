"""`GET /api/search`: full-text search over the conversations the caller may read
(actions/search.py; docs/search.md)."""

from __future__ import annotations

from aiohttp import web

from chat_service import keys
from chat_service.actions import search as search_actions
from chat_service.auth import Role
from chat_service.errors import BadRequest
from chat_service.http.middleware import authenticate
from chat_service.http.responses import SearchPage, SearchResult, json_answer
from chat_service.protocol.events import ConversationOut

SEARCH_PATH = "/api/search"


def _integer(request: web.Request, name: str, default: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6:
        raise BadRequest(f"{name} must be a non-negative integer")
    return int(raw)


async def search(request: web.Request) -> web.Response:
    identity = authenticate(request, Role.AGENT, Role.SUPERVISOR)
    query = request.query.get("q", "")
    offset = _integer(request, "offset", 0)
    limit = _integer(request, "limit", search_actions.DEFAULT_PAGE)
    found = await search_actions.search_messages(
        request.app[keys.SERVICES], identity, query, offset, limit
    )
    page = SearchPage(
        query=query,
        terms=found.terms,
        results=[
            SearchResult(
                conversation=ConversationOut.model_validate(hit.conversation.to_public()),
                message=hit.message,
                snippet=hit.snippet,
            )
            for hit in found.hits
        ],
        offset=offset,
        next_offset=found.next_offset,
    )
    return json_answer(SearchPage, page)


def setup_search_routes(app: web.Application) -> None:
    app.router.add_get(SEARCH_PATH, search)
