"""Data rights over HTTP: a customer's export (policy 7.1) and the privacy officer's report.

Who may call (CONTRACT 4): the export, a privacy officer or that customer (the same rule as
the consent ledger, `_access_customer`); the report, privacy officers only. Exports are
streamed (chunked JSON, attachments' contents one at a time) and take turns
(`ResourceLimits.exports`: per customer 429 `too_many_exports`, in all 503 `server_busy`).
"""

from __future__ import annotations

import logging

from aiohttp import web

from chat_service import keys
from chat_service.attachments.budget import ServerBusy
from chat_service.auth import Role
from chat_service.http.middleware import authenticate
from chat_service.http.privacy import _access_customer
from chat_service.http.responses import PrivacyReport, json_answer
from chat_service.privacy.export import (
    REASON_OFFICER_HTTP,
    REASON_SELF_HTTP,
    prepare_export,
    stream_export,
)
from chat_service.privacy.report import privacy_report

logger = logging.getLogger(__name__)


async def export(request: web.Request) -> web.StreamResponse:
    identity, customer_id = _access_customer(request)  # the id's length checked there
    services = request.app[keys.SERVICES]
    officer = identity.role is Role.PRIVACY_OFFICER
    reason = REASON_OFFICER_HTTP if officer else REASON_SELF_HTTP
    if services.limits is None:
        raise RuntimeError("the server's resource limits are not set up")
    try:
        async with services.limits.exports.turn(customer_id):
            prepared = await prepare_export(services, customer_id, identity, reason)
            # Streamed (chunked): the attachments' contents are read one at a time.
            response = web.StreamResponse(
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "Cache-Control": "no-store",
                }
            )
            await response.prepare(request)
            try:
                await stream_export(services, prepared, response.write)
                await response.write_eof()
            except ConnectionError:  # the client went away mid-export: nothing to answer
                logger.info("export abandoned by the client")
            return response
    except ServerBusy as exc:
        return web.json_response(
            exc.to_json(),
            status=exc.http_status,
            headers={"Retry-After": str(exc.retry_after_secs), "Cache-Control": "no-store"},
        )


async def report(request: web.Request) -> web.Response:
    authenticate(request, Role.PRIVACY_OFFICER)
    services = request.app[keys.SERVICES]
    document = await privacy_report(
        services.store, services.settings, services.clock(), notifier=services.notifier
    )
    return json_answer(PrivacyReport, document, headers={"Cache-Control": "no-store"})


def setup_export_routes(app: web.Application) -> None:
    app.router.add_get("/api/privacy/customers/{customer_id}/export", export)
    app.router.add_get("/api/privacy/report", report)
