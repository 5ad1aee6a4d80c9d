"""The browser pages: /widget/ (a demo shop page with the customer widget), /console/
(the agent console) and /privacy/ (the privacy officer's workspace), and their static files
under /assets/, served from the package (chat_service/web/static/) with a strict
Content-Security-Policy. See docs/pages.md.

No inline scripts or styles anywhere: every page allows scripts and styles from its own
origin only. Files are read once (in a thread, never on the event loop), kept in memory,
and revalidated by ETag.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from chat_service import keys

STATIC_ROOT = Path(__file__).resolve().parent.parent / "web" / "static"
ASSETS_PREFIX = "/assets/"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json; charset=utf-8",
}
# Lower-case names, folders and one of the served suffixes; no "..", no hidden files.
_ASSET_PATH = re.compile(r"^(?:[a-z0-9][a-z0-9_\-]*/)*[a-z0-9][a-z0-9_\-.]*\.(?:js|css|json)$")
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(?::[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?$")
# Static files the widget's embedding shops may load cross-origin (module scripts use CORS).
_EMBEDDABLE = ("widget/", "shared/")


@dataclass(frozen=True, slots=True)
class StaticFile:
    body: bytes
    content_type: str
    etag: str


class StaticFiles:
    """The package's static files, read on first use in a worker thread, then from memory."""

    def __init__(self, root: Path) -> None:
        self._root = root.resolve()
        self._cache: dict[str, StaticFile | None] = {}

    async def get(self, relative: str) -> StaticFile | None:
        if relative not in self._cache:
            self._cache[relative] = await asyncio.to_thread(self._read, relative)
        return self._cache[relative]

    def _read(self, relative: str) -> StaticFile | None:
        path = (self._root / relative).resolve()
        if not path.is_relative_to(self._root) or not path.is_file():
            return None
        body = path.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        return StaticFile(body, CONTENT_TYPES[path.suffix], etag)


def content_security_policy(host: str | None, frame_ancestors: tuple[str, ...]) -> str:
    """The pages' policy: everything from this origin only, sockets to this host."""
    sockets = f" ws://{host} wss://{host}" if host and _HOST.match(host) else ""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' blob: data:",
            f"connect-src 'self'{sockets}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-src 'none'",
            "frame-ancestors " + " ".join(frame_ancestors),
        ]
    )


def _common_headers(response: web.StreamResponse) -> None:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"


def setup_page_routes(app: web.Application) -> None:
    files = StaticFiles(STATIC_ROOT)

    async def page(request: web.Request, name: str, ancestors: tuple[str, ...]) -> web.Response:
        found = await files.get(f"{name}/index.html")
        if found is None:
            raise web.HTTPNotFound()
        response = web.Response(body=found.body, headers={"Content-Type": found.content_type})
        _common_headers(response)
        response.headers["Content-Security-Policy"] = content_security_policy(
            request.host, ancestors
        )
        response.headers["Cache-Control"] = "no-cache"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        geolocation = "(self)" if name == "widget" else "()"
        response.headers["Permissions-Policy"] = (
            f"geolocation={geolocation}, camera=(), microphone=(), payment=()"
        )
        if ancestors == ("'none'",):
            response.headers["X-Frame-Options"] = "DENY"
        return response

    async def widget(request: web.Request) -> web.Response:
        return await page(request, "widget", request.app[keys.SETTINGS].web.frame_ancestors)

    async def console(request: web.Request) -> web.Response:
        return await page(request, "console", ("'none'",))

    async def privacy(request: web.Request) -> web.Response:
        return await page(request, "privacy", ("'none'",))

    async def asset(request: web.Request) -> web.Response:
        relative = request.match_info["path"]
        found = await files.get(relative) if _ASSET_PATH.match(relative) else None
        if found is None:
            raise web.HTTPNotFound()
        web_config = request.app[keys.SETTINGS].web
        headers = {
            "ETag": found.etag,
            "Cache-Control": f"public, max-age={web_config.static_max_age_secs}",
            "Vary": "Origin",
        }
        origin = request.headers.get("Origin")
        if origin in web_config.embed_origins and relative.startswith(_EMBEDDABLE):
            headers["Access-Control-Allow-Origin"] = origin
        if found.etag in request.headers.get("If-None-Match", ""):
            response = web.Response(status=304, headers=headers)
        else:
            headers["Content-Type"] = found.content_type
            response = web.Response(body=found.body, headers=headers)
        _common_headers(response)
        return response

    async def to_slash(request: web.Request) -> web.Response:
        raise web.HTTPPermanentRedirect(request.path + "/")

    app.router.add_get("/widget/", widget)
    app.router.add_get("/console/", console)
    app.router.add_get("/widget", to_slash)
    app.router.add_get("/console", to_slash)
    app.router.add_get("/privacy/", privacy)
    app.router.add_get("/privacy", to_slash)
    app.router.add_get(ASSETS_PREFIX + "{path:.+}", asset)
