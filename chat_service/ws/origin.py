"""Which browser pages may open /ws (the guard against cross-site WebSocket hijacking).

- The server's own origin is always allowed: the scheme, host and port the request arrived
  on, so `/widget/` and `/console/` work on whatever port or name the server is reached by.
  A browser sets `Host` itself, so a page on another site cannot pose as this one.
- Behind a reverse proxy the request arrives on the proxy's connection; the origin the
  browser used is then read from `Forwarded` (RFC 7239) or `X-Forwarded-Proto` /
  `X-Forwarded-Host`, but only when the peer is one of `server.trusted_proxies`: from anyone
  else those headers are ignored, so they cannot widen the check.
- `server.allowed_origins` (or CHAT_SERVICE_ALLOWED_ORIGINS) lists the other sites that
  embed the widget.
- A request without `Origin` is not from a browser page and is allowed (the token decides).
"""

from __future__ import annotations

from aiohttp import web
from yarl import URL

from chat_service.net.forwarded import Networks, is_trusted
from chat_service.settings import ServerSection


def _last(header: str | None) -> str | None:
    """The value the nearest proxy wrote (the last of a comma-separated list)."""
    if not header:
        return None
    value = header.split(",")[-1].strip()
    return value or None


def own_origin(request: web.Request, trusted: Networks) -> tuple[str, str]:
    """(scheme, host[:port]) the browser used to reach this server."""
    scheme, host = request.scheme, request.host
    if is_trusted(request.remote or "", trusted):
        if request.forwarded:
            nearest = request.forwarded[-1]
            scheme = nearest.get("proto") or scheme
            host = nearest.get("host") or host
        else:
            scheme = _last(request.headers.get("X-Forwarded-Proto")) or scheme
            host = _last(request.headers.get("X-Forwarded-Host")) or host
    return scheme, host


def _key(url: URL) -> tuple[str, str, int | None] | None:
    if not url.scheme or not url.host:
        return None
    return url.scheme.lower(), url.host.lower(), url.port


def origin_allowed(request: web.Request, origin: str, server: ServerSection) -> bool:
    if origin in server.allowed_origins:
        return True
    scheme, host = own_origin(request, server.trusted_proxies)
    try:
        seen = _key(URL(origin))
        own = _key(URL(f"{scheme}://{host}"))
    except ValueError:
        return False
    return seen is not None and seen == own
