"""Data-rights endpoints: deletion requests (policy 7.2) and legal holds (policy 4.3).

Thin handlers: authenticate, one action call, reply. Who may call what:

| endpoint | who |
|---|---|
| `POST /api/privacy/customers/{id}/deletion-requests` | privacy_officer, or that customer |
| `GET /api/privacy/customers/{id}/deletion-requests` | privacy_officer, or that customer |
| `POST /api/conversations/{id}/legal-hold` | privacy_officer |
| `POST /api/privacy/customers/{id}/legal-hold` | privacy_officer |
| `GET /api/privacy/legal-holds?active=true\\|false\\|all` | privacy_officer |
"""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, StrictBool, StringConstraints

from chat_service import keys
from chat_service.errors import BadRequest
from chat_service.http.body import customer_id_param, read_json
from chat_service.http.middleware import authenticate
from chat_service.http.responses import (
    DeletionRequest,
    DeletionRequests,
    LegalHold,
    LegalHolds,
    json_answer,
)
from chat_service.privacy import deletion, holds
from chat_service.storage.holds import HoldScope

Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=holds.MAX_REASON_CHARS)
]
_ACTIVE = {"true": True, "false": False, "all": None}


class HoldBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    hold: StrictBool
    reason: Reason


async def _hold_body(request: web.Request) -> HoldBody:
    expected = f'{{"hold": true|false, "reason": "1-{holds.MAX_REASON_CHARS} chars"}}'
    return await read_json(request, HoldBody, expected=expected)


async def file_deletion_request(request: web.Request) -> web.Response:
    identity = authenticate(request)
    services = request.app[keys.SERVICES]
    filed, created = await deletion.file_request(
        services, identity, request.match_info["customer_id"]
    )
    return json_answer(DeletionRequest, deletion.public(filed), status=201 if created else 200)


async def list_deletion_requests(request: web.Request) -> web.Response:
    identity = authenticate(request)
    customer_id = request.match_info["customer_id"]
    services = request.app[keys.SERVICES]
    found = await deletion.list_requests(services, identity, customer_id)
    return json_answer(
        DeletionRequests,
        {"customer_id": customer_id, "deletion_requests": [deletion.public(r) for r in found]},
    )


async def _change_hold(request: web.Request, scope: HoldScope) -> web.Response:
    identity = authenticate(request)
    holds.require_privacy_officer(identity)  # before reading the body: 403 whatever it holds
    if scope == "customer":
        target_id = customer_id_param(request)
    else:
        target_id = request.match_info["conversation_id"]
    body = await _hold_body(request)
    services = request.app[keys.SERVICES]
    hold, created = await holds.change_hold(
        services, identity, scope, target_id, hold=body.hold, reason=body.reason
    )
    return json_answer(LegalHold, deletion.public(hold), status=201 if created else 200)


async def conversation_legal_hold(request: web.Request) -> web.Response:
    return await _change_hold(request, "conversation")


async def customer_legal_hold(request: web.Request) -> web.Response:
    return await _change_hold(request, "customer")


async def list_legal_holds(request: web.Request) -> web.Response:
    identity = authenticate(request)
    raw = request.query.get("active", "true")
    if raw not in _ACTIVE:
        raise BadRequest("active must be true, false or all")
    services = request.app[keys.SERVICES]
    found = await holds.list_holds(services, identity, active=_ACTIVE[raw])
    return json_answer(LegalHolds, {"legal_holds": [deletion.public(h) for h in found]})


def setup_rights_routes(app: web.Application) -> None:
    app.router.add_post(
        "/api/privacy/customers/{customer_id}/deletion-requests", file_deletion_request
    )
    app.router.add_get(
        "/api/privacy/customers/{customer_id}/deletion-requests", list_deletion_requests
    )
    app.router.add_post("/api/conversations/{conversation_id}/legal-hold", conversation_legal_hold)
    app.router.add_post("/api/privacy/customers/{customer_id}/legal-hold", customer_legal_hold)
    app.router.add_get("/api/privacy/legal-holds", list_legal_holds)
