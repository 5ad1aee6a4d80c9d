# Chinese text is the data here, on purpose.
# ruff: noqa: RUF001
"""Saved replies edited by a supervisor in the console (docs/agent-speed.md): added in the
dialog, refused when the shortcut is taken, and in an agent's `/` list at once, without a
reload (another browser context)."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, expect

from tests.browser.conftest import Live


async def test_when_a_supervisor_adds_a_reply_then_the_agent_can_insert_it_without_a_reload(
    live: Live, browser: Browser, screenshots: Path
) -> None:
    agent, _customer = await live.conversation(browser, "When will my refund arrive?")
    supervisor = await live.console(browser, "sup-1", role="supervisor")
    assert await agent.get_by_test_id("replies-manage").count() == 0  # agents do not edit

    await supervisor.get_by_test_id("replies-manage").click()
    editor = supervisor.get_by_test_id("reply-editor")
    await expect(editor.locator("[data-testid=reply-item][data-key=greeting]")).to_be_visible()
    await editor.get_by_test_id("reply-key").fill("refund-time")
    await editor.get_by_test_id("reply-title-en").fill("Refund time")
    await editor.get_by_test_id("reply-title-zh").fill("退款时间")
    await editor.get_by_test_id("reply-text-en").fill("Refunds take 5 working days, {name}.")
    await editor.get_by_test_id("reply-text-zh").fill("{name}，退款需要5个工作日。")
    await editor.get_by_test_id("reply-save").click()
    await expect(editor.get_by_test_id("reply-status")).to_have_text("Saved.")
    await expect(editor.locator("[data-testid=reply-item][data-key=refund-time]")).to_be_visible()
    assert await live.axe(supervisor) == []
    await supervisor.screenshot(path=screenshots / "console-reply-editor.png", caret="initial")

    # the same shortcut again: refused, said why
    await editor.get_by_test_id("reply-key").fill("refund-time")
    for field in ("title-en", "title-zh", "text-en", "text-zh"):
        await editor.get_by_test_id(f"reply-{field}").fill("x")
    await editor.get_by_test_id("reply-save").click()
    await expect(editor.get_by_test_id("reply-status")).to_have_text(
        "Another reply already has this shortcut."
    )
    # Chromium logs the refused request (409) as a console error: expected here, once
    refused = [p for p in live.problems if "409 (Conflict)" in p and "/api/replies" in p]
    assert len(refused) == 1, live.problems
    live.problems.remove(refused[0])

    # the agent, whose console loaded before the change, finds it in the composer
    await agent.get_by_test_id("chat-input").focus()
    await agent.keyboard.type("/refund")
    reply = agent.locator("[data-testid=saved-reply][data-key=refund-time]").first
    await expect(reply).to_contain_text("Refunds take 5 working days, cust-1.")
