"""Renders every failure as `{"error": {"code", "message"}}` with a fitting status.

Rate limits shared by key (chat_service/net/rates.py) are applied here: a request without
a valid token costs its client address a token of `failed_auth` (none left: 429
`rate_limited` instead of 401), and `customer_writes_middleware` charges a customer's
writes to `customer_writes` before the handler runs (over every instance with
`REDIS_URL`, which needs an await: `authenticate`, called by the handlers, is
synchronous)."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from chat_service import keys
from chat_service.auth import Identity, Role
from chat_service.errors import ChatError, Forbidden, RateLimited, Unauthenticated
from chat_service.net.forwarded import address_key, client_address

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


@web.middleware
async def customer_writes_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A customer's write (POST, PUT, PATCH, DELETE to a route that exists) spends a token
    of its `customer_writes` bucket before its handler reads anything: the instance's own
    table first, then, with `REDIS_URL`, the bucket shared by every instance (at most
    `CALL_TIMEOUT_SECS` for Redis, else the instance's own decision stands). A request
    without a valid token is left to its handler's `authenticate` (401, or 429 for its
    address), so it is counted once, as before. Inside `error_middleware`."""
    if request.method in WRITE_METHODS and request.match_info.http_exception is None:
        identity = _bearer_identity(request)
        if identity is not None and identity.role is Role.CUSTOMER:
            app = request.app
            if not await app[keys.RATES].take_customer_write(identity):
                app[keys.METRICS].rate_limited.labels("customer_writes").inc()
                raise RateLimited("too many requests from this customer; slow down")
    return await handler(request)


def _bearer_identity(request: web.Request) -> Identity | None:
    """The identity of a valid bearer token, or None; kept on the request for
    `authenticate` (one signature check per request)."""
    try:
        identity = request.app[keys.TOKENS].verify(_bearer_token(request))
    except Unauthenticated:
        return None
    request[keys.IDENTITY] = identity
    return identity


def _bearer_token(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated()
    return token.strip()


def authenticate(request: web.Request, *roles: Role) -> Identity:
    """The caller's identity, in one of `roles` (any role when none is given). A
    customer's writes have already been counted (`customer_writes_middleware`), and a
    write's token verified there: that identity is used, not verified again."""
    identity = request.get(keys.IDENTITY)
    if identity is None:
        identity = request.app[keys.TOKENS].verify(_bearer_token(request))
    if roles and identity.role not in roles:
        raise Forbidden()
    return identity
