"""Shared fixtures: an embedded store (a real mongoeco child over the wire) per test module,
one detection pool per session; a fresh database and a real aiohttp server per test.

Set MONGODB_URI to run the whole suite against a real MongoDB replica set instead.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from blockbuster import BlockBuster, blockbuster_ctx
from pytest_aiohttp import AiohttpClient

from chat_service.app import create_app
from chat_service.scanning import PoolScanner, Scanner
from chat_service.settings import Secret, Settings
from tests.helpers.settings import settings_with

TEST_SECRET = "test-secret-" + "x" * 40
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def blockbuster() -> Iterator[BlockBuster]:
    """Fail any blocking call made on the event loop by the project's own code."""
    with blockbuster_ctx(["chat_service", "detectors"]) as bb:
        # PyMongo probes /.dockerenv once per connection pool for its handshake metadata:
        # a single stat of a local file, inside the driver, accepted.
        for func in ("os.stat", "os.path.exists"):
            if func in bb.functions:
                bb.functions[func].can_block_in("pymongo/pool_options.py", "get_container_env_info")
        yield bb


@pytest.fixture(scope="session")
def base_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    env = {k: v for k, v in os.environ.items() if k != "CHAT_SERVICE_ALLOWED_ORIGINS"}
    env["CHAT_SERVICE_SECRET"] = TEST_SECRET
    settings = Settings.load(REPO / "config", tmp_path_factory.mktemp("data"), env)
    return settings.with_overrides(secret=Secret(TEST_SECRET))


@pytest.fixture(scope="module")
def store_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str | None]:
    """The module's store: None means MONGODB_URI (real MongoDB), else an embedded child.

    One embedded store per test module, not per session: every module starts from an empty
    file, so no module's timing depends on how much the modules before it stored."""
    if os.environ.get("MONGODB_URI"):
        yield None
        return
    path = tmp_path_factory.mktemp("store") / "store.sqlite"
    process = subprocess.Popen(  # noqa: S603  # our own module, fixed arguments
        [sys.executable, "-m", "chat_service.storage.embedded_server", "--path", str(path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    uri = process.stdout.readline().strip()
    assert uri.startswith("mongodb://"), "embedded store did not start"
    try:
        yield uri
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stdout.close()


@pytest.fixture(scope="session")
async def scanner(base_settings: Settings) -> AsyncIterator[Scanner]:
    from detectors import DetectorPool

    pool = DetectorPool(base_settings.config_dir, workers=1)
    await pool.start()
    try:
        yield PoolScanner(pool)
    finally:
        await pool.close()


@pytest.fixture
def settings(base_settings: Settings) -> Settings:
    """Settings whose store database is unique to this test."""
    return settings_with(base_settings, store={"database": "t_" + secrets.token_hex(6)})


AppFactory = Callable[[Settings], web.Application]


@pytest.fixture
def make_app(store_uri: str | None, scanner: Scanner) -> AppFactory:
    """Build an app on the session's store and detection pool with custom settings."""

    def factory(custom: Settings) -> web.Application:
        return create_app(custom, store_uri=store_uri, scanner=scanner)

    return factory


@pytest.fixture
async def client(
    aiohttp_client: AiohttpClient, settings: Settings, store_uri: str | None, scanner: Scanner
) -> TestClient[web.Request, web.Application]:
    return await aiohttp_client(create_app(settings, store_uri=store_uri, scanner=scanner))
