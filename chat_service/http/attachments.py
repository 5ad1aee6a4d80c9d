"""Pictures and files over HTTP (CONTRACT 4): thin handlers, one action call each.

| endpoint | who |
|---|---|
| `POST /api/attachments` | customer, agent: multipart, field `file`, optional `conversation_id` |
| `GET /api/attachments/{attachment_id}` | who may get it (actions/attachment_views.py) |

Downloads are sent as stored (sanitised, decrypted), never sniffed by the browser
(`nosniff`), sandboxed (`Content-Security-Policy: default-src 'none'; sandbox`), never cached
by shared caches, and files always as a download (`Content-Disposition: attachment`).
"""

from __future__ import annotations

from typing import Final
from urllib.parse import quote

from aiohttp import web

from chat_service import keys
from chat_service.actions import attachments as attachment_actions
from chat_service.attachments.budget import ServerBusy
from chat_service.attachments.intake import receive_upload
from chat_service.auth import Role
from chat_service.errors import ChatError
from chat_service.http.middleware import authenticate
from chat_service.http.responses import Upload, json_answer

TMP_DIR_NAME: Final = "tmp"
SEND_CHUNK_BYTES: Final = 64 * 1024
DOWNLOAD_HEADERS: Final = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}


async def upload(request: web.Request) -> web.Response:
    identity = authenticate(request, Role.CUSTOMER, Role.AGENT)
    services = request.app[keys.SERVICES]
    tmp_dir = services.settings.data_dir / TMP_DIR_NAME
    try:
        async with receive_upload(request, services.settings.attachments, tmp_dir) as received:
            doc = await attachment_actions.do_upload(services, identity, received)
    except ChatError as exc:
        services.metrics.attachments_rejected.labels(exc.code).inc()
        if isinstance(exc, ServerBusy):  # the decoding budget stayed full: try again soon
            return web.json_response(
                exc.to_json(),
                status=exc.http_status,
                headers={"Retry-After": str(exc.retry_after_secs), "Cache-Control": "no-store"},
            )
        raise
    return json_answer(
        Upload, attachment_actions.public(doc), status=201, headers={"Cache-Control": "no-store"}
    )


def content_disposition(kind: str, name: str) -> str:
    disposition = "inline" if kind == "image" else "attachment"
    ascii_name = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in name)
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


async def download(request: web.Request) -> web.StreamResponse:
    identity = authenticate(request)
    services = request.app[keys.SERVICES]
    found = await attachment_actions.access_download(
        services, identity, request.match_info["attachment_id"]
    )
    content_type = found.content_type
    if content_type == "text/plain":
        content_type += "; charset=utf-8"
    response = web.StreamResponse(
        status=200,
        headers={
            **DOWNLOAD_HEADERS,
            "Content-Type": content_type,
            "Content-Disposition": content_disposition(found.kind, found.name),
        },
    )
    response.content_length = len(found.data)
    await response.prepare(request)
    view = memoryview(found.data)
    for start in range(0, len(view), SEND_CHUNK_BYTES):
        await response.write(view[start : start + SEND_CHUNK_BYTES])
    await response.write_eof()
    return response


def setup_attachment_routes(app: web.Application) -> None:
    app.router.add_post("/api/attachments", upload)
    app.router.add_get("/api/attachments/{attachment_id}", download)
