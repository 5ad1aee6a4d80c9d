"""Stopping the server: background jobs end on their own, nothing is left open."""

from __future__ import annotations

import gc
import logging
import warnings

import pytest
from aiohttp.test_utils import TestServer

from chat_service.settings import Settings
from tests.conftest import AppFactory


async def test_when_the_server_stops_just_after_it_starts_then_no_connection_is_left_open(
    make_app: AppFactory, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # Stopping at once catches the background jobs (deletion requests, webhooks) inside
    # their first store call. Cancelling them there would leave the driver's half-opened
    # socket behind; they are asked to stop and finish the call instead.
    caplog.set_level(logging.WARNING, logger="chat_service.app")
    for _ in range(5):
        server = TestServer(make_app(settings))
        await server.start_server()
        await server.close()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    unclosed = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert unclosed == []
    assert "did not stop in time" not in caplog.text
