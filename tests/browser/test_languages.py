"""Chinese and English: from `lang` in the fragment, or from the browser's language."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from playwright.async_api import Browser, expect

from tests.browser.conftest import Live, send
from tests.helpers.consent import RESIDENT_ID

REPO = Path(__file__).resolve().parents[2]


async def test_when_lang_is_zh_then_the_widget_and_its_consent_notice_are_chinese(
    live: Live, browser: Browser, screenshots: Path
) -> None:
    customer = await live.widget(browser, "cust-zh", lang="zh")
    await expect(customer.get_by_test_id("chat-send")).to_have_text("发送")
    await expect(customer.get_by_test_id("share-location")).to_have_text("发送我的位置")
    assert await customer.locator(".csw").get_attribute("lang") == "zh"
    await send(customer, f"我的身份证号是{RESIDENT_ID}")
    prompt = customer.get_by_test_id("consent-request")
    await expect(prompt).to_contain_text("客服人员需要查看您消息中的敏感个人信息")
    await expect(customer.get_by_test_id("consent-grant")).to_have_text("我同意")
    await customer.screenshot(path=screenshots / "widget-consent-prompt-zh.png", caret="initial")


async def test_when_no_lang_is_given_then_the_browsers_language_decides(
    live: Live, browser: Browser
) -> None:
    token = live.token("customer", "cust-browser")
    chinese = await live.page(browser, f"/widget/#token={token}", locale="zh-CN")
    await expect(chinese.get_by_test_id("chat-send")).to_have_text("发送")
    english = await live.page(browser, f"/widget/#token={token}", locale="en-GB")
    await expect(english.get_by_test_id("chat-send")).to_have_text("Send")
    # The token left the address bar (it stays in this tab's sessionStorage only).
    assert "token" not in english.url


async def test_when_lang_is_en_then_the_widget_is_english_on_a_chinese_browser(
    live: Live, browser: Browser
) -> None:
    token = live.token("customer", "cust-en")
    page = await live.page(browser, f"/widget/#token={token}&lang=en", locale="zh-CN")
    await expect(page.get_by_test_id("chat-send")).to_have_text("Send")
    await expect(page.get_by_test_id("chat-input")).to_have_attribute(
        "placeholder", "Type a message…"
    )


async def test_every_entity_type_the_detector_produces_is_named_in_chinese(
    live: Live, browser: Browser
) -> None:
    """The chips and notices name what was found: every entity type of
    config/categories.toml has a Chinese name (a type missing from the Chinese table falls
    back to its English name, then to the type itself lower-cased: "wechat id")."""
    entities = tomllib.loads((REPO / "config" / "categories.toml").read_text("utf-8"))["entities"]
    page = await live.widget(browser, "cust-labels")
    labels = await page.evaluate(
        """async (types) => {
            const { entityName } = await import("/assets/shared/i18n.js");
            return types.map((type) => [type, entityName("zh", type)]);
        }""",
        sorted(entities),
    )
    unnamed = [f"{kind}: {name}" for kind, name in labels if not re.search("[\u4e00-\u9fff]", name)]
    assert not unnamed
