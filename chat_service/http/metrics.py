"""`GET /metrics` for operators (CONTRACT §4): never served to anonymous clients on the
public port.

- A listener of its own (`[metrics]` in config/server.toml, 127.0.0.1 and a free port by
  default) serves `/metrics` and nothing else. It is a cleanup context of the app: it starts
  with the app (after the store), and stops with it. `serve` prints its URL.
- On the public port, `/metrics` answers 404 (exactly like a path that does not exist)
  unless the request carries `Authorization: Bearer <CHAT_SERVICE_METRICS_TOKEN>`; the token
  is compared in constant time. With no token configured it is never served there.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from typing import Final

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from chat_service import keys
from chat_service.errors import NotFound

METRICS_PATH: Final = "/metrics"


def _scrape(app: web.Application) -> web.Response:
    metrics = app[keys.METRICS]
    store = app[keys.STORE]
    if store.embedded is not None:
        metrics.store_restarts.set(store.embedded.restarts)
    body = generate_latest(metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def _carries_token(request: web.Request) -> bool:
    expected = request.app[keys.SETTINGS].metrics_token
    if expected is None:
        return False
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(offered.strip().encode(), expected.reveal().encode())


async def public_metrics(request: web.Request) -> web.Response:
    """The public port's `/metrics`: only for a request with the operators' token."""
    if not _carries_token(request):
        raise NotFound("Not Found")
    return _scrape(request.app)


async def metrics_listener_ctx(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context: the operators' listener on `[metrics] host:port`."""
    section = app[keys.SETTINGS].config.metrics

    async def scrape(_: web.Request) -> web.Response:
        return _scrape(app)

    listener = web.Application()
    listener.router.add_get(METRICS_PATH, scrape)
    runner = web.AppRunner(listener, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, section.host, section.port)
        await site.start()
        host, port = runner.addresses[0][:2]
        shown = f"[{host}]" if ":" in str(host) else host
        app[keys.METRICS_URL] = f"http://{shown}:{port}{METRICS_PATH}"
        yield
    finally:
        await runner.cleanup()
