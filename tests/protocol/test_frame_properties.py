"""Property tests of the frame parser (issue 16 items 4 and 9): whatever text a client
sends, `parse_command` returns a command or raises `ProtocolError` with one of the
protocol's codes, and never anything else (which the socket would answer `internal_error`).
Generated with hypothesis: arbitrary text, JSON of any shape, and frames shaped like the
commands with hostile values (huge and long integers, deep nesting, odd strings)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from typing import Any

import pytest
from aiohttp import WSCloseCode, WSMsgType
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import settings as settings_
from hypothesis import strategies as st
from pytest_aiohttp import AiohttpClient

from chat_service import keys
from chat_service.errors import ProtocolError
from chat_service.protocol.commands import COMMAND_TYPES, parse_command
from chat_service.protocol.events import validate_event
from chat_service.settings import Settings
from tests.conftest import AppFactory
from tests.helpers.settings import UNLIMITED_RATES, settings_with
from tests.helpers.ws import Client, Peer, connect, customer_opens

CODES = {"invalid_json", "invalid_frame", "missing_type", "unknown_type", "invalid_field"}
CODES_WITH_TEXT = CODES | {"text_too_long"}
FIELDS = (
    "type",
    "client_id",
    "conversation_id",
    "kind",
    "text",
    "attachment_id",
    "location",
    "lat",
    "lng",
    "accuracy_m",
    "request_id",
    "granted",
    "guardian",
    "name",
    "relationship",
    "categories",
    "purpose",
    "after_seq",
)
PROPERTY_SETTINGS = settings(
    max_examples=200,  # per property, each run; ~10 s in all on an idle 2-core machine
    database=None,  # nothing written into the working copy
    deadline=None,  # a loaded 2-core machine; the property is about outcomes, not time
    suppress_health_check=[HealthCheck.too_slow],
)

MANY_SETTINGS = settings(  # the cheap properties (a few ms an example): more examples
    PROPERTY_SETTINGS, max_examples=1000
)

integers = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**80), max_value=10**80),
    st.just(2**53 + 1),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    integers,
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from([*sorted(COMMAND_TYPES), "text", "image", "file", "location"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=8)), inner, max_size=5),
    ),
    max_leaves=20,
)
frames = st.fixed_dictionaries(
    {"type": st.sampled_from(sorted(COMMAND_TYPES))},
    optional={name: values for name in FIELDS if name != "type"},
)


def _outcome(raw: str) -> str:
    try:
        parse_command(raw, max_text_chars=8000)
    except ProtocolError as exc:
        return exc.code
    return "accepted"


def _dumps(frame: Any) -> str:  # any generated JSON value
    return json.dumps(frame, allow_nan=True)


@MANY_SETTINGS
@given(st.text(max_size=200))
def test_when_any_text_is_a_frame_then_a_command_or_a_protocol_error(raw: str) -> None:
    assert _outcome(raw) in CODES | {"accepted"}


@settings(PROPERTY_SETTINGS, max_examples=500)
@given(values)
def test_when_any_json_is_a_frame_then_a_command_or_a_protocol_error(value: object) -> None:
    assert _outcome(_dumps(value)) in CODES | {"accepted"}


@PROPERTY_SETTINGS
@given(frames)
def test_when_a_command_shaped_frame_has_hostile_values_then_never_an_unexpected_error(
    frame: dict[str, Any],
) -> None:
    assert _outcome(_dumps(frame)) in CODES_WITH_TEXT | {"accepted"}


@MANY_SETTINGS
@given(
    st.sampled_from(sorted(COMMAND_TYPES)),
    st.sampled_from(FIELDS[1:]),
    st.integers(min_value=1, max_value=60_000),
    st.sampled_from(["9", "-9", "[", '{"a":', "1e9"]),
)
def test_when_a_field_holds_an_oversized_literal_then_a_protocol_error(
    kind: str, field: str, repeat: int, unit: str
) -> None:
    """Long digit strings (past Python's 4,300-digit limit) and deep nesting in any field."""
    raw = f'{{"type": "{kind}", "client_id": "r-1", "{field}": {unit * repeat}'
    raw += "}" if unit in ("9", "-9", "1e9") else ""
    outcome = _outcome(raw[:65536])
    assert outcome in CODES_WITH_TEXT | {"accepted"}


# --- A live socket (issue 16 item 9's goal: 10,000 generated frames, 0 internal errors) ---

LIVE_BATCH = 25  # frames per generated example, each batch followed by a marker frame
LIVE_EXAMPLES = 400  # 400 x 25 = 10,000 frames
LIVE_FRAMES_GOAL = 10_000
LEGITIMATE_CLOSES = {
    WSCloseCode.POLICY_VIOLATION,  # 1008
    WSCloseCode.MESSAGE_TOO_BIG,  # 1009
    WSCloseCode.INVALID_TEXT,  # 1007 (not UTF-8)
}
BAD_ESCAPES = (
    "\\ud800",  # a lone high surrogate
    "\\udfff",  # a lone low surrogate
    "\\ud800\\u0041",
    "\\u12",  # truncated
    "\\uZZZZ",  # not hex
    "\\x41",  # not JSON
    "\\U0001F600",
    "\\u0000",
    "\\",
    "\\ud83d\\ude00",  # a valid pair, for contrast
)
MARKER_TYPE = "fuzz.marker"  # an unknown type: always answered, with the marker's id as ref


def _live_frames(known_ids: list[str]) -> st.SearchStrategy[str]:
    """Raw text frames: valid commands with hostile values, wrong types, unknown types, huge
    numbers, deep nesting, invalid unicode escapes, any JSON, any text."""
    # Generation is the costly part of the run: the values here are shallow and small
    # (deep and long ones come from `literal`), so 10,000 frames take seconds to make.
    light = st.one_of(
        scalars,
        st.lists(scalars, max_size=3),
        st.dictionaries(st.sampled_from(FIELDS), scalars, max_size=3),
    )
    good_id = st.from_regex(r"[A-Za-z0-9_.:\-]{1,64}", fullmatch=True)
    ids = st.one_of(st.sampled_from(known_ids), good_id, st.text(max_size=70), integers, st.none())
    texts = st.one_of(
        st.text(max_size=300),
        st.builds(lambda t, n: t * n, st.text(min_size=1, max_size=9), st.integers(800, 8200)),
    )  # long texts (around the 8,000-character limit) built cheaply
    valid_shaped = st.one_of(
        st.fixed_dictionaries(
            {"type": st.just("message.send"), "client_id": st.one_of(good_id, ids)},
            optional={
                "conversation_id": ids,
                "kind": st.sampled_from(["text", "image", "file", "location", "video"]),
                "text": texts,
                "attachment_id": ids,
                "location": st.one_of(
                    light,
                    st.fixed_dictionaries(
                        {"lat": st.floats(), "lng": st.floats()},
                        optional={"accuracy_m": st.one_of(st.floats(), integers)},
                    ),
                ),
            },
        ),
        st.fixed_dictionaries(
            {
                "type": st.sampled_from(
                    ["history.fetch", "typing", "conversation.join", "conversation.close"]
                ),
                "conversation_id": ids,
            },
            optional={"after_seq": integers, "client_id": ids},
        ),
        st.fixed_dictionaries(
            {"type": st.just("consent.respond"), "request_id": ids, "granted": light},
            optional={"guardian": light, "client_id": ids},
        ),
        st.fixed_dictionaries(
            {"type": st.just("consent.withdraw"), "categories": light},
            optional={"purpose": light},
        ),
    ).map(_dumps)
    literal = st.builds(
        lambda kind, name, unit, repeat: (
            f'{{"type": "{kind}", "client_id": "lit", "{name}": {unit * repeat}'
            + ("}" if unit in ("9", "-9", "1e9") else "")
        ),
        st.sampled_from([*sorted(COMMAND_TYPES), "nope"]),
        st.sampled_from(FIELDS[1:]),
        st.sampled_from(["9", "-9", "[", '{"a":', "1e9"]),
        st.integers(min_value=1, max_value=12_000),
    )
    escapes = st.builds(
        lambda name, escape, kind: (
            f'{{"type": "{kind}", "client_id": "esc", "kind": "text", '
            f'"conversation_id": "{known_ids[0]}", "{name}": "a{escape}b"}}'
        ),
        st.sampled_from(["text", "client_id", "conversation_id", "request_id", "purpose"]),
        st.sampled_from(BAD_ESCAPES),
        st.sampled_from(["message.send", "history.fetch", "consent.respond"]),
    )
    unknown = st.fixed_dictionaries(
        {"type": st.one_of(st.text(max_size=30), integers, light)}, optional={"client_id": ids}
    ).map(_dumps)
    wrong_types = st.builds(
        lambda kind, fields: {"type": kind, **fields},
        st.sampled_from(sorted(COMMAND_TYPES)),
        st.dictionaries(st.sampled_from(FIELDS[1:]), light, max_size=5),
    )
    return st.one_of(
        valid_shaped,
        wrong_types.map(_dumps),
        light.map(_dumps),
        st.text(max_size=200),
        literal,
        escapes,
        unknown,
    )


class _ServerLog(logging.Handler):
    """The server's warnings and errors during the run: an unexpected close is reported with
    them (an abort says why: a peer that did not keep up, a heartbeat, an exception)."""

    LOGGERS = ("chat_service.ws.handler", "chat_service.fanout")  # and every warning

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self._levels: dict[str, int] = {}

    def __enter__(self) -> _ServerLog:
        logging.getLogger().addHandler(self)
        for name in self.LOGGERS:  # a socket's end (`socket error`) is logged at INFO
            self._levels[name] = logging.getLogger(name).level
            logging.getLogger(name).setLevel(logging.INFO)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger().removeHandler(self)
        for name, level in self._levels.items():
            logging.getLogger(name).setLevel(level)

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno < logging.WARNING and not record.name.startswith(self.LOGGERS):
            return
        reason = getattr(record, "reason", None)
        self.lines.append(
            f"{record.created:.3f} {record.name} {record.getMessage()}"
            + (f" reason={reason}" if reason else "")
            + (f" error={getattr(record, 'error', '')} code={getattr(record, 'code', '')}")
            + (f" {record.exc_info[1]!r}" if record.exc_info else "")
        )


class _LiveSocket:
    """One role's socket, reopened after a legitimate close; counts what it saw."""

    def __init__(self, client: Client, role: str, sub: str, log: _ServerLog) -> None:
        self.client, self.role, self.sub, self.log = client, role, sub, log
        self.peer: Peer | None = None
        self.closes: list[int] = []
        self.answers: dict[str, int] = {}

    async def open(self) -> Peer:
        if self.peer is None or self.peer.ws.closed:
            self.peer = await connect(self.client, self.role, self.sub)
        return self.peer

    async def batch(self, raws: list[str], marker: str) -> None:
        """Sends the frames and a marker; reads until the marker's answer (or a close)."""
        peer = await self.open()
        for frame in peer.buffer:
            self._saw(frame)
        peer.buffer.clear()
        started = time.time()
        try:
            for raw in raws:
                await peer.ws.send_str(raw)
            await peer.ws.send_str(json.dumps({"type": MARKER_TYPE, "client_id": marker}))
        except ConnectionError:
            pass  # closed while sending: the close is read below
        while True:
            msg = await peer.ws.receive(timeout=LIVE_FRAME_TIMEOUT_SECS)
            if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
                code = peer.ws.close_code
                if code not in LEGITIMATE_CLOSES:
                    print("\n".join(self.log.lines[-30:]))
                assert code in LEGITIMATE_CLOSES, (
                    self.role,
                    code,
                    msg.extra,
                    f"batch of {len(raws)} started {started:.3f}, closed {time.time():.3f}",
                    self.log.lines[-20:],
                )
                self.closes.append(code)
                await peer.ws.close()
                await self.check_alive()  # a fresh socket works after a legitimate close
                return
            assert msg.type is WSMsgType.TEXT, (self.role, msg)
            frame = json.loads(msg.data)
            validate_event(frame)  # every answer is a declared event
            self._saw(frame)
            if frame.get("type") == "error" and frame.get("ref") == marker:
                return

    async def check_alive(self) -> None:
        marker = f"alive-{uuid.uuid4().hex}"
        peer = await self.open()
        await peer.ws.send_str(json.dumps({"type": MARKER_TYPE, "client_id": marker}))
        answer = await peer.expect("error", ref=marker)
        assert answer["code"] == "unknown_type"
        for frame in peer.buffer:
            self._saw(frame)
        peer.buffer.clear()

    def _saw(self, frame: dict[str, Any]) -> None:
        assert frame.get("code") != "internal_error", (self.role, frame)
        key = str(frame.get("code") or frame.get("type"))
        self.answers[key] = self.answers.get(key, 0) + 1


@pytest.mark.parametrize(
    "raw",
    [
        '{"type": "fuzz.marker", "client_id": "a\\ud800b"}',  # echoed as `ref`
        '{"type": "ping", "client_id": "c-1", "\\udfff": 1}',  # a field name an error names
        '{"type": "message.send", "client_id": "\\ud83d", "kind": "text", "text": "hi"}',
    ],
)
async def test_when_a_frame_holds_a_lone_surrogate_then_an_error_answers_and_the_socket_lives(
    client: Client, raw: str
) -> None:
    """Found by the live property test: the answer echoed the surrogate, which has no UTF-8
    form; encoding it raised out of the receive loop and the socket died (an HTTP 500 written
    on the upgraded connection)."""
    peer = await connect(client, "customer", "cust-surrogate")
    await peer.ws.send_str(raw)
    answer = await peer.expect("error")
    assert answer["code"] in ("invalid_field", "unknown_type"), answer
    await peer.send({"type": "ping"})
    await peer.expect("pong")
    assert _unexpected_errors(client) == 0
    await peer.close()


LIVE_FRAME_TIMEOUT_SECS = 60.0  # a bound for a loaded machine, never what is asserted


def _unexpected_errors(client: Client) -> float:
    return sum(
        sample.value
        for metric in client.app[keys.METRICS].errors.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    )


@pytest.mark.timeout(900)
# Hypothesis draws in a thread while this loop serves the sockets, and aiohttp's client masks
# every frame it sends with `random.getrandbits`: when a send lands during a draw, hypothesis
# sees the global random state move and takes it for a strategy using `random` (these use
# none). Only that warning is let through.
@pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module inside strategies"
    ":hypothesis.errors.HypothesisDeprecationWarning"
)
# A batch of 25 frames with literals of up to 12,000 characters has a repr of hundreds of
# kB; hypothesis warns when it builds one (a cost, not a finding).
@pytest.mark.filterwarnings(
    "ignore:Generating overly large repr:hypothesis.errors.HypothesisWarning"
)
async def test_when_10000_generated_frames_reach_live_sockets_then_no_internal_error(
    aiohttp_client: AiohttpClient, make_app: AppFactory, settings: Settings
) -> None:
    """A real server and real clients (a customer with an open conversation, its agent):
    generated frames in batches, each batch followed by a marker that every socket answers
    in order; no answer is `internal_error`, the errors metric stays 0, every close is 1007,
    1008 or 1009 and a fresh socket works after it, and the sockets work at the end."""
    fast = settings_with(
        settings,
        limits=UNLIMITED_RATES,  # many generated frames are valid messages
    )
    client = await aiohttp_client(make_app(fast))
    customer_peer = await connect(client, "customer", "fuzz-cust")
    agent_peer = await connect(client, "agent", "fuzz-agent")
    conversation = await customer_opens(client, customer_peer, agent_peer, "hello, fuzz")
    log = _ServerLog()
    sockets = {
        "customer": _LiveSocket(client, "customer", "fuzz-cust", log),
        "agent": _LiveSocket(client, "agent", "fuzz-agent", log),
    }
    sockets["customer"].peer, sockets["agent"].peer = customer_peer, agent_peer
    loop = asyncio.get_running_loop()
    sent = 0

    @settings_(
        max_examples=LIVE_EXAMPLES,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],  # a failure is reported as found
    )
    @given(
        st.sampled_from(sorted(sockets)),
        st.lists(
            _live_frames([conversation, "c_" + "0" * 24, "nope"]),
            min_size=LIVE_BATCH,
            max_size=LIVE_BATCH,
        ),
    )
    def drive(role: str, raws: list[str]) -> None:
        nonlocal sent
        asyncio.run_coroutine_threadsafe(_round(role, raws), loop).result()
        sent += len(raws)

    async def _round(role: str, raws: list[str]) -> None:
        await sockets[role].batch(raws, f"marker-{uuid.uuid4().hex}")
        # The other socket reads too: aiohttp's client answers the server's heartbeat pings
        # only inside `receive`, so a socket left unread for a run of the other role's
        # batches longer than heartbeat + pong wait (30 s, easily reached on a loaded
        # machine) was closed 1006 as dead: the server doing its job, not what is tested.
        for other in sockets:
            if other != role:
                await sockets[other].batch([], f"drain-{uuid.uuid4().hex}")

    with log:
        await asyncio.to_thread(drive)  # hypothesis runs in a thread; the server in this loop
    assert sent >= LIVE_FRAMES_GOAL
    for live in sockets.values():
        await live.check_alive()
    assert _unexpected_errors(client) == 0
    print(
        f"\n{sent} frames; closes {[s.closes for s in sockets.values()]}; answers "
        f"{ {role: s.answers for role, s in sockets.items()} }"
    )
