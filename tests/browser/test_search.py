# Chinese text is the data here, on purpose.
# ruff: noqa: RUF001
"""Search in the agent console (docs/search.md): words and Chinese words found, a masked
value never, a result opens its conversation at that message; axe and a screenshot."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, expect

from tests.browser.conftest import Live, send
from tests.helpers.consent import CARD


async def test_when_an_agent_searches_then_results_open_the_conversation_at_the_message(
    live: Live, browser: Browser, screenshots: Path
) -> None:
    agent, customer = await live.conversation(browser, "Hello there")
    texts = ["The zeppelin parcel arrived damaged", "我想申请退款，订单还没有发货。"]
    texts += [f"Another note number {i}" for i in range(10)]
    for text in texts:
        await send(customer, text)
    messages = agent.get_by_test_id("chat-message")
    await expect(messages).to_have_count(1 + len(texts))
    await send(customer, f"My card is {CARD}")
    await expect(messages).to_have_count(2 + len(texts))

    async def search(page_query: str) -> None:
        await supervisor.get_by_test_id("search-input").fill(page_query)
        await supervisor.get_by_test_id("search-submit").click()

    supervisor = await live.console(browser, "boss", role="supervisor")
    results = supervisor.get_by_test_id("search-result")
    status = supervisor.get_by_test_id("search-status")
    await search("4111")
    await expect(status).to_have_text("Nothing found.")
    await search("退款")
    await expect(results).to_have_count(1)
    await expect(results).to_contain_text("申请退款")
    await search("Zeppelin DAMAGED")
    await expect(status).to_have_text("1 found")
    await expect(results).to_have_count(1)
    await expect(results).to_contain_text("The zeppelin parcel arrived damaged")
    assert await live.axe(supervisor) == []
    await supervisor.screenshot(path=screenshots / "console-search.png", caret="initial")

    await results.click()
    found = supervisor.locator("[data-testid=chat-message][data-seq='2']")
    await expect(found).to_have_attribute("data-found", "true")
    await expect(found).to_be_in_viewport()
    await expect(supervisor.get_by_test_id("conversation-title")).to_contain_text("cust-1")

    # The agent's own console searches the same way.
    await agent.get_by_test_id("search-input").fill("note number")
    await agent.get_by_test_id("search-submit").click()
    await expect(agent.get_by_test_id("search-result")).to_have_count(10)
