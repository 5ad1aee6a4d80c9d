"""The privacy officer's workspace (issue 20 item 7, docs/privacy-workspace.md): deletion
requests with working days left, the audit of sensitive reads and destructions (filtered,
paged, exported as CSV), consent statistics over a period and retention runs.

Only privacy officers. Every read here is itself audited (`privacy_workspace_viewed`, who,
which view, which filters, when); legal holds are placed and lifted through
chat_service/privacy/holds.py, which audits each change.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Final

from chat_service.auth import Identity
from chat_service.errors import ConfigError
from chat_service.json_types import JsonObject
from chat_service.privacy.deletion import holiday_calendar, public
from chat_service.privacy.export import jsonable
from chat_service.privacy.holds import require_privacy_officer
from chat_service.privacy.report import DECISIONS, Retention, retention_summary
from chat_service.services import Services
from chat_service.storage.audit import AuditDetail, AuditDoc, AuditFilter
from chat_service.storage.deletion_requests import DeletionRequestDoc

VIEWED: Final = "privacy_workspace_viewed"
EXPORTED: Final = "privacy_audit_exported"
REASON: Final = "privacy officer's workspace"
STATS_DECISIONS: Final = ("granted", "refused", "withdrawn", "expired", "pending")
CSV_ROW_LIMIT: Final = 10_000  # rows of one CSV export, newest first
CSV_COLUMNS: Final = (
    "at",
    "action",
    "actor_role",
    "actor_id",
    "customer_id",
    "message_id",
    "categories",
    "reason",
    "details",
)
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


async def audit_view(
    services: Services,
    identity: Identity,
    view: str,
    details: Mapping[str, AuditDetail],
    *,
    customer_id: str | None = None,
    action: str = VIEWED,
) -> str:
    """Record that the officer read (or exported) a view of the workspace; the entry's id."""
    return await services.store.audit.record(
        at=services.clock(),
        actor={"role": identity.role.value, "id": identity.sub},
        action=action,
        customer_id=customer_id or "",
        reason=REASON,
        details={"view": view, **details},
    )


# -- deletion requests ---------------------------------------------------------------------


async def deletion_requests(
    services: Services, identity: Identity, state: str
) -> tuple[list[JsonObject], int | None]:
    """Requests (`state`: open, completed or all) with working days left for open ones;
    (rows, the deadline in working days or None when the holiday table cannot be read)."""
    require_privacy_officer(identity)
    store = services.store.deletion_requests
    found: list[DeletionRequestDoc] = []
    if state in ("open", "all"):
        found += await store.open_requests(limit=1000)
    if state in ("completed", "all"):
        found += await store.completed_requests()
    now = services.clock()
    try:
        calendar = await holiday_calendar(services.settings.config_dir)
    except ConfigError:
        calendar = None
    rows: list[JsonObject] = []
    for doc in found:
        row = public(doc)
        is_open = doc["status"] != "completed"
        left: int | None = None
        if is_open and calendar is not None:
            try:
                left = calendar.working_days_left(doc["due_at"], now)
            except ConfigError:  # a date outside the holiday table
                left = None
        row["open"] = is_open
        row["working_days_left"] = left
        row["overdue"] = is_open and now > doc["due_at"]
        completed_at = doc["completed_at"]
        row["completed_in_time"] = None if completed_at is None else completed_at <= doc["due_at"]
        rows.append(row)
    await audit_view(services, identity, "deletion_requests", {"state": state, "rows": len(rows)})
    return rows, calendar.deadline_working_days if calendar is not None else None


# -- audit -----------------------------------------------------------------------------------


def _filter_details(where: AuditFilter) -> dict[str, AuditDetail]:
    return {
        "customer_id": where.customer_id,
        "actor_id": where.actor_id,
        "since": where.since.isoformat() if where.since else None,
        "until": where.until.isoformat() if where.until else None,
    }


def audit_entry(doc: AuditDoc) -> JsonObject:
    out: JsonObject = jsonable(doc)
    out.setdefault("pseudonymised", False)
    return out


async def audit_page(
    services: Services,
    identity: Identity,
    where: AuditFilter,
    *,
    before: tuple[datetime, str] | None,
    limit: int,
) -> tuple[list[AuditDoc], bool]:
    """One page of the audit, newest first; (entries, whether older ones follow). The
    officer's own read is recorded after the page is read, so it is on the next page view."""
    require_privacy_officer(identity)
    found = await services.store.audit.page(where, before=before, limit=limit + 1)
    await audit_view(
        services,
        identity,
        "audit",
        {**_filter_details(where), "page_after": before[1] if before else None},
        customer_id=where.customer_id,
    )
    return found[:limit], len(found) > limit


def neutralise(cell: str) -> str:
    """A cell a spreadsheet would run as a formula, made text (OWASP: a leading quote)."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def csv_row(doc: AuditDoc) -> list[str]:
    actor = doc.get("actor") or {}
    cells = [
        doc["at"].isoformat(),
        doc["action"],
        actor.get("role", ""),
        actor.get("id", ""),
        doc["customer_id"],
        doc.get("message_id") or "",
        " ".join(doc.get("categories") or []),
        doc.get("reason", ""),
        json.dumps(jsonable(doc.get("details") or {}), ensure_ascii=False, sort_keys=True),
    ]
    return [neutralise(c) for c in cells]


async def audit_csv(
    services: Services, identity: Identity, where: AuditFilter
) -> tuple[int, AsyncIterator[bytes]]:
    """(rows matching, the CSV in chunks: a header, then at most `CSV_ROW_LIMIT` rows newest
    first). The export is audited before its first byte is sent."""
    require_privacy_officer(identity)
    matched = await services.store.audit.count(where)
    rows = min(matched, CSV_ROW_LIMIT)
    own = await audit_view(
        services,
        identity,
        "audit_csv",
        {**_filter_details(where), "rows": rows, "matched": matched},
        customer_id=where.customer_id,
        action=EXPORTED,
    )

    async def chunks() -> AsyncIterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        count = 0
        async for doc in services.store.audit.stream(where, rows, besides=own):
            writer.writerow(csv_row(doc))
            count += 1
            if count % 200 == 0:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode("utf-8")

    return matched, chunks()


# -- consent statistics and retention runs ---------------------------------------------------


async def consent_statistics(
    services: Services, identity: Identity, since: datetime, until: datetime
) -> dict[str, dict[str, int]]:
    """Per category, decisions recorded in [since, until) and requests opened then that are
    still pending."""
    require_privacy_officer(identity)
    decided = await services.store.consents.decision_counts(since, until)
    pending = await services.store.consent_requests.pending_counts(since, until)
    table: dict[str, dict[str, int]] = {}
    for category in sorted(set(decided) | set(pending)):
        counts = decided.get(category) or Counter[str]()
        row = {d: counts[d] for d in DECISIONS}
        row["pending"] = pending[category]
        table[category] = {d: row.get(d, 0) for d in STATS_DECISIONS}
    await audit_view(
        services,
        identity,
        "consent_statistics",
        {"since": since.isoformat(), "until": until.isoformat()},
    )
    return table


async def retention_runs(services: Services, identity: Identity) -> Retention:
    require_privacy_officer(identity)
    summary = await retention_summary(services.store)
    await audit_view(services, identity, "retention_runs", {"runs": len(summary["recent"])})
    return summary
