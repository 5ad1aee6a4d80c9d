"""`GET /metrics` is for operators (CONTRACT §4, issue 16 item 8): served on a loopback
listener of its own that lives and dies with the app; on the public port, 404 unless the
request carries the configured operators' token."""

from __future__ import annotations

import aiohttp
import pytest
from pytest_aiohttp import AiohttpClient
from yarl import URL

from chat_service import keys
from chat_service.settings import Secret, Settings
from tests.conftest import AppFactory
from tests.helpers.consent import headers
from tests.helpers.metrics import scrape
from tests.helpers.ws import Client

OPERATOR_TOKEN = "metrics-" + "m" * 40
EXPECTED_METRICS = (
    "chat_ws_connections",
    "chat_messages_stored_total",
    "chat_frames_rejected_total",
    "chat_store_up",
    "chat_embedded_store_restarts",
)


def _with_token(settings: Settings) -> Settings:
    return settings.with_overrides(metrics_token=Secret(OPERATOR_TOKEN))


async def _not_found_like_an_unknown_path(client: Client, response: aiohttp.ClientResponse) -> None:
    unknown = await client.get("/no-such-path")
    assert (response.status, unknown.status) == (404, 404)
    assert await response.json() == await unknown.json()


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer ", "Bearer wrong-token", f"Basic {OPERATOR_TOKEN}", "customer token"],
)
async def test_when_metrics_are_asked_for_on_the_public_port_without_the_token_then_404(
    aiohttp_client: AiohttpClient,
    make_app: AppFactory,
    settings: Settings,
    authorization: str | None,
) -> None:
    client = await aiohttp_client(
        make_app(settings.with_overrides(metrics_token=Secret(OPERATOR_TOKEN)))
    )
    sent = {} if authorization is None else {"Authorization": authorization}
    if authorization == "customer token":
        sent = headers(client, "customer", "cust-1")
    response = await client.get("/metrics", headers=sent)
    await _not_found_like_an_unknown_path(client, response)


async def test_when_no_token_is_configured_then_the_public_port_never_serves_metrics(
    client: Client,
) -> None:
    assert client.app[keys.SETTINGS].metrics_token is None
    for sent in ({}, {"Authorization": "Bearer "}, {"Authorization": f"Bearer {OPERATOR_TOKEN}"}):
        await _not_found_like_an_unknown_path(client, await client.get("/metrics", headers=sent))


async def test_when_the_operators_token_is_sent_on_the_public_port_then_metrics_are_served(
    aiohttp_client: AiohttpClient, make_app: AppFactory, settings: Settings
) -> None:
    client = await aiohttp_client(
        make_app(settings.with_overrides(metrics_token=Secret(OPERATOR_TOKEN)))
    )
    response = await client.get("/metrics", headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"})
    assert response.status == 200
    assert response.content_type == "text/plain"
    text = await response.text()
    for name in EXPECTED_METRICS:
        assert f"# TYPE {name}" in text or f"# HELP {name} " in text, name


async def test_when_the_app_runs_then_its_loopback_listener_serves_metrics_and_nothing_else(
    client: Client,
) -> None:
    url = URL(client.app[keys.METRICS_URL])
    assert url.host == "127.0.0.1" and url.path == "/metrics"
    assert url.port != client.port
    await client.get("/healthz")
    text = await scrape(client)
    for name in EXPECTED_METRICS:
        assert f"# HELP {name} " in text, name
    assert "chat_store_up 1.0" in text
    async with aiohttp.ClientSession() as session:
        for path in ("/healthz", "/api/conversations", "/ws", "/widget/"):
            async with session.get(url.with_path(path)) as response:
                assert response.status == 404, path


async def test_when_the_app_stops_then_its_metrics_listener_stops(
    aiohttp_client: AiohttpClient, make_app: AppFactory, settings: Settings
) -> None:
    client = await aiohttp_client(make_app(settings))
    url = client.app[keys.METRICS_URL]
    await scrape(client)
    await client.close()
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectionError):
            async with session.get(url) as response:
                await response.read()
