"""Renders every failure as `{"error": {"code", "message"}}` with a fitting status.

Rate limits shared by key (chat_service/net/rates.py) are applied here: a request without
a valid token costs its client address a token of `failed_auth` (none left: 429
`rate_limited` instead of 401), and `authenticate` charges a customer's writes to
`customer_writes`."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from chat_service import keys
from chat_service.auth import Identity, Role
from chat_service.errors import ChatError, Forbidden, RateLimited, Unauthenticated
from chat_service.net.forwarded import address_key, client_address
from chat_service.net.rates import identity_key

logger = logging.getLogger(__name__)

RETRY_AFTER_SECS = "1"  # a token of any bucket comes back within a second at >= 1/s
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _failed_auth(request: web.Request, exc: ChatError) -> ChatError:
    """A request without a valid token: counted against its client address."""
    app = request.app
    trusted = app[keys.SETTINGS].config.server.trusted_proxies
    if app[keys.RATES].failed_auth.take(address_key(client_address(request, trusted))):
        return exc
    app[keys.METRICS].rate_limited.labels("failed_auth").inc()
    return RateLimited("too many requests without a valid token; slow down")


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ChatError as exc:
        if exc.http_status == Unauthenticated.http_status:
            exc = _failed_auth(request, exc)
        headers = {"Retry-After": RETRY_AFTER_SECS} if isinstance(exc, RateLimited) else None
        return web.json_response(exc.to_json(), status=exc.http_status, headers=headers)
    except web.HTTPException as exc:
        if exc.empty_body or exc.status < 400:
            raise
        code = exc.reason.lower().replace(" ", "_")
        return web.json_response(
            {"error": {"code": code, "message": exc.reason}},
            status=exc.status,
            headers={k: v for k, v in exc.headers.items() if k.lower() == "allow"},
        )
    except Exception:
        logger.exception("unexpected error", extra={"path": request.path})
        request.app[keys.METRICS].errors.labels("http").inc()
        return web.json_response(
            {"error": {"code": "internal_error", "message": "internal error"}}, status=500
        )


def authenticate(request: web.Request, *roles: Role) -> Identity:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated()
    app = request.app
    identity = app[keys.TOKENS].verify(token.strip())
    if roles and identity.role not in roles:
        raise Forbidden()
    if (
        identity.role is Role.CUSTOMER
        and request.method in WRITE_METHODS
        and not app[keys.RATES].customer_writes.take(identity_key(identity))
    ):
        app[keys.METRICS].rate_limited.labels("customer_writes").inc()
        raise RateLimited("too many requests from this customer; slow down")
    return identity
