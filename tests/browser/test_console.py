# Chinese punctuation and full-width characters are the data here, on purpose.
# ruff: noqa: RUF001
"""The agent console reads right: a child's conversation, what happened to a refused
picture, closed conversations, two conversations of one customer, labels in both
languages (issue 17)."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, FilePayload, Page, expect

from tests.browser.conftest import Live, join_first, send
from tests.helpers.attachments import text_picture
from tests.helpers.consent import CARD, RESIDENT_ID


async def chinese_console(live: Live, browser: Browser, sub: str, role: str = "agent") -> Page:
    token = live.token(role, sub)
    page = await live.page(browser, f"/console/#token={token}&lang=zh", locale="zh-CN")
    if role != "privacy_officer":
        await page.locator("[data-testid=connection-state][data-state=open]").wait_for()
    return page


async def test_when_a_child_writes_then_the_console_says_so_and_the_guardian_is_told_the_truth(
    live: Live, browser: Browser, screenshots: Path
) -> None:
    agent = await live.console(browser, "agent-1")
    agent_zh = await chinese_console(live, browser, "agent-1")
    kid = await live.widget(browser, "kid-1", age=12)
    await send(kid, "Hello")
    item = agent.get_by_test_id("queue-item")
    await expect(item.get_by_test_id("minor-badge")).to_have_text("Child under 14")
    await expect(agent_zh.get_by_test_id("queue-item").get_by_test_id("minor-badge")).to_have_text(
        "未满14岁儿童"
    )
    await join_first(agent)
    await expect(agent.get_by_test_id("conversation-title")).to_contain_text("Child under 14")

    await send(kid, "My phone is 13812345678")
    prompt = kid.get_by_test_id("consent-request")
    await prompt.locator("[name=guardian_name]").fill("Li Na")
    await prompt.locator("[name=guardian_relationship]").fill("mother")
    await prompt.get_by_test_id("consent-grant").click()
    await expect(prompt).to_have_count(0)
    # The configuration does not show a child's data to agents: the guardian is told so.
    await expect(kid.get_by_text("the agent still sees it hidden")).to_be_visible()
    await expect(kid.get_by_text("the agent can now see it")).to_have_count(0)

    chip = agent.get_by_test_id("chat-message").get_by_test_id("masked-value")
    await expect(chip).to_have_text("phone number, hidden: a child's data")
    chip_zh = agent_zh.get_by_test_id("chat-message").get_by_test_id("masked-value")
    await expect(chip_zh).to_have_text("电话号码，已隐藏：儿童信息")
    await expect(agent.get_by_test_id("chat-message").filter(has_text="13812345678")).to_have_count(
        0
    )
    await agent.screenshot(path=screenshots / "console-child.png", caret="initial")
    await agent_zh.screenshot(path=screenshots / "console-child-zh.png", caret="initial")
    await agent_zh.set_viewport_size({"width": 390, "height": 844})
    await expect(chip_zh).to_be_in_viewport()
    await agent_zh.screenshot(path=screenshots / "console-child-phone-zh.png", caret="initial")


async def test_when_a_customer_refuses_a_card_picture_then_the_chip_says_it_was_deleted(
    live: Live, browser: Browser, screenshots: Path
) -> None:
    agent, customer = await live.conversation(browser, "My card was charged twice")
    picture = text_picture(f"Card {CARD}")
    await customer.get_by_test_id("attach-input").set_input_files(
        files=[FilePayload(name="statement.png", mimeType="image/png", buffer=picture)]
    )
    await customer.get_by_test_id("consent-refuse").click(timeout=30_000)

    refused = "Sensitive parts hidden; the original was deleted (consent refused)"
    preview = agent.locator("[data-testid=chat-message][data-kind=image]").get_by_test_id(
        "attachment-preview"
    )
    await expect(preview.get_by_test_id("masked-value")).to_have_text(refused)
    await agent.reload()
    await agent.locator("[data-testid=connection-state][data-state=open]").wait_for()
    await expect(preview.get_by_test_id("masked-value")).to_have_text(refused)
    await expect(preview.locator("img")).to_be_visible()  # the redacted copy stays
    await agent.screenshot(path=screenshots / "console-attachment-refused.png", caret="initial")


async def test_when_a_conversation_closes_then_its_tab_and_typing_line_go_and_the_next_differs(
    live: Live, browser: Browser
) -> None:
    agent = await live.console(browser, "agent-1")
    customer = await live.widget(browser, "cust-1")
    await send(customer, "Where is my order?")
    await join_first(agent)
    tabs = agent.get_by_test_id("conversation-tab")
    await expect(tabs).to_have_count(1)
    await customer.get_by_test_id("chat-input").fill("one more thing")
    typing = agent.get_by_text("The customer is typing…")
    await expect(typing).to_be_visible()

    await agent.get_by_test_id("conversation-close").click()
    items = agent.get_by_test_id("queue-item")
    await expect(items).to_have_attribute("data-status", "closed")
    await expect(tabs).to_have_count(0)
    await expect(typing).to_have_count(0)

    await send(customer, "one more thing")
    await expect(items).to_have_count(2)
    await (
        agent.locator("[data-testid=queue-item][data-status=open]")
        .get_by_test_id("conversation-join")
        .click()
    )
    await expect(tabs).to_have_count(1)
    await expect(tabs).to_contain_text("cust-1 · started ")
    texts = await items.all_inner_texts()
    assert len(set(texts)) == 2, texts  # the customer's two conversations are told apart
    # The join's answer regroups the queue after the tab opens: wait for it.
    await expect(agent.get_by_test_id("queue-heading")).to_have_text(["In progress", "Closed"])


async def test_when_the_console_is_chinese_then_roles_categories_and_headings_are_translated(
    live: Live, browser: Browser, screenshots: Path
) -> None:
    agent = await chinese_console(live, browser, "agent-3")
    await expect(agent.get_by_test_id("signed-in-as")).to_have_text("当前身份：agent-3（客服）")
    customer = await live.widget(browser, "cust-1")
    await send(customer, "Hello")
    await expect(agent.get_by_test_id("queue-heading")).to_have_text(["等待接入"])
    await agent.get_by_test_id("conversation-join").click()
    await expect(agent.get_by_test_id("queue-heading")).to_have_text(["处理中"])
    await expect(agent.get_by_text("排队中")).to_have_count(0)

    await send(customer, f"My ID number is {RESIDENT_ID}.")
    chip = agent.get_by_test_id("chat-message").get_by_test_id("masked-value")
    await expect(chip).to_have_text("身份证号，等待同意")
    await customer.get_by_test_id("consent-refuse").click()
    await expect(chip).to_have_text("身份证号，顾客拒绝，已删除")
    await agent.screenshot(path=screenshots / "console-conversation-zh.png", caret="initial")

    officer = await chinese_console(live, browser, "po-1", role="privacy_officer")
    await expect(officer).to_have_title("隐私官工作台")
    await expect(officer.get_by_role("heading", level=1)).to_have_text("隐私官工作台")
    await expect(officer.get_by_test_id("signed-in-as")).to_have_text("当前身份：po-1（隐私官）")
    decisions = officer.get_by_test_id("consent-decisions")
    await expect(decisions).to_contain_text("身份证件")
    await expect(decisions).to_contain_text("拒绝：1")
    page_text = await officer.locator("body").inner_text()
    for raw in ("identity_document", "privacy_officer", "refused"):
        assert raw not in page_text, raw

    english = await live.console(browser, "po-2", role="privacy_officer")
    await expect(english).to_have_title("Privacy officer's console")
    await expect(english.get_by_test_id("signed-in-as")).to_have_text(
        "Signed in as po-2 (privacy officer)"
    )
    await expect(english.get_by_test_id("consent-decisions")).to_contain_text("identity document")
