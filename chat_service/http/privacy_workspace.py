"""The privacy officer's workspace over HTTP (docs/privacy-workspace.md): thin handlers,
privacy officers only (others 403), every bad query parameter a 400 naming it.

| endpoint | answer |
|---|---|
| `GET /api/privacy/workspace/deletion-requests?state=open\\|completed\\|all` | requests |
| `GET /api/privacy/workspace/audit?customer_id&actor_id&from&to&cursor&limit` | a page |
| `GET /api/privacy/workspace/audit.csv?customer_id&actor_id&from&to` | CSV (streamed) |
| `GET /api/privacy/workspace/consent-statistics?from&to` | counts per category |
| `GET /api/privacy/workspace/retention-runs` | runs and what they purged |

Legal holds are placed, listed and lifted through the data-rights endpoints (http/rights.py).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Final

from aiohttp import web

from chat_service import keys
from chat_service.auth import Identity, Role
from chat_service.errors import BadRequest
from chat_service.http.middleware import authenticate
from chat_service.http.responses import (
    AuditPage,
    ConsentStatistics,
    RetentionRuns,
    WorkspaceDeletionRequests,
    json_answer,
)
from chat_service.privacy import workspace
from chat_service.privacy.deletion import MAX_CUSTOMER_ID_CHARS
from chat_service.storage.audit import AuditFilter

PAGE_SIZE: Final = 50
MAX_PAGE_SIZE: Final = 200
STATS_DEFAULT_DAYS: Final = 30
STATS_MAX_DAYS: Final = 366
STATES: Final = ("open", "completed", "all")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CURSOR = re.compile(r"^(\d{1,15})\.([A-Za-z0-9_:\-]{1,128})$")
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MS: Final = timedelta(milliseconds=1)
_NO_STORE: Final = {"Cache-Control": "no-store"}


def _officer(request: web.Request) -> Identity:
    return authenticate(request, Role.PRIVACY_OFFICER)


def _moment(request: web.Request, name: str, *, end: bool) -> datetime | None:
    """`YYYY-MM-DD` (a UTC day: `from` its start, `to` the end of it) or an ISO 8601 time
    with its offset."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    try:
        if _DATE.match(raw):
            day = datetime.combine(date.fromisoformat(raw), datetime.min.time(), tzinfo=UTC)
            return day + timedelta(days=1) if end else day
        if len(raw) > 40:
            raise ValueError(raw)
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a date (YYYY-MM-DD) or an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise BadRequest(f"{name} must carry its UTC offset")
    return moment.astimezone(UTC)


def _id_param(request: web.Request, name: str) -> str | None:
    raw = request.query.get(name, "").strip()
    if not raw:
        return None
    if len(raw) > MAX_CUSTOMER_ID_CHARS:
        raise BadRequest(f"{name} must be at most {MAX_CUSTOMER_ID_CHARS} characters")
    return raw


def _audit_filter(request: web.Request) -> AuditFilter:
    since = _moment(request, "from", end=False)
    until = _moment(request, "to", end=True)
    if since is not None and until is not None and since >= until:
        raise BadRequest("from must be before to")
    return AuditFilter(
        customer_id=_id_param(request, "customer_id"),
        actor_id=_id_param(request, "actor_id"),
        since=since,
        until=until,
    )


def cursor_of(at: datetime, entry_id: str) -> str:
    return f"{(at - _EPOCH) // _MS}.{entry_id}"


def _cursor(request: web.Request) -> tuple[datetime, str] | None:
    raw = request.query.get("cursor")
    if not raw:
        return None
    found = _CURSOR.match(raw)
    if found is None:
        raise BadRequest("cursor must be a next_cursor this endpoint returned")
    return _EPOCH + int(found[1]) * _MS, found[2]


def _limit(request: web.Request) -> int:
    raw = request.query.get("limit", str(PAGE_SIZE))
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw[:4]) <= MAX_PAGE_SIZE:
        raise BadRequest(f"limit must be an integer from 1 to {MAX_PAGE_SIZE}")
    return int(raw)


async def deletion_requests(request: web.Request) -> web.Response:
    identity = _officer(request)
    state = request.query.get("state", "open")
    if state not in STATES:
        raise BadRequest("state must be open, completed or all")
    services = request.app[keys.SERVICES]
    rows, deadline = await workspace.deletion_requests(services, identity, state)
    return json_answer(
        WorkspaceDeletionRequests,
        {
            "state": state,
            "generated_at": services.clock().isoformat(),
            "deadline_working_days": deadline,
            "deletion_requests": rows,
        },
        headers=_NO_STORE,
    )


async def audit(request: web.Request) -> web.Response:
    identity = _officer(request)
    where = _audit_filter(request)
    before = _cursor(request)
    limit = _limit(request)
    services = request.app[keys.SERVICES]
    entries, more = await workspace.audit_page(
        services, identity, where, before=before, limit=limit
    )
    last = entries[-1] if entries else None
    return json_answer(
        AuditPage,
        {
            "entries": [workspace.audit_entry(e) for e in entries],
            "next_cursor": cursor_of(last["at"], last["_id"]) if more and last else None,
        },
        headers=_NO_STORE,
    )


async def audit_csv(request: web.Request) -> web.StreamResponse:
    identity = _officer(request)
    where = _audit_filter(request)
    services = request.app[keys.SERVICES]
    matched, chunks = await workspace.audit_csv(services, identity, where)
    stamp = services.clock().strftime("%Y%m%dT%H%M%SZ")
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="audit-{stamp}.csv"',
            "Cache-Control": "no-store",
            "X-Audit-Rows-Matched": str(matched),
            "X-Audit-Rows-Limit": str(workspace.CSV_ROW_LIMIT),
        }
    )
    await response.prepare(request)
    try:
        async for chunk in chunks:
            await response.write(chunk)
        await response.write_eof()
    except ConnectionError:  # the officer went away mid-download: nothing to answer
        pass
    return response


async def consent_statistics(request: web.Request) -> web.Response:
    identity = _officer(request)
    services = request.app[keys.SERVICES]
    until = _moment(request, "to", end=True) or services.clock()
    since = _moment(request, "from", end=False) or until - timedelta(days=STATS_DEFAULT_DAYS)
    if since >= until:
        raise BadRequest("from must be before to")
    if until - since > timedelta(days=STATS_MAX_DAYS):
        raise BadRequest(f"the period may be at most {STATS_MAX_DAYS} days")
    table = await workspace.consent_statistics(services, identity, since, until)
    return json_answer(
        ConsentStatistics,
        {"since": since.isoformat(), "until": until.isoformat(), "categories": table},
        headers=_NO_STORE,
    )


async def retention_runs(request: web.Request) -> web.Response:
    identity = _officer(request)
    services = request.app[keys.SERVICES]
    summary = await workspace.retention_runs(services, identity)
    return json_answer(RetentionRuns, summary, headers=_NO_STORE)


def setup_privacy_workspace_routes(app: web.Application) -> None:
    prefix = "/api/privacy/workspace"
    app.router.add_get(prefix + "/deletion-requests", deletion_requests)
    app.router.add_get(prefix + "/audit", audit)
    app.router.add_get(prefix + "/audit.csv", audit_csv)
    app.router.add_get(prefix + "/consent-statistics", consent_statistics)
    app.router.add_get(prefix + "/retention-runs", retention_runs)
