"""axe-core (WCAG 2.1 A/AA rules), injected into the pages, finds nothing serious or
critical in the main states of the widget and the console."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, expect

from tests.browser.conftest import Live, join_first, send
from tests.helpers.consent import RESIDENT_ID


async def test_when_axe_scans_the_pages_then_nothing_serious_or_critical_is_found(
    live: Live, browser: Browser, screenshots: Path
) -> None:
    agent = await live.console(browser, "agent-1")
    customer = await live.widget(browser, "cust-1")
    assert await live.axe(customer) == []
    assert await live.axe(agent) == []

    await send(customer, "Hello")
    await join_first(agent)
    await send(customer, f"My ID number is {RESIDENT_ID}.")
    await expect(customer.get_by_test_id("consent-request")).to_be_visible()
    await expect(agent.get_by_test_id("masked-value")).to_be_visible()
    assert await live.axe(customer) == []
    assert await live.axe(agent) == []

    await customer.get_by_test_id("privacy-menu").click()
    await expect(customer.get_by_test_id("consent-list")).to_be_visible()
    assert await live.axe(customer) == []
    await customer.screenshot(path=screenshots / "widget-privacy-menu.png", caret="initial")

    officer = await live.console(browser, "po-1", role="privacy_officer")
    await expect(officer.get_by_test_id("privacy-report")).to_contain_text("Privacy report")
    assert await live.axe(officer) == []


async def test_when_the_screen_is_a_phone_then_the_widget_fills_it_and_works_by_keyboard(
    live: Live, browser: Browser, screenshots: Path
) -> None:
    token = live.token("customer", "cust-phone")
    phone = await live.page(
        browser,
        f"/widget/#token={token}&lang=en",
        viewport={"width": 390, "height": 800},
        is_mobile=True,
        has_touch=True,
    )
    panel = phone.locator(".csw-panel")
    box = await panel.bounding_box()
    assert box is not None and box["width"] == 390
    await phone.get_by_test_id("chat-input").focus()
    await phone.keyboard.type("Typed on a phone")
    await phone.keyboard.press("Enter")
    await expect(
        phone.get_by_test_id("chat-message").filter(has_text="Typed on a phone")
    ).to_have_attribute("data-seq", "1")
    await phone.screenshot(path=screenshots / "widget-phone.png", caret="initial")
    assert await live.axe(phone) == []
