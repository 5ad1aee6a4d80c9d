"""A picture attached in the widget reaches the console as a preview fetched with the
agent's token (never a token in a URL)."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from playwright.async_api import Browser, FilePayload, expect

from tests.browser.conftest import Live, join_first, send
from tests.helpers.attachments import text_picture
from tests.helpers.consent import CARD


def png(width: int = 120, height: int = 80) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (40, 120, 200)).save(out, format="PNG")
    return out.getvalue()


async def test_when_customer_attaches_a_picture_then_the_agent_sees_its_preview(
    live: Live, browser: Browser, screenshots: Path
) -> None:
    agent = await live.console(browser, "agent-1")
    customer = await live.widget(browser, "cust-1")
    await send(customer, "Here is the parcel")
    await join_first(agent)

    await customer.get_by_test_id("attach-input").set_input_files(
        files=[FilePayload(name="parcel.png", mimeType="image/png", buffer=png())]
    )
    sent = customer.get_by_test_id("chat-message").and_(customer.locator("[data-kind=image]"))
    await expect(sent).to_have_attribute("data-seq", "2")
    await expect(sent.locator("img")).to_be_visible()

    received = agent.get_by_test_id("chat-message").and_(agent.locator("[data-kind=image]"))
    await expect(received).to_have_attribute("data-seq", "2")
    preview = received.get_by_test_id("attachment-preview").locator("img")
    await expect(preview).to_be_visible()
    assert (await preview.get_attribute("src") or "").startswith("blob:")
    assert await preview.evaluate("img => img.naturalWidth") == 120
    await agent.screenshot(path=screenshots / "console-attachment.png", caret="initial")


async def test_when_a_picture_shows_a_card_then_the_console_shows_it_redacted_until_consent(
    live: Live, browser: Browser, screenshots: Path
) -> None:
    agent = await live.console(browser, "agent-1")
    customer = await live.widget(browser, "cust-1")
    await send(customer, "My card was charged twice")
    await join_first(agent)

    await customer.get_by_test_id("attach-input").set_input_files(
        files=[
            FilePayload(
                name="statement.png", mimeType="image/png", buffer=text_picture(f"Card {CARD}")
            )
        ]
    )
    await expect(customer.get_by_test_id("consent-request")).to_be_visible(timeout=30_000)
    received = agent.get_by_test_id("chat-message").and_(agent.locator("[data-kind=image]"))
    preview = received.get_by_test_id("attachment-preview")
    await expect(preview.get_by_test_id("masked-value")).to_have_text(
        "Sensitive parts hidden, awaiting consent"
    )
    await expect(preview.locator("img")).to_be_visible()
    await agent.screenshot(path=screenshots / "console-attachment-redacted.png", caret="initial")

    await customer.get_by_test_id("consent-grant").click()
    await expect(preview.get_by_test_id("masked-value")).to_have_count(0)
    await expect(preview.locator("img")).to_be_visible()
