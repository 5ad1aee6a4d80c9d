"""What the browser pages add to a message's trip: customer presses send in the widget ->
the message is painted in the agent's console, beside the same trip between two raw
WebSocket clients, in one run against one server.

    .venv/bin/python -m tests.benchmarks.page_latency [--messages 200] [--warmup 10]

The server is `chat-service serve` in a child process (its own embedded store and a
detection pool with one worker, in a temporary data directory, on a free loopback port),
so neither the browser driver nor the raw clients share its event loop. This process runs:

- pages: Debian's Chromium (Playwright) with the widget (customer `bench-page-c`) and the
  console (agent `bench-page-a`, who joined the conversation). In the widget a capturing
  click listener on the send button notes the press time; in the console a
  MutationObserver notes, for each new customer message, the time of the first frame
  after it was added (requestAnimationFrame, then the next task: after that frame was
  painted). Both are `performance.timeOrigin + performance.now()` (the same wall clock).
  In the console an init script (before the console's own script) also notes when each
  message.new frame reached the page's socket, which splits the console's side.
- raw: two aiohttp WebSocket clients (customer `bench-raw-c`, agent `bench-raw-a`, joined):
  time from `send_str` to the agent's `message.new`.
- raw in Chromium: two pages of the server's origin that run no product script, each with
  a bare WebSocket (`bench-braw-c`, `bench-braw-a`): send -> the agent page's message
  event, so the browser's own socket cost is seen apart from the pages'.

Raw, raw-in-Chromium and page messages alternate one by one, so all see the same store
size. Each message waits for the previous one to arrive, and a round (one message of
each) takes at least 1.25 / `[limits] messages_per_sec` seconds (0.25 s): each of the three
is one customer, and a faster run exhausts that customer's message burst and has a
message refused (`rate_limited`) midway. Goal: the pages add under 30 ms
p50 over the raw (aiohttp) path.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from playwright.async_api import Page, async_playwright

from chat_service.auth import Role, TokenService
from chat_service.settings import Secret, Settings
from tests.benchmarks.chat_throughput import percentile, stop_process
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
START_TIMEOUT_SECS = 180.0
STEP_TIMEOUT_SECS = 30.0
GOAL_ADDED_P50_MS = 30.0
TEXT = "Bench message {n}: when will order 7731 arrive at the shop?"

PRESS_HOOK = """() => {
    window.__pressed = {};
    window.__sent = {};
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (data) {
        const frame = JSON.parse(data);
        if (frame.type === "message.send") {
            window.__sent[frame.text] = performance.timeOrigin + performance.now();
        }
        return send.call(this, data);
    };
    const root = document.getElementById("chat-service-widget").shadowRoot;
    const input = root.querySelector("[data-testid=chat-input]");
    root.querySelector("[data-testid=chat-send]").addEventListener("click", () => {
        window.__pressed[input.value] = performance.timeOrigin + performance.now();
    }, {capture: true});
}"""
RECEIVE_HOOK = """(() => {
    // Before the console's own script: every socket notes when a message.new frame
    // arrived (its listener is registered first, so it runs before the console's).
    window.__received = {};
    const Native = WebSocket;
    window.WebSocket = class extends Native {
        constructor(...args) {
            super(...args);
            super.addEventListener("message", (event) => {
                const now = performance.timeOrigin + performance.now();
                const frame = JSON.parse(event.data);
                if (frame.type === "message.new" && frame.message.text) {
                    window.__received[frame.message.text] = now;
                }
            });
        }
    };
})();"""
BROWSER_RAW_OPEN = """async ([url, token, role]) => {
    // A bare WebSocket in a page that runs none of the product's scripts.
    const ws = new WebSocket(url, ["chat-service.v1", "bearer." + token]);
    const frames = [];
    const waiters = [];
    ws.addEventListener("message", (event) => {
        const now = performance.timeOrigin + performance.now();
        const frame = JSON.parse(event.data);
        for (const w of waiters.splice(0)) if (!w(frame, now)) waiters.push(w);
        frames.push(frame);
    });
    window.__raw = {
        ws,
        next(test) {
            return new Promise((resolve) => {
                waiters.push((frame, now) => test(frame) ? (resolve([frame, now]), true) : false);
            });
        },
    };
    await window.__raw.next((f) => f.type === "hello");
    return role;
}"""
PAINT_HOOK = """() => {
    window.__painted = {};
    window.__inserted = {};
    const channel = new MessageChannel();
    const waiting = [];
    channel.port1.onmessage = () => {
        const now = performance.timeOrigin + performance.now();
        for (const text of waiting.splice(0)) {
            if (!(text in window.__painted)) window.__painted[text] = now;
        }
    };
    new MutationObserver((records) => {
        const added = [];
        for (const r of records) for (const node of r.addedNodes) {
            if (node.nodeType === 1 && node.matches("[data-testid=chat-message].msg--theirs")) {
                added.push(node.querySelector(".msg__body").textContent);
            }
        }
        if (!added.length) return;
        const inserted = performance.timeOrigin + performance.now();
        for (const text of added) window.__inserted[text] = inserted;
        requestAnimationFrame(() => {
            waiting.push(...added);
            channel.port2.postMessage(0);
        });
    }).observe(document.body, {childList: true, subtree: true});
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


_DRAINS: set[asyncio.Task[None]] = set()


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.read(65536):
        pass


async def start_server(data_dir: Path, port: int, secret: str) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "CHAT_SERVICE_SECRET": secret,
        "CHAT_SERVICE_ALLOWED_ORIGINS": f"http://{HOST}:{port}",
    }
    process = await asyncio.create_subprocess_exec(
        str(REPO / ".venv" / "bin" / "chat-service"),
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--data",
        str(data_dir),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env=env,
        cwd=REPO,
    )
    assert process.stdout is not None
    async with asyncio.timeout(START_TIMEOUT_SECS):
        while True:
            line = (await process.stdout.readline()).decode()
            if not line:
                raise RuntimeError("chat-service serve exited before serving")
            if "serving on" in line:
                break
        # The server goes on logging to stdout: read it to the end, or once the pipe's
        # buffer is full the server blocks on its next log line (a stall mid-run).
        _DRAINS.add(asyncio.get_running_loop().create_task(_drain(process.stdout)))
        async with aiohttp.ClientSession() as session:  # wait until detection answers
            while True:
                async with session.get(f"http://{HOST}:{port}/healthz") as response:
                    if response.status == 200:
                        return process
                await asyncio.sleep(0.2)


class RawPair:
    """A customer and an agent socket in one joined conversation."""

    def __init__(self, session: aiohttp.ClientSession, url: str, tokens: TokenService) -> None:
        self.session = session
        self.url = url
        self.tokens = tokens

    async def open(self) -> None:
        customer_token = self.tokens.issue(Role.CUSTOMER, "bench-raw-c")
        agent_token = self.tokens.issue(Role.AGENT, "bench-raw-a")
        self.agent = await self.session.ws_connect(
            self.url, protocols=("chat-service.v1", "bearer." + agent_token)
        )
        self.customer = await self.session.ws_connect(
            self.url, protocols=("chat-service.v1", "bearer." + customer_token)
        )
        await self.until(self.agent, "hello")
        await self.until(self.customer, "hello")
        await self.customer.send_json(
            {"type": "message.send", "client_id": "open", "kind": "text", "text": "Hello"}
        )
        ack = await self.until(self.customer, "message.ack")
        self.conversation_id = ack["conversation_id"]
        await self.agent.send_json(
            {"type": "conversation.join", "conversation_id": self.conversation_id}
        )
        await self.until(self.agent, "conversation.assigned")

    @staticmethod
    async def until(ws: aiohttp.ClientWebSocketResponse, kind: str, **match: Any) -> Any:
        async with asyncio.timeout(STEP_TIMEOUT_SECS):
            while True:
                frame = json.loads((await ws.receive()).data)
                if frame["type"] == kind and all(
                    frame.get("message", {}).get(k) == v for k, v in match.items()
                ):
                    return frame

    async def one(self, n: int) -> float:
        text = TEXT.format(n=n)
        started = time.perf_counter()
        await self.customer.send_json(
            {
                "type": "message.send",
                "client_id": f"raw-{n}",
                "conversation_id": self.conversation_id,
                "kind": "text",
                "text": text,
            }
        )
        await self.until(self.agent, "message.new", text=text)
        elapsed = (time.perf_counter() - started) * 1000
        # Read the customer's socket too: aiohttp answers the server's heartbeat pings only
        # on a socket being read, and the server closes one that stops answering (a run of
        # 210 messages outlasts the heartbeat: the customer's later sends went nowhere).
        await self.until(self.customer, "message.ack")
        return elapsed


class BrowserRawPair:
    """The raw pair's trip with the browser's own sockets: two pages of Chromium that run
    none of the product's scripts, each with a bare WebSocket (send -> message event)."""

    def __init__(self, customer: Page, agent: Page, url: str, tokens: TokenService) -> None:
        self.customer = customer
        self.agent = agent
        self.url = url
        self.tokens = tokens

    async def open(self) -> None:
        await self.agent.evaluate(
            BROWSER_RAW_OPEN, [self.url, self.tokens.issue(Role.AGENT, "bench-braw-a"), "a"]
        )
        await self.customer.evaluate(
            BROWSER_RAW_OPEN, [self.url, self.tokens.issue(Role.CUSTOMER, "bench-braw-c"), "c"]
        )
        self.conversation_id = await self.customer.evaluate(
            """async () => {
                const ack = window.__raw.next((f) => f.type === "message.ack");
                window.__raw.ws.send(JSON.stringify({type: "message.send", client_id: "open",
                                                     kind: "text", text: "Hello"}));
                return (await ack)[0].conversation_id;
            }"""
        )
        await self.agent.evaluate(
            """async (id) => {
                const assigned = window.__raw.next((f) => f.type === "conversation.assigned");
                window.__raw.ws.send(JSON.stringify({type: "conversation.join",
                                                     conversation_id: id}));
                await assigned;
            }""",
            self.conversation_id,
        )

    async def one(self, n: int) -> float:
        text = TEXT.format(n=n)
        await self.agent.evaluate(  # armed before the send, awaited after it
            """(text) => { window.__arrival = window.__raw.next(
                (f) => f.type === "message.new" && f.message.text === text); }""",
            text,
        )
        sent: float = await self.customer.evaluate(
            """([text, id, n]) => {
                const now = performance.timeOrigin + performance.now();
                window.__raw.ws.send(JSON.stringify({type: "message.send", client_id: "braw-" + n,
                    conversation_id: id, kind: "text", text}));
                return now;
            }""",
            [text, self.conversation_id, n],
        )
        async with asyncio.timeout(STEP_TIMEOUT_SECS):
            received: float = await self.agent.evaluate("async () => (await window.__arrival)[1]")
        return received - sent


class PagePair:
    def __init__(self, widget: Page, console: Page) -> None:
        self.widget = widget
        self.console = console

    async def open(self) -> None:
        await self.widget.locator("[data-testid=connection-state][data-state=open]").wait_for()
        await self.console.locator("[data-testid=connection-state][data-state=open]").wait_for()
        await self.widget.get_by_test_id("chat-input").fill("Hello")
        await self.widget.get_by_test_id("chat-send").click()
        join = self.console.get_by_test_id("queue-item").get_by_test_id("conversation-join")
        await join.click()
        await self.console.get_by_test_id("queue-item").filter(has_text="with ").wait_for()
        await self.widget.evaluate(PRESS_HOOK)
        await self.console.evaluate(PAINT_HOOK)

    async def one(self, n: int) -> tuple[float, float, float, float, float]:
        """(press -> paint, press -> socket send, send -> the console's socket,
        the console's socket -> in its DOM, DOM -> paint)"""
        text = TEXT.format(n=n)
        await self.widget.get_by_test_id("chat-input").fill(text)
        await self.widget.get_by_test_id("chat-send").click()
        await self.console.wait_for_function(
            "text => text in window.__painted", arg=text, timeout=STEP_TIMEOUT_SECS * 1000
        )
        pressed, sent = await self.widget.evaluate(
            "text => [window.__pressed[text], window.__sent[text]]", text
        )
        received, inserted, painted = await self.console.evaluate(
            "text => [window.__received[text], window.__inserted[text], window.__painted[text]]",
            text,
        )
        return (
            painted - pressed,
            sent - pressed,
            received - sent,
            inserted - received,
            painted - inserted,
        )


async def bench(args: argparse.Namespace) -> int:
    secret = secrets.token_urlsafe(48)
    settings = Settings.load(REPO / "config", None, {"CHAT_SERVICE_SECRET": secret})
    tokens = TokenService(Secret(secret), settings.config.auth)
    port = free_port()
    base = f"http://{HOST}:{port}"
    with tempfile.TemporaryDirectory(prefix="chat-page-bench-") as tmp:
        server = await start_server(Path(tmp) / "data", port, secret)
        try:
            async with aiohttp.ClientSession() as session, async_playwright() as pw:
                raw = RawPair(session, f"ws://{HOST}:{port}/ws", tokens)
                await raw.open()
                browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                widget_token = tokens.issue(Role.CUSTOMER, "bench-page-c")
                agent_token = tokens.issue(Role.AGENT, "bench-page-a")
                widget = await (await browser.new_context()).new_page()
                console_context = await browser.new_context()
                await console_context.add_init_script(script=RECEIVE_HOOK)
                console = await console_context.new_page()
                await console.goto(f"{base}/console/#token={agent_token}")
                await widget.goto(f"{base}/widget/#token={widget_token}&lang=en")
                pages = PagePair(widget, console)
                await pages.open()
                bare: list[Page] = []
                for _ in range(2):  # a page of the server's origin that runs no script
                    page = await (await browser.new_context()).new_page()
                    await page.goto(f"{base}/healthz")
                    bare.append(page)
                browser_raw = BrowserRawPair(bare[0], bare[1], f"ws://{HOST}:{port}/ws", tokens)
                await browser_raw.open()
                raw_ms: list[float] = []
                browser_raw_ms: list[float] = []
                page_ms: list[float] = []
                parts: list[tuple[float, ...]] = []
                # Each customer sends one message a round: rounds no faster than the
                # server lets one customer send (`[limits] messages_per_sec`, with a
                # margin), or its burst runs out mid-run and a message is refused.
                round_secs = 1.25 / settings.config.limits.messages_per_sec
                for n in range(args.warmup + args.messages):
                    round_started = time.perf_counter()
                    r = await raw.one(n)
                    b = await browser_raw.one(n)
                    p, *split = await pages.one(n)
                    if n >= args.warmup:
                        raw_ms.append(r)
                        browser_raw_ms.append(b)
                        page_ms.append(p)
                        parts.append(tuple(split))
                    await asyncio.sleep(round_secs - (time.perf_counter() - round_started))
                await browser.close()
        finally:
            await stop_process(server)
    report(raw_ms, browser_raw_ms, page_ms, parts)
    return 0


def report(
    raw_ms: list[float],
    browser_raw_ms: list[float],
    page_ms: list[float],
    parts: list[tuple[float, ...]],
) -> None:
    def row(name: str, values: list[float]) -> str:
        p50, p99 = percentile(values, 50), percentile(values, 99)
        return f"{name:<34} {len(values):>5} {p50:>9.1f} {p99:>9.1f} {max(values):>9.1f}"

    print(f"{'path':<34} {'n':>5} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9}")
    print(row("raw WebSocket clients (aiohttp)", raw_ms))
    print(row("raw WebSocket clients (Chromium)", browser_raw_ms))
    print(row("widget press -> console paint", page_ms))
    print(row("  press -> widget's socket send", [p[0] for p in parts]))
    print(row("  send -> console's socket event", [p[1] for p in parts]))
    print(row("  socket event -> in the DOM", [p[2] for p in parts]))
    print(row("  in the DOM -> painted", [p[3] for p in parts]))
    added_p50 = percentile(page_ms, 50) - percentile(raw_ms, 50)
    added_p99 = percentile(page_ms, 99) - percentile(raw_ms, 99)
    verdict = "met" if added_p50 < GOAL_ADDED_P50_MS else "NOT met"
    print(
        f"pages add {added_p50:.1f} ms p50, {added_p99:.1f} ms p99 over aiohttp clients "
        f"(goal < {GOAL_ADDED_P50_MS:.0f} ms p50: {verdict})"
    )
    browser_p50 = percentile(page_ms, 50) - percentile(browser_raw_ms, 50)
    print(
        f"pages add {browser_p50:.1f} ms p50 over bare sockets in the same browser; "
        f"the browser's sockets add {percentile(browser_raw_ms, 50) - percentile(raw_ms, 50):.1f}"
        " ms p50 over aiohttp's"
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(bench(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
