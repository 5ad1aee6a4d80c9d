"""Several instances on one embedded store (CONTRACT §2): `chat-service store` runs it on
its own, `serve` attaches to a store already running on its --data, and only the process
that started the store stops it."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from chat_service.auth import Role, TokenService
from chat_service.settings import DEV_SECRET, Secret, Settings
from tests.cli.test_cli import REPO, _gone, _reap, _running
from tests.helpers.server import START_SECS, start_serve
from tests.helpers.ws import Peer

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("MONGODB_URI")), reason="exercises the embedded store of --data"
)


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's configuration with one detection worker per serve (half the start)."""
    config = tmp_path_factory.mktemp("config")
    shutil.copytree(REPO / "config", config, dirs_exist_ok=True)
    server = config / "server.toml"
    text = server.read_text(encoding="utf-8")
    assert "\nworkers = 2\n" in text
    server.write_text(text.replace("\nworkers = 2\n", "\nworkers = 1\n"), encoding="utf-8")
    return config


async def spawn_store(data: Path) -> asyncio.subprocess.Process:
    """`chat-service store --data DATA` in a child process (its output piped)."""
    env = {k: v for k, v in os.environ.items() if k != "CHAT_SERVICE_SECRET"}
    return await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "chat_service", "store", "--data", str(data)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )


async def start_store(data: Path) -> tuple[asyncio.subprocess.Process, str]:
    """`chat-service store --data DATA` in a child process, and the URI it prints."""
    process = await spawn_store(data)
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), timeout=START_SECS)).decode()
    assert line.startswith("chat-service store on mongodb://127.0.0.1:"), line
    return process, line.split(" on ", 1)[1].strip()


async def served_url(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), timeout=START_SECS)).decode()
    assert line.startswith("chat-service serving on http://127.0.0.1:"), line
    return line.split(" on ", 1)[1].strip()


async def token(role: Role, sub: str) -> str:
    settings = await asyncio.to_thread(Settings.load, REPO / "config", None, {})
    return TokenService(Secret(DEV_SECRET), settings.config.auth).issue(role, sub)


async def health(session: aiohttp.ClientSession, url: str) -> int:
    async with session.get(url + "/healthz") as response:
        return response.status


async def send(session: aiohttp.ClientSession, url: str, sub: str, text: str) -> str:
    """A customer's message sent over the WebSocket of `url`, acknowledged; its conversation."""
    ws = await session.ws_connect(url + f"/ws?token={await token(Role.CUSTOMER, sub)}")
    customer = Peer(ws, "customer", sub)
    await customer.expect("hello")
    client_id = await customer.send_text(text)
    ack = await customer.expect("message.ack", client_id=client_id)
    await customer.close()
    return str(ack["conversation_id"])


async def history(
    session: aiohttp.ClientSession, url: str, sub: str, conversation: str
) -> list[str]:
    headers = {"Authorization": "Bearer " + await token(Role.CUSTOMER, sub)}
    path = f"/api/conversations/{conversation}/messages"
    async with session.get(url + path, headers=headers) as response:
        assert response.status == 200
        return [m["text"] for m in (await response.json())["messages"]]


def store_children(data: Path) -> list[int]:
    """The pids of the embedded store processes serving `data` (whoever started them)."""
    path = str(data / "store.sqlite").encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        wanted = b"chat_service.storage.embedded_server" in cmdline and path in cmdline
        if wanted and _running(int(entry.name)):
            found.append(int(entry.name))
    return found


async def healthy_again(session: aiohttp.ClientSession, url: str) -> None:
    """Wait for `url`'s /healthz to answer 200 (its driver reconnecting to the store)."""
    async with asyncio.timeout(60):
        while await health(session, url) != 200:  # noqa: ASYNC110  # polls another process
            await asyncio.sleep(0.2)


@pytest.mark.timeout(720)
async def test_when_two_serve_attach_to_a_store_then_they_share_it_and_only_store_stops_it(
    tmp_path: Path, config: Path
) -> None:
    store, uri = await start_store(tmp_path)
    a = b = None
    try:
        a, b = (
            await start_serve(tmp_path, config=config),
            await start_serve(tmp_path, config=config),
        )
        url_a, url_b = await asyncio.gather(served_url(a), served_url(b))
        assert (tmp_path / "store.uri").read_text().strip() == uri  # neither replaced it
        assert len(await asyncio.to_thread(store_children, tmp_path)) == 1
        async with aiohttp.ClientSession() as session:
            assert (await health(session, url_a), await health(session, url_b)) == (200, 200)
            conversation = await send(session, url_a, "cust-1", "sent through A")
            assert await history(session, url_b, "cust-1", conversation) == ["sent through A"]

            # A serve that attached leaves the store running when it stops.
            a.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(a.communicate(), timeout=60)
            assert a.returncode == 0, err.decode()[-2000:]
            assert await health(session, url_b) == 200
            assert (tmp_path / "store.uri").exists()

            # The store child dies; its owner restarts it on the same port; B reconnects.
            [child] = await asyncio.to_thread(store_children, tmp_path)
            os.kill(child, signal.SIGKILL)
            assert await _gone(child)
            await healthy_again(session, url_b)
            conversation = await send(session, url_b, "cust-2", "after the restart")
            assert await history(session, url_b, "cust-2", conversation) == ["after the restart"]

            # SIGTERM to `store` stops it: B sees the store gone (and keeps running).
            store.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(store.communicate(), timeout=60)
            assert store.returncode == 0, err.decode()[-2000:]
            assert not (tmp_path / "store.uri").exists()
            assert await asyncio.to_thread(store_children, tmp_path) == []
            assert await health(session, url_b) == 503
    finally:
        for process in (a, b, store):
            if process is not None:
                await _reap(process)


@pytest.mark.timeout(720)
async def test_when_two_serve_race_on_an_empty_data_dir_then_one_store_runs(
    tmp_path: Path, config: Path
) -> None:
    a, b = await start_serve(tmp_path, config=config), await start_serve(tmp_path, config=config)
    try:
        url_a, url_b = await asyncio.gather(served_url(a), served_url(b))
        assert len(await asyncio.to_thread(store_children, tmp_path)) == 1
        async with aiohttp.ClientSession() as session:
            conversation = await send(session, url_b, "cust-1", "sent through B")
            assert await history(session, url_a, "cust-1", conversation) == ["sent through B"]
    finally:
        await _reap(a)
        await _reap(b)
    # Both killed (kill -9): the store follows its owner, and the lock went with it.
    async with asyncio.timeout(30):
        while await asyncio.to_thread(store_children, tmp_path):  # noqa: ASYNC110  # /proc
            await asyncio.sleep(0.1)


@pytest.mark.timeout(300)
async def test_when_store_uri_is_stale_after_a_kill_then_store_starts_on_its_port(
    tmp_path: Path,
) -> None:
    first, uri = await start_store(tmp_path)
    [child] = await asyncio.to_thread(store_children, tmp_path)
    first.kill()  # no cleanup: store.uri and store.lock stay behind
    await first.communicate()
    assert await _gone(child)  # the child follows its owner
    assert (tmp_path / "store.uri").read_text().strip() == uri
    second, second_uri = await start_store(tmp_path)
    try:
        # Restarted where clients holding the old URI look for it.
        assert second_uri == uri
        assert (tmp_path / "store.uri").read_text().strip() == uri
        assert len(await asyncio.to_thread(store_children, tmp_path)) == 1
        # A second owner is refused while one runs.
        third = await spawn_store(tmp_path)
        _, err = await asyncio.wait_for(third.communicate(), timeout=60)
        assert third.returncode == 1
        assert b"another process runs the store" in err
    finally:
        await _reap(second)
