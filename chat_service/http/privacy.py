"""Privacy endpoints: the consent ledger and withdrawal (more arrive with data rights)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from chat_service import keys
from chat_service.actions import consent as consent_actions
from chat_service.auth import Identity, Role
from chat_service.errors import Forbidden
from chat_service.http.body import customer_id_param, read_json
from chat_service.http.middleware import authenticate
from chat_service.http.responses import ConsentLedger, Withdrawal, json_answer
from chat_service.protocol.commands import Categories, ConsentWithdraw, Id
from chat_service.storage.consents import ConsentRequestDoc, LedgerEntryDoc


class WithdrawalBody(BaseModel):
    """`POST .../consents/withdrawal`: the fields of the `consent.withdraw` frame."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, hide_input_in_errors=True)

    categories: Categories
    purpose: Id | None = None


def _access_customer(request: web.Request) -> tuple[Identity, str]:
    """Privacy officers, or the customer themself; nobody else."""
    identity = authenticate(request)
    customer_id = customer_id_param(request)
    if identity.role is Role.PRIVACY_OFFICER or (
        identity.role is Role.CUSTOMER and identity.sub == customer_id
    ):
        return identity, customer_id
    raise Forbidden()


def _public(doc: LedgerEntryDoc | ConsentRequestDoc) -> dict[str, Any]:
    out = {("id" if k == "_id" else k): v for k, v in doc.items()}
    return json.loads(json.dumps(out, default=lambda v: v.isoformat()))  # type: ignore[no-any-return]  # JSON round trip


async def consents(request: web.Request) -> web.Response:
    _, customer_id = _access_customer(request)
    services = request.app[keys.SERVICES]
    ledger = await services.store.consents.history(customer_id)
    requests = await services.store.consent_requests.for_customer(customer_id)
    granted = await consent_actions.granted_categories(services, customer_id, minor=False)
    return json_answer(
        ConsentLedger,
        {
            "customer_id": customer_id,
            "policy_version": services.settings.consent.policy_version,
            "granted": sorted(granted),
            "ledger": [_public(e) for e in ledger],
            "requests": [_public(r) for r in requests],
        },
    )


async def withdraw(request: web.Request) -> web.Response:
    identity, customer_id = _access_customer(request)
    body = await read_json(
        request, WithdrawalBody, expected='{"categories": [...], "purpose"?: str}'
    )
    command = ConsentWithdraw(
        type="consent.withdraw", categories=body.categories, purpose=body.purpose
    )
    services = request.app[keys.SERVICES]
    affected = await consent_actions.withdraw(services, customer_id, command, identity, None)
    return json_answer(
        Withdrawal,
        {
            "customer_id": customer_id,
            "categories": sorted(set(command.categories)),
            "messages_affected": len(affected),
        },
    )


def setup_privacy_routes(app: web.Application) -> None:
    app.router.add_get("/api/privacy/customers/{customer_id}/consents", consents)
    app.router.add_post("/api/privacy/customers/{customer_id}/consents/withdrawal", withdraw)
