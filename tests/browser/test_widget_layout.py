# ruff: noqa: RUF001  # Chinese text with its full-width punctuation is the point
"""The widget on a phone with consent prompts and the privacy panel open: header, composer
and the customer's own messages stay reachable; notices read as what they are; Chinese reads
as Chinese (labels, not ids; full-width punctuation)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Locator, Page, expect

from tests.browser.conftest import Live, join_first, send
from tests.helpers.consent import CARD, RESIDENT_ID

PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
}
# Inside the viewport, and the topmost element at its centre (nothing covers it).
ON_SCREEN_JS = """(e) => {
    const r = e.getBoundingClientRect();
    const inside = r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0
        && r.bottom <= window.innerHeight && r.right <= window.innerWidth;
    const hit = e.getRootNode().elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return inside && hit !== null && e.contains(hit);
}"""
RAW_ID = re.compile(r"\b[a-z]+_[a-z_]+\b|\b[A-Z]+_[A-Z_]+\b")


async def on_screen(target: Locator) -> bool:
    found: bool = await target.evaluate(ON_SCREEN_JS)
    return found


async def controls_on_screen(phone: Page) -> dict[str, bool]:
    return {
        "privacy": await on_screen(phone.get_by_test_id("privacy-menu")),
        "close": await on_screen(phone.get_by_role("button", name="Close chat")),
        "input": await on_screen(phone.get_by_test_id("chat-input")),
        "send": await on_screen(phone.get_by_test_id("chat-send")),
    }


async def phone_widget(live: Live, browser: Browser, sub: str) -> Page:
    token = live.token("customer", sub)
    phone = await live.page(browser, f"/widget/#token={token}&lang=en", **PHONE)
    await phone.locator("[data-testid=connection-state][data-state=open]").wait_for()
    return phone


async def test_when_two_consent_prompts_stack_on_a_phone_then_header_and_composer_stay_in_view(
    live: Live, browser: Browser, screenshots: Path
) -> None:
    agent = await live.console(browser, "agent-1")
    phone = await phone_widget(live, browser, "cust-phone")
    await send(phone, "Hello")
    await join_first(agent)
    await send(phone, f"My ID number is {RESIDENT_ID}.")
    await send(phone, f"My card is {CARD}.")
    await expect(phone.get_by_test_id("consent-request")).to_have_count(2)
    assert await controls_on_screen(phone) == dict.fromkeys(
        ("privacy", "close", "input", "send"), True
    )
    mine = phone.get_by_test_id("chat-message").filter(has_text="My card is")
    await mine.scroll_into_view_if_needed()
    await expect(mine).to_be_in_viewport()
    await phone.get_by_test_id("consent-request").last.scroll_into_view_if_needed()
    await phone.screenshot(path=screenshots / "widget-phone-consent.png", caret="initial")

    # The privacy panel open as well: still nothing pushed away, nothing clipped.
    await phone.get_by_test_id("privacy-menu").click()
    await expect(phone.get_by_test_id("consent-list")).to_be_visible()
    assert await controls_on_screen(phone) == dict.fromkeys(
        ("privacy", "close", "input", "send"), True
    )
    await mine.scroll_into_view_if_needed()
    await expect(mine).to_be_in_viewport()
    first = phone.get_by_test_id("chat-message").filter(has_text="Hello")
    await first.scroll_into_view_if_needed()
    await expect(first).to_be_in_viewport()
    await phone.get_by_test_id("consent-grant").first.click()
    await expect(phone.get_by_test_id("consent-request")).to_have_count(1)


async def test_when_consent_is_withdrawn_then_the_confirmation_is_a_success_that_can_be_dismissed(
    live: Live, browser: Browser
) -> None:
    _agent, customer = await live.conversation(browser, "Hello")
    await send(customer, f"My ID number is {RESIDENT_ID}.")
    await customer.get_by_test_id("consent-grant").click()
    notice = customer.get_by_test_id("widget-notice")
    await expect(notice).to_contain_text("can now see")
    await expect(notice).to_have_attribute("data-kind", "success")

    await customer.get_by_test_id("privacy-menu").click()
    await customer.get_by_test_id("consent-withdraw").click()
    await expect(notice).to_contain_text("Consent withdrawn")
    await expect(notice).to_have_attribute("data-kind", "success")
    await expect(notice).not_to_have_css("color", "rgb(122, 26, 20)")  # not the error red
    await notice.get_by_test_id("notice-dismiss").click()
    await expect(notice).to_be_hidden()


async def test_when_the_widget_is_chinese_then_labels_replace_ids_with_full_width_punctuation(
    live: Live, browser: Browser, screenshots: Path
) -> None:
    agent = await live.console(browser, "agent-1")
    token = live.token("customer", "cust-zh")
    customer = await live.page(browser, f"/widget/#token={token}&lang=zh", **PHONE, locale="zh-CN")
    await customer.locator("[data-testid=connection-state][data-state=open]").wait_for()
    await send(customer, "你好")
    await join_first(agent)
    await send(agent, "您好，请问有什么可以帮您？")
    answer = customer.get_by_test_id("chat-message").filter(has_text="请问")
    await expect(answer).to_have_attribute("data-seq", "2")
    assert (await answer.text_content() or "").startswith("客服：")

    await send(customer, f"我的身份证号是{RESIDENT_ID}，银行卡号是{CARD}")
    prompt = customer.get_by_test_id("consent-request")
    categories = prompt.locator(".csw-consent__categories")
    await expect(categories).to_have_text(
        re.compile("^(身份证件、银行卡或账户|银行卡或账户、身份证件)$")
    )
    await customer.get_by_test_id("consent-refuse").click()
    chips = customer.get_by_test_id("chat-message").get_by_test_id("masked-value")
    await expect(chips).to_have_count(2)
    for chip in await chips.all():
        await expect(chip).to_have_text(re.compile("^[^,]+，您已拒绝，已删除$"))
    shown = await customer.locator(".csw-panel").inner_text()
    assert RAW_ID.findall(shown) == [], shown
    await customer.screenshot(path=screenshots / "widget-phone-refused-zh.png", caret="initial")
