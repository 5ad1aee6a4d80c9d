"""Pixel bombs against a real server (issue 16 item 5): the decoding memory budget admits at
most what it allows at once, every upload gets a clear answer, nothing is left behind.

The budget is observed through its own counters and the metric, never through timing."""

from __future__ import annotations

import asyncio
import io

import pytest
from PIL import Image
from pytest_aiohttp import AiohttpClient

from chat_service.attachments.budget import image_bytes
from chat_service.resources import ResourceLimits
from chat_service.settings import Settings
from tests.attachments.test_attachments import NOTHING_LEFT, with_limits
from tests.conftest import AppFactory
from tests.helpers.attachments import form, leftovers, picture, upload
from tests.helpers.consent import headers, services_of
from tests.helpers.ws import Client

BUDGET_BYTES = 64 * 1024 * 1024
BOMB_SIDE = 2000  # 4 MP of zeros: 16 MB of pixels from a few KB on the wire
BOMBS = 5


def zeros_png(side: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (side, side), (0, 0, 0, 0)).save(out, "PNG")
    return out.getvalue()


def limits_of(client: Client) -> ResourceLimits:
    limits = services_of(client).limits
    assert limits is not None
    return limits


def gauge(client: Client, name: str) -> float | None:
    value = services_of(client).metrics.registry.get_sample_value(name)
    return value


@pytest.fixture
async def small_budget(
    aiohttp_client: AiohttpClient, settings: Settings, make_app: AppFactory
) -> Client:
    custom = with_limits(settings, decode_budget_bytes=BUDGET_BYTES, decode_wait_secs=300.0)
    return await aiohttp_client(make_app(custom))


@pytest.fixture
async def impatient(
    aiohttp_client: AiohttpClient, settings: Settings, make_app: AppFactory
) -> Client:
    custom = with_limits(settings, decode_budget_bytes=BUDGET_BYTES, decode_wait_secs=0.05)
    return await aiohttp_client(make_app(custom))


@pytest.mark.timeout(240)
async def test_when_pixel_bombs_arrive_at_once_then_the_budget_bounds_decoding_and_all_answer(
    small_budget: Client,
) -> None:
    bomb = zeros_png(BOMB_SIDE)
    assert len(bomb) < 50_000
    charge = image_bytes(BOMB_SIDE, BOMB_SIDE)
    allowed_at_once = BUDGET_BYTES // charge
    assert 1 <= allowed_at_once < BOMBS

    answers = await asyncio.gather(
        *(
            upload(small_budget, bomb, "zeros.png", "image/png", sub=f"cust-{i}")
            for i in range(BOMBS)
        )
    )

    budget = limits_of(small_budget).decode_budget
    assert [status for status, _ in answers] == [201] * BOMBS, answers
    assert budget.peak_bytes <= BUDGET_BYTES
    assert budget.peak_running <= allowed_at_once
    assert (budget.in_use_bytes, budget.running, budget.waiting) == (0, 0, 0)
    assert gauge(small_budget, "chat_upload_budget_in_use_bytes") == 0
    assert gauge(small_budget, "chat_upload_budget_waiting") == 0
    left = await leftovers(small_budget)
    assert left["attachments"] == BOMBS and left["temp_files"] == 0


async def test_when_the_budget_stays_full_past_the_wait_then_503_and_nothing_is_left(
    impatient: Client,
) -> None:
    budget = limits_of(impatient).decode_budget
    async with budget.hold(BUDGET_BYTES):  # every byte taken, as by uploads in progress
        response = await impatient.post(
            "/api/attachments",
            data=form(picture("PNG"), "a.png", "image/png"),
            headers=headers(impatient, "customer", "cust-1"),
        )
        body = await response.json()
        assert response.status == 503, body
        assert body["error"]["code"] == "server_busy"
        assert int(response.headers["Retry-After"]) >= 1
        assert await leftovers(impatient) == NOTHING_LEFT
        assert budget.waiting == 0
    status, body = await upload(impatient, picture("PNG"), "a.png", "image/png")
    assert status == 201, body
    assert budget.in_use_bytes == 0
