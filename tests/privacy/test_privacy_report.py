"""The privacy officer's report (CONTRACT 2 `chat-service privacy report`, 4 `GET
/api/privacy/report`), over the real server and store: open deletion requests by working days
left and overdue ones, consent decisions per category, active holds and what they keep,
retention runs and what they purged, failed privacy notices.

Deletion requests, holds, runs and deliveries are stored in the shapes their owners write.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from chat_service.privacy.report import privacy_report
from chat_service.privacy.retention import load_retention_config, run_retention
from chat_service.workdays import load_holiday_calendar
from tests.helpers.consent import assigned_chat, headers, raw_db, services_of
from tests.helpers.ws import Client

REPORT_URL = "/api/privacy/report"
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
PO = {"role": "privacy_officer", "id": "po-1"}


async def _report(client: Client) -> dict[str, Any]:
    response = await client.get(REPORT_URL, headers=headers(client, "privacy_officer", "po-1"))
    assert response.status == 200, await response.text()
    assert response.headers["Cache-Control"] == "no-store"
    body: dict[str, Any] = await response.json()
    return body


async def _file_deletion_requests(client: Client) -> dict[str, datetime]:
    """Four requests in each state; the due dates of the open ones."""
    calendar = await asyncio.to_thread(
        load_holiday_calendar, services_of(client).settings.config_dir
    )
    received = {
        "dr_overdue": (datetime(2026, 1, 20, 3, 0, tzinfo=UTC), "in_progress"),
        "dr_partial": (datetime(2026, 2, 25, 3, 0, tzinfo=UTC), "partially_completed"),
        "dr_fresh": (datetime(2026, 2, 27, 3, 0, tzinfo=UTC), "received"),
        "dr_done": (datetime(2026, 1, 5, 3, 0, tzinfo=UTC), "completed"),
    }
    due: dict[str, datetime] = {}
    for request_id, (at, status) in received.items():
        exact = calendar.deletion_due_at(at)  # stored with BSON's millisecond precision
        due[request_id] = exact.replace(microsecond=exact.microsecond // 1000 * 1000)
        completed = status == "completed"
        await raw_db(client)["deletion_requests"].insert_one(
            {
                "_id": request_id,
                "customer_id": "p_4f2a" if completed else f"cust-{request_id}",
                "pseudonymised": completed,
                "filed_by": {"role": "customer", "id": f"cust-{request_id}"},
                "received_at": at,
                "due_at": due[request_id],
                "status": status,
                "history": [{"at": at, "status": "received", "note": "filed"}],
                "completed_at": at + timedelta(days=3) if completed else None,
            }
        )
    return due


async def _record_consents(client: Client) -> None:
    ledger = services_of(client).store.consents
    decisions = [
        ("cust-a", ["financial"], "granted"),
        ("cust-a", ["financial"], "withdrawn"),
        ("cust-b", ["financial", "health"], "granted"),
        ("cust-c", ["health"], "refused"),
        ("cust-d", ["identity_document"], "expired"),
    ]
    for i, (customer_id, categories, decision) in enumerate(decisions):
        await ledger.append(
            customer_id=customer_id,
            purpose="customer_service",
            categories=categories,
            decision=decision,  # type: ignore[arg-type]  # table of literal decisions
            policy_version="test",
            at=NOW - timedelta(days=10 - i),
            decided_by={"role": "customer", "id": customer_id},
            evidence={},
        )


async def _hold(client: Client, conversation_id: str) -> None:
    holds = services_of(client).store.legal_holds
    for scope, customer_id, target in (
        ("customer", "cust-1", None),
        ("conversation", "cust-1", conversation_id),
        ("customer", "cust-9", None),
    ):
        await holds.add(
            scope=scope,  # type: ignore[arg-type]  # table of literal scopes
            customer_id=customer_id,
            conversation_id=target,
            reason=f"dispute over order {customer_id}",
            by=PO,
            at=NOW - timedelta(days=1),
        )
    await holds.lift(
        scope="customer", customer_id="cust-9", conversation_id=None, by=PO, at=NOW, reason="over"
    )


async def _record_runs(client: Client) -> str:
    """A real run of the retention engine, and an older failed one in the agreed shape."""
    services = services_of(client)
    config = await asyncio.to_thread(load_retention_config, services.settings.config_dir)
    summary = await run_retention(
        services, config, now=datetime.now(UTC), dry_run=False, holder="test"
    )
    assert summary.run_id is not None
    await raw_db(client)["retention_runs"].insert_one(
        {
            "_id": "rr_old",
            "started_at": NOW - timedelta(days=2),
            "finished_at": NOW - timedelta(days=2) + timedelta(seconds=3),
            "dry_run": False,
            "now": NOW - timedelta(days=2),
            "status": "failed",
            "rules": {
                "connection_data_deleted": {
                    "action": "delete",
                    "matched": 5,
                    "done": 3,
                    "held_skipped": 2,
                }
            },
            "errors": [{"rule": "connection_data_deleted", "error": "store unavailable"}],
            "duration_ms": 3000,
        }
    )
    return summary.run_id


async def _webhook_deliveries(client: Client) -> None:
    base = {
        "webhook": "crm",
        "event": "customer.deleted",
        "customer_id": "p_4f2a",
        "created_at": NOW - timedelta(hours=5),
        "next_attempt_at": NOW,
        "attempts": [],
    }
    for delivery_id, state, extra in (
        ("wd_dead", "dead", {"dead_at": NOW, "attempt_count": 15, "last_error": "HTTP 503"}),
        ("wd_pending", "pending", {"attempt_count": 2, "last_error": "timeout"}),
        ("wd_ok", "delivered", {"attempt_count": 1, "last_error": None}),
    ):
        doc = {"_id": delivery_id, "event_id": "ev_" + delivery_id, "state": state, **base, **extra}
        await raw_db(client)["webhook_deliveries"].insert_one(doc)


async def test_when_an_officer_asks_then_the_report_covers_every_section(
    client: Client,
) -> None:
    chat = await assigned_chat(client)
    due = await _file_deletion_requests(client)
    await _record_consents(client)
    await _hold(client, chat.conversation_id)
    real_run = await _record_runs(client)
    await _webhook_deliveries(client)
    services_of(client).clock = lambda: NOW
    calendar = await asyncio.to_thread(
        load_holiday_calendar, services_of(client).settings.config_dir
    )

    report = await _report(client)

    assert report["format"] == "chat-service.privacy-report"
    assert report["format_version"] == 1
    assert report["generated_at"] == NOW.isoformat()
    assert report["warnings"] == []
    deletions = report["deletion_requests"]
    assert deletions["deadline_working_days"] == 15
    assert deletions["counts"] == {
        "received": 1,
        "in_progress": 1,
        "completed": 1,
        "partially_completed": 1,
    }
    assert [r["id"] for r in deletions["open"]] == ["dr_overdue", "dr_partial", "dr_fresh"]
    for row in deletions["open"]:
        assert row["working_days_left"] == calendar.working_days_left(due[row["id"]], NOW)
        assert row["due_at"] == due[row["id"]].isoformat()
        assert row["customer_id"] == f"cust-{row['id']}"
    overdue, partial, fresh = deletions["open"]
    assert overdue["overdue"] is True
    assert overdue["working_days_left"] < 0
    assert overdue["status"] == "in_progress"
    assert partial["overdue"] is False
    assert 0 <= partial["working_days_left"] < fresh["working_days_left"] <= 15
    assert deletions["overdue"] == ["dr_overdue"]

    consents = report["consents"]
    assert consents["decisions_by_category"] == {
        "financial": {"granted": 2, "refused": 0, "expired": 0, "withdrawn": 1},
        "health": {"granted": 1, "refused": 1, "expired": 0, "withdrawn": 0},
        "identity_document": {"granted": 0, "refused": 0, "expired": 1, "withdrawn": 0},
    }
    assert consents["customers_by_current_decision"] == {
        "financial": {"granted": 1, "refused": 0, "expired": 0, "withdrawn": 1},
        "health": {"granted": 1, "refused": 1, "expired": 0, "withdrawn": 0},
        "identity_document": {"granted": 0, "refused": 0, "expired": 1, "withdrawn": 0},
    }

    holds = report["legal_holds"]
    assert holds["active_count"] == 2
    assert holds["lifted_count"] == 1
    by_scope = {h["scope"]: h for h in holds["active"]}
    assert by_scope["customer"]["customer_id"] == "cust-1"
    assert by_scope["customer"]["keeps"] == {"conversations": 1, "messages": 1}
    assert by_scope["conversation"]["conversation_id"] == chat.conversation_id
    assert by_scope["conversation"]["keeps"] == {"conversations": 1, "messages": 1}
    assert by_scope["customer"]["reason"] == "dispute over order cust-1"
    assert by_scope["customer"]["set_by"] == PO

    retention = report["retention"]
    assert [r["id"] for r in retention["recent"]] == [real_run, "rr_old"]
    assert retention["recent"][0]["status"] == "succeeded"
    assert retention["recent"][1]["error_count"] == 1
    assert retention["recent"][1]["errors"][0]["error"] == "store unavailable"
    assert retention["runs_total"] == 2
    assert retention["runs_by_status"] == {"failed": 1, "succeeded": 1}
    real = await raw_db(client)["retention_runs"].find_one({"_id": real_run})
    assert real is not None
    # Every rule, and the step for uploads never sent (config/attachments.toml).
    assert set(retention["purged_by_rule"]) == {*real["rules"], "unsent_attachments"}
    deleted = retention["purged_by_rule"]["connection_data_deleted"]
    assert deleted["done"] == 3 + real["rules"]["connection_data_deleted"]["count"]
    assert deleted["held_skipped"] == 2 + real["rules"]["connection_data_deleted"]["held_skipped"]
    assert (
        retention["purged_total"]
        == 3
        + sum(r["count"] for r in real["rules"].values())
        + (real["unsent_attachments"]["count"])
    )

    webhooks = report["webhooks"]
    assert webhooks["counts"] == {"pending": 1, "delivered": 1, "dead": 1}
    [dead] = webhooks["dead"]
    assert dead["delivery_id"] == "wd_dead"
    assert dead["attempts"] == 15
    assert dead["last_error"] == "HTTP 503"

    # The command line builds the same report from the store and the settings alone.
    services = services_of(client)
    assert await privacy_report(services.store, services.settings, NOW) == report


async def test_when_nothing_is_recorded_yet_then_the_report_is_empty_not_an_error(
    client: Client,
) -> None:
    report = await _report(client)

    assert report["warnings"] == []
    assert report["deletion_requests"]["open"] == []
    assert report["deletion_requests"]["overdue"] == []
    assert set(report["deletion_requests"]["counts"].values()) == {0}
    assert report["consents"]["decisions_by_category"] == {}
    assert report["legal_holds"] == {"active_count": 0, "lifted_count": 0, "active": []}
    assert report["retention"]["recent"] == []
    assert report["retention"]["purged_total"] == 0
    assert report["webhooks"]["counts"] == {"pending": 0, "delivered": 0, "dead": 0}
    assert report["webhooks"]["dead"] == []


async def test_when_a_due_date_is_outside_the_holiday_table_then_warned_not_failed(
    client: Client,
) -> None:
    far = datetime(2031, 5, 6, 15, 59, tzinfo=UTC)
    await raw_db(client)["deletion_requests"].insert_one(
        {"_id": "dr_far", "customer_id": "cust-x", "status": "received", "due_at": far}
    )
    services = services_of(client)

    report = await privacy_report(services.store, services.settings, NOW)

    [row] = report["deletion_requests"]["open"]
    assert row["working_days_left"] is None
    assert row["overdue"] is False
    assert any("dr_far" in w for w in report["warnings"])


async def test_when_anyone_but_a_privacy_officer_asks_then_refused(client: Client) -> None:
    await _record_consents(client)
    expected = {
        ("customer", "cust-a"): 403,
        ("agent", "agent-1"): 403,
        ("supervisor", "sup-1"): 403,
        ("privacy_officer", "po-1"): 200,
    }
    got: dict[tuple[str, str], int] = {}
    for role, sub in expected:
        response = await client.get(REPORT_URL, headers=headers(client, role, sub))
        got[role, sub] = response.status
        if response.status != 200:
            assert (await response.json())["error"]["code"] == "forbidden"
            assert "financial" not in await response.text()
    assert got == expected
    anonymous = await client.get(REPORT_URL)
    assert anonymous.status == 401
    assert (await anonymous.json())["error"]["code"] == "unauthenticated"
