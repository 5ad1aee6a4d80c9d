"""Upload amplification and export memory (issue 16, items 5 and 7): the server's process
tree RSS under pixel bombs and concurrent exports.

    .venv/bin/python -m tests.benchmarks.abuse_uploads [--repo DIR] [--bombs 6,12] \
        [--exports 10] [--skip-exports] [--skip-bombs]

Starts ``python -m chat_service serve`` from ``--repo`` (default: this checkout; point it at
a temporary clone of an older commit to measure "before") on 127.0.0.1 with a fresh data
directory, and samples the RSS of its whole process tree (server, embedded store child,
detection workers, Tesseract) every 20 ms from /proc. Phases, one after the other:

1. pixel bombs: for each N in ``--bombs``, N customers each upload a 6000x6000 RGBA PNG of
   zeros (~140 KB on the wire, 144 MB of pixels) at the same moment. Prints the tree's RSS
   before, its peak, and its residual 3 s after the last answer, and the answers' statuses.
2. exports: one customer holds ~63 MB of files (seven 9 MB PDFs); ``--exports`` requests
   of their export are made at once (each body read in full and dropped), then as many one
   after the other. Prints the same three figures, the statuses and the size of one export.

Everything listens on 127.0.0.1; every wait is bounded; the server is stopped (SIGTERM,
then SIGKILL) and the data directory removed on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import aiohttp
from fpdf import FPDF
from PIL import Image

from chat_service.auth import Role, TokenService
from chat_service.settings import Secret, Settings

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
START_TIMEOUT_SECS = 180.0
REQUEST_TIMEOUT_SECS = 600.0
SAMPLE_SECS = 0.02
SETTLE_SECS = 3.0
PAGE_SIZE = 4096
EXPORT_PDFS = 7


def tree_pids(root: int) -> list[int]:
    pids, stack = [], [root]
    while stack:
        pid = stack.pop()
        pids.append(pid)
        try:
            for task in Path(f"/proc/{pid}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return pids


def tree_rss_mb(root: int) -> float:
    total = 0
    for pid in tree_pids(root):
        try:
            fields = Path(f"/proc/{pid}/statm").read_text().split()
        except OSError:
            continue
        total += int(fields[1]) * PAGE_SIZE
    return total / 2**20


class Sampler:
    def __init__(self, root: int) -> None:
        self.root = root
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_mb(self.root))
            time.sleep(SAMPLE_SECS)

    def __enter__(self) -> Sampler:
        self.peak = tree_rss_mb(self.root)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def server(repo: Path, data: Path, secret: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    port = free_port()
    env = {**os.environ, "CHAT_SERVICE_SECRET": secret, "PYTHONPATH": str(repo)}
    env.pop("MONGODB_URI", None)
    process = subprocess.Popen(  # noqa: S603  # our own module, fixed arguments
        [
            *(sys.executable, "-m", "chat_service", "serve", "--host", HOST, "--port", str(port)),
            *("--data", str(data), "--config", str(repo / "config"), "--log-level", "WARNING"),
        ],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT_SECS
        line = ""
        while "serving on" not in line and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                raise RuntimeError("the server did not start")
        if "serving on" not in line:
            raise RuntimeError("the server did not start in time")
        yield process, f"http://{HOST}:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            for pid in reversed(tree_pids(process.pid)):
                with suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            process.wait(timeout=10)


def pixel_bomb() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (6000, 6000), (0, 0, 0, 0)).save(out, "PNG")
    return out.getvalue()


def big_pdf(seed: int, target_bytes: int = 9 * 2**20) -> bytes:
    """A one-page PDF carrying a noise JPEG of about `target_bytes` (no text: quick to scan)."""
    rng = random.Random(seed)
    side = 2400
    noise = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    picture = io.BytesIO()
    noise.save(picture, "JPEG", quality=95)
    doc = FPDF()
    doc.add_page()
    doc.image(io.BytesIO(picture.getvalue()), x=10, y=10, w=150)
    data = bytes(doc.output())
    return data[: max(len(data), target_bytes)]


async def upload(
    session: aiohttp.ClientSession, url: str, token: str, data: bytes, name: str, ctype: str
) -> int:
    form = aiohttp.FormData()
    form.add_field("file", data, filename=name, content_type=ctype)
    async with session.post(
        f"{url}/api/attachments", data=form, headers={"Authorization": f"Bearer {token}"}
    ) as response:
        await response.read()
        return response.status


async def export(session: aiohttp.ClientSession, url: str, token: str, customer: str) -> int:
    size = 0
    async with session.get(
        f"{url}/api/privacy/customers/{customer}/export",
        headers={"Authorization": f"Bearer {token}"},
    ) as response:
        async for chunk in response.content.iter_chunked(1 << 16):
            size += len(chunk)
        return size if response.status == 200 else -response.status


def report(title: str, before: float, peak: float, after: float, extra: str) -> None:
    print(
        f"{title:<28} before {before:7.0f} MB  peak {peak:7.0f} MB (+{peak - before:5.0f})  "
        f"residual {after:7.0f} MB (+{after - before:5.0f})  {extra}",
        flush=True,
    )


async def bombs(root: int, url: str, tokens: TokenService, count: int) -> None:
    data = pixel_bomb()
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECS)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await asyncio.sleep(SETTLE_SECS)
        before = tree_rss_mb(root)
        with Sampler(root) as sampler:
            statuses = await asyncio.gather(
                *(
                    upload(
                        session,
                        url,
                        tokens.issue(Role.CUSTOMER, f"bomb-{count}-{i}"),
                        data,
                        "zeros.png",
                        "image/png",
                    )
                    for i in range(count)
                )
            )
            await asyncio.sleep(SETTLE_SECS)
        after = tree_rss_mb(root)
    counted = {s: statuses.count(s) for s in sorted(set(statuses))}
    report(
        f"{count} pixel bombs ({len(data) // 1024} KB)", before, sampler.peak, after, str(counted)
    )


async def exports(root: int, url: str, tokens: TokenService, count: int) -> None:
    customer = "exporter-1"
    token = tokens.issue(Role.CUSTOMER, customer)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECS)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for seed in range(EXPORT_PDFS):
            status = await upload(
                session, url, token, big_pdf(seed), f"scan{seed}.pdf", "application/pdf"
            )
            if status != 201:
                print(f"upload of the export's files answered {status}", flush=True)
        await asyncio.sleep(SETTLE_SECS)
        before = tree_rss_mb(root)
        with Sampler(root) as sampler:
            sizes = await asyncio.gather(
                *(export(session, url, token, customer) for _ in range(count))
            )
            await asyncio.sleep(SETTLE_SECS)
        after = tree_rss_mb(root)
        report(f"{count} concurrent exports", before, sampler.peak, after, _answers(sizes))
        before = tree_rss_mb(root)
        with Sampler(root) as sampler:
            sizes = [await export(session, url, token, customer) for _ in range(count)]
            await asyncio.sleep(SETTLE_SECS)
        after = tree_rss_mb(root)
        report(f"{count} exports one by one", before, sampler.peak, after, _answers(sizes))


def _answers(sizes: list[int]) -> str:
    ok = [s for s in sizes if s > 0]
    failed = {-s: sum(1 for t in sizes if t == s) for s in set(sizes) if s <= 0}
    shown = f"{len(ok)} x {ok[0] / 2**20:.0f} MB answered" if ok else "none answered"
    return f"{shown} {failed or ''}"


async def main_async(args: argparse.Namespace) -> None:
    secret = "bench-" + secrets.token_hex(24)
    # Only the token settings ([auth]), the same in every version: this checkout's.
    settings = Settings.load(REPO / "config", Path(tempfile.gettempdir()), {})
    tokens = TokenService(Secret(secret), settings.config.auth)
    data = Path(tempfile.mkdtemp(prefix="abuse-uploads-"))
    try:
        with server(args.repo, data, secret) as (process, url):
            print(f"server from {args.repo}: tree {tree_rss_mb(process.pid):.0f} MB", flush=True)
            for count in [] if args.skip_bombs else args.bombs:
                await bombs(process.pid, url, tokens, count)
            if not args.skip_exports:
                await exports(process.pid, url, tokens, args.exports)
    finally:
        shutil.rmtree(data, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--repo", type=Path, default=REPO)
    parser.add_argument("--bombs", type=lambda s: [int(x) for x in s.split(",")], default=[6, 12])
    parser.add_argument("--exports", type=int, default=10)
    parser.add_argument("--skip-exports", action="store_true")
    parser.add_argument("--skip-bombs", action="store_true")
    args: Any = parser.parse_args(argv)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
