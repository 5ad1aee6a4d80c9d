"""Property tests of the frame parser (issue 16 items 4 and 9): whatever text a client
sends, `parse_command` returns a command or raises `ProtocolError` with one of the
protocol's codes, and never anything else (which the socket would answer `internal_error`).
Generated with hypothesis: arbitrary text, JSON of any shape, and frames shaped like the
commands with hostile values (huge and long integers, deep nesting, odd strings)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chat_service.errors import ProtocolError
from chat_service.protocol.commands import COMMAND_TYPES, parse_command

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


@PROPERTY_SETTINGS
@given(st.text(max_size=200))
def test_when_any_text_is_a_frame_then_a_command_or_a_protocol_error(raw: str) -> None:
    assert _outcome(raw) in CODES | {"accepted"}


@PROPERTY_SETTINGS
@given(values)
def test_when_any_json_is_a_frame_then_a_command_or_a_protocol_error(value: object) -> None:
    assert _outcome(_dumps(value)) in CODES | {"accepted"}


@PROPERTY_SETTINGS
@given(frames)
def test_when_a_command_shaped_frame_has_hostile_values_then_never_an_unexpected_error(
    frame: dict[str, Any],
) -> None:
    assert _outcome(_dumps(frame)) in CODES_WITH_TEXT | {"accepted"}


@PROPERTY_SETTINGS
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
