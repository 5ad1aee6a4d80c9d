"""One error hierarchy, rendered as JSON over HTTP and as `error` frames over WebSocket.

Each failure is a small subclass with a snake_case `code`, an HTTP status and a message.
"""

from __future__ import annotations

from typing import ClassVar


class ConfigError(Exception):
    """Configuration is missing or invalid: the service refuses to start."""


class ChatError(Exception):
    code: ClassVar[str] = "internal_error"
    http_status: ClassVar[int] = 500
    default_message: ClassVar[str] = "internal error"

    def __init__(self, message: str | None = None, *, ref: str | None = None) -> None:
        self.message = message or self.default_message
        self.ref = ref
        super().__init__(self.message)

    def to_json(self) -> dict[str, object]:
        return {"error": {"code": self.code, "message": self.message}}

    def to_frame(self) -> dict[str, object]:
        return {"type": "error", "code": self.code, "message": self.message, "ref": self.ref}


class ProtocolError(ChatError):
    """A client frame that cannot be accepted (malformed, unknown type, bad field)."""

    code = "invalid_frame"
    http_status = 400
    default_message = "the frame is not valid"

    def __init__(self, code: str, message: str, *, ref: str | None = None) -> None:
        super().__init__(message, ref=ref)
        self.code = code  # type: ignore[misc]  # per-instance code: one class, many protocol codes


class BadRequest(ChatError):
    code = "bad_request"
    http_status = 400
    default_message = "bad request"


class InvalidJson(ChatError):
    """A body or frame that is not JSON we can read: bad UTF-8, bad syntax, nested too deep."""

    code = "invalid_json"
    http_status = 400
    default_message = "the body is not valid JSON"


class BodyTooLarge(ChatError):
    code = "body_too_large"
    http_status = 413
    default_message = "the body is too large"


class UnsupportedMediaType(ChatError):
    code = "unsupported_media_type"
    http_status = 415
    default_message = "JSON bodies must be sent as UTF-8"


class Unauthenticated(ChatError):
    code = "unauthenticated"
    http_status = 401
    default_message = "a valid access token is required"


class Forbidden(ChatError):
    code = "forbidden"
    http_status = 403
    default_message = "not allowed for this caller"


class OriginNotAllowed(ChatError):
    code = "origin_not_allowed"
    http_status = 403
    default_message = "this page's origin may not open the chat socket"


class NotFound(ChatError):
    code = "not_found"
    http_status = 404
    default_message = "not found"


class ConversationNotFound(NotFound):
    code = "conversation_not_found"
    default_message = "no such conversation for this caller"


class AgentAway(ChatError):
    """An agent who set themself away takes no new conversation (docs/agent-speed.md)."""

    code = "agent_away"
    http_status = 409
    default_message = "you are away: set yourself online to take a conversation"


class ConversationClosed(ChatError):
    code = "conversation_closed"
    http_status = 409
    default_message = "the conversation is closed"


class RequestTimeout(ChatError):
    code = "request_timeout"
    http_status = 408
    default_message = "the request body did not arrive in time"


class TooManyConversations(ChatError):
    code = "too_many_conversations"
    http_status = 429
    default_message = (
        "you have opened many conversations in the last hour: write in your latest one, "
        "or wait a little before opening another"
    )


class AlreadyAssigned(ChatError):
    code = "already_assigned"
    http_status = 409
    default_message = "another agent has joined this conversation"


class RateLimited(ChatError):
    code = "rate_limited"
    http_status = 429
    default_message = "too many frames; slow down"


class NotSupported(ChatError):
    code = "not_supported"
    http_status = 501
    default_message = "not supported yet"


class StoreUnavailable(ChatError):
    code = "store_unavailable"
    http_status = 503
    default_message = "the message store is unavailable; nothing was stored, please retry"


class DetectionUnavailable(ChatError):
    code = "detection_unavailable"
    http_status = 503
    default_message = "the message could not be scanned; nothing was stored, please retry"


class TransferConflict(ChatError):
    code = "transfer_conflict"
    http_status = 409
    default_message = "the conversation changed hands meanwhile; reload it and try again"


class AlreadyRated(ChatError):
    code = "already_rated"
    http_status = 409
    default_message = "this conversation has already been rated"


class ConversationStillOpen(ChatError):
    code = "conversation_open"
    http_status = 409
    default_message = "a conversation can be rated once it has ended"


class TextNotScannable(ChatError):
    """The detector gave up on this text (a pattern ran out of time on it): nothing was
    stored. Unlike `DetectionUnavailable`, retrying the same text will not help."""

    code = "text_not_scannable"
    http_status = 422
    default_message = "this text could not be scanned for personal data; shorten or reword it"


class ReplyKeyTaken(ChatError):
    code = "reply_key_taken"
    http_status = 409
    default_message = "another saved reply already has this shortcut"


class ReplyNotFound(NotFound):
    code = "reply_not_found"
    default_message = "no saved reply has this shortcut"


class TooManyReplies(ChatError):
    code = "too_many_replies"
    http_status = 409
    default_message = "the shop has as many saved replies as allowed; delete one first"
