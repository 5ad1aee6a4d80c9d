# Chinese punctuation and full-width characters are the data here, on purpose.
# ruff: noqa: RUF001
"""The privacy officer's workspace (/privacy/, issue 20 item 7) in real Chromium: a privacy
officer, in its own context, sees a completed and an open deletion request with working days
left, places and lifts a legal hold, filters the audit and downloads it as CSV, in English
and in Chinese (the page's language switch), with no serious or critical axe violations."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.async_api import Browser, expect

from chat_service import keys
from chat_service.auth import Identity, Role
from chat_service.privacy.deletion import file_request, process_due
from tests.browser.conftest import Live


async def _seed(live: Live) -> None:
    """A completed deletion request (cust-gone), an open one (cust-open, filed now: 15
    working days left), and sensitive reads of two agents."""
    services = live.app[keys.SERVICES]
    await file_request(services, Identity(Role.CUSTOMER, "cust-gone"), "cust-gone")
    [done] = await process_due(services, notifier=services.notifier)
    assert done["status"] == "completed"
    await file_request(services, Identity(Role.CUSTOMER, "cust-open"), "cust-open")
    now = datetime.now(UTC)
    for i, (agent, customer) in enumerate(
        [("agent-a", "cust-1"), ("agent-b", "cust-2"), ("agent-a", "cust-3")]
    ):
        await services.store.audit.record(
            at=now - timedelta(minutes=10 - i),
            actor={"role": "agent", "id": agent},
            action="sensitive_read",
            customer_id=customer,
            reason="consent granted",
            categories=["financial"],
        )


async def test_when_a_privacy_officer_works_the_workspace_then_requests_holds_and_the_audit_are_there_in_both_languages(  # noqa: E501
    live: Live, browser: Browser, screenshots: Path
) -> None:
    await _seed(live)
    token = live.token("privacy_officer", "po-1")
    page = await live.page(browser, f"/privacy/#token={token}&lang=en")
    await expect(page).to_have_title("Privacy office")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Privacy office")

    # Deletion requests: the open one by default, with its working days left.
    rows = page.get_by_test_id("deletion-row")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_have_attribute("data-status", "received")
    await expect(rows.first.get_by_test_id("days-left")).to_have_text("15 working days left")
    await page.get_by_label("Show").select_option("all")
    await expect(rows).to_have_count(2)
    completed = page.locator("[data-testid=deletion-row][data-status=completed]")
    await expect(completed.get_by_test_id("days-left")).to_contain_text(", in time")
    await expect(completed).to_contain_text("customer pseudonymised")
    await expect(completed).not_to_contain_text("cust-gone")

    # A legal hold placed, then lifted, each with who and why.
    await page.get_by_label("Applies to").select_option("customer")
    await page.get_by_label("Customer or conversation id").fill("cust-held")
    await page.get_by_label("Reason").fill("court order 2026-17")
    await page.get_by_test_id("hold-place").click()
    hold = page.locator("[data-testid=hold-row][data-target=cust-held]")
    await expect(hold).to_have_attribute("data-active", "true")
    await expect(hold).to_contain_text("court order 2026-17")
    await expect(hold).to_contain_text("po-1")
    await hold.get_by_test_id("hold-lift").click()
    await page.get_by_label("Why is the hold lifted?").fill("case settled")
    await page.get_by_test_id("lift-confirm").click()
    await expect(hold).to_have_attribute("data-active", "false")
    await expect(hold.get_by_test_id("hold-state")).to_contain_text("case settled")

    # The audit, filtered by agent, then downloaded as CSV.
    await page.get_by_label("Staff member (agent id)").fill("agent-a")
    await page.get_by_test_id("audit-apply").click()
    audit_rows = page.get_by_test_id("audit-row")
    await expect(audit_rows).to_have_count(2)
    await expect(page.locator("[data-testid=audit-row][data-actor=agent-b]")).to_have_count(0)
    await expect(audit_rows.first).to_have_attribute("data-customer", "cust-3")
    async with page.expect_download() as download_info:
        await page.get_by_test_id("audit-csv").click()
    download = await download_info.value
    assert download.suggested_filename.startswith("audit-")
    saved = await download.path()
    text = await asyncio.to_thread(Path(saved).read_text, "utf-8")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][:4] == ["at", "action", "actor_role", "actor_id"]
    assert [(r[3], r[4]) for r in table[1:]] == [("agent-a", "cust-3"), ("agent-a", "cust-1")]
    await expect(page.get_by_test_id("pw-status")).to_have_text("Downloaded 2 rows.")

    # The officer's own reads and actions are in the audit.
    await page.get_by_label("Staff member (agent id)").fill("po-1")
    await page.get_by_test_id("audit-apply").click()
    mine = page.locator("[data-testid=audit-row][data-actor=po-1]")
    await expect(mine.filter(has_text="legal hold lifted")).to_have_count(1)
    await expect(mine.filter(has_text="audit exported")).to_have_count(1)
    await expect(page.get_by_test_id("audit-body")).not_to_contain_text("null")

    assert await live.axe(page) == []
    await page.screenshot(path=screenshots / "privacy-workspace.png", full_page=True)

    # The language switch: every label in Chinese, the data as it was.
    await page.get_by_label("Language").select_option("zh")
    await expect(page).to_have_title("隐私办公室")
    await expect(page.get_by_role("heading", level=1)).to_have_text("隐私办公室")
    await expect(page.get_by_test_id("signed-in-as")).to_have_text("当前身份：po-1（隐私官）")
    await page.get_by_label("显示").select_option("open")
    await expect(page.get_by_test_id("deletion-row")).to_have_count(1)
    await expect(page.get_by_test_id("deletion-row").get_by_test_id("days-left")).to_have_text(
        "剩余15个工作日"
    )
    lifted = page.locator("[data-testid=hold-row][data-target=cust-held]")
    await expect(lifted.get_by_test_id("hold-state")).to_contain_text("解除：case settled")
    await expect(page.get_by_role("heading", name="敏感信息查看与销毁审计")).to_be_visible()
    await expect(page.get_by_test_id("audit-row").first).to_contain_text("po-1（隐私官）")
    assert await live.axe(page) == []
    await page.screenshot(path=screenshots / "privacy-workspace-zh.png", full_page=True)


async def test_when_the_console_is_opened_by_a_privacy_officer_then_it_links_to_the_workspace(
    live: Live, browser: Browser
) -> None:
    console = await live.console(browser, "po-2", role="privacy_officer")
    await console.get_by_test_id("privacy-office-link").click()
    await expect(console).to_have_title("Privacy office")
    await expect(console.get_by_test_id("signed-in-as")).to_have_text(
        "Signed in as po-2 (privacy officer)"
    )
    agent = await live.page(browser, f"/privacy/#token={live.token('agent', 'agent-1')}")
    await expect(agent.get_by_role("alert")).to_contain_text("for privacy officers")
