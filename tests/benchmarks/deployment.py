"""Real processes of a several-instance deployment for the benchmarks (issue 19): one
`chat-service store --data DIR`, one Debian `redis-server`, and `chat-service serve`
instances attached to that store with `REDIS_URL`, as tests/cli/test_instances.py starts
them; plus CPU accounting per process from /proc.

The instances run the repository's configuration with one detection worker each and the
per-customer flood limits lifted (load, not abuse: the benchmarks' customers send faster
than a person may).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from chat_service.auth import Role, TokenService
from chat_service.settings import DEV_SECRET, Secret, Settings
from tests.benchmarks.chat_throughput import _proc_stat, running
from tests.cli.test_cli_store import spawn_store
from tests.helpers.ports import free_port
from tests.helpers.redis import RedisServer
from tests.helpers.server import start_serve

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECS = 300.0
STOP_TIMEOUT_SECS = 15.0
CPU_SAMPLE_SECS = 0.2

# Load, not abuse: the same limits chat_throughput.py lifts for its in-process app.
LIFTED_LIMITS = {
    "frames_per_sec": "1000000.0",
    "frame_burst": "1000000",
    "rate_violations_before_close": "1000000",
    "messages_per_sec": "1000000.0",
    "message_burst": "1000000",
    "frames_in_flight_per_customer": "1000",
    "send_queue_frames": "100000",
    "conversations_per_hour": "1000000",
    "workers": "1",
}


def bench_config(into: Path) -> Path:
    """The repository's configuration with LIFTED_LIMITS, in `into`/config."""
    config = into / "config"
    shutil.copytree(REPO / "config", config)
    path = config / "server.toml"
    text = path.read_text(encoding="utf-8")
    for key, value in LIFTED_LIMITS.items():
        text, count = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", text)
        assert count == 1, f"{key} not found once in server.toml"
    path.write_text(text, encoding="utf-8")
    return config


class Tokens:
    """Tokens the instances accept (`serve` without CHAT_SERVICE_SECRET: the dev secret)."""

    def __init__(self) -> None:
        settings = Settings.load(REPO / "config", None, {})
        self._service = TokenService(Secret(DEV_SECRET), settings.config.auth)

    def issue(self, role: Role, sub: str) -> str:
        return self._service.issue(role, sub, 7200)


class Instance:
    """One `chat-service serve` child: its URLs; its log kept (a full pipe would stall it)."""

    def __init__(self, name: str, process: asyncio.subprocess.Process) -> None:
        self.name = name
        self.process = process
        self.log = bytearray()
        assert process.stderr is not None
        self._drain = asyncio.create_task(self._collect(process.stderr))
        self.url = self.ws_url = self.metrics_url = ""

    async def _collect(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(65536):
            self.log += chunk

    async def started(self) -> Instance:
        assert self.process.stdout is not None
        try:
            async with asyncio.timeout(START_TIMEOUT_SECS):
                first = (await self.process.stdout.readline()).decode()
                second = (await self.process.stdout.readline()).decode()
        except TimeoutError:
            raise RuntimeError(f"{self.name} did not start: {self.log.decode()[-2000:]}") from None
        if not first.startswith("chat-service serving on "):
            raise RuntimeError(f"{self.name} did not start: {self.log.decode()[-2000:]}")
        self.url = first.split(" on ", 1)[1].strip()
        self.ws_url = self.url.replace("http://", "ws://", 1) + "/ws?token="
        self.metrics_url = second.split(" on ", 1)[1].strip()
        return self

    def kill(self) -> None:
        """SIGKILL: no goodbye to clients, store or Redis, as when the machine dies."""
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(STOP_TIMEOUT_SECS):
                    await self.process.wait()
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        self._drain.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._drain


@dataclass
class Deployment:
    """A store, a Redis and the instances started on them so far."""

    data: Path
    config: Path
    store: asyncio.subprocess.Process
    store_uri: str
    redis: RedisServer
    instances: list[Instance] = field(default_factory=list)
    profile_dir: Path | None = None  # instances under profiled_serve.py, files written here

    async def start_instance(self, name: str) -> Instance:
        env = {"REDIS_URL": self.redis.url}
        module = "chat_service"
        if self.profile_dir is not None:
            env["PROFILE_PREFIX"] = str(self.profile_dir / name)
            module = "tests.benchmarks.profiled_serve"
        process = await start_serve(self.data, config=self.config, env=env, module=module)
        instance = Instance(name, process)
        self.instances.append(instance)
        return await instance.started()

    def signal_instances(self, signum: int) -> None:
        """With `profile_dir`: send `signum` to every live instance (profiled_serve.py:
        SIGUSR1 starts a profile, SIGUSR2 writes it); without, nothing (it would kill them)."""
        if self.profile_dir is None:
            return
        for instance in self.instances:
            if instance.process.returncode is None:
                instance.process.send_signal(signum)

    def pids(self) -> dict[str, int]:
        """The processes whose CPU is accounted: store, redis, each live instance."""
        pids = {"store": self.store.pid}
        if self.redis.pid is not None:
            pids["redis"] = self.redis.pid
        pids.update((i.name, i.process.pid) for i in self.instances if i.process.returncode is None)
        return pids


@contextlib.asynccontextmanager
async def deployment(tmp: Path, profile_dir: Path | None = None) -> AsyncIterator[Deployment]:
    """`chat-service store --data tmp/data` and a redis-server; the instances started on
    them are stopped, then Redis and the store, on the way out. With `profile_dir`, the
    instances run under profiled_serve.py."""
    data = tmp / "data"
    config = bench_config(tmp)
    store = await spawn_store(data)
    assert store.stdout is not None
    redis: RedisServer | None = None
    dep: Deployment | None = None
    try:
        line = (await asyncio.wait_for(store.stdout.readline(), START_TIMEOUT_SECS)).decode()
        if not line.startswith("chat-service store on "):
            raise RuntimeError(f"the store did not start: {line!r}")
        redis = RedisServer(free_port())
        await redis.start()
        dep = Deployment(
            data, config, store, line.split(" on ", 1)[1].strip(), redis, profile_dir=profile_dir
        )
        yield dep
    finally:
        if dep is not None:
            for instance in dep.instances:
                await instance.stop()
        if redis is not None:
            await redis.kill()
        if store.returncode is None:
            store.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(STOP_TIMEOUT_SECS * 2):
                    await store.wait()
            except TimeoutError:
                store.kill()
                await store.wait()


# --------------------------------------------------------------------------- CPU accounting


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its live descendants (an instance's detection worker)."""
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        stat = _proc_stat(current)
        if stat is None:
            continue
        total += stat[1] + stat[2]
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(c) for c in (task / "children").read_text().split())
    return total


def loadgen_cpu() -> float:
    """CPU of this process's reaped children: the load generators once they have exited."""
    stat = _proc_stat(os.getpid())
    return 0.0 if stat is None else stat[2]


type CpuSamples = list[tuple[float, dict[str, float]]]


@contextlib.asynccontextmanager
async def cpu_sampler(pids: dict[str, int]) -> AsyncIterator[CpuSamples]:
    """(time.monotonic(), CPU seconds per named process tree) every CPU_SAMPLE_SECS."""
    samples: CpuSamples = []

    async def sample() -> None:
        while True:
            totals = await asyncio.to_thread(lambda: {n: tree_cpu(p) for n, p in pids.items()})
            samples.append((time.monotonic(), totals))
            await asyncio.sleep(CPU_SAMPLE_SECS)

    async with running(sample(), "cpu-sampler"):
        yield samples


def cpu_between(samples: CpuSamples, start: float, end: float) -> tuple[float, dict[str, float]]:
    """(seconds, CPU seconds per process) over the samples spanning [start, end]."""
    before = [s for s in samples if s[0] <= start] or samples[:1]
    after = [s for s in samples if s[0] >= end] or samples[-1:]
    first, last = before[-1], after[0]
    return last[0] - first[0], {k: last[1][k] - first[1].get(k, 0.0) for k in last[1]}


def load_average() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())
