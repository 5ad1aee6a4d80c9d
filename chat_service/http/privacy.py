"""Privacy endpoints: the consent ledger and withdrawal (more arrive with data rights)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from chat_service import keys
from chat_service.actions import consent as consent_actions
from chat_service.auth import Identity, Role
from chat_service.errors import BadRequest, Forbidden
from chat_service.http.middleware import authenticate
from chat_service.protocol.commands import ConsentWithdraw


def _access_customer(request: web.Request) -> tuple[Identity, str]:
    """Privacy officers, or the customer themself; nobody else."""
    identity = authenticate(request)
    customer_id = request.match_info["customer_id"]
    if identity.role is Role.PRIVACY_OFFICER or (
        identity.role is Role.CUSTOMER and identity.sub == customer_id
    ):
        return identity, customer_id
    raise Forbidden()


def _public(doc: dict[str, Any]) -> dict[str, Any]:
    out = {("id" if k == "_id" else k): v for k, v in doc.items()}
    return json.loads(json.dumps(out, default=lambda v: v.isoformat()))  # type: ignore[no-any-return]  # JSON round trip


async def consents(request: web.Request) -> web.Response:
    _, customer_id = _access_customer(request)
    services = request.app[keys.SERVICES]
    ledger = await services.store.consents.history(customer_id)
    requests = await services.store.consent_requests.for_customer(customer_id)
    granted = await consent_actions.granted_categories(services, customer_id, minor=False)
    return web.json_response(
        {
            "customer_id": customer_id,
            "policy_version": services.settings.consent.policy_version,
            "granted": sorted(granted),
            "ledger": [_public(e) for e in ledger],
            "requests": [_public(r) for r in requests],
        }
    )


async def withdraw(request: web.Request) -> web.Response:
    identity, customer_id = _access_customer(request)
    try:
        body = await request.json()
        command = ConsentWithdraw.model_validate({"type": "consent.withdraw", **body})
    except (json.JSONDecodeError, ValidationError, TypeError) as exc:
        raise BadRequest('body must be {"categories": [...], "purpose"?: str}') from exc
    services = request.app[keys.SERVICES]
    affected = await consent_actions.withdraw(services, customer_id, command, identity, None)
    return web.json_response(
        {
            "customer_id": customer_id,
            "categories": sorted(set(command.categories)),
            "messages_affected": len(affected),
        }
    )


def setup_privacy_routes(app: web.Application) -> None:
    app.router.add_get("/api/privacy/customers/{customer_id}/consents", consents)
    app.router.add_post("/api/privacy/customers/{customer_id}/consents/withdrawal", withdraw)
