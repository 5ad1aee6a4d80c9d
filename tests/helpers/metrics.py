"""Scraping `/metrics` as an operator does: on the app's own loopback listener."""

from __future__ import annotations

import aiohttp

from chat_service import keys
from tests.helpers.ws import Client


async def scrape(client: Client) -> str:
    """The Prometheus text of the app behind `client`, from its metrics listener."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(client.app[keys.METRICS_URL]) as response,
    ):
        assert response.status == 200, await response.text()
        return await response.text()
