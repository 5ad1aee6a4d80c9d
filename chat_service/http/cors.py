"""CORS for the widget on a shop's own site (config/web.toml `embed_origins`).

The widget's script runs on the shop's origin, so its uploads (`/api/attachments`) and its
privacy menu (`/api/privacy/customers/...`) are cross-origin requests. Only those paths, and
only for the configured origins, get CORS headers; the token travels in `Authorization`
(never cookies), so credentials are not allowed. Any other origin gets no CORS headers and a
preflight from it is refused, so the browser blocks the request. Same-origin requests and
clients without an Origin header are not affected.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

from aiohttp import web

from chat_service import keys
from chat_service.errors import Forbidden

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CORS_PATHS: Final = ("/api/attachments", "/api/privacy/customers/")
ALLOWED_METHODS: Final = "GET, POST"
ALLOWED_HEADERS: Final = "Authorization, Content-Type"
EXPOSED_HEADERS: Final = "Content-Disposition"
PREFLIGHT_MAX_AGE_SECS: Final = "600"


def _cross_origin(request: web.Request) -> str | None:
    origin = request.headers.get("Origin")
    if origin is None or not request.path.startswith(CORS_PATHS):
        return None
    own = f"{request.scheme}://{request.host}"
    return None if origin == own else origin


@web.middleware
async def cors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    origin = _cross_origin(request)
    if origin is None:
        return await handler(request)
    allowed = origin in request.app[keys.SETTINGS].web.embed_origins
    if request.method == "OPTIONS":
        if not allowed or "Access-Control-Request-Method" not in request.headers:
            refused = Forbidden("this origin may not call the API")
            return web.json_response(refused.to_json(), status=refused.http_status)
        return web.Response(
            status=204,
            headers={
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": ALLOWED_METHODS,
                "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                "Access-Control-Max-Age": PREFLIGHT_MAX_AGE_SECS,
                "Vary": "Origin",
            },
        )
    response = await handler(request)
    if allowed:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        response.headers["Vary"] = "Origin"
    return response
