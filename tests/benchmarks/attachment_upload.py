# Chinese text is the data here, on purpose.
# ruff: noqa: RUF001
"""A screenshot over the wire: upload -> message.send -> message.ack, next to bare tesseract.

    .venv/bin/python -m tests.benchmarks.attachment_upload [--images 20]

The real app (`create_app`, as in chat_throughput.py: embedded store child on a temporary
directory, a DetectorPool of 1 worker, served in this process on 127.0.0.1) and, in the
same process, one customer and one agent (who joined the customer's conversation). For
each of `--images` rendered 1000x700 order screenshots (mixed English/Chinese; a third
plain, a third with a phone number and an e-mail address, a third with a card number, so
that the redaction path runs), sequentially:

1. the bare ``tesseract <png> - -l eng+chi_sim --psm <config/detection.toml [documents]>``
   with OMP_THREAD_LIMIT=1 on the picture (the OCR the server's worker does);
2. the customer's ``POST /api/attachments`` (multipart, Bearer token, the conversation) ->
   201, then ``message.send`` kind "image" with the attachment id -> ``message.ack``, then a
   ``ping`` -> ``pong`` (the server handles a socket's frames in order, so the pong means
   everything the message caused is done: message.new to the agent, consent.request).

Interleaved picture by picture, so a neighbour's load hits both alike. One picture (with a
card number) warms everything up first and is not counted. Prints upload-to-ack p50/p99 and
its split (POST -> 201, send -> ack), images/s of the full path (one picture after the
other, upload -> pong) and of the bare command, and their ratio (goal: >= 85 %).

Where the time goes: the server's steps are timed in this process by wrapping them
(module and class attributes replaced for the run and put back; a few microseconds each):
receiving the multipart body, sanitising, the pool's scan and redaction, encryption and the
GridFS writes, the attachment document, and the message path. The load average is printed
at the start and at the end (the figures are only as quiet as the machine).

Everything listens on 127.0.0.1 only, every wait is bounded, and the store child, the
detection pool and the temporary directory are removed on exit. About 2 minutes with
the defaults on 2 cores, a fifth of it the pool's start-up.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp

from chat_service import keys
from chat_service.actions import attachments as attachment_actions
from chat_service.actions import messages as msg_actions
from chat_service.app import create_app
from chat_service.attachments import blobs as blob_module
from chat_service.attachments import intake
from chat_service.auth import Role
from chat_service.http import attachments as http_attachments
from chat_service.scanning import BoxTuple, DocumentResult, PoolScanner
from chat_service.settings import Secret, Settings
from chat_service.storage.attachments import AttachmentStore
from chat_service.storage.crypto import FieldCipher
from chat_service.storage.messages import MessageStore
from tests.benchmarks.chat_throughput import (
    DETECTION_START_TIMEOUT_SECS,
    HOST,
    REPO,
    percentile,
    serve,
    start_store,
    stop_process,
)
from tests.detectors.render import Placed, draw_texts
from tests.helpers.settings import settings_with

if TYPE_CHECKING:
    from detectors.documents import DocumentKind, ImageFormat

GOAL_RATIO = 0.85
WAIT_SECS = 90.0  # any one answer (the scan alone may take scan_timeout_secs = 60 s)
TESSERACT_TIMEOUT_SECS = 60.0

Json = dict[str, Any]

logger = logging.getLogger("attachment_upload")

# --------------------------------------------------------------------------- pictures

VARIANTS = ("plain", "phone", "card")
SURNAMES = "王李张刘陈杨黄赵周吴"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "婷"]
CITIES = ["上海市浦东新区张江路", "北京市海淀区中关村大街", "广州市天河区体育西路"]
PRODUCTS = [
    "Wireless earbuds 无线耳机",
    "Phone case 手机壳",
    "USB-C cable 数据线",
    "Desk lamp 台灯",
    "Water bottle 保温杯",
]


def luhn_card(rng: random.Random) -> str:
    """A 16-digit Visa-like number with a valid check digit, in groups of four."""
    digits = [4] + [rng.randint(0, 9) for _ in range(14)]
    total = 0
    for i, d in enumerate(reversed(digits)):  # the check digit will be to the right
        doubled = d * 2 if i % 2 == 0 else d
        total += doubled - 9 if doubled > 9 else doubled
    digits.append((10 - total % 10) % 10)
    text = "".join(map(str, digits))
    return " ".join(text[i : i + 4] for i in range(0, 16, 4))


def screenshot(index: int, variant: str, rng: random.Random) -> bytes:
    """A 1000x700 order-details screenshot; `variant` decides the personal data on it."""
    texts = [
        Placed(f"Order details 订单详情  NB-2026112600{index:03d}", 40, 30, cjk=True, size=30),
        Placed("Status: shipped 已发货", 40, 85, cjk=True, size=22),
    ]
    top = 140
    for item in rng.sample(PRODUCTS, 3):
        texts += [
            Placed(item, 40, top, cjk=True, size=24),
            Placed(f"x{rng.randint(1, 3)}", 600, top, size=24),
            Placed(f"¥{rng.randint(20, 400)}.00", 760, top, size=24),
        ]
        top += 50
    texts.append(Placed(f"地址：{rng.choice(CITIES)}{rng.randint(1, 999)}号", 40, 330, cjk=True))
    if variant == "phone":
        phone = f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"
        texts += [
            Placed(f"收件人：{rng.choice(SURNAMES)}{rng.choice(GIVEN)}", 40, 390, cjk=True),
            Placed(f"手机：{phone}", 40, 440, cjk=True),
            Placed(f"Email: buyer{index}@example.com", 40, 490, size=24),
        ]
    elif variant == "card":
        texts += [
            Placed("Payment 支付方式: Visa", 40, 390, cjk=True),
            Placed(f"Card {luhn_card(rng)}", 40, 450, size=30),
        ]
    else:
        texts += [
            Placed("Delivery 配送: standard 标准快递", 40, 390, cjk=True),
            Placed("Estimated arrival 预计送达: 3-5 days", 40, 440, cjk=True),
        ]
    texts.append(Placed("Total 合计  ¥523.00", 600, 620, cjk=True, size=28))
    return draw_texts(texts, size=(1000, 700)).data


# --------------------------------------------------------------------------- phase timing


@dataclass(slots=True)
class Phases:
    """Seconds per server step for the picture in flight (one at a time)."""

    current: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, secs: float) -> None:
        self.current[name] = self.current.get(name, 0.0) + secs

    def take(self) -> dict[str, float]:
        taken, self.current = self.current, {}
        return taken


def timed_async[**P, R](
    phases: Phases, name: str, fn: Callable[P, Awaitable[R]]
) -> Callable[P, Awaitable[R]]:
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        started = time.perf_counter()
        try:
            return await fn(*args, **kwargs)
        finally:
            phases.add(name, time.perf_counter() - started)

    return wrapper


def timed_sync[**P, R](phases: Phases, name: str, fn: Callable[P, R]) -> Callable[P, R]:
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            phases.add(name, time.perf_counter() - started)

    return wrapper


@contextlib.contextmanager
def instrumented(phases: Phases) -> Iterator[None]:
    """Wrap the server's steps (names as printed in the breakdown); put them back after."""
    receive = intake.receive_upload

    @contextlib.asynccontextmanager
    async def timed_receive(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        started = time.perf_counter()
        async with receive(*args, **kwargs) as received:
            phases.add("receive", time.perf_counter() - started)
            yield received

    patches: list[tuple[object, str, object]] = [
        (http_attachments, "receive_upload", timed_receive),
        (attachment_actions, "do_upload", None),
        (attachment_actions, "_conversation_for", None),
        (attachment_actions, "read_head", None),
        (attachment_actions, "sanitize", None),
        (blob_module.BlobStore, "put", None),
        (blob_module, "seal", None),
        (FieldCipher, "encrypt", None),
        (AttachmentStore, "put_blob", None),
        (AttachmentStore, "insert", None),
        (msg_actions, "check_send_message", None),
        (msg_actions, "_usable_attachment", None),
        (MessageStore, "insert", None),
        (AttachmentStore, "bind", None),
        (msg_actions, "_settle_original", None),
    ]
    saved: list[tuple[object, str, object]] = []
    try:
        for target, name, replacement in patches:
            original = getattr(target, name)
            saved.append((target, name, original))
            if replacement is None:
                label = f"{getattr(target, '__name__', '?')}.{name}".rsplit(".", 2)
                key = ".".join(label[-2:])
                if asyncio.iscoroutinefunction(original):
                    replacement = timed_async(phases, key, original)
                else:
                    replacement = timed_sync(phases, key, original)
            setattr(target, name, replacement)
        yield
    finally:
        for target, name, original in reversed(saved):
            setattr(target, name, original)


class TimedScanner:
    """The PoolScanner the app gets, with its document calls timed."""

    def __init__(self, inner: PoolScanner, phases: Phases) -> None:
        self._inner = inner
        self._phases = phases

    async def scan(self, text: str, language: str | None, owner: str = "") -> list[dict[str, Any]]:
        return await self._inner.scan(text, language, owner)

    async def scan_document(
        self, kind: DocumentKind, data: bytes, language: str | None
    ) -> DocumentResult:
        started = time.perf_counter()
        try:
            return await self._inner.scan_document(kind, data, language)
        finally:
            self._phases.add("pool.scan_document", time.perf_counter() - started)

    async def redact_image(
        self, data: bytes, boxes: Sequence[BoxTuple], image_format: ImageFormat
    ) -> bytes:
        started = time.perf_counter()
        try:
            return await self._inner.redact_image(data, boxes, image_format)
        finally:
            self._phases.add("pool.redact_image", time.perf_counter() - started)


# Printed in this order; (label, key, indent). The keys are what instrumented() records.
BREAKDOWN: tuple[tuple[str, str, int], ...] = (
    ("POST -> 201 (client)", "client.upload", 0),
    ("receive: multipart -> temp file", "receive", 1),
    ("do_upload", "attachments.do_upload", 1),
    ("conversation check", "attachments._conversation_for", 2),
    ("read head (type sniff)", "attachments.read_head", 2),
    ("sanitise (decode, re-encode PNG)", "attachments.sanitize", 2),
    ("pool scan_document (OCR+detection)", "pool.scan_document", 2),
    ("pool redact_image", "pool.redact_image", 2),
    ("blobs.put (encrypt + GridFS)", "BlobStore.put", 2),
    ("seal AES-256-GCM (thread)", "blobs.seal", 3),
    ("wrap DEK (FieldCipher.encrypt)", "FieldCipher.encrypt", 3),
    ("GridFS write", "AttachmentStore.put_blob", 3),
    ("attachment document insert", "AttachmentStore.insert", 2),
    ("HTTP rest (auth, JSON, client)", "upload.rest", 1),
    ("send -> ack (client)", "client.ack", 0),
    ("check_send_message", "messages.check_send_message", 1),
    ("attachment lookup", "messages._usable_attachment", 2),
    ("message insert", "MessageStore.insert", 2),
    ("bind attachment (while the message is written)", "AttachmentStore.bind", 2),
    ("WS rest (frames, dispatch, client)", "ack.rest", 1),
    ("ack -> pong (publish, consent.request)", "client.after_ack", 0),
    ("settle the original's key (after the ack)", "messages._settle_original", 1),
)


# --------------------------------------------------------------------------- client


class Inbox:
    """Every text frame a socket receives, with its arrival time; an error frame fails the
    benchmark at once."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, name: str) -> None:
        self.name = name
        self.frames: list[tuple[float, Json]] = []
        self.errors: list[Json] = []
        self.changed = asyncio.Condition()
        self.task = asyncio.create_task(self._read(ws), name=f"inbox-{name}")

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                continue
            now = time.perf_counter()
            frame: Json = json.loads(msg.data)
            async with self.changed:
                if frame.get("type") == "error":
                    self.errors.append(frame)
                self.frames.append((now, frame))
                self.changed.notify_all()

    async def expect(self, match: Callable[[Json], bool], what: str) -> tuple[float, Json]:
        try:
            async with asyncio.timeout(WAIT_SECS), self.changed:
                while True:
                    if self.errors:
                        raise RuntimeError(f"{self.name} got an error frame: {self.errors[0]}")
                    for i, (when, frame) in enumerate(self.frames):
                        if match(frame):
                            del self.frames[i]
                            return when, frame
                    if self.task.done():
                        raise RuntimeError(f"{self.name}'s socket closed waiting for {what}")
                    await self.changed.wait()
        except TimeoutError:
            raise RuntimeError(f"{self.name}: no {what} within {WAIT_SECS:g} s") from None

    def clear(self) -> None:
        self.frames.clear()

    async def close(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


def of_type(kind: str, **fields: Any) -> Callable[[Json], bool]:
    return lambda f: f.get("type") == kind and all(f.get(k) == v for k, v in fields.items())


def new_message(message_id: str) -> Callable[[Json], bool]:
    # By id: a message's client_id is shown to its sender only.
    return lambda f: f.get("type") == "message.new" and f["message"].get("id") == message_id


@dataclass(slots=True)
class Sample:
    variant: str
    bare: float  # seconds
    upload: float  # POST -> 201
    ack: float  # send -> message.ack
    agent: float  # send -> the agent's message.new
    after_ack: float  # message.ack -> pong
    findings: int
    sensitive: bool
    status: str
    phases: dict[str, float]

    @property
    def upload_to_ack(self) -> float:
        return self.upload + self.ack

    @property
    def cycle(self) -> float:
        return self.upload + self.ack + self.after_ack


def bare_tesseract(path: Path, languages: str, psm: int) -> float:
    command = [shutil.which("tesseract") or "tesseract", str(path), "-", "-l", languages]
    command += ["--psm", str(psm)]
    started = time.perf_counter()
    subprocess.run(  # noqa: S603  # fixed command, our own file
        command,
        check=True,
        capture_output=True,
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        timeout=TESSERACT_TIMEOUT_SECS,
    )
    return time.perf_counter() - started


class Customer:
    """The customer's HTTP session and socket, the agent's socket, one conversation."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base: str,
        token: str,
        customer: Inbox,
        customer_ws: aiohttp.ClientWebSocketResponse,
        agent: Inbox,
    ) -> None:
        self.session = session
        self.base = base
        self.token = token
        self.inbox = customer
        self.ws = customer_ws
        self.agent = agent
        self.conversation_id = ""
        self.run_id = secrets.token_hex(4)
        self.count = 0

    def client_id(self) -> str:
        self.count += 1
        return f"{self.run_id}-{self.count}"

    async def open(self, agent_ws: aiohttp.ClientWebSocketResponse) -> None:
        """Hello (opens the conversation), the agent joins it."""
        client_id = self.client_id()
        await self.ws.send_str(
            json.dumps(
                {
                    "type": "message.send",
                    "client_id": client_id,
                    "kind": "text",
                    "text": "Hello, here are screenshots of my orders.",
                }
            )
        )
        _, ack = await self.inbox.expect(of_type("message.ack", client_id=client_id), "ack")
        self.conversation_id = ack["conversation_id"]
        await agent_ws.send_str(
            json.dumps({"type": "conversation.join", "conversation_id": self.conversation_id})
        )
        await self.agent.expect(
            of_type("conversation.assigned", conversation_id=self.conversation_id), "assigned"
        )
        await self.settle()

    async def settle(self) -> None:
        """Ping -> pong on both sockets: nothing earlier is still in flight."""
        await self.ws.send_str(json.dumps({"type": "ping"}))
        await self.inbox.expect(of_type("pong"), "pong")
        self.inbox.clear()
        self.agent.clear()

    async def send_picture(
        self, data: bytes, index: int
    ) -> tuple[float, float, float, float, Json]:
        """(POST -> 201, send -> ack, send -> agent's message.new, ack -> pong, 201 body)."""
        form = aiohttp.FormData(quote_fields=False)
        form.add_field("conversation_id", self.conversation_id)
        form.add_field("file", data, filename=f"order-{index}.png", content_type="image/png")
        started = time.perf_counter()
        async with self.session.post(
            f"{self.base}/api/attachments",
            data=form,
            headers={"Authorization": f"Bearer {self.token}"},
        ) as response:
            body: Json = await response.json()
        uploaded = time.perf_counter()
        if response.status != 201:
            raise RuntimeError(f"upload answered {response.status}: {body}")
        client_id = self.client_id()
        sent = time.perf_counter()
        await self.ws.send_str(
            json.dumps(
                {
                    "type": "message.send",
                    "client_id": client_id,
                    "conversation_id": self.conversation_id,
                    "kind": "image",
                    "attachment_id": body["id"],
                }
            )
        )
        acked, ack = await self.inbox.expect(of_type("message.ack", client_id=client_id), "ack")
        await self.ws.send_str(json.dumps({"type": "ping"}))
        ponged, _ = await self.inbox.expect(of_type("pong"), "pong")
        delivered, _ = await self.agent.expect(
            new_message(ack["message_id"]), "agent's message.new"
        )
        self.inbox.clear()
        self.agent.clear()
        return uploaded - started, acked - sent, delivered - sent, ponged - acked, body


# --------------------------------------------------------------------------- run


@contextlib.asynccontextmanager
async def detection_pool() -> AsyncIterator[tuple[PoolScanner, float]]:
    from detectors import DetectorPool

    started = time.perf_counter()
    pool = DetectorPool(REPO / "config", workers=1)
    try:
        async with asyncio.timeout(DETECTION_START_TIMEOUT_SECS):
            await pool.start()
        scanner = PoolScanner(pool)
        await scanner.scan("warm-up: call me at +44 20 7946 0958", None)
        yield scanner, time.perf_counter() - started
    finally:
        await pool.close()


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1/5/15 min) on {os.cpu_count()} CPUs"


async def bench(args: argparse.Namespace) -> list[Sample]:
    from detectors import load_detection_config

    config = load_detection_config(REPO / "config").detection.documents
    languages = "+".join(config.ocr_languages)
    psm = config.ocr_page_segmentation_mode
    rng = random.Random(7)
    warm_picture = screenshot(999, "card", rng)
    pictures = [(VARIANTS[i % 3], screenshot(i, VARIANTS[i % 3], rng)) for i in range(args.images)]
    print(f"load average at start: {load()}", flush=True)
    print(
        f"{args.images} pictures 1000x700 PNG ({', '.join(VARIANTS)} in turn), "
        f"{sum(len(p) for _, p in pictures) / len(pictures) / 1024:.0f} KiB on average; "
        f"tesseract -l {languages} --psm {psm}, OMP_THREAD_LIMIT=1",
        flush=True,
    )
    phases = Phases()
    samples: list[Sample] = []
    with tempfile.TemporaryDirectory(prefix="upload-bench-") as tmp:
        folder = Path(tmp)
        paths = []
        for index, (_, data) in enumerate(pictures):
            paths.append(folder / f"order-{index}.png")
            await asyncio.to_thread(paths[-1].write_bytes, data)
        warm_path = folder / "warm.png"
        await asyncio.to_thread(warm_path.write_bytes, warm_picture)
        store_process, uri = await start_store(folder / "store.sqlite")
        try:
            async with detection_pool() as (pool_scanner, startup):
                print(f"detection pool (1 worker) start-up {startup:.1f} s", flush=True)
                secret = secrets.token_urlsafe(48)
                base = Settings.load(
                    REPO / "config", folder / "data", {"CHAT_SERVICE_SECRET": secret}
                )
                base = base.with_overrides(secret=Secret(secret))
                settings = settings_with(
                    base, store={"database": "bench_upload_" + secrets.token_hex(4)}
                )
                scanner = TimedScanner(pool_scanner, phases)
                app = create_app(settings, store_uri=uri, scanner=scanner)
                tokens = app[keys.TOKENS]
                with instrumented(phases):
                    async with serve(app) as port:
                        samples = await drive(
                            port,
                            tokens,
                            phases,
                            pictures,
                            paths,
                            warm_picture,
                            warm_path,
                            languages,
                            psm,
                        )
        finally:
            await stop_process(store_process)
    return samples


async def drive(
    port: int,
    tokens: Any,
    phases: Phases,
    pictures: list[tuple[str, bytes]],
    paths: list[Path],
    warm_picture: bytes,
    warm_path: Path,
    languages: str,
    psm: int,
) -> list[Sample]:
    customer_token = tokens.issue(Role.CUSTOMER, "cust-upload-bench")
    agent_token = tokens.issue(Role.AGENT, "agent-upload-bench")
    timeout = aiohttp.ClientTimeout(total=WAIT_SECS, connect=10.0)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        ws_base = f"ws://{HOST}:{port}/ws?token="
        customer_ws = await session.ws_connect(ws_base + customer_token, max_msg_size=1 << 20)
        agent_ws = await session.ws_connect(ws_base + agent_token, max_msg_size=1 << 20)
        customer_inbox = Inbox(customer_ws, "customer")
        agent_inbox = Inbox(agent_ws, "agent")
        try:
            await customer_inbox.expect(of_type("hello"), "hello")
            await agent_inbox.expect(of_type("hello"), "hello")
            client = Customer(
                session,
                f"http://{HOST}:{port}",
                customer_token,
                customer_inbox,
                customer_ws,
                agent_inbox,
            )
            await client.open(agent_ws)
            # Warm-up (not counted): tessdata into the page cache, the customer's data key,
            # the redaction path, first store writes of each collection.
            await asyncio.to_thread(bare_tesseract, warm_path, languages, psm)
            *_, warm = await client.send_picture(warm_picture, 999)
            phases.take()
            print(
                f"warm-up picture: status {warm['status']}, sensitive {warm['sensitive']}, "
                f"{sorted({f['entity_type'] for f in warm['findings']})}",
                flush=True,
            )
            samples = []
            for index, ((variant, data), path) in enumerate(zip(pictures, paths, strict=True)):
                bare = await asyncio.to_thread(bare_tesseract, path, languages, psm)
                phases.take()
                upload, ack, agent, after_ack, body = await client.send_picture(data, index)
                samples.append(
                    Sample(
                        variant,
                        bare,
                        upload,
                        ack,
                        agent,
                        after_ack,
                        len(body["findings"]),
                        bool(body["sensitive"]),
                        str(body["status"]),
                        phases.take(),
                    )
                )
                print(
                    f"  [{index + 1}/{len(pictures)}] {variant:<5} bare {bare * 1000:5.0f} ms  "
                    f"upload->ack {(upload + ack) * 1000:5.0f} ms",
                    file=sys.stderr,
                    flush=True,
                )
            return samples
        finally:
            for inbox in (customer_inbox, agent_inbox):
                await inbox.close()
            for ws in (customer_ws, agent_ws):
                with contextlib.suppress(Exception):
                    await ws.close()


# --------------------------------------------------------------------------- report


def ms(values: list[float], q: float) -> str:
    value = percentile([v * 1000.0 for v in values], q)
    return "-" if math.isnan(value) else f"{value:.0f}"


def report(samples: list[Sample], wall: float) -> bool:
    n = len(samples)
    print()
    print("per variant (the 201 answer):")
    for variant in VARIANTS:
        rows = [s for s in samples if s.variant == variant]
        if not rows:
            continue
        statuses = sorted({s.status for s in rows})
        findings = sum(s.findings for s in rows) / len(rows)
        print(
            f"  {variant:<6} n={len(rows):<3} findings/picture {findings:4.1f}"
            f"  sensitive (redacted copy) {sum(s.sensitive for s in rows)}/{len(rows)}"
            f"  status {','.join(statuses)}"
        )
    print()
    header = f"{'':44}{'p50 ms':>8}{'p99 ms':>8}{'mean ms':>9}"
    print(header)
    print("-" * len(header))
    lines: list[tuple[str, list[float]]] = [
        ("upload -> ack (POST start -> message.ack)", [s.upload_to_ack for s in samples]),
        ("  POST /api/attachments -> 201", [s.upload for s in samples]),
        ("  message.send -> message.ack", [s.ack for s in samples]),
        ("message.send -> agent's message.new", [s.agent for s in samples]),
        ("whole cycle (POST start -> pong)", [s.cycle for s in samples]),
        ("bare tesseract (same picture)", [s.bare for s in samples]),
    ]
    for label, values in lines:
        mean = sum(values) / len(values) * 1000.0
        print(f"{label:44}{ms(values, 50):>8}{ms(values, 99):>8}{mean:>9.0f}")

    full_rate = n / sum(s.cycle for s in samples)
    ack_rate = n / sum(s.upload_to_ack for s in samples)
    bare_rate = n / sum(s.bare for s in samples)
    ratio = full_rate / bare_rate
    ok = ratio >= GOAL_RATIO
    print()
    print(f"bare tesseract        {bare_rate:5.2f} images/s (sequential)")
    print(f"full path, 1 worker   {full_rate:5.2f} images/s (sequential, POST start -> pong)")
    print(f"                      {ack_rate:5.2f} images/s counting POST start -> ack only")
    print(
        f"ratio full path / bare tesseract {ratio:.1%} (ack only {ack_rate / bare_rate:.1%}), "
        f"goal >= {GOAL_RATIO:.0%}: {'PASS' if ok else 'FAIL'}"
    )

    print()
    print("where the time goes (server steps timed in-process; mean per picture over all")
    print(f"{n} pictures, p50 over the pictures where the step ran, n = how many):")
    totals: list[dict[str, float]] = []
    for s in samples:
        p = dict(s.phases)
        p["client.upload"] = s.upload
        p["client.ack"] = s.ack
        p["client.after_ack"] = s.after_ack
        p["upload.rest"] = s.upload - p.get("receive", 0.0) - p.get("attachments.do_upload", 0.0)
        p["ack.rest"] = s.ack - p.get("messages.check_send_message", 0.0)
        totals.append(p)
    header = f"{'step':48}{'mean ms':>9}{'p50 ms':>8}{'n':>5}"
    print(header)
    print("-" * len(header))
    for label, key, indent in BREAKDOWN:
        ran = [p[key] for p in totals if key in p]
        mean = sum(ran) / n * 1000.0
        print(f"{'  ' * indent + label:48}{mean:>9.1f}{ms(ran, 50):>8}{len(ran):>5}")
    ocr = [p.get("pool.scan_document", 0.0) for p in totals]
    non_ocr = [s.upload_to_ack - o for s, o in zip(samples, ocr, strict=True)]
    scan_over_bare = [o - s.bare for s, o in zip(samples, ocr, strict=True)]
    print(
        f"upload -> ack minus the pool's scan_document: mean "
        f"{sum(non_ocr) / n * 1000:.0f} ms, p50 {ms(non_ocr, 50)} ms per picture"
    )
    print(
        f"pool scan_document minus bare tesseract (layout, detection, pickling, pytesseract): "
        f"mean {sum(scan_over_bare) / n * 1000:.0f} ms, p50 {ms(scan_over_bare, 50)} ms"
    )
    print(f"load average at end: {load()}")
    print(f"wall time {wall:.0f} s")
    return ok


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.attachment_upload",
        description="Screenshot upload -> message.ack over the wire vs the bare tesseract command.",
    )
    parser.add_argument("--images", type=int, default=20, help="measured pictures (20)")
    args = parser.parse_args(argv)
    if args.images < 1:
        parser.error("--images must be positive")
    return args


async def amain(args: argparse.Namespace) -> int:
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    started = time.monotonic()
    samples = await bench(args)
    report(samples, time.monotonic() - started)
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    return asyncio.run(amain(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
