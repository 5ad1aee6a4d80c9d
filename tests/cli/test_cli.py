"""`chat-service serve` and `chat-service token` as an operator runs them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from chat_service.auth import Role, TokenService
from chat_service.gc_pauses import (
    MIDDLE_THRESHOLD_COLLECTIONS,
    OLD_THRESHOLD_COLLECTIONS,
    YOUNG_THRESHOLD_OBJECTS,
)
from chat_service.settings import DEV_SECRET, Secret, Settings
from tests.helpers.server import START_SECS, start_serve

REPO = Path(__file__).resolve().parents[2]


async def run_cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "chat_service",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_token_command_prints_a_token_the_server_accepts() -> None:
    env = {"CHAT_SERVICE_SECRET": "s" * 40}
    code, out, _ = await run_cli(
        "token", "--role", "agent", "--sub", "agent-7", "--ttl", "60", env=env
    )
    assert code == 0
    settings = await asyncio.to_thread(Settings.load, REPO / "config", None, env)
    identity = TokenService(Secret("s" * 40), settings.config.auth).verify(out.strip())
    assert (identity.role, identity.sub) == (Role.AGENT, "agent-7")


async def test_token_command_refuses_an_unknown_role() -> None:
    code, _, err = await run_cli("token", "--role", "admin", "--sub", "x")
    assert code == 2
    assert "invalid choice" in err


async def test_when_serving_off_loopback_without_a_secret_then_it_refuses_to_start() -> None:
    env = {k: v for k, v in os.environ.items() if k != "CHAT_SERVICE_SECRET"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "chat_service",
        "serve",
        "--host",
        "0.0.0.0",  # noqa: S104  # refused before binding: that is the test
        "--port",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    _, err = await process.communicate()
    assert process.returncode == 2
    assert b"CHAT_SERVICE_SECRET is required" in err


@pytest.mark.skipif(bool(os.environ.get("MONGODB_URI")), reason="exercises the embedded store")
@pytest.mark.timeout(START_SECS + 120)
async def test_serve_prints_its_url_serves_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    process = await start_serve(tmp_path)
    assert process.stdout is not None
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), timeout=START_SECS)).decode()
        assert line.startswith("chat-service serving on http://127.0.0.1:")
        url = line.split(" on ", 1)[1].strip()
        line = (await asyncio.wait_for(process.stdout.readline(), timeout=10)).decode()
        assert line.startswith("chat-service metrics on http://127.0.0.1:")
        metrics_url = line.split(" on ", 1)[1].strip()
        assert metrics_url.endswith("/metrics") and not metrics_url.startswith(url + "/")
        assert (tmp_path / "store.uri").exists()
        settings = await asyncio.to_thread(Settings.load, REPO / "config", None, {})
        token = TokenService(Secret(DEV_SECRET), settings.config.auth).issue(Role.CUSTOMER, "c1")
        async with aiohttp.ClientSession() as session:
            async with session.get(url + "/healthz") as response:
                assert response.status == 200
                assert await response.json() == {
                    "status": "ok",
                    "store": "embedded",
                    "fanout": "local",
                }
            async with session.get(metrics_url) as response:
                assert response.status == 200
                scraped = await response.text()
                assert "chat_store_up 1.0" in scraped
                # start-up's objects were frozen out of garbage collection (gc_pauses.py)
                frozen = re.search(r"^chat_gc_frozen_objects (\S+)$", scraped, re.M)
                assert frozen is not None and float(frozen.group(1)) > 10_000, scraped[-2000:]
                # young collections due sooner, full ones rarer (gc_pauses.py)
                thresholds = [
                    re.search(rf'^chat_gc_threshold{{generation="{g}"}} (\S+)$', scraped, re.M)
                    for g in range(3)
                ]
                assert [float(t.group(1)) if t else None for t in thresholds] == [
                    YOUNG_THRESHOLD_OBJECTS,
                    MIDDLE_THRESHOLD_COLLECTIONS,
                    OLD_THRESHOLD_COLLECTIONS,
                ], scraped[-2000:]
            async with session.get(url + "/metrics") as response:
                assert response.status == 404  # not on the public port
            ws = await session.ws_connect(url + f"/ws?token={token}")
            assert (await ws.receive_json(timeout=10))["type"] == "hello"
            # A data command attaches to the running server's store instead of starting one.
            code, out, problem = await run_cli("privacy", "report", "--data", str(tmp_path))
            assert code == 0, problem
            assert json.loads(out)["format"] == "chat-service.privacy-report"
            assert (tmp_path / "store.uri").exists()  # still the server's store, still up
            async with session.get(url + "/healthz") as response:
                assert response.status == 200
            process.send_signal(signal.SIGTERM)
            closing = await ws.receive(timeout=20)
            assert closing.type is aiohttp.WSMsgType.CLOSE
            assert ws.close_code == 1001  # going away
        _, err = await asyncio.wait_for(process.communicate(), timeout=30)
        assert process.returncode == 0, err.decode()[-2000:]
        assert not (tmp_path / "store.uri").exists()
    finally:
        await _reap(process)


@pytest.mark.skipif(bool(os.environ.get("MONGODB_URI")), reason="exercises the embedded store")
async def test_when_stopped_while_starting_then_it_exits_cleanly_and_its_store_stops(
    tmp_path: Path,
) -> None:
    """SIGTERM while the detection workers load (seconds after the store child started)."""
    process = await start_serve(tmp_path)
    try:
        store_pid = await _store_child(process.pid, tmp_path)
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 0, err.decode()[-2000:]
        assert await _gone(store_pid), "the embedded store outlived the server"
        assert not (tmp_path / "store.uri").exists()
    finally:
        await _reap(process)


@pytest.mark.skipif(bool(os.environ.get("MONGODB_URI")), reason="exercises the embedded store")
@pytest.mark.timeout(START_SECS + 120)
async def test_when_the_server_is_killed_then_its_store_stops_by_itself(tmp_path: Path) -> None:
    process = await start_serve(tmp_path)
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), timeout=START_SECS)).decode()
        assert line.startswith("chat-service serving on ")
        store_pid = await _store_child(process.pid, tmp_path)
        process.kill()  # no cleanup runs: out of memory, or kill -9
        # Its output pipes end once every process holding them (its detection workers) exits.
        await asyncio.wait_for(process.communicate(), timeout=30)
        assert await _gone(store_pid), "the embedded store outlived the killed server"
    finally:
        await _reap(process)


async def _store_child(server_pid: int, data: Path) -> int:
    """The embedded store child's pid, once it has written `store.uri`."""
    uri_file = data / "store.uri"
    async with asyncio.timeout(60):
        while not await asyncio.to_thread(uri_file.exists):  # noqa: ASYNC110  # polls a file
            await asyncio.sleep(0.05)
    pid = await asyncio.to_thread(_child_running, server_pid, b"embedded_server")
    assert pid is not None, "no embedded store child found"
    return pid


async def _gone(pid: int) -> bool:
    """Whether `pid` exits within 20 s."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(20):
            while await asyncio.to_thread(_running, pid):  # noqa: ASYNC110  # polls /proc
                await asyncio.sleep(0.1)
            return True
    return False


def _child_running(parent: int, command_part: bytes) -> int | None:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2 :].split()[1]) == parent and command_part in cmdline:
            return int(entry.name)
    return None


def _running(pid: int) -> bool:
    """Alive and not a zombie (an exited child of a live parent that has not reaped it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2 :].split()[0] != "Z"


async def _reap(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.kill()
        await process.wait()


async def test_when_token_command_gets_name_and_profile_then_the_server_reads_them() -> None:
    env = {"CHAT_SERVICE_SECRET": "s" * 40}
    code, out, _ = await run_cli(
        "token", "--role", "customer", "--sub", "cust-9", "--name", "李雷",
        "--profile", "order=A-1001", "--profile", "note=a=b", env=env,
    )  # fmt: skip
    assert code == 0
    settings = await asyncio.to_thread(Settings.load, REPO / "config", None, env)
    identity = TokenService(Secret("s" * 40), settings.config.auth).verify(out.strip())
    assert identity.name == "李雷"
    assert identity.profile == {"order": "A-1001", "note": "a=b"}


async def test_when_token_command_gets_a_malformed_profile_then_it_refuses() -> None:
    for bad in ("no-equals-sign", "<b>=x", "order="):
        code, out, err = await run_cli(
            "token", "--role", "customer", "--sub", "c", "--profile", bad,
            env={"CHAT_SERVICE_SECRET": "s" * 40},
        )  # fmt: skip
        assert (code, out) == (2, ""), bad
        assert "profile" in err, bad
