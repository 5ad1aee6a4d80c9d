"""A test server that runs the app the way `chat-service serve` does: through the
connection guard (chat_service/net/guard.py)."""

from __future__ import annotations

from typing import Any, override

from aiohttp.test_utils import TestServer
from aiohttp.web_runner import BaseRunner

from chat_service.net.guard import GuardedAppRunner


class GuardedTestServer(TestServer):
    @override
    async def _make_runner(self, **kwargs: Any) -> BaseRunner:
        return GuardedAppRunner(self.app, **kwargs)
