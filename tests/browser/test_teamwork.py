"""Teamwork in the pages (docs/teamwork.md): an agent writes an internal note and transfers
the conversation to another agent (another browser context); the customer never sees the
note, is told neutrally, and at the end rates the chat and downloads the transcript."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, expect

from tests.browser.conftest import Live, send

NOTE = "prefers email, asked twice already"


async def test_when_an_agent_transfers_with_a_note_then_the_customer_sees_neither_and_rates_at_the_end(  # noqa: E501
    live: Live, browser: Browser, screenshots: Path
) -> None:
    first, customer = await live.conversation(browser, "My parcel has not arrived")
    second = await live.console(browser, "agent-2")

    panel = first.get_by_test_id("teamwork")
    await panel.get_by_test_id("note-input").fill(NOTE)
    await panel.get_by_test_id("note-add").click()
    await expect(panel.get_by_test_id("note")).to_contain_text(NOTE)

    await panel.get_by_test_id("transfer-to").fill("agent-2")
    await panel.get_by_test_id("transfer-submit").click()
    # The receiving agent gets it live, with its history and the note; the first agent no
    # longer holds it.
    item = second.get_by_test_id("queue-item")
    await expect(item).to_have_count(1)
    await item.locator("button.con-queue-open").click()
    await expect(second.get_by_test_id("chat-message")).to_contain_text("My parcel has not arrived")
    await expect(second.get_by_test_id("teamwork").get_by_test_id("note")).to_contain_text(NOTE)
    await expect(first.get_by_test_id("queue-item")).to_have_count(0)
    await expect(customer.get_by_test_id("widget-notice")).to_contain_text("passed to a colleague")
    await second.screenshot(path=screenshots / "console-teamwork.png", caret="initial")
    assert await live.axe(second) == []

    await send(second, "I have found it, it arrives tomorrow")
    await expect(customer.get_by_test_id("chat-message").last).to_contain_text("tomorrow")
    await second.get_by_test_id("conversation-close").click()

    end = customer.get_by_test_id("end-of-chat")
    await expect(end).to_be_visible()
    assert NOTE not in await customer.content()
    await end.get_by_test_id("rating-score-5").check()
    await end.get_by_test_id("rating-comment").fill("Quick and kind")
    await customer.screenshot(path=screenshots / "widget-end-of-chat.png", caret="initial")
    assert await live.axe(customer) == []
    await end.get_by_test_id("rating-submit").click()
    await expect(end.get_by_test_id("rating-thanks")).to_be_visible()
    async with customer.expect_download() as downloading:
        await end.get_by_test_id("transcript-download").click()
    download = await downloading.value
    saved = screenshots / "transcript.txt"
    await download.save_as(saved)
    transcript = saved.read_text(encoding="utf-8")
    saved.unlink()
    assert "You: My parcel has not arrived" in transcript
    assert "Agent: I have found it, it arrives tomorrow" in transcript
    assert NOTE not in transcript


async def test_when_the_customer_reloads_after_the_close_then_the_rating_is_offered_until_given(
    live: Live, browser: Browser
) -> None:
    agent, customer = await live.conversation(browser, "Is my refund done?", customer="cust-rl")
    await agent.get_by_test_id("conversation-close").click()
    end = customer.get_by_test_id("end-of-chat")
    await expect(end.get_by_test_id("rating-submit")).to_be_visible()

    await customer.reload()  # the closed, unrated conversation's form is offered again
    await expect(end.get_by_test_id("rating-submit")).to_be_visible()
    await end.get_by_test_id("rating-score-4").check()
    await end.get_by_test_id("rating-submit").click()
    await expect(end.get_by_test_id("rating-thanks")).to_be_visible()

    await customer.reload()  # rated: shown as rated, not offered twice
    await expect(end.get_by_test_id("rating-thanks")).to_be_visible()
    await expect(end.get_by_test_id("rating-submit")).to_have_count(0)
    assert await live.axe(customer) == []
