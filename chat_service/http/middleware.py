"""Renders every failure as `{"error": {"code", "message"}}` with a fitting status."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from chat_service import keys
from chat_service.auth import Identity, Role
from chat_service.errors import ChatError, Forbidden, Unauthenticated

logger = logging.getLogger(__name__)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ChatError as exc:
        return web.json_response(exc.to_json(), status=exc.http_status)
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
    identity = request.app[keys.TOKENS].verify(token.strip())
    if roles and identity.role not in roles:
        raise Forbidden()
    return identity
