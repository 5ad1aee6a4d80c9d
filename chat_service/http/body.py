"""The one way an HTTP handler reads a JSON body or a customer id from the path.

`read_json(request, Model, expected=...)` answers every malformed body with a 4xx before
the handler sees it: a body over `MAX_JSON_BODY_BYTES` 413 `body_too_large`, a charset
other than UTF-8 415 `unsupported_media_type`, text that is not JSON we can read 400
`invalid_json` (protocol/client_json.py: bad UTF-8, bad syntax, nesting too deep, integers
too long), and JSON that does not fit the model 400 `bad_request` naming the first bad
field. The models are the handlers' own pydantic models, so the OpenAPI description can be
generated from them. The Content-Type itself is not insisted on: `curl -d` and older
clients send JSON under other types, and the bytes decide.
"""

from __future__ import annotations

from typing import Final

from aiohttp import web
from pydantic import BaseModel, ValidationError

from chat_service.errors import BadRequest, BodyTooLarge, UnsupportedMediaType
from chat_service.privacy.deletion import MAX_CUSTOMER_ID_CHARS  # a token's `sub` at most
from chat_service.protocol import client_json

MAX_JSON_BODY_BYTES: Final = 64 * 1024  # the largest body (a legal hold's reason) is ~4 KB
_UTF8_NAMES: Final = frozenset({"utf-8", "utf8"})


async def read_json[M: BaseModel](request: web.Request, model: type[M], *, expected: str) -> M:
    """The body validated by `model`, or a 4xx `ChatError` (`expected` tells the client the
    shape it should have sent)."""
    charset = request.charset
    if charset is not None and charset.lower() not in _UTF8_NAMES:
        raise UnsupportedMediaType(f"JSON bodies must be UTF-8, not {charset[:40]!r}")
    length = request.content_length
    if length is not None and length > MAX_JSON_BODY_BYTES:
        raise BodyTooLarge(f"a JSON body may be at most {MAX_JSON_BODY_BYTES} bytes")
    raw = bytearray()
    while chunk := await request.content.read(16 * 1024):
        raw.extend(chunk)
        if len(raw) > MAX_JSON_BODY_BYTES:
            raise BodyTooLarge(f"a JSON body may be at most {MAX_JSON_BODY_BYTES} bytes")
    data = client_json.loads(bytes(raw))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise BadRequest(f"body must be {expected} ({where}: {first['msg']})") from None


def customer_id_param(request: web.Request) -> str:
    """The `{customer_id}` of the path: a token subject, 1-128 characters."""
    customer_id = request.match_info["customer_id"]
    if not customer_id or len(customer_id) > MAX_CUSTOMER_ID_CHARS:
        raise BadRequest(f"a customer id has 1-{MAX_CUSTOMER_ID_CHARS} characters")
    return customer_id
