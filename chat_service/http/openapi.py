"""`GET /api/openapi.json`: an OpenAPI 3.1 description of every HTTP endpoint (CONTRACT §4).

`OPERATIONS` lists each route with who may call it, its parameters and answers; request
bodies are the very pydantic models the handlers validate with (`read_json(request, Model)`),
and JSON success answers the models the handlers reply with (`http/responses.py`,
`json_answer(Model, ...)`), turned into JSON Schema by `model_json_schema`. Downloads name
the attachment types `config/attachments.toml` allows, assets the types pages serve.
`tests/http/test_openapi.py` keeps the table and the router in step: every route the app
registers is described with its method (HEAD is implied by GET), every described operation
is routed, and every answer model is referenced.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Final

from aiohttp import web
from pydantic import BaseModel

from chat_service import __version__, keys
from chat_service.http.availability import AVAILABILITY_PATH, AvailabilityBody
from chat_service.http.inbox import INBOX_PATH, MAX_PAGE, PANEL_PATH
from chat_service.http.pages import CONTENT_TYPES
from chat_service.http.privacy import WithdrawalBody
from chat_service.http.replies import CHANGES_PATH, REPLIES_PATH, REPLY_PATH
from chat_service.http.responses import (
    AgentState,
    AgentStates,
    AuditPage,
    ConsentLedger,
    ConsentStatistics,
    ConversationAnswer,
    ConversationList,
    CustomerPanel,
    DeletionRequest,
    DeletionRequests,
    Export,
    Health,
    HealthUnavailable,
    Inbox,
    LegalHold,
    LegalHolds,
    MessagePage,
    NoteAnswer,
    NoteList,
    OpenApiDescription,
    PrivacyReport,
    RatingAnswer,
    ReplyChanges,
    RetentionRuns,
    SavedReplies,
    SavedReplyAnswer,
    SearchPage,
    TeamOverview,
    Upload,
    Withdrawal,
    WorkspaceDeletionRequests,
    json_answer,
)
from chat_service.http.rights import HoldBody
from chat_service.http.search import SEARCH_PATH
from chat_service.http.teamwork import NoteBody, RatingBody, TransferBody, TriageBody
from chat_service.json_types import JsonObject, JsonValue
from chat_service.privacy.deletion import MAX_CUSTOMER_ID_CHARS
from chat_service.web.replies import ReplyWording, SavedReply

OPENAPI_PATH: Final = "/api/openapi.json"
MAX_AFTER_SEQ: Final = 10**12 - 1  # `after_seq` has at most 12 digits (http/routes.py)
_BINARY: Final = "application/octet-stream"
DOWNLOADS: Final = "attachment types"  # ok_type of a download: the allowed types
ASSETS: Final = "asset types"  # ok_type of an asset: the types pages serve
_BODY_SCHEMA: Final[dict[str, JsonObject]] = {"application/json": {}}  # JSON assets
_PATH_PARAM = re.compile(r"\{([a-z_]+)\}")

ERROR_SCHEMA: Final[JsonObject] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "pattern": "^[a-z0-9_]+$"},
                "message": {"type": "string"},
            },
        }
    },
}
_ERROR_TEXT: Final = {
    400: "malformed request (code names the problem)",
    401: "no valid access token",
    403: "not allowed for this caller",
    404: "not found (or not visible to this caller)",
    409: "conflicts with the current state",
    408: "the body did not arrive in time (or too slowly)",
    413: "body too large",
    415: "media type not accepted",
    422: "a file that cannot be safely parsed",
    429: "too many at once, or over a quota; retry later",
    503: "the store or detection is unavailable; retry",
}
_PATH_PARAMETERS: Final[dict[str, JsonObject]] = {
    "customer_id": {"type": "string", "minLength": 1, "maxLength": MAX_CUSTOMER_ID_CHARS},
    "conversation_id": {"type": "string", "minLength": 1},
    "attachment_id": {"type": "string", "minLength": 1},
    "path": {"type": "string", "minLength": 1},
    "key": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_\\-]{0,39}$"},  # a saved reply's
}


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str
    summary: str
    who: str  # "anyone", or the roles that may call
    body: type[BaseModel] | None = None
    multipart: bool = False
    query: dict[str, JsonObject] = field(default_factory=dict)
    ok: int = 200
    ok_type: str = "application/json"
    answer: type[BaseModel] | None = None  # the JSON success answer (ok, and `also` < 300)
    error_answers: dict[int, type[BaseModel]] = field(default_factory=dict)  # not Error
    errors: tuple[int, ...] = (400, 401, 403, 404, 503)
    also: tuple[int, ...] = ()  # other non-error answers (201 / 304 / 308 ...)

    @property
    def public(self) -> bool:
        return self.who == "anyone"


_CUSTOMER_OR_OFFICER: Final = "privacy_officer, or that customer"
# The privacy officer's workspace (docs/privacy-workspace.md).
_WS: Final = "/api/privacy/workspace"
_PERIOD: Final[dict[str, JsonObject]] = {
    "from": {"type": "string", "description": "YYYY-MM-DD (UTC day) or ISO 8601 with offset"},
    "to": {"type": "string", "description": "YYYY-MM-DD (to the end of that UTC day) or ISO"},
}
_AUDIT_QUERY: Final[dict[str, JsonObject]] = {
    "customer_id": {"type": "string", "maxLength": MAX_CUSTOMER_ID_CHARS},
    "actor_id": {"type": "string", "maxLength": MAX_CUSTOMER_ID_CHARS},
    **_PERIOD,
}
_PRIVACY_WORKSPACE: Final[tuple[Operation, ...]] = (
    Operation("get", _WS + "/deletion-requests", "Deletion requests with working days left",
              "privacy_officer", answer=WorkspaceDeletionRequests, errors=(400, 401, 403, 503),
              query={"state": {"type": "string", "enum": ["open", "completed", "all"]}}),
    Operation("get", _WS + "/audit", "The audit of sensitive reads and destructions (paged)",
              "privacy_officer", answer=AuditPage, errors=(400, 401, 403, 503),
              query={**_AUDIT_QUERY, "cursor": {"type": "string"},
                     "limit": {"type": "integer", "minimum": 1, "maximum": 200}}),
    Operation("get", _WS + "/audit.csv", "The audit as CSV (streamed, at most 10,000 rows)",
              "privacy_officer", ok_type="text/csv", query=_AUDIT_QUERY,
              errors=(400, 401, 403, 503)),
    Operation("get", _WS + "/consent-statistics", "Consent decisions per category over a "
              "period", "privacy_officer", answer=ConsentStatistics, query=_PERIOD,
              errors=(400, 401, 403, 503)),
    Operation("get", _WS + "/retention-runs", "Retention runs and what they purged",
              "privacy_officer", answer=RetentionRuns, errors=(401, 403, 503)),
    Operation("get", "/privacy/", "The privacy officer's workspace", "anyone",
              ok_type="text/html", errors=()),
    Operation("get", "/privacy", "Redirects to /privacy/", "anyone", ok=308, ok_type="",
              errors=()),
)  # fmt: skip
OPERATIONS: Final[tuple[Operation, ...]] = (
    Operation("get", "/healthz", "Health of the service, its store and, with REDIS_URL, "
              "its link to the other instances (Redis down is not a 503)", "anyone",
              answer=Health, errors=(503,), error_answers={503: HealthUnavailable}),
    Operation("get", "/metrics", "Prometheus metrics: 404 unless the request carries the "
              "operators' token (operators otherwise scrape the loopback metrics listener)",
              "operators (CHAT_SERVICE_METRICS_TOKEN)", ok_type="text/plain", errors=(404,)),
    Operation("get", OPENAPI_PATH, "This description", "anyone", answer=OpenApiDescription,
              errors=()),
    Operation("get", "/ws", "The WebSocket (upgrade); token in ?token= or the "
              "Sec-WebSocket-Protocol header", "customer, agent, supervisor, privacy_officer",
              query={"token": {"type": "string"}}, ok=101, ok_type="",
              errors=(400, 401, 403)),
    Operation("get", "/api/conversations", "Conversations visible to the caller",
              "agent, supervisor", answer=ConversationList, errors=(401, 403, 503)),
    Operation("get", "/api/conversations/{conversation_id}/messages",
              "History as the caller may see it", "participants", answer=MessagePage,
              query={"after_seq": {"type": "integer", "minimum": 0, "maximum": MAX_AFTER_SEQ}}),
    Operation("get", INBOX_PATH, "The inbox: one view (mine, unassigned, all for supervisors, "
              "closed, paged; open: every open conversation the caller works from, the "
              "console's first load) with every view's count (docs/inbox.md)",
              "agent, supervisor", answer=Inbox, errors=(400, 401, 403, 503),
              query={"view": {"enum": ["mine", "unassigned", "all", "closed", "open"]},
                     "page": {"type": "integer", "minimum": 0, "maximum": MAX_PAGE}}),
    Operation("get", PANEL_PATH, "The customer panel of a conversation the caller may read: "
              "name, shop fields, child flag, consents, open privacy requests, every "
              "conversation of the customer", "agent, supervisor", answer=CustomerPanel,
              errors=(401, 403, 404, 503)),
    Operation("get", "/api/privacy/customers/{customer_id}/consents", "The consent ledger",
              _CUSTOMER_OR_OFFICER, answer=ConsentLedger),
    Operation("post", "/api/privacy/customers/{customer_id}/consents/withdrawal",
              "Withdraws consent: values kept under it are destroyed", _CUSTOMER_OR_OFFICER,
              body=WithdrawalBody, answer=Withdrawal,
              errors=(400, 401, 403, 404, 408, 413, 415, 503)),
    Operation("get", "/api/privacy/customers/{customer_id}/export",
              "Everything held about the customer (streamed)", _CUSTOMER_OR_OFFICER,
              answer=Export, errors=(400, 401, 403, 404, 429, 503)),
    Operation("post", "/api/privacy/customers/{customer_id}/deletion-requests",
              "Files a deletion request (due in 15 working days)", _CUSTOMER_OR_OFFICER,
              ok=201, also=(200,), answer=DeletionRequest),
    Operation("get", "/api/privacy/customers/{customer_id}/deletion-requests",
              "The customer's deletion requests", _CUSTOMER_OR_OFFICER,
              answer=DeletionRequests),
    Operation("post", "/api/conversations/{conversation_id}/legal-hold",
              "Sets or lifts a legal hold on a conversation", "privacy_officer",
              body=HoldBody, ok=201, also=(200,), answer=LegalHold,
              errors=(400, 401, 403, 404, 408, 409, 413, 415, 503)),
    Operation("post", "/api/privacy/customers/{customer_id}/legal-hold",
              "Sets or lifts a legal hold on everything of a customer", "privacy_officer",
              body=HoldBody, ok=201, also=(200,), answer=LegalHold,
              errors=(400, 401, 403, 404, 408, 409, 413, 415, 503)),
    Operation("get", "/api/privacy/legal-holds", "Legal holds", "privacy_officer",
              answer=LegalHolds,
              query={"active": {"type": "string", "enum": ["true", "false", "all"]}}),
    Operation("get", "/api/privacy/report", "The privacy officer's report", "privacy_officer",
              answer=PrivacyReport, errors=(401, 403, 503)),
    Operation("post", "/api/attachments", "Uploads a picture or file (scanned before it is "
              "accepted)", "customer, agent", multipart=True, ok=201, answer=Upload,
              errors=(400, 401, 403, 404, 408, 409, 413, 415, 422, 429, 503)),
    Operation("get", "/api/attachments/{attachment_id}", "The stored (sanitised) bytes",
              "participants", ok_type=DOWNLOADS,
              errors=(401, 403, 404, 409, 410, 503)),
    Operation("get", REPLIES_PATH, "The shop's saved replies (seeded from "
              "config/replies.toml, edited by supervisors)", "agent, supervisor",
              answer=SavedReplies, errors=(401, 403, 503)),
    Operation("post", REPLIES_PATH, "Adds a saved reply (both languages; a shortcut no "
              "other reply has: else 409)", "supervisor", body=SavedReply, ok=201,
              answer=SavedReplyAnswer, errors=(400, 401, 403, 408, 409, 413, 415, 503)),
    Operation("put", REPLY_PATH, "Changes a saved reply's title and text (both languages)",
              "supervisor", body=ReplyWording, answer=SavedReplyAnswer,
              errors=(400, 401, 403, 404, 408, 413, 415, 503)),
    Operation("delete", REPLY_PATH, "Deletes a saved reply (answers it as it was)",
              "supervisor", answer=SavedReplyAnswer, errors=(401, 403, 404, 503)),
    Operation("get", CHANGES_PATH, "Who changed which saved reply when, newest first",
              "supervisor", answer=ReplyChanges, errors=(401, 403, 503)),
    Operation("get", AVAILABILITY_PATH, "Availability: the agent's own, or every agent's "
              "(supervisors)", "agent, supervisor", answer=AgentStates,
              errors=(401, 403, 503)),
    Operation("put", AVAILABILITY_PATH, "Sets the agent online or away (an away agent is "
              "offered no new conversation)", "agent", body=AvailabilityBody,
              answer=AgentState, errors=(400, 401, 403, 408, 413, 415, 503)),
    Operation("get", SEARCH_PATH, "Full-text search over the conversations the caller may "
              "read, newest first (docs/search.md)", "agent, supervisor", answer=SearchPage,
              query={"q": {"type": "string", "minLength": 1, "maxLength": 200},
                     "offset": {"type": "integer", "minimum": 0, "maximum": 1000},
                     "limit": {"type": "integer", "minimum": 1, "maximum": 50}},
              errors=(400, 401, 403, 503)),
    Operation("get", "/widget/", "The customer chat widget (demo shop page)", "anyone",
              ok_type="text/html", errors=()),
    Operation("get", "/console/", "The agent console", "anyone", ok_type="text/html",
              errors=()),
    Operation("get", "/widget", "Redirects to /widget/", "anyone", ok=308, ok_type="",
              errors=()),
    Operation("get", "/console", "Redirects to /console/", "anyone", ok=308, ok_type="",
              errors=()),
    Operation("get", "/assets/{path}", "The pages' scripts, styles and pictures", "anyone",
              ok_type=ASSETS, also=(304,), errors=(404,)),
    *_PRIVACY_WORKSPACE,
    # -- teamwork (docs/teamwork.md)
    Operation("post", "/api/conversations/{conversation_id}/transfer",
              "Moves an open conversation to another agent or back to the queue (null)",
              "the agent holding it, supervisor", body=TransferBody, answer=ConversationAnswer,
              errors=(400, 401, 403, 404, 408, 409, 413, 415, 503)),
    Operation("post", "/api/conversations/{conversation_id}/notes",
              "Adds an internal note (staff only; scanned, sensitive values masked)",
              "agent, supervisor", body=NoteBody, ok=201, answer=NoteAnswer,
              errors=(400, 401, 403, 404, 408, 413, 415, 422, 503)),
    Operation("get", "/api/conversations/{conversation_id}/notes",
              "The conversation's internal notes", "agent, supervisor", answer=NoteList),
    Operation("post", "/api/conversations/{conversation_id}/triage",
              "Sets a conversation's tags and/or priority", "agent, supervisor",
              body=TriageBody, answer=ConversationAnswer,
              errors=(400, 401, 403, 404, 408, 413, 415, 503)),
    Operation("post", "/api/conversations/{conversation_id}/rating",
              "The customer rates their ended conversation, once (1-5, optional comment)",
              "that customer", body=RatingBody, ok=201, answer=RatingAnswer,
              errors=(400, 401, 403, 404, 408, 409, 413, 415, 422, 503)),
    Operation("get", "/api/conversations/{conversation_id}/transcript",
              "The customer's own transcript (download, text or escaped HTML; no notes)",
              "that customer", ok_type="text/plain",
              query={"format": {"type": "string", "enum": ["text", "html"]},
                     "lang": {"type": "string", "enum": ["en", "zh"]}}),
    Operation("get", "/api/team", "Every agent's load, the queue, recent handling times "
              "and ratings", "supervisor", answer=TeamOverview, errors=(401, 403, 503)),
)  # fmt: skip


def _schema_of(
    model: type[BaseModel], components: JsonObject, *, answer: bool = False
) -> JsonObject:
    """A request body's schema as validated, an answer's as serialised."""
    mode: Final = "serialization" if answer else "validation"
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode=mode)
    components.update(schema.pop("$defs", {}))
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _media_types(op: Operation, downloads: tuple[str, ...]) -> tuple[str, ...]:
    if op.ok_type == DOWNLOADS:
        return downloads
    if op.ok_type == ASSETS:
        return tuple(sorted({t.partition(";")[0] for t in CONTENT_TYPES.values()}))
    return (op.ok_type,) if op.ok_type else ()


def _responses(op: Operation, components: JsonObject, downloads: tuple[str, ...]) -> JsonObject:
    ok: JsonObject = {"description": "success"}
    if op.ok_type == "application/json":
        if op.answer is None:
            raise ValueError(f"{op.method} {op.path}: a JSON answer needs its model")
        ok["content"] = {
            "application/json": {"schema": _schema_of(op.answer, components, answer=True)}
        }
    elif media := _media_types(op, downloads):
        ok["content"] = {t: {"schema": _BODY_SCHEMA.get(t, {"type": "string"})} for t in media}
    responses: JsonObject = {str(op.ok): ok}
    for status in op.also:
        responses[str(status)] = (
            dict(ok) if status < 300 else {"description": "not modified, or see Location"}
        )
    error: JsonObject = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    # Past its address's budget of failed attempts, a request without a valid token is
    # answered 429 instead of 401, and a customer's writes have a budget of their own
    # (http/middleware.py): wherever 401 can be the answer, so can 429.
    statuses = sorted({*op.errors, 429} if 401 in op.errors else set(op.errors))
    for status in statuses:
        text = _ERROR_TEXT.get(status, "the attachment is gone" if status == 410 else "error")
        content: JsonObject = error
        if status in op.error_answers:  # an Error body with more fields
            schema = _schema_of(op.error_answers[status], components, answer=True)
            content = {"application/json": {"schema": schema}}
        responses[str(status)] = {"description": text, "content": content}
    return responses


def _operation(op: Operation, components: JsonObject, downloads: tuple[str, ...]) -> JsonObject:
    parameters: list[JsonValue] = [
        {"name": name, "in": "path", "required": True, "schema": _PATH_PARAMETERS[name]}
        for name in _PATH_PARAM.findall(op.path)
    ]
    parameters += [
        {"name": name, "in": "query", "required": False, "schema": schema}
        for name, schema in op.query.items()
    ]
    out: JsonObject = {
        "summary": op.summary,
        "description": f"Who: {op.who}.",
        "operationId": f"{op.method}_{re.sub(r'[^a-z0-9]+', '_', op.path).strip('_') or 'root'}",
        "responses": _responses(op, components, downloads),
    }
    if parameters:
        out["parameters"] = parameters
    if not op.public and op.path != "/ws":
        out["security"] = [{"bearer": []}]
    if op.body is not None:
        out["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _schema_of(op.body, components)}},
        }
    if op.multipart:
        out["requestBody"] = {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {
                                "type": "string",
                                "contentMediaType": "application/octet-stream",
                            },
                            "conversation_id": {"type": "string", "maxLength": 256},
                        },
                    }
                }
            },
        }
    return out


@functools.cache
def openapi_document(downloads: tuple[str, ...] = (_BINARY,)) -> JsonObject:
    """The description; `downloads`: the media types attachments are served as."""
    components: JsonObject = {"Error": ERROR_SCHEMA}
    paths: dict[str, JsonObject] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op, components, downloads)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "chat-service",
            "version": __version__,
            "description": "Customer-service chat that protects personal information. "
            "Errors are JSON {error: {code, message}}; the WebSocket protocol is in "
            "CONTRACT.md §5 and chat_service/protocol/README.md.",
        },
        "paths": {path: methods for path, methods in paths.items()},
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }


def download_types(request: web.Request) -> tuple[str, ...]:
    allowed = request.app[keys.SETTINGS].attachments.types
    return tuple(sorted({rule.content_type for rule in allowed}))


async def openapi_handler(request: web.Request) -> web.Response:
    document = openapi_document(download_types(request))
    return json_answer(OpenApiDescription, document, headers={"Cache-Control": "no-cache"})
