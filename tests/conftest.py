"""Shared fixtures: an embedded store (a real mongoeco child over the wire) per test module,
one detection pool per session; a fresh database and a real aiohttp server per test.

Set MONGODB_URI to run the whole suite against a real MongoDB replica set instead.
"""

from __future__ import annotations

import os
import secrets
import select
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from blockbuster import BlockBuster, blockbuster_ctx
from pymongo import MongoClient
from pytest_aiohttp import AiohttpClient

from chat_service.app import create_app
from chat_service.scanning import PoolScanner, Scanner
from chat_service.settings import Secret, Settings
from tests.helpers.settings import settings_with

TEST_SECRET = "test-secret-" + "x" * 40
REPO = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    """Let the suite's Python processes keep their bytecode, in the venv, out of the tree.

    The suite starts many Python processes (xdist workers, store children, `chat-service
    serve` and its detection workers, the CLI commands), each importing spaCy, Presidio,
    PyMongo and mongoeco; the venv is installed without bytecode and PYTHONDONTWRITEBYTECODE
    is often set, so each of them compiled those modules again (loading the detection models
    took twice the CPU). The cache goes under the venv (PYTHONPYCACHEPREFIX), never into
    the checkout; the processes started from here inherit it."""
    if sys.prefix == sys.base_prefix or "PYTHONPYCACHEPREFIX" in os.environ:
        return  # not in a venv, or the caller chose where bytecode goes
    os.environ["PYTHONPYCACHEPREFIX"] = str(Path(sys.prefix) / "pycache")
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


# The files that take longest (measured on 2 cores, longest first). xdist hands whole files
# to its workers in collection order (pyproject.toml: --no-loadscope-reorder), so these
# start first and the short files fill the end, instead of a long one running alone last;
# the other files follow with the most tests first (xdist's own order).
LONGEST_FILES_FIRST = (
    "tests/ws/test_bad_input.py",
    "tests/actions/test_consent.py",
    "tests/attachments/test_attachments.py",
    "tests/cli/test_cli.py",
    "tests/cli/test_cli_store.py",
    "tests/http/test_malformed_inputs.py",
    "tests/cli/test_instances.py",
    "tests/detectors/test_documents.py",
    "tests/protocol/test_frame_properties.py",
    "tests/cli/test_cli_data.py",
    "tests/http/test_api_fuzz.py",
    "tests/ws/test_connection_limits.py",
    "tests/test_auth.py",
    "tests/privacy/test_privacy_workspace.py",
    "tests/storage/test_kmip.py",
    "tests/attachments/test_attachment_lifecycle.py",
    "tests/detectors/test_engine.py",
    "tests/http/test_inbox.py",
    "tests/actions/test_attachment_messages.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    files = [item.nodeid.split("::", 1)[0] for item in items]
    tests_in = Counter(files)
    first_seen: dict[str, int] = {}
    for index, name in enumerate(files):
        first_seen.setdefault(name, index)
    rank = {name: index for index, name in enumerate(LONGEST_FILES_FIRST)}

    def order(pair: tuple[str, pytest.Item]) -> tuple[int, int, int]:
        name = pair[0]
        return (rank.get(name, len(rank)), -tests_in[name], first_seen[name])

    # Stable: a file's tests keep their order, and stay together.
    items[:] = [item for _, item in sorted(zip(files, items, strict=True), key=order)]


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


class StoreForks:
    """Starts the embedded store children: forked by tests/helpers/store_forks.py, which
    imported the store server once for the session (a new interpreter per store spent
    seconds of CPU on the same imports for every test module)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603  # our own script, fixed arguments
            [sys.executable, str(REPO / "tests" / "helpers" / "store_forks.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def start(self, path: Path) -> tuple[int, str]:
        """A store child serving `path`: its pid and URI."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{path}\n")
        self.process.stdin.flush()
        pid = int(self.process.stdout.readline())
        uri = self.process.stdout.readline().strip()
        assert uri.startswith("mongodb://"), f"embedded store did not start: {uri}"
        return pid, uri

    @staticmethod
    def stop(pid: int) -> None:
        """SIGTERM to a store child, and wait until it has exited."""
        try:
            exited = os.pidfd_open(pid)
        except ProcessLookupError:
            return
        try:
            os.kill(pid, signal.SIGTERM)
            ready, _, _ = select.select([exited], [], [], 30)
            assert ready, f"store child {pid} did not stop"
        finally:
            os.close(exited)

    def close(self) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()  # the parent exits at the end of its input
        self.process.wait(timeout=30)
        self.process.stdout.close()


@pytest.fixture(scope="session")
def store_forks() -> Iterator[StoreForks | None]:
    """The session's parent of embedded stores; None with MONGODB_URI (no store to start)."""
    if os.environ.get("MONGODB_URI"):
        yield None
        return
    forks = StoreForks()
    try:
        yield forks
    finally:
        forks.close()


@pytest.fixture(scope="module")
def store_uri(
    tmp_path_factory: pytest.TempPathFactory, store_forks: StoreForks | None
) -> Iterator[str | None]:
    """The module's store: None means MONGODB_URI (real MongoDB), else an embedded child.

    One embedded store per test module, not per session: every module starts from an empty
    file, so no module's timing depends on how much the modules before it stored."""
    if store_forks is None:
        yield None
        return
    pid, uri = store_forks.start(tmp_path_factory.mktemp("store") / "store.sqlite")
    try:
        yield uri
    finally:
        store_forks.stop(pid)


@pytest.fixture(scope="session")
async def scanner(base_settings: Settings) -> AsyncIterator[Scanner]:
    from detectors import DetectorPool

    pool = DetectorPool(base_settings.config_dir, workers=1)
    await pool.start()
    try:
        yield PoolScanner(pool)
    finally:
        await pool.close()


@pytest.fixture(scope="module")
def store_admin(store_uri: str | None) -> Iterator[MongoClient[Any]]:
    """A plain driver connection to the module's store, for dropping tests' databases."""
    client: MongoClient[Any] = MongoClient(store_uri or os.environ["MONGODB_URI"])
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def settings(base_settings: Settings, request: pytest.FixtureRequest) -> Iterator[Settings]:
    """Settings whose store database is unique to this test, dropped after it.

    The embedded store keeps every database's documents in one SQLite table, and each
    MongoDB index as an index over that whole table: every write of any database computes
    an entry for every index of every database in the file (embedded_engine.py). A module
    whose tests each left their database behind made each insert slower than the last
    (4.8 ms beside no other database, 111 ms beside twenty, loaded 2-core machine)."""
    name = "t_" + secrets.token_hex(6)
    # Only where the test has the module's store (a test of settings alone starts none).
    admin: MongoClient[Any] | None = (
        request.getfixturevalue("store_admin") if "store_uri" in request.fixturenames else None
    )
    yield settings_with(base_settings, store={"database": name})
    if admin is not None:
        admin.drop_database(name)


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
