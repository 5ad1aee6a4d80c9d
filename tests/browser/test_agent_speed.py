# Chinese labels are the data here, on purpose.
# ruff: noqa: RUF001
"""Speed for agents and the language switch (issue 20 items 4 and 8): an agent handles five
simultaneous conversations from the keyboard alone (a saved reply through "/" included);
the unread count in the title; the shortcuts' help; the language switch of the console and
the widget, remembered."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import Live, send

CUSTOMERS = [f"cust-{n}" for n in range(1, 6)]


async def reply_with_saved(agent: Page, query: str) -> None:
    """In the composer: "/" and the query, then Enter inserts the first match, Enter sends."""
    await agent.keyboard.type("/" + query)
    await expect(agent.get_by_test_id("saved-reply").first).to_be_visible()
    await agent.keyboard.press("Enter")
    await expect(agent.get_by_test_id("saved-replies")).to_be_hidden()
    await agent.keyboard.press("Enter")


async def test_when_five_customers_write_then_the_agent_answers_and_closes_all_by_keyboard(
    live: Live, browser: Browser, screenshots: Path
) -> None:
    agent = await live.console(browser, "agent-1")
    customers: dict[str, Page] = {}
    for sub in CUSTOMERS:
        customers[sub] = await live.widget(browser, sub)
        await send(customers[sub], f"Hello, this is {sub}")
    items = agent.get_by_test_id("queue-item")
    await expect(items).to_have_count(5)
    # The first conversation is shown; the four others' messages are unread.
    await expect(agent).to_have_title("(4) Agent console")

    title = agent.get_by_test_id("conversation-title")
    for done in range(5):
        await agent.keyboard.press("j")  # the next open conversation
        shown = await title.inner_text()
        sub = next(s for s in CUSTOMERS if shown.startswith(s + " "))
        await agent.keyboard.press("a")  # join it
        await expect(title).to_contain_text("with agent-1")
        await agent.keyboard.press("r")  # into the composer
        await expect(agent.get_by_test_id("chat-input")).to_be_focused()
        if done == 0:
            await agent.keyboard.type("/gre")
            replies = agent.get_by_test_id("saved-reply")
            await expect(replies.first).to_have_attribute("data-key", "greeting")
            await expect(agent.get_by_test_id("chat-input")).to_have_attribute(
                "aria-expanded", "true"
            )
            assert await live.axe(agent) == []
            await agent.screenshot(path=screenshots / "console-saved-replies.png", caret="initial")
            await agent.keyboard.press("ArrowDown")  # the same reply in Chinese
            await expect(replies.nth(1)).to_have_attribute("aria-selected", "true")
            await agent.keyboard.press("ArrowUp")
            await agent.keyboard.press("Enter")
            await agent.keyboard.press("Enter")
        else:
            await reply_with_saved(agent, "order")
        expected = (
            f"Hello {sub}, thank you for contacting us. How can I help?"
            if done == 0
            else f"Let me check your order, {sub}. One moment, please."
        )
        await expect(
            customers[sub].get_by_test_id("chat-message").filter(has_text=expected)
        ).to_have_count(1)
        await agent.keyboard.press("Alt+x")  # close it, from inside the composer
        closed = agent.locator("[data-testid=queue-item][data-status=closed]")
        await expect(closed).to_have_count(done + 1)
        await expect(
            customers[sub].get_by_text("The agent closed this conversation.")
        ).to_be_visible()
        await agent.keyboard.press("Escape")  # leave the composer
    await expect(agent.locator("[data-testid=queue-item][data-status=open]")).to_have_count(0)
    await expect(agent).to_have_title("Agent console")

    await agent.keyboard.press("?")
    help_box = agent.get_by_test_id("shortcuts-help")
    await expect(help_box).to_be_visible()
    await expect(help_box).to_contain_text("Next conversation")
    assert await live.axe(agent) == []
    await agent.screenshot(path=screenshots / "console-shortcuts.png", caret="initial")
    await agent.keyboard.press("Escape")
    await expect(help_box).to_be_hidden()


async def test_when_the_agent_and_the_customer_switch_language_then_the_pages_change_and_remember(
    live: Live, browser: Browser, screenshots: Path
) -> None:
    agent = await live.console(browser, "agent-1")
    await expect(agent.get_by_role("heading", level=1)).to_have_text("Agent console")
    await agent.get_by_test_id("lang-switch").select_option("zh")
    await expect(agent.get_by_role("heading", level=1)).to_have_text("客服工作台")
    await agent.locator("[data-testid=connection-state][data-state=open]").wait_for()
    await expect(agent.get_by_test_id("signed-in-as")).to_have_text("当前身份：agent-1（客服）")
    await expect(agent.get_by_test_id("shortcuts-open")).to_have_text("快捷键（按 ?）")
    await expect(agent.locator("html")).to_have_attribute("lang", "zh")
    # Remembered: the same browser opens the console in Chinese, without #lang=.
    again = await agent.context.new_page()
    await again.goto(live.url + "/console/#token=" + live.token("agent", "agent-1"))
    await expect(again.get_by_role("heading", level=1)).to_have_text("客服工作台")
    await again.close()

    customer = await live.widget(browser, "cust-1")
    await expect(customer.get_by_test_id("chat-send")).to_have_text("Send")
    await customer.get_by_test_id("lang-switch").select_option("zh")
    await expect(customer.get_by_test_id("chat-send")).to_have_text("发送")
    await customer.locator("[data-testid=connection-state][data-state=open]").wait_for()
    await send(customer, "你好")
    await agent.get_by_test_id("conversation-join").click()
    await expect(agent.get_by_test_id("queue-heading")).to_have_text(["处理中"])
    await agent.get_by_test_id("chat-input").focus()
    await agent.keyboard.type("/gre")
    reply = agent.get_by_test_id("saved-reply").first
    await expect(reply).to_have_attribute("data-lang", "zh")  # the agent's language first
    await expect(reply).to_contain_text("cust-1，您好！")
    await agent.keyboard.press("Escape")
    assert await live.axe(agent) == []
    assert await live.axe(customer) == []
    await customer.screenshot(path=screenshots / "widget-language-switch-zh.png", caret="initial")
    await agent.screenshot(path=screenshots / "console-language-switch-zh.png", caret="initial")


async def test_when_an_agent_goes_away_then_the_supervisor_sees_it_and_the_queue_skips_them(
    live: Live, browser: Browser, screenshots: Path
) -> None:
    agent = await live.console(browser, "agent-1")
    supervisor = await live.console(browser, "sup-1", role="supervisor")
    await agent.get_by_test_id("availability").select_option("away")
    await expect(agent.get_by_test_id("away-hint")).to_contain_text("You are away")
    row = supervisor.get_by_test_id("agent-availability").locator("[data-agent-id=agent-1]")
    await expect(row).to_have_attribute("data-state", "away")
    await expect(row).to_contain_text("agent-1: Away since")

    customer = await live.widget(browser, "cust-1")
    await send(customer, "Is anyone there?")
    await expect(supervisor.get_by_test_id("queue-item")).to_have_count(1)
    await expect(agent.get_by_test_id("queue-item")).to_have_count(0)
    assert await live.axe(supervisor) == []
    await supervisor.screenshot(path=screenshots / "console-availability.png", caret="initial")

    await agent.get_by_test_id("availability").select_option("online")
    await expect(row).to_have_attribute("data-state", "online")
    await expect(agent.get_by_test_id("conversation-join")).to_be_visible()
    assert await live.axe(agent) == []


# Counts the desktop notifications the page makes (the browser's own Notification stays the
# one that shows them).
RECORD_NOTIFICATIONS = """
(() => {
  const Real = window.Notification;
  window.shownNotifications = [];
  window.Notification = class extends Real {
    constructor(title, options) {
      super(title, options);
      window.shownNotifications.push({ title, body: options?.body ?? "" });
    }
  };
})();
"""
HIDE_TAB = """
Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
document.dispatchEvent(new Event("visibilitychange"));
"""
SHOW_TAB = """
delete document.hidden;
delete document.visibilityState;
document.dispatchEvent(new Event("visibilitychange"));
"""


async def test_when_the_tab_is_hidden_then_a_new_conversation_counts_in_the_title_and_notifies(
    live: Live, browser: Browser
) -> None:
    token = live.token("agent", "agent-1")
    agent = await live.page(browser, f"/console/#token={token}", permissions=["notifications"])
    await agent.context.add_init_script(RECORD_NOTIFICATIONS)
    desktop = agent.get_by_test_id("notify-desktop")
    await expect(desktop).not_to_be_checked()  # off until the agent turns it on
    await desktop.click()
    await expect(desktop).to_be_checked()  # permission asked on the click, and granted
    await agent.reload()  # remembered
    await agent.locator("[data-testid=connection-state][data-state=open]").wait_for()
    await expect(desktop).to_be_checked()
    await expect(agent.get_by_test_id("notify-sound")).to_be_checked()

    await agent.evaluate(HIDE_TAB)
    customer = await live.widget(browser, "cust-1")
    await send(customer, "Hello, anyone?")
    await expect(agent).to_have_title("(1) Agent console")
    shown = await agent.wait_for_function("window.shownNotifications.length > 0")
    notes = await agent.evaluate("window.shownNotifications")
    assert notes[0] == {"title": "Agent console", "body": "New conversation: cust-1"}, notes
    assert all("Hello, anyone?" not in note["body"] for note in notes)  # never the text
    await shown.dispose()
    await agent.evaluate(SHOW_TAB)  # back on the tab, on that conversation: read
    await expect(agent).to_have_title("Agent console")
