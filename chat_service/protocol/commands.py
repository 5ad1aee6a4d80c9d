"""The one place where a client frame becomes a typed command (see README.md here).

`parse_command(raw)` returns a command or raises `ProtocolError(code, message, ref=...)`.
The text is decoded by `client_json.loads` (shared with the HTTP bodies, http/body.py);
no other code reads raw client JSON.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from chat_service.errors import InvalidJson, ProtocolError
from chat_service.protocol import client_json

Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]
MAX_CATEGORIES = 32


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class Location(_Command):
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lng: float = Field(ge=-180, le=180, allow_inf_nan=False)
    accuracy_m: float | None = Field(default=None, ge=0, le=1_000_000, allow_inf_nan=False)


class MessageSend(_Command):
    type: Literal["message.send"]
    client_id: Id
    conversation_id: Id | None = None
    kind: Literal["text", "image", "file", "location"]
    text: str | None = Field(default=None, max_length=100_000)
    attachment_id: Id | None = None
    location: Location | None = None


class Guardian(_Command):
    """Who answers for a child under 14: their name and relationship to the child."""

    name: str = Field(min_length=1, max_length=100)
    relationship: str = Field(min_length=1, max_length=50)


class ConsentRespond(_Command):
    type: Literal["consent.respond"]
    request_id: Id
    granted: bool
    guardian: Guardian | None = None


Categories = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=64)]],
    Field(min_length=1, max_length=MAX_CATEGORIES),
]


class ConsentWithdraw(_Command):
    type: Literal["consent.withdraw"]
    categories: Categories
    purpose: Id | None = None


class ConversationJoin(_Command):
    type: Literal["conversation.join"]
    conversation_id: Id


class ConversationClose(_Command):
    type: Literal["conversation.close"]
    conversation_id: Id


class HistoryFetch(_Command):
    type: Literal["history.fetch"]
    conversation_id: Id
    after_seq: int = Field(ge=0, le=2**53)


class Typing(_Command):
    type: Literal["typing"]
    conversation_id: Id


class Ping(_Command):
    type: Literal["ping"]


Command = Annotated[
    MessageSend
    | ConsentRespond
    | ConsentWithdraw
    | ConversationJoin
    | ConversationClose
    | HistoryFetch
    | Typing
    | Ping,
    Field(discriminator="type"),
]
_ADAPTER: TypeAdapter[Command] = TypeAdapter(Command)
COMMAND_TYPES = frozenset(
    {
        "message.send",
        "consent.respond",
        "consent.withdraw",
        "conversation.join",
        "conversation.close",
        "history.fetch",
        "typing",
        "ping",
    }
)


def parse_command(raw: str, *, max_text_chars: int) -> Command:
    try:
        data: Any = client_json.loads(raw, what="frame")
    except InvalidJson as exc:
        raise ProtocolError("invalid_json", exc.message) from None
    if not isinstance(data, dict):
        raise ProtocolError("invalid_frame", "a frame must be a JSON object")
    ref = data.get("client_id")
    ref = ref if isinstance(ref, str) and len(ref) <= 64 else None
    kind = data.get("type")
    if not isinstance(kind, str):
        raise ProtocolError("missing_type", "the frame has no string 'type'", ref=ref)
    if kind not in COMMAND_TYPES:
        raise ProtocolError("unknown_type", f"unknown frame type {kind[:40]!r}", ref=ref)
    try:
        command = _ADAPTER.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"][1:]) or "frame"
        raise ProtocolError("invalid_field", f"{where}: {first['msg']}", ref=ref) from None
    if isinstance(command, MessageSend):
        _check_message(command, max_text_chars)
    return command


def _check_message(command: MessageSend, max_text_chars: int) -> None:
    ref = command.client_id
    if command.kind == "text":
        if command.text is None or not command.text.strip():
            raise ProtocolError("invalid_field", "text: a text message needs text", ref=ref)
        if command.attachment_id is not None or command.location is not None:
            raise ProtocolError(
                "invalid_field", "a text message takes no attachment or location", ref=ref
            )
    if command.text is not None and len(command.text) > max_text_chars:
        raise ProtocolError(
            "text_too_long", f"text is longer than {max_text_chars} characters", ref=ref
        )
    if command.text is not None and any(0xD800 <= ord(ch) <= 0xDFFF for ch in command.text):
        raise ProtocolError("invalid_field", "text: contains lone surrogates", ref=ref)
    if command.kind in ("image", "file"):
        if command.attachment_id is None:
            raise ProtocolError("invalid_field", "attachment_id: required for this kind", ref=ref)
        if command.location is not None:
            raise ProtocolError("invalid_field", "location: not allowed for this kind", ref=ref)
    if command.kind == "location":
        if command.location is None:
            raise ProtocolError("invalid_field", "location: required for this kind", ref=ref)
        if command.attachment_id is not None:
            raise ProtocolError(
                "invalid_field", "attachment_id: not allowed for this kind", ref=ref
            )
