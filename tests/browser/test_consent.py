"""Consent prompts in the widget; the agent's chips change with the customer's answer."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, expect

from tests.browser.conftest import Live, join_first, send
from tests.helpers.consent import CARD, RESIDENT_ID


async def test_when_customer_grants_or_refuses_then_the_agents_chip_fills_in_or_stays_masked(
    live: Live, browser: Browser, screenshots: Path
) -> None:
    agent = await live.console(browser, "agent-1")
    customer = await live.widget(browser, "cust-1")
    await send(customer, "Hello")
    await join_first(agent)

    await send(customer, f"My ID number is {RESIDENT_ID}.")
    prompt = customer.get_by_test_id("consent-request")
    await expect(prompt).to_be_visible()
    await expect(prompt).to_contain_text("sensitive personal information")
    await expect(prompt).to_contain_text("identity document")
    chip = agent.get_by_test_id("chat-message").get_by_test_id("masked-value")
    await expect(chip).to_have_text("ID number, awaiting consent")
    await expect(agent.get_by_test_id("chat-message").filter(has_text=RESIDENT_ID)).to_have_count(0)
    await customer.screenshot(path=screenshots / "widget-consent-prompt.png", caret="initial")
    await agent.screenshot(path=screenshots / "console-awaiting-consent.png", caret="initial")

    await customer.get_by_test_id("consent-grant").click()
    await expect(prompt).to_have_count(0)
    revealed = agent.get_by_test_id("chat-message").filter(has_text=RESIDENT_ID)
    await expect(revealed).to_have_attribute("data-seq", "2")
    await expect(chip).to_have_count(0)
    await agent.screenshot(path=screenshots / "console-consent-granted.png", caret="initial")

    await send(customer, f"My card is {CARD}.")
    await expect(prompt).to_contain_text("bank card or account")
    card_chip = agent.get_by_test_id("chat-message").filter(has_text="card number")
    await expect(card_chip.get_by_test_id("masked-value")).to_have_attribute(
        "data-consent", "pending"
    )
    await customer.get_by_test_id("consent-refuse").click()
    await expect(card_chip.get_by_test_id("masked-value")).to_have_text(
        "card number, consent refused, deleted"
    )
    await expect(agent.get_by_test_id("chat-message").filter(has_text="4111")).to_have_count(0)
    # The customer's own copy is masked too once the value is destroyed.
    await expect(
        customer.get_by_test_id("chat-message").filter(has_text="4111 1111")
    ).to_have_count(0)
    await agent.screenshot(path=screenshots / "console-consent-refused.png", caret="initial")
