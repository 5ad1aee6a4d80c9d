"""Client JSON text -> Python values: the one decoder for WebSocket frames and HTTP bodies.

`loads(raw)` returns what the text holds or raises `InvalidJson` with a message a client can
act on; it never lets a decoding failure escape as another exception (and so never as a 500
or an `internal_error`):

- bytes must be UTF-8 (RFC 8259 §8.1); a frame arrives already decoded by aiohttp;
- syntax errors name the line and column;
- nesting deeper than the interpreter's recursion limit is refused (`RecursionError`);
- an integer longer than `MAX_INT_DIGITS` digits is not converted at all (Python refuses
  past 4,300 digits anyway, and converting is quadratic below that): it becomes a
  `TooManyDigits` marker, which every model then rejects as a bad field, so a frame keeps
  its `client_id` as `ref`.

What the values mean is for the pydantic models (protocol/commands.py, the HTTP body
models); this module only decides whether the text is JSON we can read.
"""

from __future__ import annotations

import json
from typing import Any, Final, final

from chat_service.errors import InvalidJson

MAX_INT_DIGITS: Final = 64  # no field takes more than 2**53 (16 digits); room for a sign


@final
class TooManyDigits:
    """Stands for an integer literal too long to convert; no model accepts it."""

    __slots__ = ("digits",)

    def __init__(self, digits: int) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"<integer of {self.digits} digits>"


def _parse_int(literal: str) -> int | TooManyDigits:
    if len(literal) > MAX_INT_DIGITS:
        return TooManyDigits(len(literal))
    return int(literal)


def loads(raw: str | bytes, *, what: str = "body") -> Any:  # any JSON value
    """The JSON value of `raw`, or `InvalidJson` saying why not."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidJson(
                f"the {what} is not valid UTF-8 (byte {exc.start} of {len(raw)})"
            ) from None
    try:
        return json.loads(raw, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        raise InvalidJson(
            f"the {what} is not valid JSON: {exc.msg} (line {exc.lineno} column {exc.colno})"
        ) from None
    except RecursionError:
        raise InvalidJson(f"the {what} is nested too deeply") from None
    except ValueError:  # anything else the decoder refuses to convert
        raise InvalidJson(f"the {what} holds a value that cannot be read") from None
