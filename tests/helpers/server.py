"""A test server that runs the app the way `chat-service serve` does: through the
connection guard (chat_service/net/guard.py)."""

from __future__ import annotations

import asyncio
import os
import resource
import sys
from pathlib import Path
from typing import Any, override

from aiohttp.test_utils import TestServer
from aiohttp.web_runner import BaseRunner

from chat_service.net.guard import GuardedAppRunner

# How long a `chat-service serve` may take to print its URL: it loads its detection models,
# over a minute each on a loaded 2-core machine (47 s on an idle one).
START_SECS = 300.0


class GuardedTestServer(TestServer):
    @override
    async def _make_runner(self, **kwargs: Any) -> BaseRunner:
        return GuardedAppRunner(self.app, **kwargs)


async def start_serve(
    data: Path,
    *,
    config: Path | None = None,
    nofile: int | None = None,
    tree: Path | None = None,
    env: dict[str, str] | None = None,
    module: str = "chat_service",
) -> asyncio.subprocess.Process:
    """`chat-service serve` in a child process on a free loopback port, with the development
    secret; optionally another config directory, an open-file limit (soft and hard, as
    `ulimit -n`), another checkout's code (`tree`), more environment (`env`) and another
    entry module taking the same arguments (`module`: a benchmark's profiling wrapper)."""
    extra = env or {}
    env = {k: v for k, v in os.environ.items() if k != "CHAT_SERVICE_SECRET"} | extra
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    args = ["serve", "--port", "0", "--data", str(data)]
    if config is not None:
        args += ["--config", str(config)]

    def limit_files() -> None:
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=tree,
        preexec_fn=limit_files if nofile is not None else None,
    )
