"""Data rights over HTTP: a customer's export (policy 7.1) and the privacy officer's report.

Who may call (CONTRACT 4): the export, a privacy officer or that customer (the same rule as
the consent ledger, `_access_customer`); the report, privacy officers only.
"""

from __future__ import annotations

from aiohttp import web

from chat_service import keys
from chat_service.auth import Role
from chat_service.http.middleware import authenticate
from chat_service.http.privacy import _access_customer
from chat_service.privacy.export import REASON_OFFICER_HTTP, REASON_SELF_HTTP, export_customer
from chat_service.privacy.report import privacy_report


async def export(request: web.Request) -> web.Response:
    identity, customer_id = _access_customer(request)  # the id's length checked there
    services = request.app[keys.SERVICES]
    officer = identity.role is Role.PRIVACY_OFFICER
    reason = REASON_OFFICER_HTTP if officer else REASON_SELF_HTTP
    document = await export_customer(services, customer_id, identity, reason)
    return web.json_response(document, headers={"Cache-Control": "no-store"})


async def report(request: web.Request) -> web.Response:
    authenticate(request, Role.PRIVACY_OFFICER)
    services = request.app[keys.SERVICES]
    document = await privacy_report(
        services.store, services.settings, services.clock(), notifier=services.notifier
    )
    return web.json_response(document, headers={"Cache-Control": "no-store"})


def setup_export_routes(app: web.Application) -> None:
    app.router.add_get("/api/privacy/customers/{customer_id}/export", export)
    app.router.add_get("/api/privacy/report", report)
