"""CORS for the widget embedded on a shop's own site: configured origins only, API paths only."""

from __future__ import annotations

import pytest
from pytest_aiohttp import AiohttpClient

from chat_service.settings import Settings
from tests.conftest import AppFactory
from tests.helpers.attachments import form, picture
from tests.helpers.consent import headers
from tests.helpers.ws import Client

SHOP = "https://shop.example"
ELSEWHERE = "https://evil.example"


@pytest.fixture
async def shop_client(
    aiohttp_client: AiohttpClient, settings: Settings, make_app: AppFactory
) -> Client:
    web = settings.web.model_copy(update={"embed_origins": (SHOP,)})
    return await aiohttp_client(make_app(settings.with_overrides(web=web)))


async def preflight(client: Client, path: str, origin: str) -> tuple[int, dict[str, str]]:
    response = await client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    return response.status, dict(response.headers)


async def test_when_the_shop_preflights_an_upload_then_it_is_allowed(shop_client: Client) -> None:
    status, got = await preflight(shop_client, "/api/attachments", SHOP)

    assert status == 204
    assert got["Access-Control-Allow-Origin"] == SHOP
    assert "POST" in got["Access-Control-Allow-Methods"]
    assert "Authorization" in got["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in got


async def test_when_another_site_preflights_then_it_is_refused(shop_client: Client) -> None:
    status, got = await preflight(shop_client, "/api/attachments", ELSEWHERE)

    assert status == 403
    assert "Access-Control-Allow-Origin" not in got


async def test_when_the_shop_uploads_then_the_answer_and_its_errors_carry_cors(
    shop_client: Client,
) -> None:
    ok = await shop_client.post(
        "/api/attachments",
        data=form(picture("PNG"), "a.png", "image/png"),
        headers={**headers(shop_client, "customer", "cust-1"), "Origin": SHOP},
    )
    refused = await shop_client.post(
        "/api/attachments",
        data=form(picture("PNG"), "a.png", "image/png"),
        headers={"Origin": SHOP},
    )

    assert ok.status == 201, await ok.text()
    assert ok.headers["Access-Control-Allow-Origin"] == SHOP
    assert refused.status == 401
    assert refused.headers["Access-Control-Allow-Origin"] == SHOP  # the widget can read why


async def test_when_the_origin_or_path_is_not_configured_then_no_cors_headers(
    shop_client: Client,
) -> None:
    other = await shop_client.get(
        "/api/privacy/customers/cust-1/consents",
        headers={**headers(shop_client, "customer", "cust-1"), "Origin": ELSEWHERE},
    )
    agents_api = await shop_client.get(
        "/api/conversations", headers={**headers(shop_client, "agent", "a1"), "Origin": SHOP}
    )
    privacy = await shop_client.get(
        "/api/privacy/customers/cust-1/consents",
        headers={**headers(shop_client, "customer", "cust-1"), "Origin": SHOP},
    )

    assert other.status == 200 and "Access-Control-Allow-Origin" not in other.headers
    assert agents_api.status == 200 and "Access-Control-Allow-Origin" not in agents_api.headers
    assert privacy.headers["Access-Control-Allow-Origin"] == SHOP
